// Package oasref follows the $refs of an OpenAPI document written as many
// files, as publishers' bundlers do, for the compiler and the catalogue:
// it inlines the references OpenAPI does not allow where they are written
// (an operation, a map of responses or headers, a Markdown text) so that
// kin-openapi can load the rest, and it finds every reference that does not
// resolve, each at its own file, line and column.
//
// Files are read through a Reader, which decides what may be read (the
// callers keep references inside the repository and never fetch URLs).
// Paths are repository paths, '/'-separated.
package oasref

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Reader reads a repository file.
type Reader func(p string) ([]byte, error)

// Error is a reference that does not resolve, or a referenced file that
// does not parse, at File:Line:Col.
type Error struct {
	File      string
	Line, Col int
	Ref       string // the reference as written; empty for a syntax error
	Err       error
}

func (e *Error) Error() string {
	if e.Ref == "" {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s:%d:%d: unresolved reference %s: %v", e.File, e.Line, e.Col, e.Ref, e.Err)
}

// ErrNeedsBundling marks an error of a reference OpenAPI does not allow
// where it is written, which could not be inlined.
var ErrNeedsBundling = errors.New("OpenAPI does not allow a $ref here")

// Document is a document's YAML tree with the references OpenAPI does not
// allow inlined. Nodes keep the positions of the file they were read from.
type Document struct {
	Root *yaml.Node
	// Inlined is true if any reference was inlined (Root is then a copy
	// along the paths that changed).
	Inlined bool
	// Files lists every other file read, by repository path.
	Files map[string]bool
	// from maps the top node of each inlined part to the file it came
	// from.
	from map[*yaml.Node]string
	// written maps each rebased $ref value to the reference as written.
	written map[*yaml.Node]string
	// inlining holds the targets being inlined, to refuse a cycle; count
	// is the number inlined, bounded by maxInlined.
	inlining map[*yaml.Node]bool
	count    int
	file     string
	read     Reader
	cache    map[string]*parsed
}

type parsed struct {
	root *yaml.Node
	err  error
}

// maxInlined bounds the references one document inlines, so that
// references repeated at every level cannot multiply the document.
const maxInlined = 10000

// methods are the operation keys of a path item.
var methods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// componentMaps are the maps of a path item's or response's parts written
// as one $ref to a file by some bundlers' conventions.
var partMaps = map[string]bool{"responses": true, "headers": true, "content": true, "callbacks": true, "links": true}

// Inline returns root (the document file's tree) with the references
// OpenAPI does not allow where they are written replaced by what they
// name, following them into other files read with read. References left in
// inlined parts are rewritten relative to file. Errors are the references
// of that kind that could not be inlined; the rest of the document is
// inlined still.
func Inline(root *yaml.Node, file string, read Reader) (*Document, []*Error) {
	d := &Document{Root: root, Files: map[string]bool{}, from: map[*yaml.Node]string{}, written: map[*yaml.Node]string{}, inlining: map[*yaml.Node]bool{}, file: file, read: read, cache: map[string]*parsed{}}
	var errs []*Error
	d.Root = d.walk(root, make([]string, 0, 64), file, &errs)
	return d, errs
}

// allowsNoRef reports whether OpenAPI forbids a Reference Object at keys,
// the keys from the document's top to a value.
func allowsNoRef(keys []string) bool {
	n := len(keys)
	switch {
	case n == 1 && keys[0] == "paths":
		return true
	case n == 2 && keys[0] == "components":
		return true
	case n == 3 && keys[0] == "paths" && methods[keys[2]]:
		return true
	case n >= 1 && keys[n-1] == "example", n >= 3 && keys[n-1] == "value" && keys[n-3] == "examples":
		return true
	case n >= 2 && partMaps[keys[n-1]] && keys[0] != "x-":
		// The responses of an operation; the headers, content and links of
		// a response; the content of a request body or a parameter.
		parent := keys[n-2]
		switch keys[n-1] {
		case "responses", "callbacks":
			return methods[parent]
		case "content":
			return parent == "requestBody" || isCode(parent) || n >= 3 && (keys[n-3] == "requestBodies" || keys[n-3] == "responses")
		default:
			return isCode(parent) || n >= 3 && keys[n-3] == "responses"
		}
	}
	return false
}

func isCode(s string) bool {
	if s == "default" {
		return true
	}
	if len(s) != 3 {
		return false
	}
	_, err := strconv.Atoi(strings.ReplaceAll(strings.ToUpper(s), "X", "0"))
	return err == nil
}

// textFile reports whether a reference names a text file (Markdown,
// plain text) rather than a YAML or JSON document.
func textFile(ref string) bool {
	f, _, _ := strings.Cut(ref, "#")
	switch strings.ToLower(path.Ext(f)) {
	case ".md", ".markdown", ".txt":
		return true
	}
	return false
}

// isText reports whether a reference at keys names a text to inline as a
// string: a Markdown or text file as a description, summary or title.
func isText(ref string, keys []string) bool {
	if len(keys) == 0 || !textFile(ref) {
		return false
	}
	switch keys[len(keys)-1] {
	case "description", "summary", "title":
		return true
	}
	return false
}

// soleRef returns the reference of a mapping that is only a $ref.
func soleRef(n *yaml.Node) (*yaml.Node, bool) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "$ref" && n.Content[1].Kind == yaml.ScalarNode {
		return n.Content[1], true
	}
	return nil, false
}

// walk returns n, or a copy of it with references inlined; in is the file
// n was read from, for positions.
func (d *Document) walk(n *yaml.Node, keys []string, in string, errs *[]*Error) *yaml.Node {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			if c := d.walk(n.Content[0], keys, in, errs); c != n.Content[0] {
				cp := *n
				cp.Content = []*yaml.Node{c}
				return &cp
			}
		}
		return n
	case yaml.SequenceNode:
		var out *yaml.Node
		for i, c := range n.Content {
			out = replaced(out, n, i, d.walk(c, append(keys, strconv.Itoa(i)), in, errs))
		}
		if out != nil {
			return out
		}
		return n
	case yaml.MappingNode:
	default:
		return n
	}
	if ref, ok := soleRef(n); ok && len(keys) == 3 && keys[0] == "components" && keys[1] == "securitySchemes" {
		if b := builtinScheme(ref); b != nil {
			d.Inlined = true
			return b
		}
	}
	if ref, ok := soleRef(n); ok && (isText(ref.Value, keys) || allowsNoRef(keys)) {
		return d.inline(n, ref, keys, in, errs)
	}
	return d.walkMapping(n, keys, in, errs)
}

// walkMapping walks the members of mapping n that are OpenAPI objects.
func (d *Document) walkMapping(n *yaml.Node, keys []string, in string, errs *[]*Error) *yaml.Node {
	var out *yaml.Node
	for i := 1; i < len(n.Content); i += 2 {
		k := n.Content[i-1].Value
		c := n.Content[i]
		// An example kept in a file, as bundlers allow: example: {$ref},
		// or the value of an Example object of an examples map.
		_, fileValue := soleRef(c)
		exampleValue := k == "value" && len(keys) >= 2 && keys[len(keys)-2] == "examples"
		switch {
		case (k == "example" || exampleValue) && !fileValue,
			k == "examples" && c.Kind != yaml.MappingNode,
			k == "default" || k == "enum" || strings.HasPrefix(k, "x-"):
			continue // values, not OpenAPI objects
		}
		out = replaced(out, n, i, d.walk(c, append(keys, k), in, errs))
	}
	if out != nil {
		return out
	}
	return n
}

// inline puts in the place of n, a mapping holding only $ref ref, what the
// reference names, walked in turn; a reference it cannot follow is
// reported and leaves an empty value.
func (d *Document) inline(n, ref *yaml.Node, keys []string, in string, errs *[]*Error) *yaml.Node {
	// Inlined parts are rebased: every reference of the tree resolves
	// from the document's file; in is where it is written.
	text := isText(ref.Value, keys)
	target, tfile, err := d.target(ref.Value, d.file, text)
	switch {
	case err != nil:
	case d.inlining[target]:
		err = errors.New("the reference is circular")
	case d.count >= maxInlined:
		err = fmt.Errorf("more than %d references to inline", maxInlined)
	}
	if err != nil {
		if !text {
			err = fmt.Errorf("%w (%v)", ErrNeedsBundling, err)
		}
		*errs = append(*errs, &Error{File: in, Line: ref.Line, Col: ref.Column, Ref: d.asWritten(ref), Err: err})
		// An empty value in its place, so that the rest still decodes.
		if text {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: n.Line, Column: n.Column}
		}
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	}
	d.Inlined = true
	d.from[target] = tfile
	if target.Kind == yaml.ScalarNode {
		return target
	}
	d.inlining[target] = true
	d.count++
	out := d.walk(d.rebase(target, tfile), keys, tfile, errs)
	delete(d.inlining, target)
	d.from[out] = tfile
	return out
}

// replaced returns out (nil, or n's copy) with n's i-th child set to c: n
// is copied the first time a child changes, never modified.
func replaced(out, n *yaml.Node, i int, c *yaml.Node) *yaml.Node {
	if c == n.Content[i] {
		return out
	}
	if out == nil {
		cp := *n
		cp.Content = append([]*yaml.Node(nil), n.Content...)
		out = &cp
	}
	out.Content[i] = c
	return out
}

// target reads the node a reference names, relative to the file in; text
// references become one string.
func (d *Document) target(ref, in string, text bool) (*yaml.Node, string, error) {
	file, frag, err := split(ref, in)
	if err != nil {
		return nil, "", err
	}
	if text {
		if frag != "" {
			return nil, "", errors.New("a text file is referenced whole")
		}
		b, err := d.read(file)
		if err != nil {
			return nil, "", err
		}
		d.Files[file] = true
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(b), Line: 1, Column: 1}, file, nil
	}
	root, err := d.parse(file)
	if err != nil {
		return nil, "", err
	}
	n, err := Pointer(root, frag)
	if err != nil {
		return nil, "", err
	}
	return n, file, nil
}

// split returns the repository path of a reference's file (in itself for
// a local reference) and its fragment.
func split(ref, in string) (string, string, error) {
	f, frag, _ := strings.Cut(ref, "#")
	if f == "" {
		return in, frag, nil
	}
	u, err := url.Parse(f)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return "", "", ErrRemote
	}
	p := path.Join(path.Dir(in), u.Path)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", "", errors.New("outside the repository")
	}
	return p, frag, nil
}

// parse reads and parses a referenced YAML or JSON file, once.
func (d *Document) parse(file string) (*yaml.Node, error) {
	if p, ok := d.cache[file]; ok {
		return p.root, p.err
	}
	p := &parsed{}
	d.cache[file] = p
	if file == d.file {
		// The document itself: an inlined part naming the root.
		p.root = d.Root
		return p.root, nil
	}
	b, err := d.read(file)
	if err != nil {
		p.err = err
		return nil, err
	}
	d.Files[file] = true
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		p.err = &syntaxError{err}
		return nil, p.err
	}
	p.root = &root
	return p.root, nil
}

// syntaxError is a referenced file that does not parse.
type syntaxError struct{ err error }

func (e *syntaxError) Error() string {
	return "the file does not parse: " + strings.TrimPrefix(e.err.Error(), "yaml: ")
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// line returns the line a YAML error names, or 1.
func line(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if l, err := strconv.Atoi(m[1]); err == nil {
			return l
		}
	}
	return 1
}

// Pointer returns the node a JSON pointer (a $ref's fragment) names in a
// document tree.
func Pointer(root *yaml.Node, frag string) (*yaml.Node, error) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if frag == "" {
		return n, nil
	}
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, fmt.Errorf("fragment %q is not a JSON pointer", frag)
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		next := child(n, tok)
		if next == nil {
			return nil, fmt.Errorf("%s has no %q", "#"+frag, tok)
		}
		n = next
	}
	return n, nil
}

// child returns the value of key in a mapping, or the item at index key of
// a sequence, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// rebase copies n, read from file, with its references rewritten relative
// to the document's file.
func (d *Document) rebase(n *yaml.Node, file string) *yaml.Node {
	if file == d.file {
		return n
	}
	var cp func(n *yaml.Node) *yaml.Node
	cp = func(n *yaml.Node) *yaml.Node {
		c := *n
		if len(n.Content) > 0 {
			c.Content = make([]*yaml.Node, len(n.Content))
			for i, s := range n.Content {
				c.Content[i] = cp(s)
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(c.Content); i += 2 {
				if c.Content[i].Value == "$ref" && c.Content[i+1].Kind == yaml.ScalarNode {
					v := *c.Content[i+1]
					v.Value = Rebase(v.Value, file, d.file)
					c.Content[i+1] = &v
					d.written[&v] = n.Content[i+1].Value
				}
			}
		}
		return &c
	}
	return cp(n)
}

// Rebase rewrites ref, written in file from, relative to file to.
func Rebase(ref, from, to string) string {
	f, frag, hasFrag := strings.Cut(ref, "#")
	if u, err := url.Parse(f); err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(f, "/") {
		return ref
	}
	target := from
	if f != "" {
		target = path.Join(path.Dir(from), f)
	}
	out := ""
	if target != to {
		out = relative(path.Dir(to), target)
	}
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// relative returns the path of target relative to directory dir.
func relative(dir, target string) string {
	if dir == "." {
		return target
	}
	d, t := strings.Split(dir, "/"), strings.Split(target, "/")
	i := 0
	for i < len(d) && i < len(t)-1 && d[i] == t[i] {
		i++
	}
	return strings.Repeat("../", len(d)-i) + strings.Join(t[i:], "/")
}

// FileOf returns the file a node at keys (map keys or sequence indices
// from the document's top) was read from, and the node.
func (d *Document) FileOf(keys ...string) (string, *yaml.Node) {
	n := d.Root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	file := d.file
	for _, k := range keys {
		next := child(n, k)
		if next == nil {
			break
		}
		n = next
		if f, ok := d.from[n]; ok {
			file = f
		}
	}
	return file, n
}

// Check finds every reference of the document and of the files it names,
// transitively, that does not resolve, and every referenced file that does
// not parse. It is the slow path, for documents kin-openapi could not load.
func (d *Document) Check() []*Error {
	var errs []*Error
	seen := map[string]bool{d.file: true}
	type item struct {
		root *yaml.Node
		file string
	}
	queue := []item{{d.Root, d.file}}
	reported := map[string]bool{}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		// In the document's tree, inlined parts were rebased: references
		// resolve from the document's file, positions are in theirs.
		var walk func(n *yaml.Node, file string)
		walk = func(n *yaml.Node, file string) {
			if f, ok := d.from[n]; ok {
				file = f
			}
			base := it.file
			if ref, ok := refOf(n); ok {
				if e := d.check(ref, base); e != nil {
					e.File = file
					var se *syntaxError
					if errors.As(e.Err, &se) {
						tf, _, _ := split(ref.Value, base)
						if !reported[tf] {
							reported[tf] = true
							errs = append(errs, &Error{File: tf, Line: line(se.err), Col: 1, Err: se})
						}
					} else {
						errs = append(errs, e)
					}
				} else if tf, _, _ := split(ref.Value, base); !textFile(ref.Value) && !seen[tf] {
					seen[tf] = true
					if root, err := d.parse(tf); err == nil {
						queue = append(queue, item{root, tf})
					}
				}
			}
			for i, c := range n.Content {
				if n.Kind == yaml.MappingNode && i%2 == 1 && strings.HasPrefix(n.Content[i-1].Value, "x-") {
					continue // extensions are not OpenAPI: their $refs are not followed
				}
				walk(c, file)
			}
		}
		if it.file != d.file {
			// Errors only decoding shows (a key written twice).
			var v any
			if err := it.root.Decode(&v); err != nil {
				errs = append(errs, &Error{File: it.file, Line: line(err), Col: 1, Err: &syntaxError{err}})
				continue
			}
		}
		walk(it.root, it.file)
	}
	return errs
}

// refOf returns the $ref value of a mapping.
func refOf(n *yaml.Node) (*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "$ref" && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1], true
		}
	}
	return nil, false
}

func (d *Document) check(ref *yaml.Node, in string) *Error {
	_, _, err := d.target(ref.Value, in, textFile(ref.Value))
	if err == nil {
		return nil
	}
	return &Error{File: in, Line: ref.Line, Col: ref.Column, Ref: d.asWritten(ref), Err: err}
}

// asWritten returns a $ref's value as its file has it.
func (d *Document) asWritten(ref *yaml.Node) string {
	if w, ok := d.written[ref]; ok {
		return w
	}
	return ref.Value
}
