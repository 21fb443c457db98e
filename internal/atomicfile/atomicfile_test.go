package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesContentsAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "snapshot.json")
	for _, want := range []string{"first\n", "second, longer contents\n", "3\n"} {
		if err := Write(p, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("got %d entries in the directory, want 1 (no temporary files left)", len(entries))
	}
}

func TestWriteSetsPermissions(t *testing.T) {
	p := filepath.Join(t.TempDir(), "key")
	if err := Write(p, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("got mode %v, want 0600", got)
	}
}

func TestWriteIntoMissingDirectoryFailsWithoutCreatingTarget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "f")
	if err := Write(p, []byte("x"), 0o644); err == nil {
		t.Fatal("got no error writing into a missing directory")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("got %v, want the target not to exist", err)
	}
}
