package oasref

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// Loaded is what Load read of a document: as much as it got to.
type Loaded struct {
	// Root is the document file's tree as parsed (nil if it did not
	// parse): positions in the file itself.
	Root *yaml.Node
	// Tree is Root with the references OpenAPI forbids inlined: positions
	// of every part, in the file it was read from (FileOf).
	Tree *Document
	// Doc is kin-openapi's model, every $ref resolved (nil on error).
	Doc *openapi3.T
	// OneFile is true when the document is all in one file: nothing was
	// inlined and the loader read no other file.
	OneFile bool
	// Last is the last file the loader read, or "".
	Last string
}

// Errors is every reference of a document that does not resolve (or that
// OpenAPI does not allow where it is written and could not be inlined),
// and every referenced file that does not parse, each where it is
// written.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	return fmt.Sprintf("%v (and %d more)", es[0], len(es)-1)
}

// ErrNotOpenAPI3 is a document that is not an OpenAPI 3.x object (no
// mapping, no openapi field, Swagger 2.0, another version).
var ErrNotOpenAPI3 = errors.New("not an OpenAPI 3.x document")

// StructureError is a document that parses but does not decode as an
// OpenAPI object.
type StructureError struct{ Err error }

func (e *StructureError) Error() string { return e.Err.Error() }
func (e *StructureError) Unwrap() error { return e.Err }

// ReadError is a $ref target that could not be read, so that it is
// reported as an unresolved reference rather than a syntax error.
type ReadError struct {
	Ref string
	Err error
}

func (e *ReadError) Error() string { return fmt.Sprintf("reading $ref %s: %v", e.Ref, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

// ErrRemote refuses a reference to a URL: nothing is fetched (but the
// platform's security schemes, which are known by name).
var ErrRemote = errors.New("remote references are not fetched")

// Options say how Load reads a document.
type Options struct {
	// Read reads the files the document's $refs name; nil reads none.
	Read Reader
	// Origin records where each element of another file was read
	// (kin-openapi's IncludeOrigin), for positioned validation errors.
	Origin bool
	// FromBytes decodes the document with kin-openapi's loader from its
	// bytes (the inlined tree's, if anything was inlined) rather than from
	// the tree: Doc can then be bundled (openapi3.T.InternalizeRefs needs
	// the location only the loader sets), and with Origin its own
	// elements carry their positions too (of the inlined tree, if
	// anything was inlined). Decoding from the tree parses the file once.
	FromBytes bool
}

// Load is the one way frontdoor loads an OpenAPI document: the file file,
// its bytes data, and the files its $refs name, read with opts.Read. It
// parses data; checks that it is an OpenAPI 3.x object; inlines the
// references OpenAPI does not allow where they are written (Inline);
// decodes kin-openapi's model straight from that tree, so that positions
// stay those of the files read (unless opts.FromBytes); and lets kin-openapi
// resolve the other references. URLs are never fetched.
//
// The error is a *Error for a file that does not parse (Ref empty),
// ErrNotOpenAPI3, a *StructureError, Errors for references, or the
// loader's own error (wrapping a *ReadError for a file it could not read).
// Loaded holds what was read before the error.
func Load(ctx context.Context, data []byte, file string, opts Options) (*Loaded, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: file, Line: line(err), Col: 1, Err: err}
	}
	ld := &Loaded{Root: &root}
	if v := Version(&root); !strings.HasPrefix(v, "3.") {
		return ld, ErrNotOpenAPI3
	}
	read := opts.Read
	if read == nil {
		read = func(string) ([]byte, error) {
			return nil, errors.New("references to other files are not followed here")
		}
	}
	od, errs := Inline(&root, file, read)
	ld.Tree, ld.OneFile = od, !od.Inlined
	doc := &openapi3.T{}
	if !opts.FromBytes {
		// The rest decodes whatever could not be inlined (left empty).
		if err := decode(doc, od.Root); err != nil {
			return ld, &StructureError{err}
		}
	}
	if len(errs) > 0 {
		return ld, append(Errors(errs), od.Check()...)
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = true
	loader.IncludeOrigin = opts.Origin
	loader.ReadFromURIFunc = ld.reader(od, file, read)
	var err error
	if opts.FromBytes {
		if od.Inlined {
			data, err = yaml.Marshal(od.Root)
		}
		if err == nil {
			doc, err = loadData(loader, data, file)
		}
	} else {
		err = resolve(loader, doc, file)
	}
	if err != nil {
		if errs := od.Check(); len(errs) > 0 {
			return ld, Errors(errs)
		}
		return ld, err
	}
	platformSchemes(doc)
	ld.Doc = doc
	return ld, nil
}

// reader is the loader's ReadFromURIFunc: the files of the document read
// with read, never a URL; the document itself as inlined, for a file that
// refers back to it. It records in ld what it read.
func (ld *Loaded) reader(od *Document, file string, read Reader) openapi3.ReadFromURIFunc {
	var inlined []byte
	return func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		ld.OneFile = false
		if u.Scheme != "" || u.Host != "" {
			return nil, &ReadError{Ref: u.String(), Err: ErrRemote}
		}
		p := path.Clean(u.Path)
		ld.Last = p
		var b []byte
		var err error
		switch {
		case p == file && od.Inlined && inlined != nil:
			b = inlined
		case p == file && od.Inlined:
			b, err = yaml.Marshal(od.Root)
			inlined = b
		default:
			b, err = read(p)
		}
		if err != nil {
			return nil, &ReadError{Ref: u.String(), Err: err}
		}
		return b, nil
	}
}

// Version returns the openapi field of a document tree, or "".
func Version(root *yaml.Node) string {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		if v := child(root.Content[0], "openapi"); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// decode decodes a document tree, turning kin-openapi's panics on
// malformed input into errors.
func decode(doc *openapi3.T, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed document: %v", r)
		}
	}()
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	return doc.UnmarshalYAML(n)
}

// loadData loads a document's bytes with loader, turning panics into
// errors.
func loadData(loader *openapi3.Loader, data []byte, file string) (doc *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed document: %v", r)
		}
	}()
	return loader.LoadFromDataWithPath(data, &url.URL{Path: file})
}

// resolve resolves a document's $refs with loader, turning panics into
// errors.
func resolve(loader *openapi3.Loader, doc *openapi3.T, file string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed reference: %v", r)
		}
	}()
	return loader.ResolveRefsIn(doc, &url.URL{Path: file})
}
