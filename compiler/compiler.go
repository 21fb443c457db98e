// Package compiler is the compile stage of the pipeline: it loads a
// configuration repository (a directory, or a git commit read straight from
// the object store), checks every file against the embedded CUE schema, builds
// the platform model, checks the governance rules, and emits a canonical,
// content-addressed snapshot.
//
// Compile is the facade; everything else in the package serves it.
package compiler

import (
	"context"
	"io/fs"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Options tune a compile. The zero value is valid.
type Options struct {
	// Commit is recorded in the snapshot (the git commit compiled).
	Commit string
	// Generation is recorded in the snapshot; gateways refuse a lower one.
	Generation uint64
	// Now is the time grants' expiry is checked against (default time.Now).
	Now time.Time
	// Workers bounds parallel file evaluation (default GOMAXPROCS).
	Workers int
	// Progress, if set, is called from time to time with files done/total.
	Progress func(done, total int)
}

// Result is the outcome of a compile. When Diagnostics holds an error,
// Snapshot, Bytes and Digest are empty: invalid config never yields a
// snapshot.
type Result struct {
	// Snapshot is the compiled, normalised, consistent snapshot.
	Snapshot *snapshot.Snapshot
	// Bytes is the snapshot's canonical JSON.
	Bytes []byte
	// Digest is snapshot.Digest(Bytes).
	Digest string
	// Specs maps an API ID to its OpenAPI document's bytes as committed
	// (for the catalogue's reference pages and spec downloads).
	Specs map[string][]byte
	// Diagnostics lists every problem found, sorted and de-duplicated.
	Diagnostics Diagnostics
}

// Compile compiles the configuration repository in fsys. The returned error
// is for I/O and internal failures only (exit code 2); configuration problems
// are in Result.Diagnostics (exit code 1).
func Compile(ctx context.Context, fsys fs.FS, opts Options) (*Result, error) {
	return compile(ctx, fsys, opts)
}
