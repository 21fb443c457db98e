package oasref

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
)

const schemeDoc = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  securitySchemes:\n"

// A security scheme $ref'd by URL as the platform's documents write them
// stands for frontdoor's scheme of the access mode it names.
func TestARemoteSecuritySchemeOfAnAccessModeIsThePlatformsOwn(t *testing.T) {
	tests := []struct {
		name, schemes string
		files         fstest.MapFS
		want          map[string]string // scheme name -> type
	}{
		{"by path, every mode", "    a0: {$ref: https://proxygen.example/components/securitySchemes/app-level0}\n" +
			"    a3: {$ref: 'https://proxygen.example/components/securitySchemes/app-level3'}\n" +
			"    p9: {$ref: http://platform.example/x/components/securitySchemes/nhs-login-p9}\n" +
			"    c3: {$ref: https://platform.example/components/securitySchemes/nhs-cis2-aal3}\n",
			nil, map[string]string{"a0": "apiKey", "a3": "oauth2", "p9": "http", "c3": "http"}},
		{"by fragment", "    key: {$ref: 'https://platform.example/schemes.yaml#/components/securitySchemes/app-level0'}\n",
			nil, map[string]string{"key": "apiKey"}},
		{"in a map of schemes in another file", "    $ref: security/security.yaml\n",
			fstest.MapFS{"security/security.yaml": {Data: []byte("app-level0:\n    $ref: https://p.example/components/securitySchemes/app-level0\napp-level3:\n  $ref: https://p.example/components/securitySchemes/app-level3\n")}},
			map[string]string{"app-level0": "apiKey", "app-level3": "oauth2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := schemeDoc + tc.schemes
			ld, err := Load(context.Background(), []byte(doc), "root.yaml", Options{Read: reader(tc.files)})
			if err != nil {
				t.Fatal(err)
			}
			if err := ld.Doc.Validate(context.Background()); err != nil {
				t.Errorf("the document does not validate: %v", err)
			}
			for name, typ := range tc.want {
				ref := ld.Doc.Components.SecuritySchemes[name]
				if ref == nil || ref.Value == nil || ref.Value.Type != typ {
					t.Errorf("scheme %s: got %+v, want type %s", name, ref, typ)
				}
			}
			if s := ld.Doc.Components.SecuritySchemes["a0"]; s != nil && (s.Value.In != "header" || s.Value.Name != "apikey") {
				t.Errorf("app-level0: got in %q name %q, want header apikey", s.Value.In, s.Value.Name)
			}
		})
	}
}

// Any other URL stays unresolved, and a file of the repository is read,
// whatever its fragment names.
func TestOtherRemoteReferencesAreNeverThePlatformsSchemes(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"unknown scheme name", schemeDoc + "    sso: {$ref: https://p.example/components/securitySchemes/partner-sso}\n"},
		{"an access mode without a scheme", schemeDoc + "    o: {$ref: https://p.example/components/securitySchemes/open}\n"},
		{"another scheme", schemeDoc + "    k: {$ref: ftp://p.example/components/securitySchemes/app-level0}\n"},
		{"not a scheme's place", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: https://p.example/components/securitySchemes/app-level0}\n"},
		{"a scheme's name elsewhere in the path", schemeDoc + "    k: {$ref: https://p.example/components/securitySchemes/app-level0/x}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), []byte(tc.doc), "root.yaml", Options{})
			var es Errors
			if !errors.As(err, &es) || !errors.Is(es[0].Err, ErrRemote) {
				t.Errorf("got %v, want the reference refused as remote", err)
			}
		})
	}
	local := fstest.MapFS{"platform.yaml": {Data: []byte("components:\n  securitySchemes:\n    app-level0: {type: http, scheme: basic}\n")}}
	ld, err := Load(context.Background(), []byte(schemeDoc+"    k: {$ref: 'platform.yaml#/components/securitySchemes/app-level0'}\n"), "root.yaml", Options{Read: reader(local)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ld.Doc.Components.SecuritySchemes["k"].Value; got.Type != "http" || got.Scheme != "basic" {
		t.Errorf("a file of the repository: got %+v, want its own scheme", got)
	}
}

// A security requirement naming an access mode the document does not
// declare is the platform's scheme of that mode; a scheme the document
// declares is its own, and any other undeclared name stays invalid.
func TestAnUndeclaredAccessModeInARequirementIsThePlatformsScheme(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
	tests := []struct {
		name, doc string
		valid     bool
		want      map[string]string // scheme name -> type
	}{
		{"an operation's requirement", head + "paths:\n  /a:\n    get:\n      security: [{nhs-login-p9: []}]\n      responses: {'200': {description: ok}}\n",
			true, map[string]string{"nhs-login-p9": "http"}},
		{"the document's requirement, beside declared schemes", head + "security: [{app-level3: []}, {app-level0: []}]\npaths: {}\ncomponents:\n  securitySchemes:\n    app-level0: {type: http, scheme: basic}\n",
			true, map[string]string{"app-level3": "oauth2", "app-level0": "http"}},
		{"a sandbox's schemes without the production one", head + "paths:\n  /a:\n    get:\n      security: [{nhs-login-p9: []}, {app-level3: []}]\n      responses: {'200': {description: ok}}\ncomponents:\n  securitySchemes:\n    app-level3: {type: apiKey, in: header, name: x}\n",
			true, map[string]string{"nhs-login-p9": "http", "app-level3": "apiKey"}},
		{"a name that is no access mode", head + "paths:\n  /a:\n    get:\n      security: [{partner-sso: []}]\n      responses: {'200': {description: ok}}\n",
			false, nil},
		{"an access mode without a scheme", head + "security: [{open: []}]\npaths: {}\n", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ld, err := Load(context.Background(), []byte(tc.doc), "root.yaml", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := ld.Doc.Validate(context.Background()); (err == nil) != tc.valid {
				t.Fatalf("validate: got %v, want valid %v", err, tc.valid)
			}
			for name, typ := range tc.want {
				ref := ld.Doc.Components.SecuritySchemes[name]
				if ref == nil || ref.Value == nil || ref.Value.Type != typ {
					t.Errorf("scheme %s: got %+v, want type %s", name, ref, typ)
				}
			}
		})
	}
}
