package compiler

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
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
	// grants are the outcomes of the grants files, by path, and snap the
	// snapshot they made with the model; both nil unless the compile
	// built a snapshot without encoding it (see reuseGrants).
	grants map[string]grantsKept
	snap   *snapshot.Snapshot
}

// grantsKept is the outcome of one grants file of a compile whose state is
// kept: a later compile with the same model takes it for the same blob.
// Its entitlements are those of the state's snapshot granted by pub to
// apps of org (a grants file's path names both).
type grantsKept struct {
	blob     string
	pub, org string
	diags    Diagnostics
	size     int64 // counted towards the repository's limit
}

// modelInputs digests what the model, the rules and the documents'
// outcomes depend on: every file but the grants files, each by its git
// blob ID, with the compile's identity (build, schema, limits) and
// options. false when the file system does not know every blob ID, or
// the compile is not one whose state is kept.
func (c *compilation) modelInputs(others, specs []layoutFile) ([sha256.Size]byte, bool) {
	var d [sha256.Size]byte
	if c.opts.Cache == nil || c.opts.KeepModel || c.opts.SpecLoaded != nil || (!c.opts.Reusable && c.opts.Prior == nil) {
		return d, false
	}
	h := sha256.New()
	h.Write(c.identity[:])
	fmt.Fprintf(h, "today %s\nnoencode %t\n", c.opts.Now.UTC().Format(time.DateOnly), c.opts.NoEncode)
	var buf []byte
	for _, list := range [][]layoutFile{others, specs} {
		for _, lf := range list {
			if lf.blob == "" {
				return d, false
			}
			buf = appendFile(buf[:0], lf, lf.blob)
			h.Write(buf)
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

// keepGrants keeps the outcomes of grants, which made snapshot s, in the
// state, unless a file's blob ID is not known: a later compile must know
// every file's, reused or not.
func (st *compileState) keepGrants(grants []layoutFile, outcomes []grantsKept, s *snapshot.Snapshot) {
	kept := make(map[string]grantsKept, len(grants))
	for i, lf := range grants {
		if lf.blob == "" {
			return
		}
		g := outcomes[i]
		g.blob = lf.blob
		kept[lf.path] = g
	}
	st.grants, st.snap = kept, s
}

// priorGrants is what a compile takes from its prior's grants files: the
// files it reuses (same path, same blob) and the prior's entitlements of
// every other file, which it leaves out of the prior's snapshot.
type priorGrants struct {
	state  *compileState
	reused []bool // by index of the compile's grants files
	// dropped holds {pub, org} of the prior's grants files not reused.
	dropped map[[2]string]bool
}

// reuseGrants returns which of grants the compile takes from prior's
// state: a file with the same path and blob ID is checked against the
// same model, so its outcome is the same. nil when prior kept no snapshot
// (its grants' entitlements are only there).
func (c *compilation) reuseGrants(prior *compileState, grants []layoutFile) *priorGrants {
	if prior == nil || prior.snap == nil {
		return nil
	}
	pg := &priorGrants{state: prior, reused: make([]bool, len(grants)), dropped: map[[2]string]bool{}}
	taken := make(map[string]bool, len(grants))
	for i, lf := range grants {
		if g, ok := prior.grants[lf.path]; ok && lf.blob != "" && g.blob == lf.blob {
			pg.reused[i], taken[lf.path] = true, true
		}
	}
	for p, g := range prior.grants {
		if !taken[p] {
			pg.dropped[[2]string{g.pub, g.org}] = true
		}
	}
	return pg
}

// take adds the prior's outcome of grants file lf, if reused, to sink.
func (pg *priorGrants) take(c *compilation, i int, lf layoutFile, sink *diagSink) bool {
	if pg == nil || !pg.reused[i] {
		return false
	}
	g := pg.state.grants[lf.path]
	sink.list = append(sink.list, g.diags...)
	c.countReused(g.size)
	return true
}

// snapshot returns the snapshot of the compile: the prior's, sharing every
// section but the entitlements, which are the prior's of the files reused
// and ents, those of the files checked again. Only ents are checked: the
// rest is the prior's, checked when it was built, and the merge keeps the
// order (no entitlement of ents has the key of one kept, which another
// file granted: a key names its app's organisation and its API's
// publisher).
func (pg *priorGrants) snapshot(opts Options, ents []snapshot.Entitlement) (*snapshot.Snapshot, error) {
	base := pg.state.snap
	sorted := snapshot.Snapshot{Entitlements: ents}
	sorted.Normalize() // sorts the entitlements, the only list it has
	ents = sorted.Entitlements
	added := *base
	added.Entitlements = ents
	if err := added.ConsistentEntitlements(); err != nil {
		return nil, fmt.Errorf("internal: compiled snapshot is inconsistent: %w", err)
	}
	// The prior's entitlements of the files reused, merged in order with
	// the others.
	all := make([]snapshot.Entitlement, 0, len(base.Entitlements)+len(ents))
	for _, e := range base.Entitlements {
		org, _, _ := strings.Cut(e.App, "/")
		if pg.dropped[[2]string{e.GrantedBy, org}] {
			continue
		}
		for len(ents) > 0 && snapshot.CompareEntitlements(ents[0], e) < 0 {
			all, ents = append(all, ents[0]), ents[1:]
		}
		all = append(all, e)
	}
	all = append(all, ents...)
	s := *base
	s.Commit, s.Generation, s.Entitlements = opts.Commit, opts.Generation, all
	return &s, nil
}
