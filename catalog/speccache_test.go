package catalog

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

const (
	exemptionsPage = "apis/nhsbsa/exemptions/index.html"
	exemptionsSpec = "publishers/nhsbsa/apis/exemptions.yaml"
	evidenceFile   = "publishers/nhsbsa/apis/components/evidence.yaml"
)

// evidenceYAML is the schema the fixture's document refers to in another
// file, its one property named prop.
func evidenceYAML(prop string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("type: object\nproperties:\n  " + prop + ":\n    type: string\n")}
}

// sameSites fails the test if got and want, two builds of the same input,
// differ in any file or notice.
func sameSites(t *testing.T, got, want *Site) {
	t.Helper()
	if !slices.Equal(got.Files(), want.Files()) {
		t.Fatalf("got files %q, want %q", got.Files(), want.Files())
	}
	if !slices.Equal(got.Notices, want.Notices) {
		t.Errorf("got notices %q, want %q", got.Notices, want.Notices)
	}
	for _, name := range want.Files() {
		g, _ := got.File(name)
		w, _ := want.File(name)
		if !bytes.Equal(g, w) {
			t.Errorf("%s differs between the two builds", name)
		}
	}
}

func TestARebuildWithOneBuilderMakesWhatANewBuilderMakes(t *testing.T) {
	sharedSpecs := testSpecs()
	sharedSpecs["nhsbsa/hello"] = sharedSpecs["trust-a/beds"]
	sharedSpecs["nhsbsa/old-exemptions"] = sharedSpecs["nhsbsa/exemptions"]
	withFS := testOptions()
	withFS.SpecFS = fstest.MapFS{exemptionsSpec: {Data: []byte(testSpecYAML)}, evidenceFile: evidenceYAML("documentRef")}
	for _, tc := range []struct {
		name  string
		specs map[string][]byte
		opts  Options
	}{
		{"fixture", testSpecs(), testOptions()},
		{"fixture with its repository", testSpecs(), withFS},
		{"documents shared by APIs", sharedSpecs, testOptions()},
		{"documents shared by APIs, with the repository", sharedSpecs, withFS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder()
			if err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				got, err := b.Build(testSnapshot(), tc.specs, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				want, err := Build(testSnapshot(), tc.specs, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Run(fmt.Sprintf("build %d", round+1), func(t *testing.T) { sameSites(t, got, want) })
			}
		})
	}
}

// withSpecPath returns the fixture's snapshot with the exemptions API's
// document at p.
func withSpecPath(p string) *snapshot.Snapshot {
	snap := testSnapshot()
	for i := range snap.APIs {
		if snap.APIs[i].ID == "nhsbsa/exemptions" {
			snap.APIs[i].Spec = p
		}
	}
	return snap
}

func TestACachedEndpointsSectionIsNotReusedWhenWhatItReferredToChanged(t *testing.T) {
	const elsewhere = "publishers/nhsbsa/other/exemptions.yaml"
	before := fstest.MapFS{exemptionsSpec: {Data: []byte(testSpecYAML)}, evidenceFile: evidenceYAML("documentRef")}
	for _, tc := range []struct {
		name         string
		after        fstest.MapFS // nil: no repository
		afterPath    string
		beforeNoRepo bool
	}{
		{"the other file changed", fstest.MapFS{evidenceFile: evidenceYAML("storedAt")}, exemptionsSpec, false},
		{"the other file removed", fstest.MapFS{}, exemptionsSpec, false},
		{"the other file added", fstest.MapFS{evidenceFile: evidenceYAML("documentRef")}, exemptionsSpec, true},
		{"the document moved beside another file", fstest.MapFS{
			evidenceFile: evidenceYAML("documentRef"), "publishers/nhsbsa/other/components/evidence.yaml": evidenceYAML("storedAt"),
		}, elsewhere, false},
		{"the repository no longer given", nil, exemptionsSpec, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder()
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions()
			if !tc.beforeNoRepo {
				opts.SpecFS = before
			}
			first, err := b.Build(testSnapshot(), testSpecs(), opts)
			if err != nil {
				t.Fatal(err)
			}
			opts = testOptions()
			if tc.after != nil {
				tc.after[tc.afterPath] = &fstest.MapFile{Data: []byte(testSpecYAML)}
				opts.SpecFS = tc.after
			}
			snap := withSpecPath(tc.afterPath)
			got, err := b.Build(snap, testSpecs(), opts)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Build(withSpecPath(tc.afterPath), testSpecs(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(mustFile(t, first, exemptionsPage), mustFile(t, want, exemptionsPage)) {
				t.Fatal("the change does not change the page: the test shows nothing")
			}
			sameSites(t, got, want)
		})
	}
}

func TestADocumentSharedByAPIsIsCachedOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func() Options
	}{
		{"without a repository", testOptions},
		{"with a repository", func() Options {
			o := testOptions()
			o.SpecFS = fstest.MapFS{exemptionsSpec: {Data: []byte(testSpecYAML)}, evidenceFile: evidenceYAML("documentRef")}
			return o
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := testSpecs()
			specs["nhsbsa/hello"] = specs["trust-a/beds"]
			b, err := NewBuilder()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Build(testSnapshot(), specs, tc.opts()); err != nil {
				t.Fatal(err)
			}
			if got := len(b.specs.byKey); got != 2 {
				t.Errorf("got %d cached endpoints sections for 2 distinct documents of 3 APIs, want 2", got)
			}
		})
	}
}

func TestTheSpecCacheStaysWithinItsBound(t *testing.T) {
	const size = 1 << 20
	html := template.HTML(strings.Repeat("x", size))
	var c specCache
	for i := range 3 * maxCachedSpecBytes / size {
		c.put(specKey{digest: sha256.Sum256(fmt.Appendf(nil, "%d", i))}, &renderedSpec{html: html})
		if c.size > maxCachedSpecBytes || len(c.byKey)*size != c.size {
			t.Fatalf("after %d entries: got %d bytes in %d entries, want at most %d", i+1, c.size, len(c.byKey), maxCachedSpecBytes)
		}
	}
}
