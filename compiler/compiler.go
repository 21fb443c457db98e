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

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
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
	// Limits bound file sizes and CUE evaluation (zero fields: defaults).
	Limits Limits
	// Progress, if set, is called from time to time with files done/total.
	Progress func(done, total int)
	// SpecLoaded, if set, is called with an API's OpenAPI document (its
	// bytes, as in Result.Specs) and kin-openapi's model of it, every $ref
	// resolved, once the compiler has loaded and checked it, so that a
	// later stage can use the model instead of parsing the document again
	// (frontdoor build hands it to the catalogue). It is called only for
	// a document of one file that kin-openapi's Loader would read into the
	// same model, whether or not the compile then succeeds; never after
	// Compile returns, but concurrently from the compile's workers. doc
	// must not be modified.
	SpecLoaded func(apiID string, data []byte, doc *openapi3.T)
	// Built, if set, is called once the snapshot of a valid configuration
	// is built and checked, before it is encoded, with what will be
	// Result.Snapshot and Result.Specs, so that a later stage can start on
	// them while the compile encodes the snapshot (frontdoor build starts
	// the catalogue). They must not be modified. If encoding then fails
	// (an internal error), Compile returns that error.
	Built func(s *snapshot.Snapshot, specs map[string][]byte)
	// Cache, if set, keeps each file's evaluation for the next compiles
	// (see Cache): the result is the same as without it.
	Cache *Cache
	// KeepModel keeps the decoded configuration, grants included, in the
	// Result, valid or not, for Result.Access (frontdoor access).
	KeepModel bool
	// NoEncode leaves the snapshot of a valid configuration built and
	// checked but not encoded: Result.Bytes and Result.Digest stay empty,
	// and so do the snapshot's Sections, which encoding sets, and
	// Result.Specs (the snapshot has the documents' digests). For
	// commands that only read the model (validate, diff).
	NoEncode bool
	// Reusable keeps in the Result what a later compile may reuse through
	// Prior (the model, with Cache, of a git tree).
	Reusable bool
	// Prior, if set, is the Result of an earlier compile with Reusable and
	// the same Cache, Now's day and options (diff's base, for its head).
	// When every file but the grants files is the same git blob in both,
	// this compile takes the earlier one's model and the outcomes of its
	// rules and documents instead of computing them again: the result is
	// the same. Prior is only read, and may serve several compiles.
	Prior *Result
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

	// access is the configuration as decoded, with Options.KeepModel.
	access *accessModel
	// state is what a later compile may reuse, with Options.Reusable.
	state *compileState
}

// OpenDir returns the configuration repository in directory dir as an
// fs.FS that opens only directories and regular files inside dir, never
// through a symbolic link and never blocking on a FIFO or a device. Every
// reader of a repository on disk (compile, catalogue, review) should use it.
func OpenDir(dir string) (fs.FS, error) { return repofs.Dir(dir) }

// Compile compiles the configuration repository in fsys. The returned error
// is for I/O and internal failures only (exit code 2); configuration problems
// are in Result.Diagnostics (exit code 1).
func Compile(ctx context.Context, fsys fs.FS, opts Options) (*Result, error) {
	return compile(ctx, fsys, opts)
}

// OpenGit returns a git commit's tree as an fs.FS to compile, with the
// commit's hash and generation (see gitfs.Open).
func OpenGit(repoDir, ref string) (fsys fs.FS, commit string, generation uint64, err error) {
	return gitfs.Open(repoDir, ref)
}
