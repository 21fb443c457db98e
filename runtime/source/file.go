package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// DigestSuffix is appended to a snapshot's file name for a file holding its
// expected digest ("sha256:<hex>", or sha256sum's "<hex>  name", in either
// case: see snapshot.ParseDigest).
const DigestSuffix = ".sha256"

// File reads a built snapshot file, with its signature (Path + ".sig") and
// expected digest (Path + ".sha256") when they exist, and re-reads them when
// any of them changes. It watches the directory, not the files, so that
// replacing a file by rename (the safe way to publish one) is seen. The
// snapshot is hashed through a small buffer and sent as its open file (see
// Revision.File): a swap never holds the whole file in memory.
type File struct {
	// Path of the snapshot file.
	Path string
	// Copies, when set, is a directory where each read of the snapshot is
	// also written, from the buffer it is hashed from, to a new file
	// (Revision.Copy), so that whoever keeps the snapshot keeps the bytes
	// hashed without reading the file again.
	Copies string
	// Debounce defaults to DefaultDebounce.
	Debounce time.Duration
	// Log defaults to slog.Default().
	Log *slog.Logger
}

var _ Source = (*File)(nil)

// Name returns "file".
func (f *File) Name() string { return "file" }

// Run reads the file once, then after every burst of changes to it.
func (f *File) Run(ctx context.Context, out chan<- Revision) error {
	path, w, err := watchParent(f.Name(), f.Path)
	if err != nil {
		return err
	}
	defer w.Close()
	relevant := map[string]bool{path: true, path + snapshot.SignatureSuffix: true, path + DigestSuffix: true}

	settling := 0 // reads in a row whose digest did not match yet
	return watch(ctx, w, f.Name(), cmpOr(f.Debounce, DefaultDebounce), orDefault(f.Log).With("source", f.Name()),
		func(ev fsnotify.Event) bool { return relevant[ev.Name] }, nil,
		func() (again, ok bool) {
			rev := readSnapshotFile(path, f.Copies)
			rev.Source = f.Name()
			if !digestMatches(&rev) && settling < maxSettleReads {
				rev.Close()
				// Most likely a publisher midway through replacing the
				// snapshot and its digest: read again shortly rather than
				// report a mismatch that is about to go away. A digest
				// that stays wrong is sent, and refused, after a few tries;
				// a digest file that stays unreadable is reported then.
				settling++
				return true, true
			}
			settling = 0
			return false, send(ctx, out, rev)
		})
}

// maxSettleReads bounds the re-reads of a snapshot whose digest file does
// not match it yet.
const maxSettleReads = 5

// digestMatches reports whether rev has no digest file or its bytes match
// it (rev.Sum). A digest file that
// does not parse matches nothing: it is as likely to be one being written
// (sha256sum's output redirected to it) as a snapshot not replaced yet.
func digestMatches(rev *Revision) bool {
	var unreadable *digestFileError
	if errors.As(rev.Err, &unreadable) {
		return false
	}
	if rev.Err != nil || rev.Digest == "" {
		return true
	}
	// Both are in snapshot.Digest's form: readSnapshotFile parsed
	// rev.Digest with snapshot.ParseDigest.
	return rev.Sum == rev.Digest
}

// digestFileError is a digest file that snapshot.ParseDigest refuses.
type digestFileError struct {
	path string
	err  error
}

func (e *digestFileError) Error() string { return "reading digest: " + e.path + ": " + e.err.Error() }
func (e *digestFileError) Unwrap() error { return e.err }

// readSnapshotFile opens a snapshot, hashing it through (and copying it
// into copies, when set), and reads its optional signature and digest.
func readSnapshotFile(path, copies string) Revision {
	rev, err := openSnapshot(path, copies)
	if err != nil {
		return Revision{Err: fmt.Errorf("reading snapshot: %w", err), At: time.Now()}
	}
	fail := func(err error) Revision {
		rev.Close()
		return Revision{Err: err, At: time.Now()}
	}
	if sig, err := os.ReadFile(path + snapshot.SignatureSuffix); err == nil {
		rev.Signature = sig
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("reading signature: %w", err))
	}
	if d, err := os.ReadFile(path + DigestSuffix); err == nil {
		// Parsed here, to snapshot.Digest's form, so that the verifier's
		// comparison accepts every spelling this file may have.
		if rev.Digest, err = snapshot.ParseDigest(string(d)); err != nil {
			return fail(&digestFileError{path: path + DigestSuffix, err: err})
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("reading digest: %w", err))
	}
	return rev
}

// tailSize is how many of a snapshot file's last bytes openSnapshot keeps:
// enough for the section digests at its end.
const tailSize = 16 << 10

// openSnapshot opens the snapshot at path and reads it through a small
// buffer: the revision holds the open file, the digest and length of what
// was read, and its last tailSize bytes. The file's bytes are never held
// in memory at once: the verifier reads only what it needs of them again.
// When copies is set, what is hashed is also written to a new file there
// (Revision.Copy); a failure to write it only leaves the revision without
// one.
func openSnapshot(path, copies string) (Revision, error) {
	f, err := os.Open(path)
	if err != nil {
		return Revision{}, err
	}
	var cp *os.File
	if copies != "" {
		cp, _ = os.CreateTemp(copies, "snapshot-*.json")
	}
	h := sha256.New()
	// Pieces as snapshot.Digest hashes them: each hashing call is short.
	buf := make([]byte, 256<<10)
	tail := make([]byte, 0, 2*tailSize)
	var size int64
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if cp != nil {
			if _, werr := cp.Write(buf[:n]); werr != nil {
				discard(cp)
				cp = nil
			}
		}
		size += int64(n)
		if tail = append(tail, buf[max(n-tailSize, 0):n]...); len(tail) > tailSize {
			tail = append(tail[:0], tail[len(tail)-tailSize:]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			discard(cp)
			return Revision{}, err
		}
		// The requests being served go first: a swap is not urgent.
		runtime.Gosched()
	}
	sum := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return Revision{File: f, Copy: cp, Size: size, Sum: sum, Tail: tail, At: time.Now()}, nil
}

// discard closes and removes a copy, if any.
func discard(cp *os.File) {
	if cp != nil {
		cp.Close()
		os.Remove(cp.Name())
	}
}
