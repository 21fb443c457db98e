package compiler

import (
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// Limits bound what one compile reads and evaluates, so that no input can
// exhaust the time or memory of a compile, a CI run or a gateway. A zero
// field takes its default (DefaultLimits).
type Limits struct {
	// ConfigFile is the size limit of one configuration file (.cue), in
	// bytes.
	ConfigFile int64
	// SpecFile is the size limit of one OpenAPI document and of each file
	// it references, in bytes.
	SpecFile int64
	// Repository is the size limit of all files of the layout together,
	// in bytes.
	Repository int64
	// EvalTime is the time one file's CUE evaluation may take. Plain data
	// files are not evaluated by CUE and have no budget but their size.
	EvalTime time.Duration
	// EvalMemory is how much the heap may grow while one file's CUE
	// evaluation runs, in bytes. The heap is shared by the compile's
	// workers, so this is an upper bound on what a file may use.
	EvalMemory int64
}

// DefaultLimits are the limits of a compile that sets none.
var DefaultLimits = Limits{
	ConfigFile: 1 << 20,
	SpecFile:   8 << 20,
	Repository: 1 << 30,
	EvalTime:   10 * time.Second,
	EvalMemory: 1 << 30,
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ConfigFile > 0 {
		d.ConfigFile = l.ConfigFile
	}
	if l.SpecFile > 0 {
		d.SpecFile = l.SpecFile
	}
	if l.Repository > 0 {
		d.Repository = l.Repository
	}
	if l.EvalTime > 0 {
		d.EvalTime = l.EvalTime
	}
	if l.EvalMemory > 0 {
		d.EvalMemory = l.EvalMemory
	}
	return d
}

// loader is the one place the compiler reads repository files: only
// regular files, never through a symbolic link, within the size limits.
// It is safe for concurrent use.
type loader struct {
	fsys   fs.FS
	limits Limits
	// read counts the bytes of layout files read; over is set once they
	// pass limits.Repository.
	read atomic.Int64
	over atomic.Bool
}

// maxFor is the size limit of a file of kind k.
func (l *loader) maxFor(k fileKind) (int64, string) {
	if k == kindSpec || k == kindSpecPart {
		return l.limits.SpecFile, "--max-spec-file"
	}
	return l.limits.ConfigFile, "--max-config-file"
}

// readLayout reads a file of the layout, counting it towards the
// repository's limit. A refused file is reported in sink and gives nil;
// the error is for I/O. The bytes may be read into *buf (see
// repofs.ReadFileBuf): they are the caller's until it reads the next file.
func (l *loader) readLayout(lf layoutFile, sink *diagSink, buf *[]byte) ([]byte, error) {
	if l.over.Load() {
		return nil, nil
	}
	max, flag := l.maxFor(lf.kind)
	b, err := repofs.ReadFileBuf(l.fsys, lf.path, max, buf)
	if err != nil {
		if reportRefusal(lf.path, pos{}, err, flag, sink) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s: %w", lf.path, err)
	}
	if l.read.Add(int64(len(b))) > l.limits.Repository {
		l.over.Store(true)
		return nil, nil
	}
	return b, nil
}

// overDiagnostic is the one diagnostic of a repository over its limit.
func (l *loader) overDiagnostic() Diagnostic {
	return newDiag(".", pos{}, codeTooLarge, "raise --max-repository if the repository is legitimately this large",
		fmt.Sprintf("the files of the repository are larger than %s together", bytesText(l.limits.Repository)))
}

// reportRefusal reports a refused file in sink, positioned at at in file
// (or at the file itself), and says whether err was a refusal.
func reportRefusal(file string, at pos, err error, flag string, sink *diagSink) bool {
	var re *repofs.RefusedError
	if !errors.As(err, &re) {
		return false
	}
	switch {
	case errors.Is(re.Err, repofs.ErrTooLarge):
		sink.add(file, at, codeTooLarge, "split the file, or raise "+flag+" if it is legitimately this large",
			"%s is larger than the limit of %s", re.Path, bytesText(re.Limit))
	case errors.Is(re.Err, repofs.ErrSymlink):
		sink.add(file, at, codeNotRegular, "commit the file itself, not a symbolic link to it", "%s", refusalText(re, "a symbolic link"))
	default:
		sink.add(file, at, codeNotRegular, "commit a regular file; devices, FIFOs and submodules are not configuration", "%s", refusalText(re, "not a regular file"))
	}
	return true
}

// refusalText says what was not read and why, naming no target of a link.
func refusalText(re *repofs.RefusedError, what string) string {
	if re.Through == "" || re.Through == re.Path {
		return fmt.Sprintf("%s is %s; it is not read", re.Path, what)
	}
	return fmt.Sprintf("%s is not read: %s is %s", re.Path, re.Through, what)
}

// bytesText renders a byte count for people.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
