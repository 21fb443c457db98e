// Package repofs is how every stage reads a configuration repository: only
// regular files inside the repository, never through a symbolic link, and
// never more bytes than a limit.
//
// Dir opens a directory as an fs.FS that enforces the rule itself (so that
// every reader of it, CUE files, OpenAPI documents and their $refs, the
// catalogue and the review, is held to it); ReadFile is the one read the
// compiler makes, for any fs.FS (a directory, a git tree, a test map),
// and says why it refused a file with a *RefusedError.
package repofs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Reasons a file is refused; a *RefusedError wraps one of them.
var (
	ErrSymlink    = errors.New("is a symbolic link")
	ErrNotRegular = errors.New("is not a regular file")
	ErrTooLarge   = errors.New("is too large")
)

// RefusedError says which file was refused and why. It never holds any of
// the file's bytes.
type RefusedError struct {
	Path string
	// Through is the symbolic link or irregular entry on the way to Path
	// (Path itself, or one of its parent directories).
	Through string
	Err     error
	// Size and Limit are set for ErrTooLarge (Size may be a lower bound).
	Size, Limit int64
}

func (e *RefusedError) Error() string {
	switch {
	case errors.Is(e.Err, ErrTooLarge):
		return fmt.Sprintf("%s is larger than %d bytes", e.Path, e.Limit)
	case e.Through != "" && e.Through != e.Path:
		return fmt.Sprintf("%s: %s %v", e.Path, e.Through, e.Err)
	}
	return fmt.Sprintf("%s %v", e.Path, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// LimitReader is an fs.FS that reads a file refusing it by the same rules
// as ReadFile, without reading more than max+1 bytes of it.
type LimitReader interface {
	fs.FS
	ReadFileLimit(name string, max int64) ([]byte, error)
}

// ReadFile reads name from fsys if it is a regular file reached without a
// symbolic link and holds at most max bytes (max <= 0: no limit). A
// refused file gives a *RefusedError; other errors are I/O errors.
func ReadFile(fsys fs.FS, name string, max int64) ([]byte, error) {
	if max <= 0 {
		max = 1<<63 - 1
	}
	if lr, ok := fsys.(LimitReader); ok {
		return lr.ReadFileLimit(name, max)
	}
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	if err := checkPath(fsys, name); err != nil {
		return nil, err
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, name, max)
}

// checkPath refuses a path with a symbolic link or an irregular file on
// the way, for a file system that can tell (fs.ReadLinkFS); else it checks
// the file itself with Stat.
func checkPath(fsys fs.FS, name string) error {
	lfs, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		fi, err := fs.Stat(fsys, name)
		if err != nil {
			return err
		}
		return modeErr(name, name, fi.Mode(), true)
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		p := path.Join(parts[:i+1]...)
		fi, err := lfs.Lstat(p)
		if err != nil {
			return err
		}
		if err := modeErr(name, p, fi.Mode(), i == len(parts)-1); err != nil {
			return err
		}
	}
	return nil
}

func modeErr(name, at string, m fs.FileMode, last bool) error {
	switch {
	case m&fs.ModeSymlink != 0:
		return &RefusedError{Path: name, Through: at, Err: ErrSymlink}
	case last && !m.IsRegular(), !last && !m.IsDir():
		return &RefusedError{Path: name, Through: at, Err: ErrNotRegular}
	}
	return nil
}

// ReadFileBuf is ReadFile reading into *buf, which it grows as needed,
// where fsys allows (a directory opened with Dir): a caller reading many
// files one after another then allocates for few of them. The bytes
// returned share *buf's array there, and are valid until it is used again;
// other file systems allocate as ReadFile does and leave *buf alone.
func ReadFileBuf(fsys fs.FS, name string, max int64, buf *[]byte) ([]byte, error) {
	d, ok := fsys.(*dirFS)
	if !ok {
		return ReadFile(fsys, name, max)
	}
	if max <= 0 {
		max = 1<<63 - 1
	}
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return d.readFile(name, max, buf)
}

// readOpen reads an opened file, refusing an irregular or too large one.
func readOpen(f fs.File, name string, max int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, modeErr(name, name, fi.Mode(), true)
	}
	if fi.Size() > max {
		return nil, &RefusedError{Path: name, Through: name, Err: ErrTooLarge, Size: fi.Size(), Limit: max}
	}
	return readAll(name, fi.Size(), max, f.Read, nil)
}

// readAll reads with read until EOF a file whose size was size, refusing
// it once it holds more than max bytes (the size can change while reading:
// never more than max+1 bytes are read). It reads into *buf if buf is not
// nil, growing it as needed.
func readAll(name string, size, max int64, read func([]byte) (int, error), buf *[]byte) ([]byte, error) {
	want := min(size, max-1) + 1
	var b []byte
	if buf != nil && int64(cap(*buf)) >= want {
		b = (*buf)[:0]
	} else {
		b = make([]byte, 0, want)
	}
	b, err := readInto(b, max, read)
	if buf != nil {
		*buf = b[:0]
	}
	switch {
	case err == errOverMax:
		return nil, &RefusedError{Path: name, Through: name, Err: ErrTooLarge, Size: int64(len(b)), Limit: max}
	case err != nil:
		return nil, err
	}
	return b, nil
}

// errOverMax stops readInto past its max.
var errOverMax = errors.New("over the limit")

// readInto appends to b what read reads until EOF, or until b holds more
// than max bytes (errOverMax), and returns b.
func readInto(b []byte, max int64, read func([]byte) (int, error)) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		end := cap(b)
		if rest := max - int64(len(b)); rest < int64(end-len(b)) {
			end = len(b) + int(rest) + 1
		}
		n, err := read(b[len(b):end])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return b, errOverMax
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Dir returns the directory root as a read-only fs.FS that opens only
// directories and regular files inside root, reached without a symbolic
// link (not even one that stays inside root), and never blocks on a FIFO
// or a device: anything else is refused with a *RefusedError. It
// implements fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and LimitReader, and is safe for concurrent use.
func Dir(root string) (fs.FS, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	dir, err := r.Open(".")
	if err != nil {
		r.Close()
		return nil, err
	}
	rc, err := dir.SyscallConn()
	var fd int
	if err == nil {
		err = rc.Control(func(p uintptr) { fd = int(p) })
	}
	if err != nil {
		dir.Close()
		r.Close()
		return nil, err
	}
	return &dirFS{root: r, dir: dir, dirfd: fd, name: root}, nil
}

// dirFS holds the root open for its lifetime; the garbage collector closes
// it when the fs.FS is no longer used.
type dirFS struct {
	root *os.Root
	dir  *os.File // the root directory itself, for openat2
	// dirfd is dir's descriptor: open as long as dir is reachable, which
	// every method using it ensures (runtime.KeepAlive).
	dirfd int
	name  string
}

var (
	_ fs.ReadDirFS   = (*dirFS)(nil)
	_ fs.ReadFileFS  = (*dirFS)(nil)
	_ fs.StatFS      = (*dirFS)(nil)
	_ LimitReader    = (*dirFS)(nil)
	_ fmt.Stringer   = (*dirFS)(nil)
	_ fs.ReadDirFile = (*os.File)(nil)
)

func (d *dirFS) String() string { return d.name }

// Open opens a directory or a regular file.
func (d *dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := d.open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if m := fi.Mode(); !m.IsRegular() && !m.IsDir() {
		f.Close()
		return nil, modeErr(name, name, m, true)
	}
	return f, nil
}

// ReadFileLimit implements LimitReader.
func (d *dirFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return d.readFile(name, max, nil)
}

func (d *dirFS) ReadFile(name string) ([]byte, error) { return d.ReadFileLimit(name, 1<<63-1) }

func (d *dirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	ents, err := rd.ReadDir(-1)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

func (d *dirFS) Stat(name string) (fs.FileInfo, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}

// openChecked is the portable open: each element of name is checked with
// Lstat, then the file is opened inside the root without blocking. A
// symbolic link put in place between the two can only lead inside root.
func (d *dirFS) openChecked(name string) (*os.File, error) {
	if name != "." {
		parts := strings.Split(name, "/")
		for i := range parts {
			p := path.Join(parts[:i+1]...)
			fi, err := d.root.Lstat(p)
			if err != nil {
				return nil, err
			}
			if m := fi.Mode(); m&fs.ModeSymlink != 0 || (i < len(parts)-1 && !m.IsDir()) {
				return nil, modeErr(name, p, m, false)
			}
		}
	}
	return d.root.OpenFile(name, os.O_RDONLY|nonBlock, 0)
}
