// Package source is the source stage of the gateway runtime: it watches
// where snapshots come from (a git branch, a configuration directory, or a
// built snapshot file) and pushes each new revision on a channel.
//
// Sources never verify or activate anything; the controller does. Sources
// that compile configuration do it in process through an injected
// CompileFunc, so that this package does not link the CUE evaluator.
package source

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Source pushes revisions. Run blocks until ctx is done (returning
// ctx.Err()) or the source cannot work at all; transient failures are
// pushed as revisions with Err set and Run carries on.
type Source interface {
	Run(ctx context.Context, out chan<- Revision) error
	// Name is "git", "dir" or "file".
	Name() string
}

// Triggerer is a source that can be asked to look for a change now (the
// git source, by the webhook).
type Triggerer interface {
	Trigger()
}

// Revision is what a source found. Exactly one of these holds:
//   - Bytes or File is set: a candidate snapshot;
//   - Diagnostics is set: the configuration did not compile;
//   - Err is set: the source failed (fetch, read or internal compile error);
//   - Unchanged: the source looked and found nothing new.
type Revision struct {
	// Source is the source's Name.
	Source string
	// Commit is the git commit, if any.
	Commit string
	// At is when the source produced the revision.
	At time.Time
	// Bytes are the snapshot's canonical JSON.
	Bytes []byte
	// File, when Bytes is nil, holds them instead (the file source): its
	// first Size bytes, read with ReadAt, hash to Sum, and Tail are the
	// last of them, from the same read. Whoever receives the revision
	// closes File.
	File *os.File
	Size int64
	Tail []byte
	// Copy, when set with File, is a new file holding the Size bytes that
	// hashed to Sum, written as they were read (see File.Copies): a copy
	// that later writes to File cannot change. Whoever keeps it renames
	// it; Close removes it otherwise.
	Copy *os.File
	// Signature is the signature file's contents, if any.
	Signature []byte
	// Digest is the expected digest, when the source has one, in
	// snapshot.Digest's form: sources read it with snapshot.ParseDigest,
	// so that it compares equal to the Digest of the bytes it names.
	Digest string
	// Sum is snapshot.Digest(Bytes), when the source computed it (to
	// compare with Digest): the verifier then does not hash again.
	Sum string
	// Compiled is true when this process compiled Bytes from configuration
	// it fetched itself: no signature is expected on them.
	Compiled bool
	// Consistent is true when the compile of Bytes found them consistent
	// (CompileOutput.Consistent).
	Consistent bool
	// AllowRollback accepts a lower generation than the active one for
	// this revision (a force push the source was told to follow).
	AllowRollback bool
	// Diagnostics are the configuration's errors.
	Diagnostics []Diagnostic
	// Err is the source's failure.
	Err error
	// Unchanged reports a successful look that found nothing new.
	Unchanged bool
}

// Diagnostic is one positioned configuration error.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// CompileInput is a configuration tree to compile.
type CompileInput struct {
	// FS is the repository's tree.
	FS fs.FS
	// Commit is the git commit of FS, if any.
	Commit string
	// Generation to record in the snapshot.
	Generation uint64
	// Dir, from the directory source, is the directory FS reads. Changed
	// then lists the paths (slash-separated, relative to Dir) changed
	// since the source's previous compile, unless Rescan: anything may
	// have (the first compile, or events were lost).
	Dir     string
	Changed []string
	Rescan  bool
}

// CompileOutput is a compile's result: Bytes (the configuration is valid;
// Diagnostics may hold warnings), or no Bytes and the Diagnostics saying why.
type CompileOutput struct {
	Bytes       []byte
	Diagnostics []Diagnostic
	// Digest, if set, is snapshot.Digest(Bytes), computed by the compile
	// (the verifier then does not hash them again).
	Digest string
	// Consistent is true when the compile checked the snapshot that Bytes
	// encode with snapshot.Snapshot.Consistent, in this process.
	Consistent bool
}

// CompileFunc compiles a configuration tree into canonical snapshot bytes.
// It returns an error only for I/O and internal failures; configuration
// problems are Diagnostics. cmd/frontdoor injects the compiler.
type CompileFunc func(ctx context.Context, in CompileInput) (CompileOutput, error)

// DefaultDebounce is how long a watching source waits for a burst of file
// changes to end before it acts on the latest state.
const DefaultDebounce = 100 * time.Millisecond

// send delivers r unless ctx is done first (r's file is then closed).
func send(ctx context.Context, out chan<- Revision, r Revision) bool {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	select {
	case out <- r:
		return true
	case <-ctx.Done():
		r.Close()
		return false
	}
}

// Close closes r's file, if it has one, and removes its copy, unless
// renamed.
func (r *Revision) Close() {
	if r.File != nil {
		r.File.Close()
	}
	discard(r.Copy)
}

// compile runs fn and turns its outcome into a revision.
func compile(ctx context.Context, name string, fn CompileFunc, in CompileInput) Revision {
	rev := Revision{Source: name, Commit: in.Commit}
	out, err := fn(ctx, in)
	switch {
	case err != nil:
		rev.Err = err
	case len(out.Bytes) == 0:
		rev.Diagnostics = out.Diagnostics
		if len(rev.Diagnostics) == 0 {
			rev.Diagnostics = []Diagnostic{{Message: "compile produced no snapshot"}}
		}
	default:
		rev.Bytes, rev.Sum = out.Bytes, out.Digest
		rev.Compiled, rev.Consistent = true, out.Consistent
	}
	rev.At = time.Now()
	return rev
}

// trigger is a coalescing wake-up for sources that poll: Trigger (a
// webhook) never blocks, and triggers that arrive while one is pending
// coalesce into one. The zero value is ready to use.
type trigger struct {
	once sync.Once
	ch   chan struct{}
}

// Trigger asks for a look at the source now.
func (t *trigger) Trigger() {
	select {
	case t.triggered() <- struct{}{}:
	default:
	}
}

// triggered returns the channel a pending trigger is received from.
func (t *trigger) triggered() chan struct{} {
	t.once.Do(func() { t.ch = make(chan struct{}, 1) })
	return t.ch
}

// watchParent returns path made absolute and a watcher of its parent
// directory, so that path replaced by a rename, or removed and made again,
// is seen. name names the source in errors.
func watchParent(name, path string) (string, *fsnotify.Watcher, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s source: %w", name, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return "", nil, fmt.Errorf("%s source: creating watcher: %w", name, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		w.Close()
		return "", nil, fmt.Errorf("%s source: watching %s: %w", name, filepath.Dir(abs), err)
	}
	return abs, w, nil
}

// orDefault returns log, or slog.Default() if log is nil.
func orDefault(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}

// watch is the loop of the watching sources (Dir, File): it runs act at
// once, then debounce after the last of every burst of the watcher's events
// that relevant accepts (relevant may also act on one, such as watching a
// new directory). A watcher error means events may have been lost, so it
// counts as a burst too, and is told to lost, if set. act returns again to be run once more, debounce
// later, whatever happens meanwhile; it returns false when the source must
// stop (ctx ended). watch returns when ctx ends or the watcher closes.
func watch(ctx context.Context, w *fsnotify.Watcher, name string, debounce time.Duration, log *slog.Logger,
	relevant func(fsnotify.Event) bool, lost func(), act func() (again, ok bool)) error {
	timer := time.NewTimer(0) // at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return fmt.Errorf("%s source: watcher closed", name)
			}
			if ev.Op != fsnotify.Chmod && relevant(ev) {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return fmt.Errorf("%s source: watcher closed", name)
			}
			log.Warn("watcher error", "err", err)
			if lost != nil {
				lost()
			}
			timer.Reset(debounce)
		case <-timer.C:
			again, ok := act()
			if !ok {
				return ctx.Err()
			}
			if again {
				timer.Reset(debounce)
			}
		}
	}
}
