package catalog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
	"golang.org/x/net/html"
)

func TestBuildIsDeterministic(t *testing.T) {
	a := buildTestSite(t)
	opts := testOptions()
	opts.Workers = 1
	b, err := Build(testSnapshot(), testSpecs(), opts)
	if err != nil {
		t.Fatal(err)
	}
	sameSites(t, b, a)
}

func TestIndexListsEveryLiveAPIAndNoRetiredOne(t *testing.T) {
	site := buildTestSite(t)
	got := listedAPIs(t, site, "index.html")
	want := []string{"nhsbsa/exemptions", "nhsbsa/hello", "nhsbsa/old-exemptions", "trust-a/beds"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	page := string(mustFile(t, site, "index.html"))
	for _, s := range []string{"Check whether a patient has a valid prescription exemption.", "NHS Business Services Authority", "Private beta", "app-level3"} {
		if !strings.Contains(page, s) {
			t.Errorf("index lacks %q", s)
		}
	}
}

func TestFacetPagesListOnlyMatchingAPIs(t *testing.T) {
	site := buildTestSite(t)
	for _, tc := range []struct {
		page string
		want []string
	}{
		{"status/stable/index.html", []string{"nhsbsa/exemptions"}},
		{"status/retired/index.html", []string{"nhsbsa/retired-api"}},
		{"publisher/trust-a/index.html", []string{"trust-a/beds"}},
		{"publisher/nhsbsa/index.html", []string{"nhsbsa/exemptions", "nhsbsa/hello", "nhsbsa/old-exemptions"}},
		{"access/app-level0/index.html", []string{"nhsbsa/hello", "nhsbsa/old-exemptions"}},
		{"access/nhs-login-p9/index.html", []string{"trust-a/beds"}},
		{"environment/production/index.html", []string{"nhsbsa/exemptions", "nhsbsa/old-exemptions"}},
		{"environment/sandbox/index.html", []string{"nhsbsa/exemptions", "nhsbsa/hello", "trust-a/beds"}},
	} {
		t.Run(tc.page, func(t *testing.T) {
			if got := listedAPIs(t, site, tc.page); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFilterNavLinksToEveryFacetPageAndMarksTheCurrentOne(t *testing.T) {
	site := buildTestSite(t)
	doc := parseHTML(t, "index.html", mustFile(t, site, "index.html"))
	var linked []string
	for _, nav := range findAll(doc, byTag("nav")) {
		if c, _ := attr(nav, "class"); c != "filters" {
			continue
		}
		for _, a := range findAll(nav, byTag("a")) {
			href, _ := attr(a, "href")
			linked = append(linked, path.Clean(href)+"/index.html")
		}
	}
	var facetPages []string
	for _, f := range htmlFiles(site) {
		for _, g := range []string{"status/", "publisher/", "access/", "environment/"} {
			if strings.HasPrefix(f, g) {
				facetPages = append(facetPages, f)
			}
		}
	}
	slices.Sort(linked)
	slices.Sort(facetPages)
	if !slices.Equal(linked, facetPages) {
		t.Errorf("got filter links %q, want %q", linked, facetPages)
	}
	current := currentLinks(t, site, "status/beta/index.html")
	if want := []string{"../../status/beta/"}; !slices.Equal(current, want) {
		t.Errorf("got current filter links %q, want %q", current, want)
	}
}

// currentLinks returns the hrefs of the links marked aria-current="page" on
// the page at path in site.
func currentLinks(t *testing.T, site *Site, path string) []string {
	t.Helper()
	var current []string
	for _, a := range findAll(parseHTML(t, path, mustFile(t, site, path)), byTag("a")) {
		if v, _ := attr(a, "aria-current"); v == "page" {
			href, _ := attr(a, "href")
			current = append(current, href)
		}
	}
	return current
}

func TestAPIPageSectionsFollowTheCatalogueOrder(t *testing.T) {
	site := buildTestSite(t)
	doc := parseHTML(t, "api page", mustFile(t, site, "apis/nhsbsa/exemptions/index.html"))
	var got []string
	for _, h := range findAll(doc, byTag("h2")) {
		if id, ok := attr(h, "id"); ok && id != "contents-heading" {
			got = append(got, id)
		}
	}
	want := []string{"overview", "who-can-use-this-api", "access-modes", "status", "rate-limits", "network-access",
		"environments", "onboarding", "related-apis", "contact", "endpoints", "specification"}
	if !slices.Equal(got, want) {
		t.Errorf("got sections %q, want %q", got, want)
	}
}

func TestAPIPageShowsWhatAConsumerNeedsToKnow(t *testing.T) {
	site := buildTestSite(t)
	page := textOf(parseHTML(t, "api page", mustFile(t, site, "apis/nhsbsa/exemptions/index.html")))
	for _, want := range []string{
		"Public task: NHS (Charges for Drugs and Appliances) Regulations 2015", // legal basis
		"Pharmacies check exemptions when dispensing.",                         // use case
		"Application-restricted RESTful API – signed JWT authentication",       // security pattern
		"NHS smartcard or a modern alternative",                                // CIS2 AAL3
		"Gold", "100 requests per second", "10 requests per second", "Internet",
		"https://api.example/nhsbsa/exemptions/v1", "https://sandbox.api.example/nhsbsa/exemptions/v1",
		"approved this API's production launch on 1 March 2024",
		"Prescription Exemptions (old)", // related
		"api-team@nhsbsa.example",
		"GET /exemptions/{nhsNumber}", "POST /exemptions", "X-Request-ID", "200 OK", "404 Not Found",
		"Download the OpenAPI document",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("API page lacks %q", want)
		}
	}
	if got := string(mustFile(t, site, "apis/nhsbsa/exemptions/openapi.yaml")); got != testSpecYAML {
		t.Errorf("the spec download differs from the spec given")
	}
}

func TestAPIPageUsesThePlatformDefaultAppRateLimit(t *testing.T) {
	site := buildTestSite(t)
	page := textOf(parseHTML(t, "api page", mustFile(t, site, "apis/nhsbsa/hello/index.html")))
	if want := "300 requests per minute (the platform's default)"; !strings.Contains(page, want) {
		t.Errorf("hello's page lacks %q", want)
	}
}

func TestPublisherPageShowsGovernanceDetails(t *testing.T) {
	site := buildTestSite(t)
	doc := parseHTML(t, "publisher page", mustFile(t, site, "publishers/nhsbsa/index.html"))
	page := textOf(doc)
	for _, want := range []string{
		"arms-length-body", "T1450", "Public task: NHS Act 2006 section 7", "is the data controller",
		"PA-2024-001", "signed 15 January 2024", "20 January 2024 by the platform operator",
		"https://www.nhsbsa.nhs.uk", "api-team@nhsbsa.example", "Retired APIs", "Long Gone Service",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("publisher page lacks %q", want)
		}
	}
	var ids []string
	for _, li := range findAll(doc, byTag("li")) {
		if id, ok := attr(li, "data-api"); ok {
			ids = append(ids, id)
		}
	}
	if want := []string{"nhsbsa/exemptions", "nhsbsa/hello", "nhsbsa/old-exemptions"}; !slices.Equal(ids, want) {
		t.Errorf("got APIs %q, want %q", ids, want)
	}
}

func TestEveryPageHasLandmarksOneH1AndNoSkippedHeadingLevel(t *testing.T) {
	for name, site := range testSites(t) {
		t.Run(name, func(t *testing.T) { checkLandmarks(t, site) })
	}
}

func checkLandmarks(t *testing.T, site *Site) {
	for _, f := range htmlFiles(site) {
		doc := parseHTML(t, f, mustFile(t, site, f))
		if h := findAll(doc, byTag("html")); len(h) != 1 || !hasAttr(h[0], "lang", "en-GB") {
			t.Errorf("%s: <html> has no lang", f)
		}
		for _, tag := range []string{"header", "main", "footer"} {
			if n := len(findAll(doc, byTag(tag))); n != 1 {
				t.Errorf("%s: got %d <%s>, want 1", f, n, tag)
			}
		}
		if len(findAll(doc, byTag("nav"))) == 0 {
			t.Errorf("%s: no <nav>", f)
		}
		if n := len(findAll(doc, byTag("h1"))); n != 1 {
			t.Errorf("%s: got %d h1, want 1", f, n)
		}
		links := findAll(doc, byTag("a"))
		if len(links) == 0 || !hasAttr(links[0], "href", "#main") {
			t.Errorf("%s: the first link is not a skip link to #main", f)
		}
		if m := findAll(doc, byTag("main")); len(m) == 1 && !hasAttr(m[0], "id", "main") {
			t.Errorf("%s: <main> has no id main", f)
		}
		prev := 1
		for _, h := range findAll(doc, byTag("h1", "h2", "h3", "h4", "h5", "h6")) {
			level := int(h.Data[1] - '0')
			if level > prev+1 {
				t.Errorf("%s: heading %q is h%d after h%d", f, textOf(h), level, prev)
			}
			prev = level
		}
	}
}

func TestEveryTableHasACaptionAndScopedHeaders(t *testing.T) {
	site := buildTestSite(t)
	tables := 0
	for _, f := range htmlFiles(site) {
		doc := parseHTML(t, f, mustFile(t, site, f))
		for _, table := range findAll(doc, byTag("table")) {
			tables++
			if c := findAll(table, byTag("caption")); len(c) != 1 || textOf(c[0]) == "" {
				t.Errorf("%s: a table has no caption", f)
			}
			for _, th := range findAll(table, byTag("th")) {
				if s, _ := attr(th, "scope"); s != "col" && s != "row" {
					t.Errorf("%s: <th> %q has scope %q", f, textOf(th), s)
				}
			}
		}
	}
	if tables == 0 {
		t.Fatal("no table checked")
	}
}

func TestEveryRelativeLinkResolvesToAFileAndAnchor(t *testing.T) {
	for name, site := range testSites(t) {
		t.Run(name, func(t *testing.T) { checkLinks(t, site) })
	}
}

func checkLinks(t *testing.T, site *Site) {
	ids := map[string]map[string]bool{}
	idsOf := func(file string) map[string]bool {
		if m, ok := ids[file]; ok {
			return m
		}
		m := map[string]bool{}
		for _, n := range findAll(parseHTML(t, file, mustFile(t, site, file)), func(*html.Node) bool { return true }) {
			if id, ok := attr(n, "id"); ok {
				m[id] = true
			}
		}
		ids[file] = m
		return m
	}
	checked := 0
	for _, f := range htmlFiles(site) {
		doc := parseHTML(t, f, mustFile(t, site, f))
		for _, n := range findAll(doc, byTag("a", "link", "script", "form")) {
			for _, key := range []string{"href", "src", "data-index"} {
				v, ok := attr(n, key)
				if !ok || strings.Contains(v, "://") || strings.HasPrefix(v, "mailto:") {
					continue
				}
				u, err := url.Parse(v)
				if err != nil {
					t.Errorf("%s: bad link %q", f, v)
					continue
				}
				target := f
				if u.Path != "" {
					target = path.Join(path.Dir(f), u.Path)
					if strings.HasSuffix(u.Path, "/") || target == "." {
						target = path.Join(target, "index.html")
					}
				}
				if _, ok := site.File(target); !ok {
					t.Errorf("%s: link %q points to %s, which the site lacks", f, v, target)
					continue
				}
				if u.Fragment != "" && !idsOf(target)[u.Fragment] {
					t.Errorf("%s: link %q points to a missing anchor", f, v)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("got %d links checked, want at least 100", checked)
	}
}

func TestFooterDateComesFromTheInputNotTheClock(t *testing.T) {
	site := buildTestSite(t)
	if page := string(mustFile(t, site, "index.html")); !strings.Contains(page, `<time datetime="2024-05-02">2 May 2024</time>`) {
		t.Errorf("the footer does not show the newest change's date, 2 May 2024")
	}
}

func TestBuildRejectsAMissingOrRelativeBaseURL(t *testing.T) {
	for _, base := range []string{"", "catalogue.example.org", "/catalogue/", "ftp://x.example/"} {
		opts := testOptions()
		opts.BaseURL = base
		if _, err := Build(testSnapshot(), nil, opts); err == nil {
			t.Errorf("base URL %q: got no error", base)
		}
	}
}

func TestBuildRejectsIDsThatAreNotPathSegments(t *testing.T) {
	for _, id := range []string{"../evil", "a/b", ".hidden", ""} {
		snap := testSnapshot()
		snap.Publishers[0].ID = id
		if _, err := Build(snap, nil, testOptions()); err == nil {
			t.Errorf("publisher ID %q: got no error", id)
		}
	}
	snap := testSnapshot()
	snap.APIs[0].Name = ".."
	snap.APIs[0].ID = "nhsbsa/.."
	if _, err := Build(snap, nil, testOptions()); err == nil {
		t.Errorf("API ID nhsbsa/..: got no error")
	}
}

func TestWriteRewritesOnlyChangedFilesAndRemovesStaleOnes(t *testing.T) {
	dir := t.TempDir()
	site := buildTestSite(t)
	n, err := site.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(site.Files()); n != want {
		t.Errorf("first write: got %d files written, want %d", n, want)
	}
	other := filepath.Join(dir, "CNAME")
	if err := os.WriteFile(other, []byte("catalogue.example.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := site.Write(dir); err != nil || n != 0 {
		t.Errorf("second write: got %d files written (err %v), want 0", n, err)
	}

	// Retire the beds API: its page stays, the publisher facet page goes, and
	// pages that list it change.
	snap := testSnapshot()
	for i := range snap.APIs {
		if snap.APIs[i].ID == "trust-a/beds" {
			snap.APIs[i].Status = snapshot.StatusRetired
		}
	}
	site2, err := Build(snap, testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	n, err = site2.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n >= len(site2.Files()) {
		t.Errorf("third write: got %d files written, want some but not all %d", n, len(site2.Files()))
	}
	if _, err := os.Stat(filepath.Join(dir, "publisher", "trust-a", "index.html")); !os.IsNotExist(err) {
		t.Errorf("stale facet page publisher/trust-a/ was not removed (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "publisher", "trust-a")); !os.IsNotExist(err) {
		t.Errorf("empty directory publisher/trust-a was not removed (stat: %v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file the catalogue did not write was touched: %v", err)
	}
	for _, f := range site2.Files() {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		want, _ := site2.File(f)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s on disk differs from the site (err %v)", f, err)
		}
	}
}

func TestHandlerServesTheSiteWithSecurityHeaders(t *testing.T) {
	site := buildTestSite(t)
	srv := httptest.NewServer(Handler(site.FS()))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		method, path string
		code         int
		ctype        string
		location     string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/apis/nhsbsa/exemptions/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/apis/nhsbsa/exemptions", 301, "", "/apis/nhsbsa/exemptions/"},
		{"GET", "/apis/nhsbsa/exemptions/openapi.yaml", 200, "application/yaml", ""},
		{"GET", "/search.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/style.css", 200, "text/css; charset=utf-8", ""},
		{"GET", "/feed.atom", 200, "application/atom+xml", ""},
		{"GET", "/catalogue.json", 200, "application/json", ""},
		{"HEAD", "/index.html", 200, "text/html; charset=utf-8", ""},
		{"GET", "/.frontdoor-catalog", 404, "", ""},
		{"GET", "/nope/", 404, "", ""},
		{"GET", "/../etc/passwd", 404, "", ""},
		{"POST", "/", 405, "", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("got status %d, want %d", resp.StatusCode, tc.code)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("got CSP %q, want %q", got, ContentSecurityPolicy)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("got X-Content-Type-Options %q, want nosniff", got)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("got Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.location != "" && resp.Header.Get("Location") != tc.location {
				t.Errorf("got Location %q, want %q", resp.Header.Get("Location"), tc.location)
			}
		})
	}
}

func TestHandlerServesAWrittenDirectory(t *testing.T) {
	dir := t.TempDir()
	site := buildTestSite(t)
	if _, err := site.Write(dir); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	Handler(os.DirFS(dir)).ServeHTTP(rec, httptest.NewRequest("GET", "/publishers/nhsbsa/", nil))
	want, _ := site.File("publishers/nhsbsa/index.html")
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("got status %d and %d bytes, want 200 and the page's %d bytes", rec.Code, rec.Body.Len(), len(want))
	}
}

func hasAttr(n *html.Node, key, val string) bool {
	v, ok := attr(n, key)
	return ok && v == val
}
