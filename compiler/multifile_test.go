package compiler

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// ownSpecs holds the project's own multi-file OpenAPI documents.
const ownSpecs = "../testdata/specs"

// appointmentsAPI declares the API whose document is testdata/specs'
// appointments.yaml.
const appointmentsAPI = `title:        "Clinic appointments"
summary:      "Book appointments."
version:      "1.0.0"
status:       "beta"
serviceLevel: "bronze"
environments: sandbox: upstream: "https://sandbox.acme.test/appointments"
accessModes: ["app-level3"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`

// withTree returns the base repository with the document tree rooted at
// dir/name.yaml (and the files of dir/name/) as API acme/name's spec.
func withTree(t testing.TB, dir, name, cue string) fstest.MapFS {
	t.Helper()
	m := baseFS(t)
	apis := "publishers/acme/apis/"
	add := func(p, rel string) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[apis+filepath.ToSlash(rel)] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	add(filepath.Join(dir, name+".yaml"), name+".yaml")
	err := filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		add(p, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m[apis+name+".cue"] = &fstest.MapFile{Data: []byte(cue), Mode: 0o644}
	return m
}

// appointments returns the base repository with the project's own
// multi-file document, servers set to the test platform's sandbox.
func appointments(t testing.TB) fstest.MapFS {
	m := withTree(t, ownSpecs, "appointments", appointmentsAPI)
	p := "publishers/acme/apis/appointments.yaml"
	m[p].Data = []byte(strings.Replace(string(m[p].Data), "https://sandbox.api.example/acme/appointments/v1", "https://sandbox.api.test/acme/appointments/v1", 1))
	return m
}

func TestOwnMultiFileSpecValidates(t *testing.T) {
	res := mustCompile(t, appointments(t), testOptions())
	if len(res.Diagnostics) > 0 {
		t.Errorf("got\n%s\nwant no diagnostics", renderDiags(res.Diagnostics))
	}
}

// TestMultiFileSpecErrorsAreReportedInTheirFiles breaks the project's own
// multi-file document in its nested files: each problem is reported at the
// file and line where it is written, every one of them.
func TestMultiFileSpecErrorsAreReportedInTheirFiles(t *testing.T) {
	const dir = "publishers/acme/apis/appointments/"
	tests := []struct {
		name  string
		edit  map[string]func(string) string
		wants []string // file:line:col: CODE, and a part of the message
		count int      // diagnostics in all, if not 0
	}{
		{
			name: "every unresolved reference of nested files",
			edit: map[string]func(string) string{
				dir + "schemas/Appointment.yaml": func(s string) string {
					s = strings.Replace(s, "$ref: Meta.yaml", "$ref: Metta.yaml", 1)
					return strings.Replace(s, "$ref: Participant.yaml", "$ref: Participant.yaml#/nothing", 1)
				},
				dir + "paths/slot-search.yaml": func(s string) string {
					return strings.Replace(s, "$ref: ../schemas/SlotBundle.yaml", "$ref: ../schemas/SlotBundel.yaml", 1)
				},
			},
			wants: []string{
				dir + "schemas/Appointment.yaml:8:11: FD403: unresolved reference Metta.yaml",
				dir + "schemas/Appointment.yaml:42:13: FD403: unresolved reference Participant.yaml#/nothing",
				dir + "paths/slot-search.yaml:26:19: FD403: unresolved reference ../schemas/SlotBundel.yaml",
			},
		},
		{
			name: "a broken YAML line in a nested file",
			edit: map[string]func(string) string{
				dir + "schemas/Period.yaml": func(s string) string { return s + "  broken: [unclosed\n" },
			},
			wants: []string{dir + "schemas/Period.yaml:7:1: FD401"},
		},
		{
			name: "an operation $ref to a file that is missing",
			edit: map[string]func(string) string{
				"publishers/acme/apis/appointments.yaml": func(s string) string {
					return strings.Replace(s, "paths/location-get.yaml", "paths/location-got.yaml", 1)
				},
			},
			wants: []string{"publishers/acme/apis/appointments.yaml:49:13: FD403: reference appointments/paths/location-got.yaml: OpenAPI does not allow a $ref here"},
		},
		{
			name: "a missing operation file and a missing schema file elsewhere",
			edit: map[string]func(string) string{
				"publishers/acme/apis/appointments.yaml": func(s string) string {
					return strings.Replace(s, "paths/location-get.yaml", "paths/location-got.yaml", 1)
				},
				dir + "schemas/Slot.yaml": func(s string) string { return strings.Replace(s, "$ref: Reference.yaml", "$ref: Referense.yaml", 1) },
			},
			wants: []string{
				"publishers/acme/apis/appointments.yaml:49:13: FD403: reference appointments/paths/location-got.yaml",
				dir + "schemas/Slot.yaml:15:11: FD403: unresolved reference Referense.yaml",
			},
			count: 2,
		},
		{
			name: "a map of headers by $ref to a file that is missing",
			edit: map[string]func(string) string{
				dir + "paths/reminder-create.yaml": func(s string) string {
					return strings.Replace(s, "../headers/common.yaml", "../headers/commons.yaml", 1)
				},
			},
			wants: []string{dir + "paths/reminder-create.yaml:14:15: FD403: reference ../headers/commons.yaml: OpenAPI does not allow a $ref here (file not found) (the document needs bundling here"},
		},
		{
			name: "a problem in a schema file many operations use, once",
			edit: map[string]func(string) string{
				dir + "schemas/OperationOutcomeIssue.yaml": func(s string) string {
					return strings.Replace(s, `"More about the problem, for developers."`, `More about the problem, for developers.`, 1)
				},
			},
			wants: []string{dir + "schemas/OperationOutcomeIssue.yaml:8:3: FD404: extra sibling fields: [for developers.]"},
			count: 1,
		},
		{
			name: "a file that is not the object its references say",
			edit: map[string]func(string) string{
				dir + "schemas/Coding.yaml": func(s string) string {
					return strings.Replace(s, "type: object", "type: object\nrequired: notalist", 1)
				},
			},
			wants: []string{dir + "schemas/Coding.yaml:2:1: FD401: construct errors: line 2: cannot construct !!str `notalist` into a value of the expected kind in /required"},
		},
		{
			name: "an invalid type in a nested schema",
			edit: map[string]func(string) string{
				dir + "schemas/Reminder.yaml": func(s string) string {
					return strings.Replace(s, "{type: string, format: date-time}", "{type: strin}", 1)
				},
			},
			wants: []string{dir + "schemas/Reminder.yaml:5:3: FD404"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := appointments(t)
			for p, f := range tc.edit {
				if m[p] == nil {
					t.Fatalf("no file %s", p)
				}
				m[p] = &fstest.MapFile{Data: []byte(f(string(m[p].Data))), Mode: 0o644}
			}
			diags := mustCompile(t, m, testOptions()).Diagnostics
			got := renderDiags(diags)
			if tc.count > 0 && len(diags) != tc.count {
				t.Errorf("got %d diagnostics, want %d:\n%s", len(diags), tc.count, got)
			}
			for _, want := range tc.wants {
				if !strings.Contains(got, want) {
					t.Errorf("got\n%s\nwant a line with %q", got, want)
				}
			}
			for _, goName := range []string{"openapi3.", "yaml.Node", "map[string]", "interface {}", "*url."} {
				if strings.Contains(got, goName) {
					t.Errorf("got\n%s\nwant no Go type name (%s)", got, goName)
				}
			}
		})
	}
}

// TestSharedSpecTreesValidate compiles each real multi-file document of
// ../shared/specs/trees as an API's spec: no syntax, reference or
// validity problem (its servers, security and version are the real API's,
// not the test platform's, and are not checked here).
func TestSharedSpecTreesValidate(t *testing.T) {
	trees := filepath.Join(sharedSpecs, "trees")
	entries, err := os.ReadDir(trees)
	if err != nil {
		t.Skipf("%s absent", trees)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			roots, _ := filepath.Glob(filepath.Join(trees, e.Name(), "*.yaml"))
			if len(roots) != 1 {
				t.Skipf("got %d root documents", len(roots))
			}
			root := filepath.Join(trees, e.Name())
			name := strings.TrimSuffix(path.Base(filepath.ToSlash(roots[0])), ".yaml")
			m := baseFS(t)
			_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || !specExt(p) && !strings.HasSuffix(p, ".md") {
					return err
				}
				rel, _ := filepath.Rel(root, p)
				if strings.HasPrefix(rel, ".") || strings.Count(rel, string(filepath.Separator)) == 0 && filepath.Ext(rel) == ".md" {
					return nil
				}
				b, _ := os.ReadFile(p)
				m["publishers/acme/apis/"+filepath.ToSlash(rel)] = &fstest.MapFile{Data: b, Mode: 0o644}
				return nil
			})
			m["publishers/acme/apis/"+name+".cue"] = &fstest.MapFile{Data: []byte(appointmentsAPI), Mode: 0o644}
			for _, d := range mustCompile(t, m, testOptions()).Diagnostics {
				switch d.Code {
				case codeSpecServers, codeSpecSecurity, codeSpecVersion:
					continue
				}
				t.Errorf("got %s", d)
			}
		})
	}
}

// TestPlatformSecuritySchemesByURLValidate: the security schemes of a
// multi-file document $ref'd by URL, as the platform's own documents do,
// are the platform's: nothing is fetched and the document validates.
func TestPlatformSecuritySchemesByURLValidate(t *testing.T) {
	for _, ref := range []string{
		"https://proxygen.prod.api.platform.nhs.uk/components/securitySchemes/app-level3",
		"https://platform.example/schemes.yaml#/components/securitySchemes/app-level3",
	} {
		m := appointments(t)
		m["publishers/acme/apis/appointments/security.yaml"].Data = []byte("app-level3:\n  $ref: " + ref + "\n")
		if res := mustCompile(t, m, testOptions()); len(res.Diagnostics) > 0 {
			t.Errorf("%s: got\n%s\nwant no diagnostics", ref, renderDiags(res.Diagnostics))
		}
	}
}

// TestOtherRemoteReferencesAreRefusedWhereTheyAreWritten: any other URL
// is FD403 at its file, line and column, with a hint to bundle the file.
func TestOtherRemoteReferencesAreRefusedWhereTheyAreWritten(t *testing.T) {
	const dir = "publishers/acme/apis/appointments/"
	tests := []struct{ file, from, to, want string }{
		{dir + "security.yaml", "", "app-level3:\n  $ref: https://sso.example/components/securitySchemes/partner-sso\n",
			dir + "security.yaml:2:9: FD403: unresolved reference https://sso.example/components/securitySchemes/partner-sso: remote references are not fetched"},
		{dir + "schemas/Appointment.yaml", "$ref: Meta.yaml", "$ref: https://schemas.example/fhir/Meta.yaml",
			dir + "schemas/Appointment.yaml:8:11: FD403: unresolved reference https://schemas.example/fhir/Meta.yaml: remote references are not fetched"},
	}
	for _, tc := range tests {
		m := appointments(t)
		if tc.from == "" {
			m[tc.file].Data = []byte(tc.to)
		} else {
			m[tc.file].Data = []byte(strings.Replace(string(m[tc.file].Data), tc.from, tc.to, 1))
		}
		got := renderDiags(mustCompile(t, m, testOptions()).Diagnostics)
		if !strings.Contains(got, tc.want) || !strings.Contains(got, "copy what it names into the repository") {
			t.Errorf("got\n%s\nwant %q with a hint to copy the file into the repository", got, tc.want)
		}
	}
}

func TestFilesUnderAnAPIDirectoryAreOutsideTheLayoutUnlessASpecReferencesThem(t *testing.T) {
	tests := []struct {
		file    string
		outside bool
	}{
		{"publishers/acme/apis/appointments/docs/overview.md", false}, // info.description's $ref
		{"publishers/acme/apis/appointments/docs/search.md", false},   // an operation file's $ref
		{"publishers/acme/apis/appointments/docs/unused.md", true},
		{"publishers/acme/apis/notes.txt", true},
	}
	m := appointments(t)
	for _, tc := range tests {
		if m[tc.file] == nil {
			m[tc.file] = &fstest.MapFile{Data: []byte("Some notes.\n"), Mode: 0o644}
		}
	}
	got := renderDiags(mustCompile(t, m, testOptions()).Diagnostics)
	for _, tc := range tests {
		if reported := strings.Contains(got, tc.file+":1:1: FD501"); reported != tc.outside {
			t.Errorf("%s: got FD501 %v, want %v; diagnostics:\n%s", tc.file, reported, tc.outside, got)
		}
	}
}
