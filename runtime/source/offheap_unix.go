//go:build unix

package source

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
)

// offHeapMin is the smallest file readFile reads outside the Go heap (a
// variable for tests).
var offHeapMin int64 = 1 << 20

// readFile reads the file at path. A large one (a snapshot of thousands of
// APIs is tens of megabytes) is read into memory mapped outside the Go
// heap, and free unmaps it: the bytes are needed only until the snapshot
// is verified, decoded and persisted, and on the heap they would count
// against the gateway's soft memory limit and start a collection, with
// requests assisting it, each time a new snapshot is read while another
// is served. free is nil when the bytes are on the heap.
func readFile(path string) (b []byte, free func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	n := st.Size()
	if n < offHeapMin || n >= 1<<40 {
		b, err := io.ReadAll(f)
		return b, nil, err
	}
	// One byte more than the size: reading it means the file grew since.
	m, err := syscall.Mmap(-1, 0, int(n)+1, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		b, err := io.ReadAll(f)
		return b, nil, err
	}
	var once sync.Once
	free = func() { once.Do(func() { _ = syscall.Munmap(m) }) }
	k, err := io.ReadFull(f, m)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return m[:k:k], free, nil
	case err == nil:
		// It grew while being read (a publisher writing it in place):
		// read it whole onto the heap instead.
		free()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(f)
		return b, nil, err
	default:
		free()
		return nil, nil, err
	}
}
