package repofs

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

const nonBlock = unix.O_NONBLOCK

// open opens name below the root in one openat2 call that refuses any
// symbolic link on the way and any path leaving the root, without
// blocking on a FIFO. Kernels without openat2 get the portable open.
func (d *dirFS) open(name string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	rc, err := d.dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var oerr error
	if err := rc.Control(func(dfd uintptr) {
		for {
			fd, oerr = unix.Openat2(int(dfd), name, &how)
			if oerr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	switch {
	case oerr == nil:
		return os.NewFile(uintptr(fd), name), nil
	case errors.Is(oerr, unix.ENOSYS), errors.Is(oerr, unix.EPERM):
		return d.openChecked(name)
	case errors.Is(oerr, unix.ELOOP), errors.Is(oerr, unix.EXDEV):
		// Name which element is the link, without following it.
		f, err := d.openChecked(name)
		if err != nil {
			return nil, err
		}
		f.Close()
		return nil, &RefusedError{Path: name, Through: name, Err: ErrSymlink}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: oerr}
}
