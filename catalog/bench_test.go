package catalog

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// largeInput synthesises a platform of n APIs from n/10 publishers, each API
// with a small spec of a few operations.
func largeInput(n int) (*snapshot.Snapshot, map[string][]byte) {
	snap := testSnapshot()
	snap.Publishers, snap.APIs = nil, nil
	specs := make(map[string][]byte, n)
	modes := snapshot.AccessModes
	statuses := []string{snapshot.StatusBeta, snapshot.StatusStable, snapshot.StatusPrivateBeta, snapshot.StatusDeprecated}
	for p := range n / 10 {
		pid := fmt.Sprintf("pub-%03d", p)
		snap.Publishers = append(snap.Publishers, snapshot.Publisher{
			ID: pid, Name: fmt.Sprintf("Publisher %d", p), Category: "nhs-trust", LegalBasis: "Public task", DataController: true,
			Contact: snapshot.Contact{Email: pid + "@example.org"}, Agreement: snapshot.Agreement{Reference: "PA-" + pid, Signed: "2024-01-01"},
			Onboarded: snapshot.Approval{By: "op", Date: "2024-01-02"},
		})
		for a := range 10 {
			i := p*10 + a
			name := fmt.Sprintf("api-%02d", a)
			id := pid + "/" + name
			snap.APIs = append(snap.APIs, snapshot.API{
				ID: id, Publisher: pid, Name: name, Title: fmt.Sprintf("API number %d", i), Summary: "Synthetic API for the benchmark.",
				Description: "This API **does** things.\n\n## Use\n\n- one\n- two\n", Version: "1.0.0", Major: 1,
				Status: statuses[i%len(statuses)], ServiceLevel: "silver", BasePath: "/" + id + "/v1",
				AccessModes: []string{modes[i%len(modes)], modes[(i+3)%len(modes)]}, Network: "internet",
				Environments: []snapshot.APIEnvironment{{Name: "integration"}, {Name: "sandbox"}},
				Spec:         "publishers/" + id + ".yaml", Tags: []string{"synthetic"},
			})
			specs[id] = []byte(fmt.Sprintf(benchSpec, i))
		}
	}
	snap.Normalize()
	return snap, specs
}

const benchSpec = `openapi: 3.0.3
info: {title: API %d, version: 1.0.0}
paths:
  /items:
    get:
      summary: List items
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
      responses:
        '200':
          description: Items.
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Item'}}
              example: [{id: "1", name: one}]
    post:
      summary: Add an item
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Item'}
      responses:
        '201': {description: Created.}
  /items/{id}:
    get:
      summary: Get an item
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: The item.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Item'}
        '404': {description: Not found.}
components:
  schemas:
    Item:
      type: object
      required: [id]
      properties:
        id: {type: string, description: The item's ID.}
        name: {type: string}
        tags: {type: array, items: {type: string}}
`

// BenchmarkBuild1000APIs builds a 1,000-API site again and again with one
// Builder, which reuses the endpoints it rendered (target: at most 5 s).
func BenchmarkBuild1000APIs(b *testing.B) { benchmarkBuild(b, false) }

// BenchmarkBuild1000APIsNewBuilder builds it with a new Builder each time,
// as a single frontdoor build does: every endpoints section is rendered.
func BenchmarkBuild1000APIsNewBuilder(b *testing.B) { benchmarkBuild(b, true) }

func benchmarkBuild(b *testing.B, fresh bool) {
	snap, specs := largeInput(1000)
	builder, err := NewBuilder()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if fresh {
			if builder, err = NewBuilder(); err != nil {
				b.Fatal(err)
			}
		}
		site, err := builder.Build(snap, specs, Options{BaseURL: testBaseURL})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(site.Files()); got < 2000 {
			b.Fatalf("got %d files, want at least 2,000", got)
		}
	}
}

// BenchmarkBuildDir1000APIs builds a 1,000-API site with a new Builder
// into a new directory each time, as frontdoor build does (target: at most
// 5 s).
func BenchmarkBuildDir1000APIs(b *testing.B) { benchmarkBuildDir(b, 1000) }

// BenchmarkBuildDir10000APIs does the same for 10,000 APIs, the L corpus's
// size.
func BenchmarkBuildDir10000APIs(b *testing.B) { benchmarkBuildDir(b, 10000) }

func benchmarkBuildDir(b *testing.B, n int) {
	snap, specs := largeInput(n)
	dir := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		builder, err := NewBuilder()
		if err != nil {
			b.Fatal(err)
		}
		w, err := builder.BuildDir(filepath.Join(dir, strconv.Itoa(i)), snap, specs, Options{BaseURL: testBaseURL}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if w.Written < 2*n {
			b.Fatalf("got %d files written, want at least %d", w.Written, 2*n)
		}
	}
}

// BenchmarkBuildDir10000APIsUnchanged rebuilds a 10,000-API site over
// itself: nothing is written.
func BenchmarkBuildDir10000APIsUnchanged(b *testing.B) {
	snap, specs := largeInput(10000)
	builder, err := NewBuilder()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if _, err := builder.BuildDir(dir, snap, specs, Options{BaseURL: testBaseURL}, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w, err := builder.BuildDir(dir, snap, specs, Options{BaseURL: testBaseURL}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if w.Written != 0 {
			b.Fatalf("got %d files written, want 0", w.Written)
		}
	}
}

func TestLargeSiteRendersEveryOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	snap, specs := largeInput(100)
	site, err := Build(snap, specs, Options{BaseURL: testBaseURL})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Notices) != 0 {
		t.Errorf("got notices %q, want none", site.Notices)
	}
	page := string(mustFile(t, site, "apis/pub-004/api-07/index.html"))
	for _, want := range []string{`id="op-get-items"`, `id="op-post-items"`, `id="op-get-items-id"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// benchModel returns a Builder and the model of a 1,000-API platform.
func benchModel(b *testing.B) (*Builder, *model) {
	snap, specs := largeInput(1000)
	builder, err := NewBuilder()
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{BaseURL: testBaseURL, FacetLimit: DefaultFacetLimit}
	return builder, newModel(snap, specs, opts, builder.md)
}

// BenchmarkAPIPage renders one API page, its endpoints given.
func BenchmarkAPIPage(b *testing.B) {
	builder, m := benchModel(b)
	av := m.apis[7]
	p := m.apiPage(av)
	r, err := builder.endpoints(m, av)
	if err != nil {
		b.Fatal(err)
	}
	p.Spec = r.html
	benchLayout(b, builder, tmplAPI, p)
}

// benchLayout measures rendering the page p with the template name.
func benchLayout(b *testing.B, builder *Builder, name string, p any) {
	b.ReportAllocs()
	for b.Loop() {
		buf := builder.getBuffer()
		if err := builder.pages.byName[name].ExecuteTemplate(buf, "layout", p); err != nil {
			b.Fatal(err)
		}
		builder.putBuffer(buf)
	}
}

// BenchmarkEndpoints renders the endpoints section of an API page from its
// parsed document.
func BenchmarkEndpoints(b *testing.B) {
	builder, m := benchModel(b)
	doc, unresolved, err := loadSpec(m.apis[7].specBytes, nil)
	v := specViewOf(builder.md, doc, unresolved, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := builder.renderFragment(builder.pages.spec, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPage renders the index's list of 1,000 APIs, its entries
// rendered already.
func BenchmarkListPage(b *testing.B) {
	builder, m := benchModel(b)
	groups := m.facets()
	p := m.listPage(m.listSpecs(groups)[0], groups)
	var err error
	if p.Items, err = builder.listItems(p.Root, p.APIs); err != nil {
		b.Fatal(err)
	}
	benchLayout(b, builder, tmplList, p)
}

// BenchmarkListItem renders an API's entry in a list.
func BenchmarkListItem(b *testing.B) {
	builder, m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := builder.renderFragment(builder.pages.item, apiItemData{"./", m.apis[7]}); err != nil {
			b.Fatal(err)
		}
	}
}
