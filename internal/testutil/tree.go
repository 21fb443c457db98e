package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// WriteTree writes files (slash-separated path relative to dir → contents)
// under dir, making the directories they need.
func WriteTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(data))
	}
}

// WriteFile writes b to path (mode 0644), making its directory.
func WriteFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadTree reads every file under dir, hidden ones included, with its mode
// into a map keyed by slash-separated path relative to dir.
func ReadTree(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	m, fsys := fstest.MapFS{}, os.DirFS(dir)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		m[p] = &fstest.MapFile{Data: b, Mode: info.Mode()}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
