package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

// startSource runs src and returns its revisions.
func startSource(t *testing.T, src Source) <-chan Revision {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Revision, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = src.Run(ctx, out)
	}()
	t.Cleanup(func() { cancel(); <-done; close(out) })
	return out
}

// startDir runs a directory source on root whose compile hands over what
// it was given, and returns those inputs.
func startDir(t *testing.T, root string) <-chan CompileInput {
	t.Helper()
	ins := make(chan CompileInput, 16)
	revs := startSource(t, &Dir{Root: root, Debounce: 20 * time.Millisecond, Compile: func(_ context.Context, in CompileInput) (CompileOutput, error) {
		ins <- in
		return CompileOutput{Bytes: []byte("{}")}, nil
	}})
	go func() {
		for range revs {
		}
	}()
	return ins
}

func nextInput(t *testing.T, ins <-chan CompileInput) CompileInput {
	t.Helper()
	return testutil.Receive(t, ins, 10*time.Second, "compile")
}

func TestDirSourceTellsTheCompileWhichPathsChanged(t *testing.T) {
	root := t.TempDir()
	testutil.WriteTree(t, root, map[string]string{"frontdoor.cue": "a", "publishers/acme/publisher.cue": "b", ".github/ci.yml": "c"})
	ins := startDir(t, root)
	first := nextInput(t, ins)
	abs, _ := filepath.Abs(root)
	if !first.Rescan || first.Dir != abs {
		t.Fatalf("first compile: got rescan %t, dir %q; want a rescan of %q", first.Rescan, first.Dir, abs)
	}
	for _, tc := range []struct {
		name string
		do   func()
		want []string // among the paths told
	}{
		{"a file written", func() { testutil.WriteFile(t, filepath.Join(root, "frontdoor.cue"), []byte("a2")) }, []string{"frontdoor.cue"}},
		{"a file saved by rename, after a hidden file's change that alone compiles nothing", func() {
			testutil.WriteFile(t, filepath.Join(root, ".github", "ci.yml"), []byte("c2"))
			time.Sleep(100 * time.Millisecond)
			tmp := filepath.Join(root, "publishers", "acme", ".publisher.cue.swp")
			testutil.WriteFile(t, tmp, []byte("b2"))
			if err := os.Rename(tmp, filepath.Join(root, "publishers", "acme", "publisher.cue")); err != nil {
				t.Fatal(err)
			}
		}, []string{".github/ci.yml", "publishers/acme/publisher.cue"}},
		{"a .gitignore", func() { testutil.WriteFile(t, filepath.Join(root, ".gitignore"), []byte("x\n")) }, []string{".gitignore"}},
		{"a directory moved in", func() {
			tmp := t.TempDir()
			testutil.WriteTree(t, tmp, map[string]string{"consumer.cue": "d"})
			if err := os.Rename(tmp, filepath.Join(root, "consumers")); err != nil {
				t.Fatal(err)
			}
		}, []string{"consumers"}},
		{"a file removed", func() {
			if err := os.Remove(filepath.Join(root, "frontdoor.cue")); err != nil {
				t.Fatal(err)
			}
		}, []string{"frontdoor.cue"}},
	} {
		tc.do()
		in := nextInput(t, ins)
		if in.Rescan {
			t.Errorf("%s: a rescan, want the paths", tc.name)
		}
		for _, p := range tc.want {
			if !slices.Contains(in.Changed, p) {
				t.Errorf("%s: told %q, want %q among them", tc.name, in.Changed, p)
			}
		}
	}
}
