package review

import (
	"context"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

// specTree reads the project's multi-file document (testdata/specs) as the
// API acme/appointments of a repository.
func specTree(t *testing.T) fstest.MapFS {
	t.Helper()
	root := os.DirFS("../testdata/specs")
	m := fstest.MapFS{"publishers/acme/apis/appointments.cue": {Data: []byte("status: \"stable\"\nversion: \"1.0.0\"\n")}}
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		m[path.Join("publishers/acme/apis", p)] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestABreakingChangeInAnOperationFileIsReported checks that the checks of
// a pull request see operations that a document includes by $ref (which
// OpenAPI does not allow there, and which are inlined as the compiler
// does): a change inside such a file is compared like one in the root.
func TestABreakingChangeInAnOperationFileIsReported(t *testing.T) {
	const op = "publishers/acme/apis/appointments/paths/appointment-get.yaml"
	for _, tc := range []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"a success response removed", func(s string) string {
			return strings.Replace(s, "    \"200\":\n      description: Success.", "    \"201\":\n      description: Success.", 1)
		}, []string{compiler.CodeBreaking}},
		{"a required query parameter added", func(s string) string {
			return strings.Replace(s, "responses:\n", "parameters:\n  - {name: reason, in: query, required: true, schema: {type: string}}\nresponses:\n", 1)
		}, []string{compiler.CodeBreaking}},
		{"a description reworded", func(s string) string {
			return strings.Replace(s, "Get an appointment by its ID.", "Reads one appointment.", 1)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, head := specTree(t), specTree(t)
			head[op] = &fstest.MapFile{Data: []byte(tc.edit(string(base[op].Data)))}
			if string(head[op].Data) == string(base[op].Data) {
				t.Fatal("the edit changed nothing")
			}
			_, ds, err := CheckBreaking(context.Background(), base, head, []report.Change{{Path: op, Action: report.Modified}})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Compact(codesOf(ds)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v (%v), want %v", got, ds, tc.want)
			}
		})
	}
}

// TestSpecFilesIncludeMarkdownAndOperationsReadByRef checks that the files
// of a document are every file its references read, Markdown descriptions
// and operation files included, so that a change to one of them is a
// change to the API's document.
func TestSpecFilesIncludeMarkdownAndOperationsReadByRef(t *testing.T) {
	fsys := specTree(t)
	read := documentFiles(context.Background(), fsys, "publishers/acme/apis", "publishers/acme/apis/appointments.yaml")
	for _, want := range []string{
		"publishers/acme/apis/appointments/docs/overview.md",
		"publishers/acme/apis/appointments/paths/appointment-get.yaml",
		"publishers/acme/apis/appointments/schemas/OperationOutcome.yaml",
	} {
		if !read[want] {
			t.Errorf("%s not among the files read: %v", want, read)
		}
	}
}
