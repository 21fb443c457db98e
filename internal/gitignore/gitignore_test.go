package gitignore

import (
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
)

// ignored walks fsys as the compiler does and lists the files ignored.
func ignored(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	m := New(fsys)
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			_, err := m.Dir(p)
			return err
		}
		if m.File(p) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestIgnoredFilesAreThoseGitIgnores(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"nothing without a .gitignore", fstest.MapFS{"out/snapshot.json": file("{}")}, nil},
		{"a rooted directory, with everything below it", fstest.MapFS{
			".gitignore": file("/out/\n"), "out/snapshot.json": file("{}"), "out/catalog/index.html": file(""),
			"publishers/out/publisher.cue": file(""),
		}, []string{"out/catalog/index.html", "out/snapshot.json"}},
		{"an unrooted name anywhere", fstest.MapFS{
			".gitignore": file("*.log\n"), "a.log": file(""), "publishers/x/b.log": file(""), "frontdoor.cue": file(""),
		}, []string{"a.log", "publishers/x/b.log"}},
		{"a directory-only pattern does not match a file", fstest.MapFS{
			".gitignore": file("bin/\n"), "bin": file("a file named bin"), "tools/bin/frontdoor": file(""),
		}, []string{"tools/bin/frontdoor"}},
		{"comments, blank lines and CRLF", fstest.MapFS{
			".gitignore": file("# build output\r\n\r\nout/\r\n#frontdoor.cue\n"), "out/x": file(""), "frontdoor.cue": file(""),
		}, []string{"out/x"}},
		{"a negation re-includes a file", fstest.MapFS{
			".gitignore": file("*.json\n!keep.json\n"), "a.json": file(""), "keep.json": file(""),
		}, []string{"a.json"}},
		{"nothing under an ignored directory is re-included", fstest.MapFS{
			".gitignore": file("out/\n!out/keep.json\n"), "out/keep.json": file(""),
		}, []string{"out/keep.json"}},
		{"a nested .gitignore applies below its directory only", fstest.MapFS{
			"publishers/acme/.gitignore": file("*.tmp\n"), "publishers/acme/apis/x.tmp": file(""), "other/y.tmp": file(""),
		}, []string{"publishers/acme/apis/x.tmp"}},
		{"a nested .gitignore cannot re-include what its parent's ignores", fstest.MapFS{
			".gitignore": file("drafts/\n"), "drafts/.gitignore": file("!*\n"), "drafts/a.cue": file(""),
		}, []string{"drafts/.gitignore", "drafts/a.cue"}},
		{"a symbolic link named .gitignore is not read", fstest.MapFS{
			".gitignore": &fstest.MapFile{Data: []byte("*\n"), Mode: fs.ModeSymlink}, "frontdoor.cue": file(""),
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ignored(t, tc.files); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
