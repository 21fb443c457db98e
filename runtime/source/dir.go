package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// Dir compiles a configuration directory and recompiles it whenever a file
// in it changes. It watches every directory of the tree (fsnotify is not
// recursive), adds new ones as they appear, and watches the root's parent so
// that a root replaced by rename is noticed. A burst of changes (an editor's
// write-to-temp-and-rename, a git checkout) is coalesced: it compiles once,
// Debounce after the last change, and the latest state wins.
type Dir struct {
	// Root is the configuration repository's directory.
	Root string
	// Compile compiles the tree.
	Compile CompileFunc
	// NextGeneration returns the generation to compile with, typically the
	// active snapshot's plus one.
	NextGeneration func() uint64
	// Debounce defaults to DefaultDebounce.
	Debounce time.Duration
	// Log defaults to slog.Default().
	Log *slog.Logger
}

var _ Source = (*Dir)(nil)

// Name returns "dir".
func (d *Dir) Name() string { return "dir" }

// Run compiles the tree once, then after every burst of changes.
func (d *Dir) Run(ctx context.Context, out chan<- Revision) error {
	root, w, err := watchParent(d.Name(), d.Root)
	if err != nil {
		return err
	}
	defer w.Close()
	log := orDefault(d.Log).With("source", d.Name(), "root", root)
	if err := watchTree(w, root); err != nil {
		return fmt.Errorf("dir source: %w", err)
	}

	// changed collects the paths of the events since the last compile;
	// rescan is set when events may have been lost (and at first).
	var changed []string
	rescan := true
	relevant := func(ev fsnotify.Event) bool {
		if ev.Name == root || !strings.HasPrefix(ev.Name, root+string(filepath.Separator)) {
			if ev.Name == root {
				rescan = true // the root itself replaced
				return true
			}
			return false
		}
		if ev.Has(fsnotify.Create) {
			// Lstat: a link to a directory is not followed (the
			// compile refuses it).
			if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() && !skipDir(fi.Name()) {
				// A new directory (or the root, renamed back in): watch
				// it and everything already in it.
				if err := watchTree(w, ev.Name); err != nil {
					log.Warn("watching new directory", "path", ev.Name, "err", err)
					rescan = true
				}
			}
		}
		// The compile reads hidden files too: their changes are noted,
		// but only a .gitignore's starts a compile (not an editor's swap
		// file).
		rel := filepath.ToSlash(ev.Name[len(root)+1:])
		changed = append(changed, rel)
		return inTree(root, ev.Name) || path.Base(rel) == ".gitignore"
	}
	return watch(ctx, w, d.Name(), cmpOr(d.Debounce, DefaultDebounce), log, relevant, func() { rescan = true }, func() (again, ok bool) {
		gen := uint64(1)
		if d.NextGeneration != nil {
			gen = d.NextGeneration()
		}
		start := time.Now()
		fsys, err := repofs.Dir(root)
		if err != nil {
			return false, send(ctx, out, Revision{Source: d.Name(), Err: fmt.Errorf("opening %s: %w", root, err), At: time.Now()})
		}
		in := CompileInput{FS: fsys, Generation: gen, Dir: root, Changed: changed, Rescan: rescan}
		changed, rescan = nil, false
		rev := compile(ctx, d.Name(), d.Compile, in)
		log.Debug("compiled", "generation", gen, "took", time.Since(start), "diagnostics", len(rev.Diagnostics), "err", rev.Err)
		return false, send(ctx, out, rev)
	})
}

// watchTree watches dir and its subdirectories, but .git.
func watchTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone while walking
			}
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if path != dir && skipDir(e.Name()) {
			return filepath.SkipDir
		}
		if err := w.Add(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("watching %s: %w", path, err)
		}
		return nil
	})
}

// skipDir reports whether a directory named name is not watched: the
// compile never reads .git.
func skipDir(name string) bool { return name == ".git" }

// inTree reports whether path is root or under it, outside hidden
// directories and files (.git, editor swap files such as .x.swp).
func inTree(root, path string) bool {
	if path == root {
		return true
	}
	rel, ok := strings.CutPrefix(path, root+string(filepath.Separator))
	if !ok {
		return false
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	return true
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
