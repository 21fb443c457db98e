package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
)

func renderSpec(t *testing.T, spec string, src *specSource) *specView {
	t.Helper()
	doc, unresolved, err := loadSpec([]byte(spec), src)
	return specViewOf(newMarkdown(), doc, unresolved, err)
}

func TestSpecViewListsOperationsInPathAndMethodOrder(t *testing.T) {
	v := renderSpec(t, testSpecYAML, nil)
	var got []string
	for _, op := range v.Operations {
		got = append(got, op.Method+" "+op.Path)
	}
	if want := []string{"POST /exemptions", "GET /exemptions/{nhsNumber}"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
	get := v.Operations[1]
	var params []string
	for _, p := range get.Params {
		params = append(params, p.In+":"+p.Name)
	}
	if want := "path:nhsNumber,query:date,header:X-Request-ID"; strings.Join(params, ",") != want {
		t.Errorf("got parameters %q, want %q (path-level ones included, path, query, header order)", params, want)
	}
	if got := get.Responses[0].Media[0].Examples[0].Name; got != "One exemption" {
		t.Errorf("got example %q, want the summary One exemption", got)
	}
}

func TestUnresolvedReferencesAreCountedNotFatal(t *testing.T) {
	v := renderSpec(t, testSpecYAML, nil)
	if !strings.Contains(v.Notice, "1 reference") {
		t.Errorf("got notice %q, want it to count 1 unresolved reference", v.Notice)
	}
	if len(v.Operations) != 2 {
		t.Errorf("got %d operations, want 2", len(v.Operations))
	}
}

func TestReferencesToOtherFilesResolveInTheRepository(t *testing.T) {
	fsys := fstest.MapFS{
		"publishers/p/apis/a.yaml":                   {Data: []byte(testSpecYAML)},
		"publishers/p/apis/components/evidence.yaml": {Data: []byte("type: object\nproperties:\n  documentRef:\n    type: string\n    description: Where the evidence is kept.\n")},
		"secret.yaml": {Data: []byte("type: string\ndescription: outside\n")},
	}
	v := renderSpec(t, testSpecYAML, &specSource{fsys: fsys, path: "publishers/p/apis/a.yaml"})
	if v.Notice != "" {
		t.Errorf("got notice %q, want none", v.Notice)
	}
	found := false
	for _, c := range v.Operations[1].Responses[0].Media[0].Schema.Children {
		if c.Name == "evidence" && len(c.Children) == 1 && c.Children[0].Name == "documentRef" {
			found = true
		}
	}
	if !found {
		t.Errorf("the evidence property does not show documentRef from components/evidence.yaml")
	}

	// References that leave the repository or go to the network stay
	// unresolved.
	for _, ref := range []string{"../../../../secret.yaml", "/secret.yaml", "https://evil.example/x.yaml", "file:///etc/passwd"} {
		spec := strings.Replace(testSpecYAML, "components/evidence.yaml", ref, 1)
		v := renderSpec(t, spec, &specSource{fsys: fsys, path: "publishers/p/apis/a.yaml"})
		if !strings.Contains(v.Notice, "1 reference") {
			t.Errorf("%s: got notice %q, want 1 unresolved reference", ref, v.Notice)
		}
	}
}

func TestUnreadableSpecsShowANoticeInsteadOfFailingTheBuild(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"garbage", "{{{{ not yaml", "could not be read"},
		{"swagger 2", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "swagger 2.0"},
		{"no version", "info: {title: x}\n", "no openapi: 3.x"},
		{"a list", "- 1\n- 2\n", "not an OpenAPI object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := renderSpec(t, tc.spec, nil)
			if !strings.Contains(v.Notice, tc.want) || len(v.Operations) != 0 {
				t.Errorf("got notice %q and %d operations, want a notice containing %q", v.Notice, len(v.Operations), tc.want)
			}
		})
	}
}

func TestOpenAPI31TypeArraysAreShown(t *testing.T) {
	v := renderSpec(t, string(testSpecs()["trust-a/beds"]), nil)
	if len(v.Operations) != 1 {
		t.Fatalf("got %d operations, want 1", len(v.Operations))
	}
	s := v.Operations[0].Responses[0].Media[0].Schema
	if s.Type != "array of object or null" {
		t.Errorf("got type %q, want %q", s.Type, "array of object or null")
	}
	if len(s.Children) != 2 || s.Children[0].Name != "free" || s.Children[0].Constraints[0] != "minimum 0" {
		t.Errorf("got children %+v, want free (minimum 0) and ward", s.Children)
	}
}

func TestHugeSchemasAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: big, version: '1'}\npaths:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  /p%d:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/S%d'}\n", i, i)
	}
	b.WriteString("components:\n  schemas:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "    S%d:\n      type: object\n      properties:\n", i)
		for j := range 300 {
			fmt.Fprintf(&b, "        f%d: {type: string}\n", j)
		}
	}
	v := renderSpec(t, b.String(), nil)
	nodes, omitted := 0, 0
	var count func(*schemaNode)
	count = func(n *schemaNode) {
		nodes++
		for _, c := range n.Children {
			count(c)
		}
	}
	for _, op := range v.Operations {
		for _, m := range op.Responses[0].Media {
			if m.Omitted {
				omitted++
			} else {
				count(m.Schema)
				if m.Schema.Note == "" {
					t.Errorf("%s: a schema cut short says nothing", op.Path)
				}
			}
		}
	}
	if nodes > maxPageSchemaNodes+40 {
		t.Errorf("got %d schema nodes on a page, want at most about %d", nodes, maxPageSchemaNodes)
	}
	if omitted == 0 {
		t.Errorf("no schema was omitted once the page's budget was spent")
	}
}

func TestDeeplyNestedAndRecursiveSchemasTerminate(t *testing.T) {
	spec := `openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /n:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Node'}
components:
  schemas:
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        next: {$ref: '#/components/schemas/Node'}
        either:
          oneOf:
            - {$ref: '#/components/schemas/Node'}
            - {type: string}
`
	v := renderSpec(t, spec, nil)
	root := v.Operations[0].Responses[0].Media[0].Schema
	var notes []string
	for _, c := range root.Children {
		notes = append(notes, c.Name+":"+c.Note)
	}
	if want := "children:recursive: its properties are shown above"; !strings.Contains(strings.Join(notes, ","), want) {
		t.Errorf("got %q, want %q among them", notes, want)
	}
}

func TestDocumentsLoadedAsTheyAreRenderAsWhenReferencesAreFixed(t *testing.T) {
	// The fixture's self-contained documents must load as they are; real
	// ones that refer to other files must not, and are compared when they
	// do.
	specs := map[string][]byte{"beds": testSpecs()["trust-a/beds"], "bench": []byte(fmt.Sprintf(benchSpec, 1))}
	real := map[string]bool{}
	for _, r := range realAPIs {
		if b, err := os.ReadFile(filepath.Join(sharedSpecs, r.file)); err == nil {
			specs[r.file], real[r.file] = b, true
		}
	}
	md := newMarkdown()
	for name, data := range specs {
		t.Run(name, func(t *testing.T) {
			plain, err := loadPlainSpec(data, nil)
			fixed, unresolved, ferr := loadFixedSpec(data, nil)
			if err != nil {
				if !real[name] || ferr != nil || len(unresolved) == 0 {
					t.Errorf("loading as it is: %v; with references fixed: %v, unresolved %q", err, ferr, unresolved)
				}
				return
			}
			if ferr != nil || len(unresolved) > 0 {
				t.Fatalf("loading with references fixed: %v (unresolved %q)", ferr, unresolved)
			}
			got, want := specViewOf(md, plain, nil, nil), specViewOf(md, fixed, nil, nil)
			if len(got.Operations) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("the two loads render differently (or show no operation): %d and %d operations", len(got.Operations), len(want.Operations))
			}
		})
	}
}

func TestDocumentsWithDanglingReferencesAreNotLoadedAsTheyAre(t *testing.T) {
	if _, err := loadPlainSpec([]byte(testSpecYAML), nil); err == nil {
		t.Error("a document with a dangling reference loaded as it is; want it left to the reference fixer")
	}
	if _, err := loadPlainSpec([]byte("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n"), nil); err == nil {
		t.Error("a Swagger 2.0 document loaded as OpenAPI 3")
	}
}

func TestConstraintsCountInTheSingularForOne(t *testing.T) {
	one, two := uint64(1), uint64(2)
	tests := []struct {
		s    openapi3.Schema
		want string
	}{
		{openapi3.Schema{MinItems: 1}, "at least 1 item"},
		{openapi3.Schema{MinItems: 2}, "at least 2 items"},
		{openapi3.Schema{MaxItems: &one}, "at most 1 item"},
		{openapi3.Schema{MaxItems: &two}, "at most 2 items"},
		{openapi3.Schema{MinLength: 1}, "at least 1 character"},
		{openapi3.Schema{MaxLength: &two}, "at most 2 characters"},
	}
	for _, tc := range tests {
		if got := strings.Join(constraints(&tc.s), "; "); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
