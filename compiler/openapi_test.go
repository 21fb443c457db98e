package compiler

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/oasref"
)

const sharedSpecs = "../../shared/specs"

// sharedSpecDocs lists the OpenAPI documents of ../shared/specs.
func sharedSpecDocs(t *testing.T) (fs.FS, []string) {
	t.Helper()
	root := os.DirFS(sharedSpecs)
	if _, err := fs.Stat(root, "."); err != nil {
		t.Skipf("%s absent", sharedSpecs)
	}
	var docs []string
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !specExt(p) {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(b), "openapi:") || strings.Contains(string(b), "\nopenapi:") {
			docs = append(docs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 6 {
		t.Fatalf("got %d OpenAPI documents, want at least 6", len(docs))
	}
	return root, docs
}

// TestSharedSpecsParse loads every real OpenAPI document of ../shared/specs
// through the parser layer: syntax, OpenAPI 3 and kin-openapi's model.
func TestSharedSpecsParse(t *testing.T) {
	root, docs := sharedSpecDocs(t)
	for _, p := range docs {
		t.Run(p, func(t *testing.T) {
			data, _ := fs.ReadFile(root, p)
			// References are resolved by TestSharedSpecTreesResolve.
			_, err := oasref.Load(context.Background(), data, p, oasref.Options{})
			var structure *oasref.StructureError
			var syntax *oasref.Error
			if errors.Is(err, oasref.ErrNotOpenAPI3) || errors.As(err, &structure) || errors.As(err, &syntax) && syntax.Ref == "" {
				t.Errorf("got %v, want an OpenAPI 3 document", err)
			}
		})
	}
}

// TestSharedSpecTreesResolve resolves the multi-file documents of
// ../shared/specs/trees, whose $refs point at files beside them and, for
// their security schemes, at the platform's by URL (known by name, never
// fetched).
func TestSharedSpecTreesResolve(t *testing.T) {
	root, docs := sharedSpecDocs(t)
	n := 0
	for _, p := range docs {
		parts := strings.Split(p, "/")
		if parts[0] != "trees" || len(parts) != 3 {
			continue
		}
		n++
		t.Run(p, func(t *testing.T) {
			data, _ := fs.ReadFile(root, p)
			var sink diagSink
			if sd := parseSpec(context.Background(), root, path.Dir(p), p, data, &sink); sd == nil || len(sink.list) > 0 {
				t.Errorf("got %v, want the document resolved", sink.list)
			}
		})
	}
	if n < 3 {
		t.Errorf("got %d trees, want 3", n)
	}
}

func TestSpecRefsCannotLeaveTheApisDirectory(t *testing.T) {
	fsys := baseFS(t)
	fsys["publishers/other/apis/common.yaml"] = fsys["publishers/acme/apis/patients.yaml"]
	data := []byte("openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths:\n  /x:\n    get:\n      responses:\n        \"200\":\n          $ref: ../../other/apis/common.yaml#/paths\n")
	var sink diagSink
	if sd := parseSpec(context.Background(), fsys, "publishers/acme/apis", "publishers/acme/apis/x.yaml", data, &sink); sd != nil {
		t.Fatal("got a document, want an unresolved reference")
	}
	if len(sink.list) != 1 || sink.list[0].Code != codeSpecRef {
		t.Errorf("got %v, want one %s", sink.list, codeSpecRef)
	}
}

// TestServersMustBeOnTheAPIsEnvironmentHosts checks FD405 against the
// platform's environment base URLs, not only the base path.
func TestServersMustBeOnTheAPIsEnvironmentHosts(t *testing.T) {
	tests := []struct {
		server string
		ok     bool
	}{
		{"https://api.test/acme/patients/v1", true},
		{"https://sandbox.api.test/acme/patients/v1", true},
		{"https://API.test/acme/patients/v1/", true},
		{"/acme/patients/v1", true},
		{"https://{env}.api.test/acme/patients/v1\n    variables:\n      env: {default: sandbox}", true},
		{"https://int.api.test/acme/patients/v1", false}, // the API is not in integration
		{"https://evil.example/acme/patients/v1", false},
		{"https://api.test.evil.example/acme/patients/v1", false},
		{"http://api.test/acme/patients/v1", false},
		{"https://api.test:8443/acme/patients/v1", false},
		{"https://api.test/other/acme/patients/v1", false},
	}
	const spec = "publishers/acme/apis/patients.yaml"
	for _, tc := range tests {
		t.Run(tc.server, func(t *testing.T) {
			m := baseFS(t)
			s := string(m[spec].Data)
			if !strings.Contains(s, "url: https://api.test/acme/patients/v1") {
				t.Fatal("base spec changed")
			}
			m[spec].Data = []byte(strings.Replace(s, "url: https://api.test/acme/patients/v1", "url: "+tc.server, 1))
			var got []string
			for _, d := range mustCompile(t, m, testOptions()).Diagnostics {
				got = append(got, d.String())
			}
			reported := slices.ContainsFunc(got, func(d string) bool { return strings.Contains(d, codeSpecServers) })
			if reported == tc.ok {
				t.Errorf("got %q, want FD405 %v", got, !tc.ok)
			}
		})
	}
}

func TestMessagesNameNoGoTypes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"json: cannot unmarshal string into Go struct field Schema.type of type openapi3.Types", "json: cannot unmarshal string into field type"},
		{"yaml: construct errors: line 4: cannot construct !!map into string", "construct errors: line 4: cannot construct !!map into a value of the expected kind"},
		{"cannot construct !!str `x` into []string in /required", "cannot construct !!str `x` into a value of the expected kind in /required"},
		{"cannot unmarshal !!seq into map[string]interface {}", "cannot unmarshal !!seq into a value of the expected kind"},
		{"value of type *openapi3.SchemaRef is not allowed", "value of type a value of the expected kind is not allowed"},
		{"unsupported 'type' value \"strin\"", "unsupported 'type' value \"strin\""},
	}
	goName := regexp.MustCompile(`openapi3\.|yaml\.|\[\]string|map\[|interface \{\}`)
	for _, tc := range tests {
		got := plainMessage(tc.in)
		if goName.MatchString(got) {
			t.Errorf("plainMessage(%q) = %q, which names a Go type", tc.in, got)
		}
		if got != tc.want {
			t.Errorf("plainMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
