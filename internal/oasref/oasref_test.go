package oasref

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v4"
)

func TestRebaseKeepsTheTargetOfAReference(t *testing.T) {
	tests := []struct{ ref, from, to, want string }{
		{"../schemas/A.yaml", "api/paths/x.yaml", "api.yaml", "api/schemas/A.yaml"},
		{"../../api.yaml#/components/headers/H", "api/paths/x.yaml", "api.yaml", "#/components/headers/H"},
		{"#/components/schemas/B", "api/paths/x.yaml", "api.yaml", "api/paths/x.yaml#/components/schemas/B"},
		{"B.yaml#/x", "d/api/schemas/A.yaml", "d/api.yaml", "api/schemas/B.yaml#/x"},
		{"https://example.org/a.yaml", "api/paths/x.yaml", "api.yaml", "https://example.org/a.yaml"},
		{"x.yaml", "a/b/c.yaml", "a/d/e.yaml", "../b/x.yaml"},
	}
	for _, tc := range tests {
		if got := Rebase(tc.ref, tc.from, tc.to); got != tc.want {
			t.Errorf("Rebase(%q, %q, %q) = %q, want %q", tc.ref, tc.from, tc.to, got, tc.want)
		}
	}
}

func reader(m fstest.MapFS) Reader {
	return func(p string) ([]byte, error) { return fs.ReadFile(m, p) }
}

func parse(t testing.TB, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// TestInlineReplacesOnlyTheReferencesOpenAPIDoesNotAllow: operations, part
// maps, Markdown descriptions and examples' values are inlined; schema and
// parameter references are left to the loader.
func TestInlineReplacesOnlyTheReferencesOpenAPIDoesNotAllow(t *testing.T) {
	files := fstest.MapFS{
		"api/op.yaml":      {Data: []byte("summary: S\nresponses:\n  $ref: resp.yaml\n")},
		"api/resp.yaml":    {Data: []byte("\"200\":\n  description: ok\n  content:\n    application/json:\n      schema:\n        $ref: schemas/A.yaml\n")},
		"api/about.md":     {Data: []byte("# About\n")},
		"api/example.json": {Data: []byte("{\"a\": 1}\n")},
	}
	root := parse(t, `openapi: 3.0.3
info: {title: t, version: "1", description: {$ref: api/about.md}}
paths:
  /x:
    get: {$ref: api/op.yaml}
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: api/schemas/B.yaml}
            example: {$ref: api/example.json}
      responses: {"200": {description: ok}}
`)
	d, errs := Inline(root, "api.yaml", reader(files))
	if len(errs) > 0 {
		t.Fatalf("got %v", errs)
	}
	out, _ := yaml.Marshal(d.Root)
	for _, want := range []string{"# About", "summary: S", "description: ok", "$ref: api/schemas/A.yaml", "$ref: api/schemas/B.yaml}", `example: {"a": 1}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("got\n%s\nwant %q", out, want)
		}
	}
	if file, _ := d.FileOf("paths", "/x", "get", "responses", "200"); file != "api/resp.yaml" {
		t.Errorf("FileOf the inlined response = %q, want api/resp.yaml", file)
	}
	for _, f := range []string{"api/op.yaml", "api/resp.yaml", "api/about.md", "api/example.json"} {
		if !d.Files[f] {
			t.Errorf("Files lacks %s", f)
		}
	}
}

func TestCheckReportsEveryReferenceThatDoesNotResolve(t *testing.T) {
	files := fstest.MapFS{
		"api/A.yaml": {Data: []byte("type: object\nproperties:\n  b: {$ref: B.yaml}\n  c: {$ref: C.yaml#/nope}\n")},
		"api/C.yaml": {Data: []byte("type: string\n")},
	}
	root := parse(t, "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {$ref: api/A.yaml}\n    D: {$ref: '#/components/schemas/E'}\n")
	d, _ := Inline(root, "api.yaml", reader(files))
	var got []string
	for _, e := range d.Check() {
		got = append(got, e.File+":"+e.Ref)
	}
	want := "api.yaml:#/components/schemas/E api/A.yaml:B.yaml api/A.yaml:C.yaml#/nope"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
}

func TestAnOperationRefThatCannotBeInlinedSaysItNeedsBundling(t *testing.T) {
	root := parse(t, "openapi: 3.0.3\npaths:\n  /x:\n    get: {$ref: missing.yaml}\n")
	_, errs := Inline(root, "api.yaml", reader(fstest.MapFS{}))
	if len(errs) != 1 || !errors.Is(errs[0].Err, ErrNeedsBundling) || errs[0].Line != 4 {
		t.Errorf("got %v, want one error at line 4 that needs bundling", errs)
	}
}

// FuzzInline: inlining never panics, and a document without $ref comes
// back as it is.
func FuzzInline(f *testing.F) {
	f.Add("openapi: 3.0.3\npaths:\n  /x:\n    get: {$ref: a.yaml}\n")
	f.Add("info: {description: {$ref: a.md}}\n")
	f.Add("paths: {$ref: '#/x'}\nx: {$ref: '#/paths'}\n")
	files := fstest.MapFS{"a.yaml": {Data: []byte("get: {$ref: a.yaml}\n")}, "a.md": {Data: []byte("x")}}
	f.Fuzz(func(t *testing.T, src string) {
		var n yaml.Node
		if yaml.Unmarshal([]byte(src), &n) != nil {
			return
		}
		d, _ := Inline(&n, "api.yaml", reader(files))
		d.Check()
		if !strings.Contains(src, "$ref") && d.Root != &n {
			t.Errorf("a document without $ref was changed")
		}
	})
}
