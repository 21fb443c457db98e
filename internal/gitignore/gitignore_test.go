package gitignore

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// ignored walks fsys as the compiler does and lists the files ignored.
func ignored(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var out []string
	err := Walk(fsys, true, func(p string, d fs.DirEntry, ignored bool) error {
		if ignored {
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

// TestAnIgnoredDirectoryIsNotWalkedOutsideGit checks that a directory
// walk (not a git tree) never reads an ignored directory: its files are
// not configuration and may be many (build output).
func TestAnIgnoredDirectoryIsNotWalkedOutsideGit(t *testing.T) {
	fsys := fstest.MapFS{
		".gitignore":         file("/out/\n"),
		"frontdoor.cue":      file("x"),
		"out/snapshot.json":  file("{}"),
		"out/catalog/a.html": file("<p>"),
	}
	var got []string
	for _, keep := range []bool{false, true} {
		got = got[:0]
		if err := Walk(fsys, keep, func(p string, _ fs.DirEntry, _ bool) error { got = append(got, p); return nil }); err != nil {
			t.Fatal(err)
		}
		want := []string{".gitignore", "frontdoor.cue"}
		if keep {
			want = []string{".gitignore", "frontdoor.cue", "out/catalog/a.html", "out/snapshot.json"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("keepIgnored %v: walked %q, want %q", keep, got, want)
		}
	}
}

// TestANestedGitignoreIgnoresNothingOutsideItsDirectory checks what a
// pull request that adds a .gitignore in a directory its author owns
// could try: patterns reaching up, rooted, or matching everywhere apply
// only below that directory.
func TestANestedGitignoreIgnoresNothingOutsideItsDirectory(t *testing.T) {
	for _, pattern := range []string{
		"/publishers/victim/grants/",
		"../../publishers/victim/grants/evil.cue",
		"**/grants/*.cue",
		"*.cue",
		"publishers",
		"/*",
	} {
		fsys := fstest.MapFS{
			"consumers/evil/.gitignore":         file(pattern + "\n"),
			"consumers/evil/consumer.cue":       file("x"),
			"consumers/good/consumer.cue":       file("x"),
			"publishers/victim/grants/evil.cue": file("x"),
			"publishers/victim/publisher.cue":   file("x"),
			"frontdoor.cue":                     file("x"),
		}
		for _, p := range ignored(t, fsys) {
			if !strings.HasPrefix(p, "consumers/evil/") {
				t.Errorf("pattern %q in consumers/evil/.gitignore ignores %s", pattern, p)
			}
		}
	}
}
