package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// txn records what a scaffold operation writes so that rollback can undo
// it: the files and directories it created and the previous contents of
// the files it changed.
type txn struct {
	dir     string
	created []string // in creation order
	trees   []string // directories created by others (git init): removed whole
	isNew   map[string]bool
	saved   map[string]savedFile
}

type savedFile struct {
	data []byte
	mode fs.FileMode
}

func newTxn(dir string) *txn {
	return &txn{dir: dir, isNew: map[string]bool{}, saved: map[string]savedFile{}}
}

// path returns the file system path of a repository-relative one.
func (t *txn) path(rel string) string { return filepath.Join(t.dir, filepath.FromSlash(rel)) }

// mkdirAll creates p and its missing parents, recording each.
func (t *txn) mkdirAll(p string) error {
	var missing []string
	for q := p; ; q = filepath.Dir(q) {
		_, err := os.Lstat(q)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, q)
		if filepath.Dir(q) == q {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			return err
		}
		t.created = append(t.created, missing[i])
	}
	return nil
}

// write writes a repository-relative file, recording what was there.
func (t *txn) write(rel string, data []byte, mode fs.FileMode) error {
	p := t.path(rel)
	if err := t.mkdirAll(filepath.Dir(p)); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", rel, err)
	}
	if _, seen := t.saved[p]; !seen && !t.isNew[p] {
		fi, err := os.Lstat(p)
		switch {
		case err == nil && !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		case err == nil:
			old, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			t.saved[p] = savedFile{old, fi.Mode().Perm()}
		case errors.Is(err, fs.ErrNotExist):
			t.isNew[p] = true
			t.created = append(t.created, p)
		default:
			return err
		}
	}
	if err := atomicfile.Write(p, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return nil
}

// rollback undoes everything recorded, newest first.
func (t *txn) rollback() {
	for p, s := range t.saved {
		_ = atomicfile.Write(p, s.data, s.mode)
	}
	for i := len(t.trees) - 1; i >= 0; i-- {
		_ = os.RemoveAll(t.trees[i])
	}
	for i := len(t.created) - 1; i >= 0; i-- {
		_ = os.Remove(t.created[i])
	}
}
