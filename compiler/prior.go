package compiler

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// compileState is what a compile lends a later one through Options.Prior:
// everything computed before the grants (the model, the diagnostics of the
// other files' evaluations and of the rules) and after them (the OpenAPI
// documents' outcomes, in the model), for inputs with the same digest.
// It is never written once made.
type compileState struct {
	inputs [sha256.Size]byte
	m      *model
	deps   *grantDeps
	// diags are the diagnostics of every stage but the grants'.
	diags Diagnostics
	// bytes is what those stages counted towards the repository's limit.
	bytes int64
}

// modelInputs digests what the model, the rules and the documents'
// outcomes depend on: every file but the grants files, each by its git
// blob ID, with the compile's identity (build, schema, limits) and
// options. false when the file system does not know every blob ID, or
// the compile is not one whose state is kept.
func (c *compilation) modelInputs(others, specs []layoutFile) ([sha256.Size]byte, bool) {
	var d [sha256.Size]byte
	b, ok := c.fsys.(blobIDs)
	if !ok || c.opts.Cache == nil || c.opts.KeepModel || c.opts.SpecLoaded != nil || (!c.opts.Reusable && c.opts.Prior == nil) {
		return d, false
	}
	h := sha256.New()
	h.Write(c.identity[:])
	fmt.Fprintf(h, "today %s\nnoencode %t\n", c.opts.Now.UTC().Format(time.DateOnly), c.opts.NoEncode)
	for _, list := range [][]layoutFile{others, specs} {
		for _, lf := range list {
			id, ok := b.BlobID(lf.path)
			if !ok {
				return d, false
			}
			fmt.Fprintf(h, "%d %q %q %q %q %s\n", lf.kind, lf.path, lf.pub, lf.api, lf.org, id)
		}
		h.Write([]byte("--\n"))
	}
	h.Sum(d[:0])
	return d, true
}

// reusableFor returns r's state if it was made from the same inputs.
func (r *Result) reusableFor(inputs [sha256.Size]byte, ok bool) *compileState {
	if !ok || r == nil || r.state == nil || r.state.inputs != inputs {
		return nil
	}
	return r.state
}

// countReused counts the bytes of the reused stages towards the
// repository's limit, as reading their files would.
func (c *compilation) countReused(n int64) {
	if c.load.read.Add(n) > c.load.limits.Repository {
		c.load.over.Store(true)
	}
}
