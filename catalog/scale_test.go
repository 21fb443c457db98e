package catalog

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// dirFiles returns the files under dir (slash-separated, relative, hidden
// ones included) with their content.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for name, f := range testutil.ReadTree(t, dir) {
		files[name] = f.Data
	}
	return files
}

// buildDir renders the site of snap with a new Builder into dir.
func buildDir(t *testing.T, dir string, snap *snapshot.Snapshot, specs map[string][]byte, opts Options, forbidden []string) (*Written, error) {
	t.Helper()
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	return b.BuildDir(dir, snap, specs, opts, forbidden)
}

func TestBuildDirWritesExactlyWhatBuildMakes(t *testing.T) {
	site := buildTestSite(t)
	dir := t.TempDir()
	opts := testOptions()
	opts.Workers = 1 // and Build used GOMAXPROCS: the order of work must not matter
	w, err := buildDir(t, dir, testSnapshot(), testSpecs(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Files != len(site.Files()) || w.Written != w.Files {
		t.Errorf("got %d files, %d written; want %d, all written", w.Files, w.Written, len(site.Files()))
	}
	if !slices.Equal(w.Notices, site.Notices) {
		t.Errorf("got notices %q, want %q", w.Notices, site.Notices)
	}
	got := dirFiles(t, dir)
	if m, ok := got[manifestName]; !ok || string(m) != strings.Join(site.Files(), "\n")+"\n" {
		t.Errorf("the manifest does not list the site's files:\n%s", m)
	}
	delete(got, manifestName)
	if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, site.Files()) {
		t.Fatalf("got files %q, want %q", names, site.Files())
	}
	for _, f := range site.Files() {
		if want, _ := site.File(f); !bytes.Equal(got[f], want) {
			t.Errorf("%s differs between Build and BuildDir", f)
		}
	}
	w, err = buildDir(t, dir, testSnapshot(), testSpecs(), testOptions(), nil)
	if err != nil || w.Written != 0 {
		t.Errorf("second build: got %+v (err %v), want nothing written", w, err)
	}
}

func TestBuildDirWritesNothingWhenAForbiddenStringAppears(t *testing.T) {
	forbidden := []string{"", "business services AUTHORITY", "never shown anywhere"}

	fresh := filepath.Join(t.TempDir(), "site")
	_, err := buildDir(t, fresh, testSnapshot(), testSpecs(), testOptions(), forbidden)
	var leaks *LeakError
	if !errors.As(err, &leaks) {
		t.Fatalf("got error %v, want a *LeakError", err)
	}
	if len(leaks.Leaks) == 0 || !slices.IsSorted(leaks.Leaks) || !slices.Contains(leaks.Leaks, "index.html: business services AUTHORITY") {
		t.Errorf("got leaks %q, want a sorted list with index.html: business services AUTHORITY", leaks.Leaks)
	}
	if site := buildTestSite(t); !slices.Equal(leaks.Leaks, site.Leaks(forbidden)) {
		t.Errorf("got leaks %q, want those Site.Leaks finds, %q", leaks.Leaks, site.Leaks(forbidden))
	}
	if files := dirFiles(t, fresh); len(files) != 0 {
		t.Errorf("got files %q in a fresh directory, want none", slices.Sorted(maps.Keys(files)))
	}

	// Over an earlier build, nothing changes either.
	dir := t.TempDir()
	if _, err := buildDir(t, dir, testSnapshot(), testSpecs(), testOptions(), nil); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	snap := testSnapshot()
	snap.APIs[0].Summary = "A changed summary that names the Business Services Authority."
	if _, err := buildDir(t, dir, snap, testSpecs(), testOptions(), forbidden); !errors.As(err, &leaks) {
		t.Fatalf("got error %v, want a *LeakError", err)
	}
	sameFiles(t, dirFiles(t, dir), before)
}

// sameFiles checks that after holds the files of before, unchanged.
func sameFiles(t *testing.T, after, before map[string][]byte) {
	t.Helper()
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) {
		t.Fatalf("got files %q, want %q as before", slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}
	for f, b := range before {
		if !bytes.Equal(after[f], b) {
			t.Errorf("%s changed", f)
		}
	}
}

// dirsUnder returns the directories under dir, relative and sorted.
func dirsUnder(t *testing.T, dir string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != dir {
			rel, _ := filepath.Rel(dir, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestBuildDirRemovesTheDirectoriesItMadeWhenAForbiddenStringAppears(t *testing.T) {
	dir := t.TempDir()
	if _, err := buildDir(t, dir, testSnapshot(), testSpecs(), testOptions(), nil); err != nil {
		t.Fatal(err)
	}
	beforeFiles, beforeDirs := dirFiles(t, dir), dirsUnder(t, dir)
	// A new API gets a new directory, where its page is written in place:
	// it must go again, and the rest stay as it was.
	snap := testSnapshot()
	a := snap.APIs[0]
	a.ID, a.Name, a.Summary = a.Publisher+"/brand-new", "brand-new", "Never shown anywhere."
	snap.APIs = append(snap.APIs, a)
	snap.Normalize()
	var leaks *LeakError
	if _, err := buildDir(t, dir, snap, testSpecs(), testOptions(), []string{"never shown anywhere"}); !errors.As(err, &leaks) {
		t.Fatalf("got error %v, want a *LeakError", err)
	}
	if got := dirsUnder(t, dir); !slices.Equal(got, beforeDirs) {
		t.Errorf("got directories %q, want %q as before", got, beforeDirs)
	}
	sameFiles(t, dirFiles(t, dir), beforeFiles)
	// Without the forbidden string, the new directory is moved into place
	// whole, and no temporary one is left.
	w, err := buildDir(t, dir, snap, testSpecs(), testOptions(), nil)
	if err != nil {
		t.Fatal(err)
	}
	site, err := Build(snap, testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := site.File("apis/" + a.ID + "/index.html")
	if got := dirFiles(t, dir)["apis/"+a.ID+"/index.html"]; len(page) == 0 || !bytes.Equal(got, page) {
		t.Errorf("the new API's page is missing or differs from Build's")
	}
	for _, d := range dirsUnder(t, dir) {
		if strings.Contains(d, ".tmp-") {
			t.Errorf("temporary directory %s left behind", d)
		}
	}
	if w.Written == 0 || w.Written == w.Files {
		t.Errorf("got %d of %d files written, want the new and changed ones only", w.Written, w.Files)
	}
}

func TestBuildDirWritesNothingOnceItsContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opts := testOptions()
	opts.Context = ctx
	fresh := filepath.Join(t.TempDir(), "site")
	if _, err := buildDir(t, fresh, testSnapshot(), testSpecs(), opts, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if files := dirFiles(t, fresh); len(files) != 0 {
		t.Errorf("got files %q, want none", slices.Sorted(maps.Keys(files)))
	}
	if _, err := Build(testSnapshot(), testSpecs(), opts); !errors.Is(err, context.Canceled) {
		t.Errorf("Build: got error %v, want context.Canceled", err)
	}
}

// facetNav returns, by group, the filter links of a list page and the
// link to the page of all the group's values, if any.
func facetNav(t *testing.T, site *Site, page string) (links map[string][]string, all map[string]string) {
	t.Helper()
	doc := parseHTML(t, page, mustFile(t, site, page))
	links, all = map[string][]string{}, map[string]string{}
	for _, a := range findAll(doc, byTag("a")) {
		href, _ := attr(a, "href")
		if strings.Contains(href, ":") || strings.HasPrefix(href, "#") {
			continue
		}
		target := path.Join(path.Dir(page), href)
		group, rest, _ := strings.Cut(target, "/")
		if !slices.Contains([]string{"status", "publisher", "access", "environment"}, group) {
			continue
		}
		if rest == "" {
			all[group] = target
		} else {
			links[group] = append(links[group], rest)
		}
	}
	return links, all
}

func TestLongFilterGroupsShowTheirBiggestValuesAndLinkToAPageOfAll(t *testing.T) {
	snap, specs := largeInput(300) // 30 publishers of 10 APIs each
	// Retire 3 APIs of each of the first 5 publishers: the 25 shown must be
	// the last 25, which have the most live APIs.
	for i := range snap.APIs {
		if snap.APIs[i].Publisher < "pub-005" && snap.APIs[i].Name < "api-03" {
			snap.APIs[i].Status = snapshot.StatusRetired
		}
	}
	site, err := Build(snap, specs, Options{BaseURL: testBaseURL, FacetLimit: 25})
	if err != nil {
		t.Fatal(err)
	}
	links, all := facetNav(t, site, "index.html")
	if got := len(links["publisher"]); got != 25 {
		t.Errorf("the index lists %d publishers, want 25", got)
	}
	if slices.Contains(links["publisher"], "pub-000") || slices.Contains(links["publisher"], "pub-004") {
		t.Errorf("the index lists pub-000 or pub-004, which have the fewest APIs")
	}
	if !slices.Contains(links["publisher"], "pub-029") {
		t.Errorf("the index does not list pub-029, one of the publishers with most APIs")
	}
	if all["publisher"] != "publisher" || all["status"] != "" {
		t.Errorf("got links to pages of all values %q, want only publisher", all)
	}
	allLinks, _ := facetNav(t, site, "publisher/index.html")
	if got := len(allLinks["publisher"]); got != 30 {
		t.Errorf("publisher/ lists %d publishers, want 30", got)
	}
	if page := string(mustFile(t, site, "publisher/index.html")); !strings.Contains(page, "<h1>Filter APIs by publisher</h1>") {
		t.Errorf("publisher/ has no heading saying what it lists")
	}

	// A publisher the index does not list is listed, as the current one, on
	// its own page.
	current := currentLinks(t, site, "publisher/pub-000/index.html")
	if want := []string{"../../publisher/pub-000/"}; !slices.Equal(current, want) {
		t.Errorf("got current filter links %q, want %q", current, want)
	}
	if got := listedAPIs(t, site, "publisher/pub-000/index.html"); len(got) != 7 {
		t.Errorf("publisher/pub-000/ lists %d APIs, want its 7 live ones", len(got))
	}
}

func TestEveryFacetPageIsReachableFromTheIndexWithoutScript(t *testing.T) {
	for name, site := range testSites(t) {
		t.Run(name, func(t *testing.T) {
			reached := map[string]bool{}
			links, all := facetNav(t, site, "index.html")
			for g, vs := range links {
				for _, v := range vs {
					reached[g+"/"+v+"/index.html"] = true
				}
			}
			for _, page := range all {
				more, _ := facetNav(t, site, page+"/index.html")
				for g, vs := range more {
					for _, v := range vs {
						reached[g+"/"+v+"/index.html"] = true
					}
				}
			}
			for _, f := range htmlFiles(site) {
				group, rest, _ := strings.Cut(f, "/")
				if rest != "index.html" && slices.Contains([]string{"status", "publisher", "access", "environment"}, group) && !reached[f] {
					t.Errorf("%s is not linked from the index or a page of all values it links to", f)
				}
			}
			if len(reached) < 10 {
				t.Errorf("got %d facet pages reached, want at least 10", len(reached))
			}
		})
	}
}
