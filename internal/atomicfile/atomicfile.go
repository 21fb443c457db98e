// Package atomicfile writes files so that readers see either the old
// contents or the new, never a partial file: write a temporary file in the
// same directory, fsync it, rename it over the target, fsync the directory.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write atomically replaces path with data, created with perm.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, bytes.NewReader(data), perm, true)
}

// WriteFrom is Write with the data read from r; an error reading it leaves
// path as it was.
func WriteFrom(path string, r io.Reader, perm os.FileMode) error { return write(path, r, perm, true) }

// WriteUnsynced is Write without the fsyncs: readers still see the old
// contents or the new, but after a crash the file may be missing or
// partial. It is for caches, whose entries are checked when read.
func WriteUnsynced(path string, data []byte, perm os.FileMode) error {
	return write(path, bytes.NewReader(data), perm, false)
}

// WriteFromUnsynced is WriteUnsynced with the data read from r.
func WriteFromUnsynced(path string, r io.Reader, perm os.FileMode) error {
	return write(path, r, perm, false)
}

func write(path string, data io.Reader, perm os.FileMode, sync bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.ReadFrom(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	ok = true
	if !sync {
		return nil
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
