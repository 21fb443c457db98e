package catalog

// Browser tests: the catalogue in real headless Chromium, checked with
// axe-core for WCAG 2.2 AA and driven with the keyboard only.
//
// They need two things the Go toolchain does not bring, and skip (saying
// why) without them:
//
//   - Chromium: apt-get install -y chromium (found as chromium,
//     chromium-browser or google-chrome on PATH, or at $FRONTDOOR_CHROMIUM);
//   - axe-core from npm: npm ci --prefix catalog/testdata (found at
//     catalog/testdata/node_modules/axe-core/axe.min.js, or at $FRONTDOOR_AXE).
//
// TestScreenshots also saves desktop and mobile screenshots of the index and
// an API page to docs/screenshots/ (only when they changed).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeTags are the axe-core rule tags of WCAG 2.2 level A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FRONTDOOR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("skipping browser test: no chromium on PATH (install it with: apt-get install -y chromium, or set FRONTDOOR_CHROMIUM)")
	return ""
}

func findAxe(t *testing.T) string {
	t.Helper()
	p := os.Getenv("FRONTDOOR_AXE")
	if p == "" {
		p = filepath.Join("testdata", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("skipping browser test: axe-core not found at %s (install it with: npm ci --prefix catalog/testdata, or set FRONTDOOR_AXE): %v", p, err)
	}
	return string(b)
}

// browser starts headless Chromium for the test and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		// No UserDataDir: the allocator makes its own and, once Chromium
		// exits, ends its leftover children and removes it (retrying while
		// they still write), which a test's TempDir cleanup does not.
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return bctx
}

// serve serves the site for the test and returns its URL.
func serve(t *testing.T, site *Site) string {
	t.Helper()
	srv := httptest.NewServer(Handler(site.FS()))
	t.Cleanup(srv.Close)
	return srv.URL
}

// browserSite is the fixture site, with the real personal demographics spec
// when it is available.
func browserSite(t *testing.T) (site *Site, pages []string) {
	pages = []string{"/", "/status/stable/", "/apis/nhsbsa/exemptions/", "/publishers/nhsbsa/", "/publishers/", "/usage/"}
	snap := withDiagnosis(testSnapshot())
	specs := testSpecs()
	if b, err := os.ReadFile(filepath.Join(sharedSpecs, "personal-demographics-service-api__personal-demographics.yaml")); err == nil {
		specs["nhsbsa/hello"] = b
		pages = append(pages, "/apis/nhsbsa/hello/")
	}
	opts := testOptions()
	opts.Usage = testUsage(t)
	site, err := Build(snap, specs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return site, pages
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes []struct {
		ID string `json:"id"`
	} `json:"passes"`
}

func runAxe(t *testing.T, ctx context.Context, axe, url string) axeResult {
	t.Helper()
	tags, _ := json.Marshal(axeTags)
	script := fmt.Sprintf(`axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]}).then(r => ({violations: r.violations, passes: r.passes.map(p => ({id: p.id}))}))`, tags)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	if err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe on %s: %v", url, err)
	}
	return res
}

// checkAxe fails the test for each violation axe found on page p, and if
// axe did not run.
func checkAxe(t *testing.T, p string, res axeResult) {
	t.Helper()
	if len(res.Passes) == 0 {
		t.Fatalf("axe passed no rule on %s: it did not run", p)
	}
	for _, v := range res.Violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("    %v: %s", n.Target, n.HTML))
		}
		t.Errorf("%s (%s): %s\n%s", v.ID, v.Impact, v.Help, strings.Join(nodes, "\n"))
	}
}

func TestPagesHaveNoWCAG22AAViolations(t *testing.T) {
	axe := findAxe(t)
	ctx := browser(t)
	site, pages := browserSite(t)
	base := serve(t, site)
	var urls []string
	for _, p := range pages {
		urls = append(urls, base+p)
	}
	// Filter groups too long to list: the shortened lists and the page of
	// all values.
	limited := serve(t, testSites(t)["facet-limit-1"])
	for _, p := range []string{"/", "/publisher/", "/publisher/trust-a/"} {
		urls = append(urls, limited+p)
	}
	for _, viewport := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 800}, {"mobile", 390, 844}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewport.width, viewport.height)); err != nil {
			t.Fatal(err)
		}
		for i, u := range urls {
			p := strings.TrimPrefix(strings.TrimPrefix(u, base), limited)
			if i >= len(pages) {
				p = "/facet-limit-1" + p
			}
			t.Run(viewport.name+p, func(t *testing.T) {
				checkAxe(t, p, runAxe(t, ctx, axe, u))
			})
		}
	}
}

// TestMultiFilePagesHaveNoWCAG22AAViolations checks the pages of the
// multi-file documents (the project's own, and the real ones when present):
// their Markdown with HTML, the document's description and the links from
// repeated schemas to their first rendering.
func TestMultiFilePagesHaveNoWCAG22AAViolations(t *testing.T) {
	axe := findAxe(t)
	ctx := browser(t)
	site, apis := multiFileSite(t)
	base := serve(t, site)
	for _, a := range apis {
		p := "/apis/" + a.id + "/"
		t.Run(p, func(t *testing.T) {
			checkAxe(t, p, runAxe(t, ctx, axe, base+p))
		})
	}
}

// focusState is what the keyboard test reads after each Tab.
type focusState struct {
	Tag      string `json:"tag"`
	Href     string `json:"href"`
	Visible  bool   `json:"visible"`
	Outlined bool   `json:"outlined"`
}

const focusScript = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return {tag: "body", href: "", visible: false, outlined: false};
	const r = e.getBoundingClientRect();
	const s = getComputedStyle(e);
	return {
		tag: e.tagName.toLowerCase(),
		href: e.getAttribute("href") || "",
		visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
		outlined: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none",
	};
})()`

func TestKeyboardAloneReachesEveryAPIFromTheIndex(t *testing.T) {
	ctx := browser(t)
	site := buildTestSite(t)
	base := serve(t, site)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#search-q"))); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, id := range listedAPIs(t, site, "index.html") {
		want["./apis/"+id+"/"] = false
	}
	for i := 0; i < 200; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[focusState](focusScript))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && f.Href != "#main" {
			t.Errorf("the first Tab focuses %s %q, want the skip link", f.Tag, f.Href)
		}
		if f.Tag != "body" && (!f.Visible || !f.Outlined) {
			t.Errorf("Tab %d: focused %s %q is visible %v with a focus indicator %v, want both", i+1, f.Tag, f.Href, f.Visible, f.Outlined)
		}
		if _, ok := want[f.Href]; ok {
			want[f.Href] = true
		}
		done := true
		for _, reached := range want {
			done = done && reached
		}
		if done {
			return
		}
	}
	for href, reached := range want {
		if !reached {
			t.Errorf("200 Tab presses never reached the link to %s", href)
		}
	}
}

func TestSearchFiltersTheListInTheBrowser(t *testing.T) {
	ctx := browser(t)
	base := serve(t, buildTestSite(t))
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#search-q")),
		chromedp.SendKeys(chromedp.CSS("#search-q"), "pharmacy"), // a tag, only in the search index
		chromedp.WaitVisible(chromedp.CSS(`#search-status`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the index to load and the list to be filtered: a poll in the
	// page with a deadline, not a sleep.
	const shownScript = `[...document.querySelectorAll("#api-list li:not([hidden])")].map(li => li.dataset.api)`
	_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](shownScript+`.join() === "nhsbsa/exemptions"`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](shownScript))
		t.Fatalf("got %q shown after searching for pharmacy, want [nhsbsa/exemptions] (%v)", shown, err)
	}
}

func TestScreenshots(t *testing.T) {
	ctx := browser(t)
	site, _ := browserSite(t)
	base := serve(t, site)
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, shot := range []struct {
		name, path    string
		width, height int64
		mobile        bool
	}{
		{"index-desktop", "/", 1280, 800, false},
		{"index-mobile", "/", 390, 844, true},
		{"api-desktop", "/apis/nhsbsa/exemptions/", 1280, 800, false},
		{"api-mobile", "/apis/nhsbsa/exemptions/", 390, 844, true},
		{"publisher-desktop", "/publishers/nhsbsa/", 1280, 800, false},
	} {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if shot.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(shot.width, shot.height, opts...), chromedp.Navigate(base+shot.path), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("%s: not a PNG", shot.name)
		}
		p := filepath.Join(dir, shot.name+".png")
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, png) {
			continue
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", p, len(png))
	}
}
