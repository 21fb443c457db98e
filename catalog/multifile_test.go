package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v4"
	"golang.org/x/net/html"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// ownSpecs holds the project's own multi-file OpenAPI documents.
const ownSpecs = "../testdata/specs"

// treeAPI is an API of the multi-file site: its document's root file (in
// the repository) and an operation its page must show.
type treeAPI struct {
	id, spec, method, path string
}

// addTree copies the document tree root.yaml (and every file beside it,
// recursively) into fsys under publishers/<pub>/apis/.
func addTree(t testing.TB, fsys fstest.MapFS, dir, pub string) {
	t.Helper()
	for name, f := range testutil.ReadTree(t, dir) {
		fsys["publishers/"+pub+"/apis/"+name] = f
	}
}

// multiFileAPIs returns the repository of the multi-file documents: the
// project's own (acme/appointments; acme-json/appointments, its root in
// JSON) and, when ../shared is present, the real ones of specs/trees.
func multiFileAPIs(t testing.TB) (fstest.MapFS, []treeAPI) {
	t.Helper()
	fsys := fstest.MapFS{}
	addTree(t, fsys, ownSpecs, "acme")
	// The same document with its root in JSON, under publisher acme-json.
	for p, f := range fsys {
		rest, ok := strings.CutPrefix(p, "publishers/acme/apis/")
		if !ok {
			continue
		}
		data := bytes.ReplaceAll(f.Data, []byte("appointments.yaml#"), []byte("appointments.json#"))
		if rest == "appointments.yaml" {
			var v any
			if err := yaml.Unmarshal(f.Data, &v); err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			rest, data = "appointments.json", js
		}
		fsys["publishers/acme-json/apis/"+rest] = &fstest.MapFile{Data: data}
	}
	apis := []treeAPI{
		{"acme/appointments", "publishers/acme/apis/appointments.yaml", "GET", "/Appointment/{id}"},
		{"acme-json/appointments", "publishers/acme-json/apis/appointments.json", "POST", "/Appointment"},
	}
	trees := filepath.Join(sharedSpecs, "trees")
	for _, tr := range []struct{ dir, root, api, method, path string }{
		{"personal-demographics-service-api__specification", "personal-demographics.yaml", "personal-demographics", "GET", "/Patient/{id}"},
		{"eligibility-signposting-api-specification__specification", "eligibility-signposting-api.yaml", "eligibility-signposting", "GET", "/patient-check/{id}"},
	} {
		if _, err := os.Stat(filepath.Join(trees, tr.dir)); err != nil {
			t.Logf("real document %s absent: only the project's own are used", tr.dir)
			continue
		}
		addTree(t, fsys, filepath.Join(trees, tr.dir), "nhsd")
		apis = append(apis, treeAPI{"nhsd/" + tr.api, "publishers/nhsd/apis/" + tr.root, tr.method, tr.path})
	}
	return fsys, apis
}

// multiFileSite builds a catalogue whose APIs' specs are multi-file
// documents of the repository fsys.
func multiFileSite(t testing.TB) (*Site, []treeAPI) {
	t.Helper()
	fsys, apis := multiFileAPIs(t)
	snap := testSnapshot()
	specs := testSpecs()
	for _, pub := range []string{"acme", "acme-json", "nhsd"} {
		snap.Publishers = append(snap.Publishers, snapshot.Publisher{
			ID: pub, Name: pub, Category: "arms-length-body", LegalBasis: "Public task", DataController: true,
			Contact: snapshot.Contact{URL: "https://" + pub + ".example/contact"},
		})
	}
	for _, a := range apis {
		pub, name, _ := strings.Cut(a.id, "/")
		snap.APIs = append(snap.APIs, snapshot.API{
			ID: a.id, Publisher: pub, Name: name, Title: name, Summary: "The publisher's summary of " + name + ".",
			Version: "1.0.0", Major: 1, Status: snapshot.StatusBeta, ServiceLevel: "bronze", BasePath: "/" + a.id + "/v1",
			AccessModes: []string{snapshot.ModeAppLevel3}, Network: "internet", Spec: a.spec,
			Environments: []snapshot.APIEnvironment{{Name: "sandbox", Upstream: "https://upstream.example"}},
		})
		specs[a.id] = fsys[a.spec].Data
	}
	snap.Normalize()
	opts := testOptions()
	opts.SpecFS = fsys
	site, err := Build(snap, specs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return site, apis
}

func pageOf(t testing.TB, site *Site, id string) (string, *html.Node, []byte) {
	t.Helper()
	page := "apis/" + id + "/index.html"
	b := mustFile(t, site, page)
	return page, parseHTML(t, page, b), b
}

// pageIDs returns the ids of a page's elements, failing the test for one
// that is not unique.
func pageIDs(t testing.TB, page *html.Node) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, n := range findAll(page, func(n *html.Node) bool { _, ok := attr(n, "id"); return ok }) {
		id, _ := attr(n, "id")
		if ids[id] {
			t.Errorf("id %q is not unique", id)
		}
		ids[id] = true
	}
	return ids
}

func TestMultiFileSpecsAreDownloadedAsOneDocumentInTheirFormat(t *testing.T) {
	site, apis := multiFileSite(t)
	for _, a := range apis {
		t.Run(a.id, func(t *testing.T) {
			ext := path.Ext(a.spec)
			name := "apis/" + a.id + "/openapi" + ext
			b := mustFile(t, site, name)
			if ext == ".json" && !json.Valid(b) {
				t.Fatalf("%s is not JSON", name)
			}
			var v any
			if err := yaml.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, ok := externalRefs(b); ok {
				t.Errorf("%s has a reference to another file", name)
			}
			if m, _ := v.(map[string]any); m["paths"] == nil {
				t.Errorf("%s has no paths", name)
			}
			// The bundle is a document the catalogue itself reads whole.
			doc, unresolved, err := loadSpec(b, nil)
			if err != nil || len(unresolved) > 0 || doc.Paths.Find(a.path) == nil {
				t.Errorf("the bundle does not load on its own: %v, unresolved %q", err, unresolved)
			}
			_, page, _ := pageOf(t, site, a.id)
			for _, c := range findAll(page, byTag("code")) {
				if d := textOf(c); strings.HasPrefix(d, "sha256:") && d != snapshot.Digest(b) {
					t.Errorf("page shows digest %s, want the download's %s", d, snapshot.Digest(b))
				}
			}
		})
	}
}

func TestMultiFileSpecsShowEveryOperationsSchemas(t *testing.T) {
	site, apis := multiFileSite(t)
	for _, a := range apis {
		t.Run(a.id, func(t *testing.T) {
			_, page, b := pageOf(t, site, a.id)
			if bytes.Contains(b, []byte("Schema not shown here")) {
				t.Error("page runs out of its schema budget")
			}
			if bytes.Contains(b, []byte("could not be read")) {
				t.Error("page says the document could not be read")
			}
			if bytes.Contains(b, []byte("could not be resolved")) {
				t.Error("page says references could not be resolved")
			}
			found := false
			for _, h := range findAll(page, byTag("h3")) {
				found = found || textOf(h) == a.method+" "+a.path
			}
			if !found {
				t.Errorf("no operation %s %s", a.method, a.path)
			}
			for _, problem := range scriptProblems(page) {
				t.Error(problem)
			}
		})
	}
}

// TestRepeatedSchemasLinkToTheirFirstRendering: a schema referenced by file
// from many responses (and by #/components/... from others) is shown once;
// the repeats link to it.
func TestRepeatedSchemasLinkToTheirFirstRendering(t *testing.T) {
	site, _ := multiFileSite(t)
	_, page, b := pageOf(t, site, "acme/appointments")
	ids := pageIDs(t, page)
	same := 0
	for _, a := range findAll(page, byTag("a")) {
		href, _ := attr(a, "href")
		if strings.HasPrefix(href, "#") && strings.Contains(textOf(a), "OperationOutcome") {
			same++
			if !ids[href[1:]] {
				t.Errorf("link %s to the first rendering goes nowhere", href)
			}
		}
	}
	// 10 operations with 4 error responses each: one rendering, 39 links.
	if same < 39 {
		t.Errorf("got %d links to OperationOutcome's first rendering, want at least 39", same)
	}
	if n := bytes.Count(b, []byte("What went wrong, as a FHIR OperationOutcome.")); n != 1 {
		t.Errorf("OperationOutcome's description is shown %d times, want once", n)
	}
}

func TestEveryInternalLinkOfMultiFilePagesResolves(t *testing.T) {
	site, apis := multiFileSite(t)
	for _, a := range apis {
		t.Run(a.id, func(t *testing.T) {
			_, page, _ := pageOf(t, site, a.id)
			ids := pageIDs(t, page)
			for _, l := range findAll(page, byTag("a")) {
				href, _ := attr(l, "href")
				if frag, ok := strings.CutPrefix(href, "#"); ok && !ids[frag] {
					t.Errorf("link %q goes nowhere", href)
				}
			}
		})
	}
}

func TestTheSpecsDescriptionIsShownBelowThePublishersSummary(t *testing.T) {
	site, apis := multiFileSite(t)
	for _, a := range apis {
		t.Run(a.id, func(t *testing.T) {
			_, _, b := pageOf(t, site, a.id)
			summary := bytes.Index(b, []byte("The publisher&#39;s summary of"))
			from := bytes.Index(b, []byte(`id="from-the-specification"`))
			endpoints := bytes.Index(b, []byte(`id="endpoints"`))
			if summary < 0 || from < 0 || !(summary < from && from < endpoints) {
				t.Errorf("got the summary at %d, the document's description at %d, the endpoints at %d; want them in this order", summary, from, endpoints)
			}
		})
	}
	_, page, _ := pageOf(t, site, "acme/appointments")
	if !strings.Contains(textOf(page), "Use this API to book, change and cancel appointments") {
		t.Error("the description pulled in by $ref (docs/overview.md) is not shown")
	}
}

// TestSpecMarkdownKeepsSafeHTML renders the appointments document's
// overview (Markdown with HTML, pulled in by $ref): links, line breaks,
// tables and lists stay; the script and the javascript: link do not.
func TestSpecMarkdownKeepsSafeHTML(t *testing.T) {
	site, _ := multiFileSite(t)
	_, page, _ := pageOf(t, site, "acme/appointments")
	var about *html.Node
	for _, n := range findAll(page, byTag("h3")) {
		if id, _ := attr(n, "id"); id == "from-the-specification" {
			about = n.NextSibling
			for about != nil && about.Type != html.ElementNode {
				about = about.NextSibling
			}
		}
	}
	if about == nil {
		t.Fatal("no description from the document")
	}
	links := map[string]string{}
	for _, a := range findAll(about, byTag("a")) {
		href, _ := attr(a, "href")
		links[textOf(a)] = href
		for _, at := range a.Attr {
			if strings.HasPrefix(at.Key, "on") {
				t.Errorf("link has an event handler %s", at.Key)
			}
		}
	}
	if got := links["FHIR value set"]; got != "https://www.hl7.org/fhir/valueset-appointmentstatus.html" {
		t.Errorf("got link %q, want the value set's URL", got)
	}
	if got, ok := links["not a link"]; ok {
		t.Errorf("got a javascript: link kept as %q", got)
	}
	for _, tag := range []string{"br", "table", "th", "td", "ul", "li", "em", "strong"} {
		if len(findAll(about, byTag(tag))) == 0 {
			t.Errorf("no <%s> kept", tag)
		}
	}
	if strings.Contains(textOf(about), "alert") {
		t.Error("the script's text is shown")
	}
	for _, problem := range scriptProblems(page) {
		t.Error(problem)
	}
}

func TestMultiFileBundlesAreTheSameEveryBuild(t *testing.T) {
	first, apis := multiFileSite(t)
	for range 3 {
		again, _ := multiFileSite(t)
		for _, a := range apis {
			name := "apis/" + a.id + "/openapi" + path.Ext(a.spec)
			if !bytes.Equal(mustFile(t, first, name), mustFile(t, again, name)) {
				t.Errorf("%s differs between two builds", name)
			}
		}
	}
}
