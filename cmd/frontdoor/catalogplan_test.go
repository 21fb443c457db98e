package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/catalog"
	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestCatalogueFromTheCompilersDocumentsIsTheSame checks that the endpoints
// the catalogue renders from the OpenAPI documents the compiler hands on
// (compiler.Options.SpecLoaded, catalog.PreparedSpecs) are those it renders
// when it parses the documents itself: on the example platform, then with
// its documents replaced by the compiler's real test documents and, when
// present, the shared ones.
// exampleDir is the example platform, relative to this package.
const exampleDir = "../../examples/national-health-platform"

// compileExample compiles the example platform, failing the test on any
// error.
func compileExample(t *testing.T) (*compiler.Result, fs.FS) {
	t.Helper()
	fsys := os.DirFS(exampleDir)
	res, err := compiler.Compile(context.Background(), fsys, compiler.Options{Generation: 1})
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatalf("compiling the example: %v %v", err, res.Diagnostics)
	}
	return res, fsys
}

func TestCatalogueFromTheCompilersDocumentsIsTheSame(t *testing.T) {
	res, _ := compileExample(t)
	snap := res.Snapshot
	var specPaths []string
	for _, a := range snap.APIs {
		if a.Spec != "" {
			specPaths = append(specPaths, a.Spec)
		}
	}
	base := testutil.ReadTree(t, exampleDir)
	var real [][]byte
	for _, doc := range yamlTheLoaderRewrites {
		real = append(real, []byte(doc))
	}
	files, _ := filepath.Glob("../../compiler/testdata/base/publishers/*/apis/*.yaml")
	shared, _ := filepath.Glob("../../../shared/specs/*.yaml")
	for _, f := range append(files, shared...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		real = append(real, data)
	}
	prepared := 0
	for round := 0; round == 0 || (round-1)*len(specPaths) < len(real); round++ {
		fsys := fstest.MapFS{}
		for p, f := range base {
			fsys[p] = f
		}
		if round > 0 {
			for i, p := range specPaths {
				if k := (round-1)*len(specPaths) + i; k < len(real) {
					fsys[p] = &fstest.MapFile{Data: real[k], Mode: 0o644}
				}
			}
		}
		b, err := catalog.NewBuilder()
		if err != nil {
			t.Fatal(err)
		}
		p := b.PrepareSpecs()
		var mu sync.Mutex
		handed := map[string]bool{}
		loaded := func(apiID string, data []byte, doc *openapi3.T) {
			mu.Lock()
			handed[apiID] = true
			mu.Unlock()
			p.Add(apiID, data, doc)
		}
		// Real documents do not fit the example's APIs: the compile fails,
		// but it loads them all.
		if _, err := compiler.Compile(context.Background(), fsys, compiler.Options{Generation: 1, SpecLoaded: loaded}); err != nil {
			t.Fatal(err)
		}
		prepared += len(handed)
		specs := map[string][]byte{}
		for _, a := range snap.APIs {
			if a.Spec != "" {
				specs[a.ID] = fsys[a.Spec].Data
			}
		}
		opts := catalog.Options{BaseURL: "https://catalogue.test/", SpecFS: fsys}
		want, err := b.Build(snap, specs, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Prepared = p
		got, err := b.Build(snap, specs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Files(), want.Files()) || !slices.Equal(got.Notices, want.Notices) {
			t.Fatalf("round %d: the sites' files or notices differ", round)
		}
		for _, name := range want.Files() {
			g, _ := got.File(name)
			w, _ := want.File(name)
			if !bytes.Equal(g, w) {
				t.Errorf("round %d: %s differs when the compiler's documents are used", round, name)
			}
		}
	}
	if prepared < len(specPaths) {
		t.Errorf("got %d documents handed on by the compiler, want at least %d: the test compares too little", prepared, len(specPaths))
	}
}

// yamlTheLoaderRewrites are documents that kin-openapi's Loader rewrites
// before decoding them (a timestamp, an application tag, a numeric key, an
// alias), which the compiler decodes as written: the catalogue must parse
// them itself.
var yamlTheLoaderRewrites = []string{
	`openapi: 3.0.3
info: {title: Timestamps, version: 1.0.0}
paths:
  /days/{day}:
    get:
      parameters:
        - {name: day, in: path, required: true, example: 2024-06-01, schema: {type: string, format: date}}
      responses:
        '200':
          description: The day.
          content:
            application/json:
              example: {when: 2024-06-01T10:00:00Z}
`,
	`openapi: 3.0.3
info: {title: Tagged, version: 1.0.0, description: !md "**Marked** up"}
paths: {}
`,
	`openapi: 3.0.3
info: {title: Keys, version: 1.0.0}
paths:
  /k:
    get:
      responses:
        200:
          description: OK
          content:
            application/json:
              example: {7: seven}
`,
	`openapi: 3.0.3
info: {title: Alias, version: 1.0.0}
paths:
  /a:
    get:
      summary: &s A summary
      description: *s
      responses:
        '200': {description: OK}
`,
}
