package gateway

import (
	"net"
	"syscall"
)

// alive reports whether an idle upstream connection is still open: a
// non-blocking peek finds the end of stream (or a reset) that an upstream
// sends when it closes a keep-alive connection. An idle connection with
// unread bytes is not reusable either.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	open := true
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Only "nothing to read yet" means open and idle: EOF (no
		// error), unread bytes and any other error do not.
		open = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && open
}
