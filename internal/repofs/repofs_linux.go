package repofs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

const nonBlock = unix.O_NONBLOCK

// open opens name below the root in one openat2 call that refuses any
// symbolic link on the way and any path leaving the root, without
// blocking on a FIFO. Kernels without openat2 get the portable open.
func (d *dirFS) open(name string) (*os.File, error) {
	fd, f, err := d.openat2(name)
	if err != nil || f != nil {
		return f, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// readFile reads a regular file below the root, of at most max bytes, on
// the descriptor openat2 returns: without the os.File around it, which
// would offer the non-blocking descriptor to the poller (two more system
// calls per file, for nothing on a regular file). It reads into *buf if
// buf is not nil (see ReadFileBuf).
func (d *dirFS) readFile(name string, max int64, buf *[]byte) ([]byte, error) {
	fd, f, err := d.openat2(name)
	if err != nil {
		return nil, err
	}
	if f != nil { // the portable open
		defer f.Close()
		return readOpen(f, name, max)
	}
	defer func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		fd = -1                       // closed with f
		return readOpen(f, name, max) // refuses it, naming its kind
	}
	if st.Size > max {
		return nil, &RefusedError{Path: name, Through: name, Err: ErrTooLarge, Size: st.Size, Limit: max}
	}
	return readAll(name, st.Size, max, func(b []byte) (int, error) {
		for {
			n, err := unix.Read(fd, b)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil:
				return 0, &fs.PathError{Op: "read", Path: name, Err: err}
			case n == 0 && len(b) > 0:
				return 0, io.EOF
			}
			return n, nil
		}
	}, buf)
}

// openat2 opens name in one openat2 call that refuses any symbolic link
// and any path leaving the root, returning the descriptor; where the
// kernel cannot, it returns the portable open's file instead.
func (d *dirFS) openat2(name string) (int, *os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, oerr := unix.Openat2(d.dirfd, name, &how)
	for oerr == unix.EINTR {
		fd, oerr = unix.Openat2(d.dirfd, name, &how)
	}
	runtime.KeepAlive(d.dir)
	switch {
	case oerr == nil:
		return fd, nil, nil
	case errors.Is(oerr, unix.ENOSYS), errors.Is(oerr, unix.EPERM):
		f, err := d.openChecked(name)
		return -1, f, err
	case errors.Is(oerr, unix.ELOOP), errors.Is(oerr, unix.EXDEV):
		// Name which element is the link, without following it.
		f, err := d.openChecked(name)
		if err != nil {
			return -1, nil, err
		}
		f.Close()
		return -1, nil, &RefusedError{Path: name, Through: name, Err: ErrSymlink}
	}
	return -1, nil, &fs.PathError{Op: "open", Path: name, Err: oerr}
}
