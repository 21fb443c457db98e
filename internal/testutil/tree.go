package testutil

import (
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

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
