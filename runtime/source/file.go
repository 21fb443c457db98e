package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
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
// replacing a file by rename (the safe way to publish one) is seen.
type File struct {
	// Path of the snapshot file.
	Path string
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
		func(ev fsnotify.Event) bool { return relevant[ev.Name] },
		func() (again, ok bool) {
			rev := readSnapshotFile(path)
			rev.Source = f.Name()
			if !digestMatches(&rev) && settling < maxSettleReads {
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
// it (rev.Sum, which it computes if the reader did not). A digest file that
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
	if rev.Sum == "" {
		rev.Sum = snapshot.Digest(rev.Bytes)
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

// readSnapshotFile reads a snapshot with its optional signature and digest.
func readSnapshotFile(path string) Revision {
	b, err := os.ReadFile(path)
	if err != nil {
		return Revision{Err: fmt.Errorf("reading snapshot: %w", err), At: time.Now()}
	}
	rev := Revision{Bytes: b, Sum: snapshot.Digest(b), At: time.Now()}
	if sig, err := os.ReadFile(path + snapshot.SignatureSuffix); err == nil {
		rev.Signature = sig
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Revision{Err: fmt.Errorf("reading signature: %w", err), At: time.Now()}
	}
	if d, err := os.ReadFile(path + DigestSuffix); err == nil {
		// Parsed here, to snapshot.Digest's form, so that the verifier's
		// comparison accepts every spelling this file may have.
		if rev.Digest, err = snapshot.ParseDigest(string(d)); err != nil {
			return Revision{Err: &digestFileError{path: path + DigestSuffix, err: err}, At: time.Now()}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Revision{Err: fmt.Errorf("reading digest: %w", err), At: time.Now()}
	}
	return rev
}
