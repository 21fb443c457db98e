package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/frontdoor-dev/frontdoor/internal/oasref"
)

// Limits that keep a page readable and its size bounded whatever the spec.
const (
	maxSchemaDepth     = 8    // nesting levels shown
	maxSchemaNodes     = 200  // properties shown per schema
	maxPageSchemaNodes = 4000 // properties shown per page
	maxExamples        = 3    // examples shown per media type
	maxExampleBytes    = 6000 // bytes shown per example
	maxEnumValues      = 40   // enum values shown
)

// specView is what the API page shows of an OpenAPI document.
type specView struct {
	// Notice explains why some or all of the document is not shown.
	Notice string
	// Title, Version and OpenAPI are from the document.
	Title, Version, OpenAPI string
	// About is the document's info.description, shown in the page's
	// overview (not in the endpoints section).
	About      template.HTML
	Operations []*opView
}

type opView struct {
	Anchor      string
	Method      string
	Path        string
	Summary     string
	Description template.HTML
	Deprecated  bool
	Security    []string
	Params      []*paramView
	Body        *bodyView
	Responses   []*responseView
}

type paramView struct {
	Name        string
	In          string
	Required    bool
	Deprecated  bool
	Type        string
	Description template.HTML
	Example     string
}

type bodyView struct {
	Required    bool
	Description template.HTML
	Media       []*mediaView
}

type responseView struct {
	Anchor      string
	Code        string
	Description template.HTML
	Headers     []*paramView
	Media       []*mediaView
}

type mediaView struct {
	Type     string
	Schema   *schemaNode
	SameAs   string // anchor of the same named schema shown earlier on the page
	SameName string
	Anchor   string
	Omitted  bool // the page's schema budget is spent
	Examples []exampleView
}

type exampleView struct {
	Name      string
	Value     string
	Truncated bool
}

// schemaNode is one property (or the root) of a schema, flattened for display.
type schemaNode struct {
	Name        string
	Type        string
	Required    bool
	ReadOnly    bool
	WriteOnly   bool
	Deprecated  bool
	Description template.HTML
	Constraints []string
	Enum        []string
	MoreEnum    int
	Note        string
	Children    []*schemaNode
}

// specSource says where a spec lives, so that references to other files can
// be resolved: fsys is the configuration repository and path the spec's path
// in it. References never leave fsys: URLs and absolute paths stay
// unresolved.
type specSource struct {
	fsys fs.FS
	path string
	deps *specDeps // if set, records what loading the document depended on
}

// specDeps records what a document's rendering depended on besides its
// bytes, so that a cached rendering is reused only where it still holds.
type specDeps struct {
	external bool                 // the document refers to other files or URLs
	files    map[string]fileState // the other files read, by repository path
}

// fileState is a file's content digest, or the zero value for a file that
// could not be read.
type fileState struct {
	ok     bool
	digest [sha256.Size]byte
}

func fileStateOf(data []byte, err error) fileState {
	if err != nil {
		return fileState{}
	}
	return fileState{ok: true, digest: sha256.Sum256(data)}
}

// referred records that the document refers to another file or a URL.
func (src *specSource) referred() {
	if src != nil && src.deps != nil {
		src.deps.external = true
	}
}

// readFile reads the repository file p, recording it.
func (src *specSource) readFile(p string) ([]byte, error) {
	data, err := fs.ReadFile(src.fsys, p)
	if src.deps != nil {
		if src.deps.files == nil {
			src.deps.files = make(map[string]fileState)
		}
		src.deps.files[p] = fileStateOf(data, err)
	}
	return data, err
}

// loadSpec parses an OpenAPI 3.0 or 3.1 document (YAML or JSON). References
// that cannot be resolved (URLs, files outside src or missing, missing
// components) are replaced by placeholders, listed in unresolved, so that the
// rest of the document still renders. If the document does not load with
// references to other files resolved, it is loaded without them.
func loadSpec(data []byte, src *specSource) (doc *openapi3.T, unresolved []string, err error) {
	if doc, err := loadPlainSpec(data, src); err == nil {
		return doc, nil, nil
	}
	return loadFixedSpec(data, src)
}

// loadPlainSpec loads a document whose references all resolve (the usual
// case) as it is: one parse, straight from the bytes. It fails on any
// reference it cannot follow, and for anything but an OpenAPI 3.x document,
// leaving those to loadFixedSpec.
func loadPlainSpec(data []byte, src *specSource) (*openapi3.T, error) {
	var read oasref.Reader
	file := "openapi.yaml"
	if src != nil && src.fsys != nil {
		file = src.path
		read = func(p string) ([]byte, error) {
			src.referred()
			if !fs.ValidPath(p) || p == "." {
				return nil, fmt.Errorf("reference %s is outside the repository", p)
			}
			return src.readFile(p)
		}
	}
	ld, err := oasref.Load(context.Background(), data, file, oasref.Options{Read: read, FromBytes: true})
	if err != nil {
		return nil, err
	}
	return ld.Doc, nil
}

// loadFixedSpec parses the document, replaces the references that do not
// resolve with placeholders and loads the result.
func loadFixedSpec(data []byte, src *specSource) (doc *openapi3.T, unresolved []string, err error) {
	if src != nil && src.fsys != nil {
		doc, unresolved, err = loadSpecFrom(data, src)
		if err == nil {
			return doc, unresolved, nil
		}
	}
	return loadSpecFrom(data, nil)
}

func loadSpecFrom(data []byte, src *specSource) (doc *openapi3.T, unresolved []string, err error) {
	root, left, err := decodeSpec(data, src)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the document: %w", firstLine(err))
	}
	top, ok := normalizeYAML(root).(map[string]any)
	if !ok {
		return nil, nil, errors.New("the document is not an OpenAPI object")
	}
	v, _ := top["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		if _, ok := top["swagger"]; ok {
			return nil, nil, errors.New("swagger 2.0 documents are not supported; convert it to OpenAPI 3")
		}
		return nil, nil, errors.New("the document has no openapi: 3.x version")
	}
	r := refFixer{root: top, src: src, seen: make(map[string]bool), files: make(map[string]any)}
	for _, ref := range left {
		r.seen[ref] = true
	}
	r.walk(top)
	js, err := json.Marshal(top)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the document: %w", err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if src == nil {
		doc, err = loader.LoadFromData(js)
	} else {
		loader.IsExternalRefsAllowed = true
		loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
			src.referred()
			p, ok := r.filePath(u)
			if !ok {
				return nil, fmt.Errorf("reference %s is outside the repository", u)
			}
			return src.readFile(p)
		}
		doc, err = loader.LoadFromDataWithPath(js, &url.URL{Path: src.path})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("loading the document: %w", firstLine(err))
	}
	return doc, slices.Sorted(maps.Keys(r.seen)), nil
}

// decodeSpec decodes a document; the references OpenAPI does not allow
// where they are written that resolve (in src's files) are inlined first
// (oasref), as oasref.Load does; those that do not are left out, and
// returned.
func decodeSpec(data []byte, src *specSource) (any, []string, error) {
	var root any
	if !fileRef.Match(data) {
		err := yaml.Unmarshal(data, &root)
		return root, nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, nil, err
	}
	od, errs := src.inline(&n)
	var left []string
	for _, e := range errs {
		left = append(left, e.Ref)
	}
	err := od.Root.Decode(&root)
	return root, left, err
}

// inline inlines the references of a document of src's that OpenAPI does
// not allow where they are written (oasref), reading src's files.
func (src *specSource) inline(root *yaml.Node) (*oasref.Document, []*oasref.Error) {
	if src == nil || src.fsys == nil {
		// No file is read; the platform's security schemes named by URL
		// are inlined still.
		return oasref.Inline(root, "openapi.yaml", func(p string) ([]byte, error) { return nil, fs.ErrNotExist })
	}
	return oasref.Inline(root, src.path, func(p string) ([]byte, error) {
		src.referred()
		return src.readFile(p)
	})
}

// fileRef matches a $ref to another file (or a URL).
var fileRef = regexp.MustCompile(`"?\$ref"?\s*:\s*["']?[^#"'\s]`)

// bundle returns doc, loaded from the repository file name with its
// references resolved, as one document without references to other files,
// in name's format (JSON for .json, else YAML). It moves the parts read
// from other files into doc's components. References kin-openapi does not
// follow (in extensions, x-...) or could not (URLs) are replaced by a note
// naming them, as the page shows them.
func bundle(doc *openapi3.T, name string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("bundling: %v", r)
		}
	}()
	doc.InternalizeRefs(context.Background(), nil)
	if out, err = marshalAs(doc, name); err != nil {
		return nil, err
	}
	v, ok := externalRefs(out)
	if !ok {
		return out, nil
	}
	if out, err = marshalAs(v, name); err != nil {
		return nil, err
	}
	if _, ok := externalRefs(out); ok {
		return nil, errors.New("bundling: references to other files are left")
	}
	return out, nil
}

// marshalAs encodes v as JSON if name ends in .json, else as YAML.
func marshalAs(v any, name string) ([]byte, error) {
	if strings.EqualFold(path.Ext(name), ".json") {
		return json.MarshalIndent(v, "", "  ")
	}
	return yaml.Marshal(v)
}

// externalRefs decodes a document and replaces each of its references to
// another file or a URL by a note naming it; ok reports whether there was
// any.
func externalRefs(data []byte) (doc any, ok bool) {
	if yaml.Unmarshal(data, &doc) != nil {
		return nil, false
	}
	doc = normalizeYAML(doc)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, isRef := x["$ref"].(string); isRef && !strings.HasPrefix(r, "#") {
				ok = true
				clear(x)
				x["description"] = "Defined in " + r + ", which is not part of this document."
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return doc, ok
}

func firstLine(err error) error {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return errors.New(s[:i])
	}
	return err
}

// normalizeYAML turns maps with non-string keys (e.g. response codes written
// as numbers) into map[string]any.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	}
	return v
}

// refFixer replaces every $ref that does not resolve, inside root or (with
// src) in another file of the repository.
type refFixer struct {
	root  map[string]any
	src   *specSource
	seen  map[string]bool
	files map[string]any // parsed other files by path; nil when unreadable
}

func (r *refFixer) walk(v any) { r.walkIn(v, false) }

// nameMaps are the keys whose values map names (not keywords) to objects.
var nameMaps = map[string]bool{
	"paths": true, "responses": true, "properties": true, "patternProperties": true, "dependentSchemas": true,
	"$defs": true, "definitions": true, "schemas": true, "parameters": true, "headers": true, "callbacks": true,
	"securitySchemes": true, "requestBodies": true, "links": true, "content": true, "encoding": true, "webhooks": true,
	"pathItems": true,
}

// walkIn fixes references in v; names is true when v's keys are names (of
// properties, responses...), false when they are keywords.
func (r *refFixer) walkIn(v any, names bool) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok && !r.resolves(ref) {
			r.seen[ref] = true
			if names {
				// A whole map of named objects kept in another file: drop
				// the reference, keep the names written here.
				delete(x, "$ref")
			} else {
				clear(x)
				x["description"] = "Defined in " + ref + ", which is not part of this document."
				return
			}
		}
		for k, e := range x {
			if names {
				r.walkIn(e, false)
				continue
			}
			if strings.HasPrefix(k, "x-") {
				continue // extensions are not OpenAPI: kin-openapi does not follow their references
			}
			switch k {
			case "example", "default", "enum", "const":
				continue // values, not OpenAPI objects
			case "examples":
				// A map of Example objects: fix references to them, not
				// inside their values.
				if m, ok := e.(map[string]any); ok {
					for _, ex := range m {
						if exm, ok := ex.(map[string]any); ok {
							if _, isRef := exm["$ref"]; isRef {
								r.walkIn(exm, false)
							}
						}
					}
				}
				continue
			}
			r.walkIn(e, nameMaps[k])
		}
	case []any:
		for _, e := range x {
			r.walkIn(e, false)
		}
	}
}

// resolves reports whether ref points to an existing value: a JSON pointer
// into root, or (with src) into another file of the repository.
func (r *refFixer) resolves(ref string) bool {
	file, frag, _ := strings.Cut(ref, "#")
	if file == "" {
		return r.resolvesIn(r.root, frag, ref)
	}
	if r.src == nil {
		return false
	}
	r.src.referred()
	u, err := url.Parse(file)
	if err != nil {
		return false
	}
	if !u.IsAbs() && u.Host == "" && !strings.HasPrefix(u.Path, "/") {
		u = &url.URL{Path: path.Join(path.Dir(r.src.path), u.Path)}
	}
	p, ok := r.filePath(u)
	if !ok {
		return false
	}
	doc, seen := r.files[p]
	if !seen {
		if b, err := r.src.readFile(p); err == nil {
			var v any
			if yaml.Unmarshal(b, &v) == nil {
				doc = normalizeYAML(v)
			}
		}
		r.files[p] = doc
	}
	// References inside the other file are not followed here; if one of
	// them dangles, the load fails and loadSpec falls back to not resolving
	// other files at all.
	return doc != nil && r.resolvesIn(doc, frag, "")
}

// filePath returns the repository path of a reference's file, if it is a
// plain relative path inside the repository.
func (r *refFixer) filePath(u *url.URL) (string, bool) { return repoPath(r.src, u) }

// repoPath returns the repository path of a reference's file, if it is a
// plain relative path inside the repository src.
func repoPath(src *specSource, u *url.URL) (string, bool) {
	if src == nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	p := path.Clean(u.Path)
	return p, fs.ValidPath(p) && p != "."
}

// resolvesIn reports whether the JSON pointer frag exists in doc. self is
// the reference being checked, to follow a reference to a reference.
func (r *refFixer) resolvesIn(doc any, frag, self string) bool {
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	cur := doc
	if frag == "" {
		return true
	}
	if !strings.HasPrefix(frag, "/") {
		return false
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			cur = c[i]
		default:
			return false
		}
	}
	// A local reference to a reference that does not resolve is unresolved
	// too.
	if m, ok := cur.(map[string]any); ok && self != "" {
		if next, ok := m["$ref"].(string); ok && next != self && strings.HasPrefix(next, "#") {
			return r.resolvesIn(r.root, strings.TrimPrefix(next, "#"), next)
		}
	}
	return true
}

// methods in the order operations are shown.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

// specRenderer builds one page's specView; not safe for concurrent use.
type specRenderer struct {
	md      *markdown
	anchors map[string]int
	doc     *openapi3.T
	// shown maps a referenced schema, by its target whatever the form of
	// the reference (#/components/... naming a file, the file itself), to
	// the anchor where it is first shown.
	shown map[string]string
	nodes int // schema nodes left for the page
}

// specViewOf builds the view of a loaded document (or of the error loading
// it).
func specViewOf(md *markdown, doc *openapi3.T, unresolved []string, err error) *specView {
	if err != nil {
		return &specView{Notice: "The OpenAPI document could not be read, so its endpoints are not shown here; download it below. " + err.Error()}
	}
	r := &specRenderer{md: md, doc: doc, anchors: make(map[string]int), shown: make(map[string]string), nodes: maxPageSchemaNodes}
	v := &specView{OpenAPI: doc.OpenAPI}
	if doc.Info != nil {
		v.Title, v.Version = doc.Info.Title, doc.Info.Version
		v.About = md.render(doc.Info.Description, 4) // under the overview's h3
	}
	if n := len(unresolved); n > 0 {
		v.Notice = fmt.Sprintf("%d %s to other files or missing components could not be resolved; %s shown as such.",
			n, plural(n, "reference", "references"), plural(n, "it is", "they are"))
	}
	if doc.Paths == nil {
		return v
	}
	paths := doc.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p]
		if item == nil {
			continue
		}
		for _, m := range methods {
			op := item.GetOperation(m)
			if op == nil {
				continue
			}
			v.Operations = append(v.Operations, r.operation(doc, m, p, item, op))
		}
	}
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// anchor returns a unique fragment identifier built from parts.
func (r *specRenderer) anchor(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		for _, c := range strings.ToLower(p) {
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				b.WriteRune(c)
			default:
				if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
					b.WriteByte('-')
				}
			}
		}
		if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	a := strings.TrimSuffix(b.String(), "-")
	if a == "" {
		a = "x"
	}
	a = "op-" + a
	r.anchors[a]++
	if n := r.anchors[a]; n > 1 {
		a += "-" + strconv.Itoa(n)
	}
	return a
}

func (r *specRenderer) operation(doc *openapi3.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation) *opView {
	o := &opView{
		Anchor:      r.anchor(method, path),
		Method:      method,
		Path:        path,
		Summary:     op.Summary,
		Description: r.md.render(op.Description, 4),
		Deprecated:  op.Deprecated,
	}
	if o.Summary == "" {
		o.Summary = op.OperationID
	}
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	names := map[string]bool{}
	for _, req := range sec {
		for name := range req {
			names[name] = true
		}
	}
	o.Security = slices.Sorted(maps.Keys(names))

	// Path-level parameters apply unless the operation redefines them.
	var params []*openapi3.Parameter
	has := map[string]bool{}
	for _, pr := range op.Parameters {
		if pr != nil && pr.Value != nil {
			params = append(params, pr.Value)
			has[pr.Value.In+"\x00"+pr.Value.Name] = true
		}
	}
	for _, pr := range item.Parameters {
		if pr != nil && pr.Value != nil && !has[pr.Value.In+"\x00"+pr.Value.Name] {
			params = append(params, pr.Value)
		}
	}
	inOrder := map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}
	slices.SortStableFunc(params, func(a, b *openapi3.Parameter) int { return inOrder[a.In] - inOrder[b.In] })
	for _, p := range params {
		o.Params = append(o.Params, r.param(p))
	}

	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		o.Body = &bodyView{Required: rb.Required, Description: r.md.render(rb.Description, 6), Media: r.content(o.Anchor+"-request", rb.Content)}
	}
	if op.Responses != nil {
		resps := op.Responses.Map()
		codes := slices.Sorted(maps.Keys(resps))
		// "default" goes last.
		slices.SortStableFunc(codes, func(a, b string) int {
			if (a == "default") != (b == "default") {
				if a == "default" {
					return 1
				}
				return -1
			}
			return 0
		})
		for _, code := range codes {
			rr := resps[code]
			if rr == nil || rr.Value == nil {
				continue
			}
			rv := &responseView{Anchor: o.Anchor + "-" + strings.ToLower(code), Code: code}
			if n, err := strconv.Atoi(code); err == nil && http.StatusText(n) != "" {
				rv.Code += " " + http.StatusText(n)
			}
			if rr.Value.Description != nil {
				rv.Description = r.md.render(*rr.Value.Description, 6)
			}
			for _, h := range slices.Sorted(maps.Keys(rr.Value.Headers)) {
				if hr := rr.Value.Headers[h]; hr != nil && hr.Value != nil {
					p := hr.Value.Parameter
					p.Name, p.In = h, "header"
					rv.Headers = append(rv.Headers, r.param(&p))
				}
			}
			rv.Media = r.content(rv.Anchor, rr.Value.Content)
			o.Responses = append(o.Responses, rv)
		}
	}
	return o
}

func (r *specRenderer) param(p *openapi3.Parameter) *paramView {
	pv := &paramView{Name: p.Name, In: p.In, Required: p.Required, Deprecated: p.Deprecated, Description: r.md.render(p.Description, 6)}
	if p.Schema != nil {
		pv.Type = typeLabel(p.Schema)
		if p.Schema.Value != nil && p.Example == nil && p.Schema.Value.Example != nil {
			pv.Example = exampleText(p.Schema.Value.Example, 200)
		}
	} else if len(p.Content) > 0 {
		pv.Type = strings.Join(slices.Sorted(maps.Keys(p.Content)), ", ")
	}
	if p.Example != nil {
		pv.Example = exampleText(p.Example, 200)
	}
	return pv
}

func (r *specRenderer) content(anchor string, c openapi3.Content) []*mediaView {
	var out []*mediaView
	for i, mt := range slices.Sorted(maps.Keys(c)) {
		m := c[mt]
		if m == nil {
			continue
		}
		mv := &mediaView{Type: mt, Anchor: anchor + "-media-" + strconv.Itoa(i+1)}
		if m.Schema != nil {
			target := r.target(m.Schema.Ref)
			switch name := refName(m.Schema.Ref); {
			case name != "" && r.shown[target] != "":
				mv.SameAs, mv.SameName = r.shown[target], name
			case r.nodes <= 0:
				mv.Omitted = true
			default:
				w := &schemaWalker{md: r.md, budget: min(maxSchemaNodes, r.nodes)}
				mv.Schema = w.node("", m.Schema, false, 0)
				r.nodes -= w.used
				if name != "" {
					r.shown[target] = mv.Anchor
				}
			}
		}
		if m.Example != nil {
			mv.Examples = append(mv.Examples, example("Example", m.Example))
		}
		for _, name := range slices.Sorted(maps.Keys(m.Examples)) {
			if len(mv.Examples) >= maxExamples {
				break
			}
			ex := m.Examples[name]
			if ex == nil || ex.Value == nil || ex.Value.Value == nil {
				continue
			}
			label := name
			if ex.Value.Summary != "" {
				label = ex.Value.Summary
			}
			mv.Examples = append(mv.Examples, example(label, ex.Value.Value))
		}
		out = append(out, mv)
	}
	return out
}

// target returns what a schema reference names in the end: a component
// that is itself a reference to a file is that file (the document's files
// are inlined relative to its root, so one file has one name).
func (r *specRenderer) target(ref string) string {
	for range 8 {
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || r.doc.Components == nil {
			break
		}
		c := r.doc.Components.Schemas[name]
		if c == nil || c.Ref == "" || c.Ref == ref {
			break
		}
		ref = c.Ref
	}
	if file, frag, ok := strings.Cut(ref, "#"); ok && file != "" {
		return path.Clean(file) + "#" + frag
	} else if !ok {
		return path.Clean(file)
	}
	return ref
}

func example(name string, v any) exampleView {
	s := exampleText(v, -1)
	ev := exampleView{Name: name, Value: s}
	if len(s) > maxExampleBytes {
		cut := strings.LastIndexByte(s[:maxExampleBytes], '\n')
		if cut <= 0 {
			cut = maxExampleBytes
		}
		ev.Value, ev.Truncated = s[:cut], true
	}
	return ev
}

// exampleText formats an example value: strings as they are, anything else
// as indented JSON; limit > 0 shortens it to one line of at most limit bytes.
func exampleText(v any, limit int) string {
	var s string
	if str, ok := v.(string); ok {
		s = str
	} else {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			s = fmt.Sprint(v)
		} else {
			s = string(b)
		}
	}
	if limit > 0 {
		s = strings.Join(strings.Fields(s), " ")
		if len(s) > limit {
			s = s[:limit] + "…"
		}
	}
	return s
}

// refName returns the name of a schema reference: the last part of its
// JSON pointer ("#/components/schemas/Patient", "common.yaml#/Patient"), or
// else its file's name without extension ("schemas/Patient.yaml").
func refName(ref string) string {
	file, frag, _ := strings.Cut(ref, "#")
	if i := strings.LastIndexByte(frag, '/'); i >= 0 && i < len(frag)-1 {
		name := frag[i+1:]
		return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	}
	if file == "" {
		return ""
	}
	base := path.Base(file)
	return strings.TrimSuffix(base, path.Ext(base))
}

// typeLabel describes a schema's type in a few words.
func typeLabel(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return "any"
	}
	s := ref.Value
	var types []string
	if s.Type != nil {
		types = slices.Clone(s.Type.Slice())
	}
	if len(types) == 0 {
		switch {
		case len(s.Properties) > 0 || len(s.AllOf) > 0:
			types = []string{"object"}
		case len(s.OneOf) > 0:
			types = []string{"one of"}
		case len(s.AnyOf) > 0:
			types = []string{"any of"}
		case s.Items != nil:
			types = []string{"array"}
		default:
			types = []string{"any"}
		}
	}
	for i, t := range types {
		if t == "array" && s.Items != nil && s.Items.Value != nil && s.Items.Value != s {
			types[i] = "array of " + typeLabel(s.Items)
		}
	}
	if s.Nullable && !slices.Contains(types, "null") {
		types = append(types, "null")
	}
	label := strings.Join(types, " or ")
	if s.Format != "" {
		label += " (" + s.Format + ")"
	}
	if name := refName(ref.Ref); name != "" {
		label += " · " + name
	}
	return label
}

// schemaWalker flattens a schema into nodes within a budget.
type schemaWalker struct {
	md     *markdown
	budget int
	used   int
	stack  []*openapi3.Schema
}

func (w *schemaWalker) node(name string, ref *openapi3.SchemaRef, required bool, depth int) *schemaNode {
	w.used++
	n := &schemaNode{Name: name, Required: required, Type: typeLabel(ref)}
	if ref == nil || ref.Value == nil {
		n.Note = "not described"
		return n
	}
	s := ref.Value
	if slices.Contains(w.stack, s) {
		n.Note = "recursive: its properties are shown above"
		return n
	}
	w.stack = append(w.stack, s)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()

	props, req, desc := flattenAllOf(s, 0)
	n.ReadOnly, n.WriteOnly, n.Deprecated = s.ReadOnly, s.WriteOnly, s.Deprecated
	n.Description = w.md.render(desc, 6)
	n.Constraints = constraints(s)
	for i, e := range s.Enum {
		if i == maxEnumValues {
			n.MoreEnum = len(s.Enum) - i
			break
		}
		n.Enum = append(n.Enum, exampleText(e, 80))
	}
	if s.Const != nil {
		n.Enum = append(n.Enum, exampleText(s.Const, 80))
	}

	if depth >= maxSchemaDepth {
		if len(props) > 0 || s.Items != nil || len(s.OneOf)+len(s.AnyOf) > 0 {
			n.Note = "nested further: see the specification"
		}
		return n
	}
	// An array shows its items' properties as its own.
	if s.Items != nil && s.Items.Value != nil && len(props) == 0 {
		item := w.node("", s.Items, false, depth)
		n.Children = item.Children
		if n.Note == "" {
			n.Note = item.Note
		}
		if len(n.Enum) == 0 {
			n.Enum, n.MoreEnum = item.Enum, item.MoreEnum
		}
		return n
	}
	for _, pname := range slices.Sorted(maps.Keys(props)) {
		if w.used >= w.budget {
			n.Note = "more properties: see the specification"
			return n
		}
		n.Children = append(n.Children, w.node(pname, props[pname], slices.Contains(req, pname), depth+1))
	}
	for _, alt := range []struct {
		label string
		refs  openapi3.SchemaRefs
	}{{"one of", s.OneOf}, {"any of", s.AnyOf}} {
		if len(alt.refs) == 0 {
			continue
		}
		group := &schemaNode{Name: alt.label, Type: fmt.Sprintf("%d options", len(alt.refs))}
		for i, sub := range alt.refs {
			if w.used >= w.budget {
				group.Note = "more options: see the specification"
				break
			}
			group.Children = append(group.Children, w.node("option "+strconv.Itoa(i+1), sub, false, depth+1))
		}
		n.Children = append(n.Children, group)
	}
	if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil && w.used < w.budget {
		n.Children = append(n.Children, w.node("{any name}", ap, false, depth+1))
	}
	return n
}

// flattenAllOf merges the properties, required names and description of s
// and its allOf parts.
func flattenAllOf(s *openapi3.Schema, depth int) (openapi3.Schemas, []string, string) {
	desc := s.Description
	if desc == "" {
		desc = s.Title
	}
	if len(s.AllOf) == 0 || depth > maxSchemaDepth {
		return s.Properties, s.Required, desc
	}
	props := make(openapi3.Schemas, len(s.Properties))
	req := slices.Clone(s.Required)
	for _, part := range s.AllOf {
		if part == nil || part.Value == nil || part.Value == s {
			continue
		}
		pp, pr, pd := flattenAllOf(part.Value, depth+1)
		for k, v := range pp {
			props[k] = v
		}
		req = append(req, pr...)
		if desc == "" {
			desc = pd
		}
	}
	for k, v := range s.Properties {
		props[k] = v
	}
	return props, req, desc
}

func constraints(s *openapi3.Schema) []string {
	var c []string
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	if s.Pattern != "" {
		c = append(c, "pattern "+s.Pattern)
	}
	count := func(bound string, n uint64, one, many string) string {
		return fmt.Sprintf("%s %d %s", bound, n, plural(int(min(n, 2)), one, many))
	}
	if s.MinLength > 0 {
		c = append(c, count("at least", s.MinLength, "character", "characters"))
	}
	if s.MaxLength != nil {
		c = append(c, count("at most", *s.MaxLength, "character", "characters"))
	}
	if s.Min != nil {
		c = append(c, "minimum "+f(*s.Min))
	}
	if s.Max != nil {
		c = append(c, "maximum "+f(*s.Max))
	}
	if s.MinItems > 0 {
		c = append(c, count("at least", s.MinItems, "item", "items"))
	}
	if s.MaxItems != nil {
		c = append(c, count("at most", *s.MaxItems, "item", "items"))
	}
	if s.Default != nil {
		c = append(c, "default "+exampleText(s.Default, 80))
	}
	return c
}
