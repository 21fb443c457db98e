package oasref

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
)

// files is a document of several files: an operation by $ref (inlined),
// a schema by $ref (left to kin-openapi), and a schema file that refers
// back to the document.
var files = fstest.MapFS{
	"api/op.yaml":        {Data: []byte("responses:\n  '200':\n    description: ok\n    content:\n      application/json:\n        schema: {$ref: schemas/A.yaml}\n")},
	"api/schemas/A.yaml": {Data: []byte("type: object\nproperties:\n  b: {$ref: '../../root.yaml#/components/schemas/B'}\n")},
}

const rootDoc = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get: {$ref: api/op.yaml}\ncomponents:\n  schemas:\n    B: {type: string}\n"

func TestLoadResolvesEveryReferenceWhateverTheDecoding(t *testing.T) {
	for _, fromBytes := range []bool{false, true} {
		ld, err := Load(context.Background(), []byte(rootDoc), "root.yaml", Options{Read: reader(files), FromBytes: fromBytes})
		if err != nil {
			t.Fatalf("FromBytes %v: %v", fromBytes, err)
		}
		op := ld.Doc.Paths.Find("/x").Get
		s := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		if b := s.Properties["b"]; b == nil || b.Value == nil || !b.Value.Type.Is("string") {
			t.Errorf("FromBytes %v: got property b %+v, want the root's schema B", fromBytes, b)
		}
		if ld.OneFile {
			t.Errorf("FromBytes %v: got OneFile for a document of three files", fromBytes)
		}
	}
}

func TestLoadReportsWhatItCannotLoadByKind(t *testing.T) {
	tests := []struct {
		name, doc string
		check     func(error) bool
	}{
		{"syntax", "openapi: 3.0.3\ninfo: [\n", func(err error) bool {
			var e *Error
			return errors.As(err, &e) && e.Ref == "" && e.Line >= 2
		}},
		{"swagger", "swagger: '2.0'\n", func(err error) bool { return errors.Is(err, ErrNotOpenAPI3) }},
		{"version 4", "openapi: 4.0.0\n", func(err error) bool { return errors.Is(err, ErrNotOpenAPI3) }},
		{"structure", "openapi: 3.0.3\ninfo: [1]\npaths: {}\n", func(err error) bool {
			var e *StructureError
			return errors.As(err, &e)
		}},
		{"operation in a missing file", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get: {$ref: api/none.yaml}\n", func(err error) bool {
			var es Errors
			return errors.As(err, &es) && es[0].File == "root.yaml" && es[0].Line == 5 && es[0].Ref == "api/none.yaml"
		}},
		{"remote schema", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: 'https://example.org/a.yaml'}\n", func(err error) bool {
			var es Errors
			return errors.As(err, &es) && es[0].Line == 6 && errors.Is(es[0].Err, ErrRemote)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), []byte(tc.doc), "root.yaml", Options{Read: reader(files)})
			if !tc.check(err) {
				t.Errorf("got %v (%T)", err, err)
			}
		})
	}
}

func TestLoadFollowsNoFileWithoutAReader(t *testing.T) {
	_, err := Load(context.Background(), []byte(rootDoc), "root.yaml", Options{})
	var es Errors
	if !errors.As(err, &es) || es[0].Ref != "api/op.yaml" {
		t.Errorf("got %v, want the operation's reference unresolved", err)
	}
}
