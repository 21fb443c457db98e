//go:build unix

package source

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// offHeapMin is the smallest file readFile reads outside the Go heap (a
// variable for tests).
var offHeapMin int64 = 1 << 20

// readFile reads the file at path and returns its digest (snapshot.Digest)
// too, computed as it reads: each piece is hashed while it is still in the
// CPU's cache, rather than the whole file streamed from memory once more
// afterwards. A large one (a snapshot of thousands of
// APIs is tens of megabytes) is read into memory mapped outside the Go
// heap, and free unmaps it: the bytes are needed only until the snapshot
// is verified, decoded and persisted, and on the heap they would count
// against the gateway's soft memory limit and start a collection, with
// requests assisting it, each time a new snapshot is read while another
// is served. free is nil when the bytes are on the heap.
func readFile(path string) (b []byte, digest string, free func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", nil, err
	}
	n := st.Size()
	onHeap := func() ([]byte, string, func(), error) {
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, "", nil, err
		}
		return b, snapshot.Digest(b), nil, nil
	}
	if n < offHeapMin || n >= 1<<40 {
		return onHeap()
	}
	// One byte more than the size: reading it means the file grew since.
	mapped, err := takeMapping(int(n) + 1)
	if err != nil {
		return onHeap()
	}
	m := mapped[:n+1]
	var once sync.Once
	free = func() { once.Do(func() { giveMapping(mapped) }) }
	h := sha256.New()
	k := 0
	for k < len(m) && err == nil {
		var r int
		r, err = io.ReadFull(f, m[k:min(k+readPiece, len(m))])
		h.Write(m[k : k+r])
		k += r
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return m[:k:k], "sha256:" + hex.EncodeToString(h.Sum(nil)), free, nil
	case err == nil:
		// It grew while being read (a publisher writing it in place):
		// read it whole onto the heap instead.
		free()
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, "", nil, err
		}
		return onHeap()
	default:
		free()
		return nil, "", nil, err
	}
}

// readPiece is how much readFile reads and hashes at a time: well within a
// CPU's cache, and short enough a hash call for the scheduler (see
// snapshot.Digest).
const readPiece = 256 << 10

// A gateway that receives snapshots often (a platform's CI merging one
// change after another) reads one every few seconds. A new mapping costs a
// page fault, and the kernel's zeroing, for every 4 KiB of it: for 46 MiB
// that is about 20 ms of CPU, more than copying the file into it. So the
// mapping of the last snapshot released is kept for the next read, for
// spareFor: a burst of snapshots reuses one mapping, and a gateway that
// receives none keeps none.
var spare struct {
	sync.Mutex
	m     []byte      // a mapping no revision uses, or nil
	timer *time.Timer // unmaps m once it has been spare for spareFor
}

// spareFor is how long a released mapping is kept for the next read.
const spareFor = 2 * time.Second

// takeMapping returns at least n bytes of memory mapped outside the heap:
// the spare mapping when it is large enough and not more than twice that,
// or a new one, with room to grow by 1/16 (a platform's snapshot grows
// with it).
func takeMapping(n int) ([]byte, error) {
	spare.Lock()
	m := spare.m
	spare.m = nil
	spare.Unlock()
	if m != nil && len(m) >= n && len(m) <= 2*n {
		return m, nil
	}
	if m != nil {
		_ = syscall.Munmap(m)
	}
	return syscall.Mmap(-1, 0, n+n/16, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
}

// giveMapping releases m, a mapping takeMapping returned: it becomes the
// spare one, unless there is one already.
func giveMapping(m []byte) {
	spare.Lock()
	defer spare.Unlock()
	if spare.m != nil {
		_ = syscall.Munmap(m)
		return
	}
	spare.m = m
	if spare.timer == nil {
		spare.timer = time.AfterFunc(spareFor, dropSpare)
	} else {
		spare.timer.Reset(spareFor)
	}
}

// dropSpare unmaps the spare mapping.
func dropSpare() {
	spare.Lock()
	defer spare.Unlock()
	if spare.m != nil {
		_ = syscall.Munmap(spare.m)
		spare.m = nil
	}
}
