package source

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// TreeFS returns a read-only fs.FS over a git tree, read lazily from the
// object store: no checkout. Files carry modTime; symbolic links and
// submodules do not appear. It is safe for concurrent use if the
// repository's storage is.
func TreeFS(tree *object.Tree, modTime time.Time) fs.FS {
	return &treeFS{root: tree, modTime: modTime}
}

type treeFS struct {
	root    *object.Tree
	modTime time.Time
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)

	_ repofs.LimitReader = (*treeFS)(nil)
)

func (t *treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &treeDir{fs: t, tree: t.root, info: t.info(".", filemode.Dir, 0)}, nil
	}
	e, err := t.root.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	switch {
	case e.Mode == filemode.Dir:
		sub, err := t.root.Tree(name)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeDir{fs: t, tree: sub, info: t.info(name, e.Mode, 0)}, nil
	case e.Mode.IsFile() && e.Mode != filemode.Symlink:
		b, err := t.readBlob(e)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeFile{Reader: bytes.NewReader(b), info: t.info(name, e.Mode, int64(len(b)))}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (t *treeFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	e, err := t.root.FindEntry(name)
	if err != nil || !e.Mode.IsFile() || e.Mode == filemode.Symlink {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	b, err := t.readBlob(e)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return b, nil
}

// ReadFileLimit implements repofs.LimitReader: a link or a submodule is
// refused, and a blob larger than max is refused without being read.
func (t *treeFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	e, err := t.root.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	switch {
	case e.Mode == filemode.Symlink:
		return nil, &repofs.RefusedError{Path: name, Through: name, Err: repofs.ErrSymlink}
	case !e.Mode.IsFile():
		return nil, &repofs.RefusedError{Path: name, Through: name, Err: repofs.ErrNotRegular}
	}
	f, err := t.root.TreeEntryFile(e)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	if f.Size > max {
		return nil, &repofs.RefusedError{Path: name, Through: name, Err: repofs.ErrTooLarge, Size: f.Size, Limit: max}
	}
	b, err := t.readBlob(e)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return b, nil
}

func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := f.(*treeDir)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return d.ReadDir(-1)
}

func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return t.info(".", filemode.Dir, 0), nil
	}
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	e, err := t.root.FindEntry(name)
	if err != nil || e.Mode == filemode.Symlink || e.Mode == filemode.Submodule {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	var size int64
	if e.Mode.IsFile() {
		size, _ = t.root.Size(name)
	}
	return t.info(name, e.Mode, size), nil
}

func (t *treeFS) readBlob(e *object.TreeEntry) ([]byte, error) {
	f, err := t.root.TreeEntryFile(e)
	if err != nil {
		return nil, err
	}
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, 0, f.Size)
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (t *treeFS) info(name string, mode filemode.FileMode, size int64) *treeInfo {
	return &treeInfo{name: path.Base(name), mode: mode, size: size, modTime: t.modTime}
}

type treeInfo struct {
	name    string
	mode    filemode.FileMode
	size    int64
	modTime time.Time
}

func (i *treeInfo) Name() string       { return i.name }
func (i *treeInfo) Size() int64        { return i.size }
func (i *treeInfo) ModTime() time.Time { return i.modTime }
func (i *treeInfo) IsDir() bool        { return i.mode == filemode.Dir }
func (i *treeInfo) Sys() any           { return nil }
func (i *treeInfo) Mode() fs.FileMode {
	switch i.mode {
	case filemode.Dir:
		return fs.ModeDir | 0o555
	case filemode.Executable:
		return 0o555
	}
	return 0o444
}

// dirEntry adapts treeInfo.
func (i *treeInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i *treeInfo) Info() (fs.FileInfo, error) { return i, nil }

type treeFile struct {
	*bytes.Reader
	info *treeInfo
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *treeFile) Close() error               { return nil }

type treeDir struct {
	fs   *treeFS
	tree *object.Tree
	info *treeInfo
	off  int
}

var _ fs.ReadDirFile = (*treeDir)(nil)

func (d *treeDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *treeDir) Close() error               { return nil }
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

// ReadDir lists entries in git's order, which is by name (directories
// compare as if suffixed by "/"); fs.ReadDir sorts them again.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for d.off < len(d.tree.Entries) && (n <= 0 || len(out) < n) {
		e := d.tree.Entries[d.off]
		d.off++
		if e.Mode == filemode.Symlink || e.Mode == filemode.Submodule {
			continue
		}
		var size int64
		if e.Mode.IsFile() {
			size, _ = d.tree.Size(e.Name)
		}
		out = append(out, &treeInfo{name: e.Name, mode: e.Mode, size: size, modTime: d.fs.modTime})
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}
