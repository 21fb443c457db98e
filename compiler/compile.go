package compiler

import (
	"context"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// compile is the pipeline: load → evaluate (parallel) → model → rules →
// grants (parallel, streamed into entitlements) → OpenAPI (parallel) → emit.
func compile(ctx context.Context, fsys fs.FS, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Limits = opts.Limits.withDefaults()
	c := &compilation{fsys: fsys, opts: opts, shapes: newShapes(), load: &loader{fsys: fsys, limits: opts.Limits}}
	if opts.Cache != nil {
		c.identity = evalIdentity(opts.Limits, c.noFast)
	}
	files, err := listFiles(fsys, &c.diags)
	if err != nil {
		return nil, err
	}
	c.withBlobIDs(files)
	c.total = len(files)
	// Grants are most of a large repository: they are evaluated after the
	// model, checked and turned into entitlements file by file, so that
	// their decoded form never accumulates in memory.
	// OpenAPI documents are read and checked with their APIs before the
	// grants: their parsing allocates the most, and the collector then
	// has only the model to trace, not the entitlements as well (the
	// documents' bytes it keeps instead hold no pointers).
	n := [3]int{}
	for _, f := range files {
		switch f.kind {
		case kindGrants:
			n[0]++
		case kindSpec:
			n[1]++
		default:
			n[2]++
		}
	}
	grants, specs, others := make([]layoutFile, 0, n[0]), make([]layoutFile, 0, n[1]), make([]layoutFile, 0, n[2])
	for _, f := range files {
		switch f.kind {
		case kindGrants:
			grants = append(grants, f)
		case kindSpec:
			specs = append(specs, f)
		default:
			others = append(others, f)
		}
	}
	// A prior compile of the same other files and documents lends its
	// model, rules' and documents' outcomes (see Options.Prior).
	inputs, reusable := c.modelInputs(others, specs)
	prior := opts.Prior.reusableFor(inputs, reusable)
	n0, r0 := len(c.diags.list), c.load.read.Load()
	var m *model
	var deps *grantDeps
	if prior != nil {
		m, deps = prior.m, prior.deps
		c.diags.list = append(c.diags.list, prior.diags...)
		c.countReused(prior.bytes)
		c.done.Add(int64(len(others) + len(specs)))
	} else {
		if m, err = c.modelOf(ctx, others, specs); err != nil {
			return nil, err
		}
		deps = c.grantDeps(others)
	}
	if prior == nil {
		if err := c.checkSpecs(ctx, m, specs); err != nil {
			return nil, err
		}
	}
	n1, r1 := len(c.diags.list), c.load.read.Load()
	// The grants files of the prior's compile come with their outcome:
	// only those that changed are checked (see reuseGrants).
	var pg *priorGrants
	if prior != nil && c.opts.NoEncode && c.opts.Built == nil {
		pg = c.reuseGrants(prior, grants)
	}
	keep := prior == nil && reusable && c.opts.Reusable && c.opts.NoEncode
	var outcomes []grantsKept
	if keep {
		outcomes = make([]grantsKept, len(grants))
	}
	perFile := make([][]snapshot.Entitlement, len(grants))
	var kept []*grantsFile
	if c.opts.KeepModel {
		kept = make([]*grantsFile, len(grants))
	}
	if m.platform != nil {
		err = c.pool(ctx, len(grants), func(ev *evaluator, sink *diagSink, i int) error {
			if pg.take(c, i, grants[i], sink) {
				return nil
			}
			n := len(sink.list)
			ents, f, size, err := c.grantsOne(ev, grants[i], sink, m, deps)
			perFile[i] = ents
			if kept != nil {
				kept[i] = f
			}
			if outcomes != nil {
				outcomes[i] = grantsKept{pub: grants[i].pub, org: grants[i].org, diags: sink.list[n:len(sink.list):len(sink.list)], size: size}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	var state *compileState
	switch {
	case prior != nil:
		state = prior
	case reusable && c.opts.Reusable && !c.load.over.Load():
		diags := slices.Clone(c.diags.list[n0:n1])
		if !overBudget(diags) {
			state = &compileState{inputs: inputs, m: m, deps: deps, diags: diags, bytes: r1 - r0}
		}
	}
	res := &Result{}
	if c.opts.Reusable {
		res.state = state
	}
	if c.load.over.Load() {
		// Which files were read before the limit depends on scheduling:
		// only the limit is reported.
		c.diags.list = Diagnostics{c.load.overDiagnostic()}
	}
	c.diags.list.Sort()
	res.Diagnostics = c.diags.list
	if c.opts.KeepModel {
		res.access = newAccessModel(m, grants, kept, c.opts.Now)
	}
	if res.Diagnostics.HasErrors() {
		return res, nil
	}
	ents := sortedEntitlements(grants, perFile)
	if pg != nil {
		res.Specs = map[string][]byte{}
		if res.Snapshot, err = pg.snapshot(c.opts, ents); err != nil {
			return nil, err
		}
		return res, nil
	}
	if err := c.emit(m, ents, res); err != nil {
		return nil, err
	}
	if state != nil && outcomes != nil {
		state.keepGrants(grants, outcomes, res.Snapshot)
	}
	return res, nil
}

// sortedEntitlements returns the entitlements of every grants file, in
// the snapshot's order, emptying perFile. A grants file's entitlements are
// of apps of the organisation its path names (org/app), so the files are
// taken by organisation, and only each organisation's are sorted together.
func sortedEntitlements(grants []layoutFile, perFile [][]snapshot.Entitlement) []snapshot.Entitlement {
	n := 0
	order := make([]int, 0, len(perFile))
	for i, es := range perFile {
		if len(es) > 0 {
			n += len(es)
			order = append(order, i)
		}
	}
	prefix := func(i int) string { return grants[i].org + "/" }
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(prefix(a), prefix(b)) })
	ents := make([]snapshot.Entitlement, 0, n)
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && grants[order[end]].org == grants[order[start]].org {
			end++
		}
		from := len(ents)
		for _, i := range order[start:end] {
			ents = append(ents, perFile[i]...)
			perFile[i] = nil
		}
		slices.SortFunc(ents[from:], snapshot.CompareEntitlements)
		start = end
	}
	return ents
}

// modelOf evaluates the files other than grants and documents, builds the
// model and checks the rules on it.
func (c *compilation) modelOf(ctx context.Context, others, specs []layoutFile) (*model, error) {
	values := make([]any, len(others))
	err := c.pool(ctx, len(others), func(ev *evaluator, sink *diagSink, i int) error {
		v, err := c.evalOne(ev, others[i], sink)
		values[i] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	m := c.buildModel(others, values)
	for _, f := range specs {
		m.specFiles[f.path] = true
	}
	c.checkRules(m)
	return m, nil
}

// compilation is the state of one compile. Only the worker pools run
// concurrently; they write to their own slots and sinks, and read the
// model, which is not written while they run.
type compilation struct {
	fsys   fs.FS
	opts   Options
	load   *loader
	shapes shapes
	diags  diagSink
	// noFast forces CUE evaluation of every file (tests).
	noFast bool
	// identity is what every cache key of the compile covers (see
	// evalIdentity); set when opts.Cache is.
	identity [32]byte
	// keys holds the cache key of each file evaluated with the cache but
	// grants files, by path: what a file's evaluation depends on (see
	// cachedSpec, grantDeps).
	keys   map[string]cacheKey
	keysMu sync.Mutex

	total    int          // files to evaluate, for Progress
	done     atomic.Int64 // files evaluated
	progress sync.Mutex   // serialises calls of opts.Progress
}

// pool runs fn for 0..n-1 on opts.Workers workers, each with its own
// evaluator and diagnostic sink. Results go into slots indexed by i, so the
// outcome does not depend on scheduling.
func (c *compilation) pool(ctx context.Context, n int, fn func(ev *evaluator, sink *diagSink, i int) error) error {
	sinks := make([]diagSink, c.opts.Workers)
	errs := make([]error, c.opts.Workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := newEvaluator(c.shapes, c.opts.Limits, c.noFast)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(ev, &sinks[w], i); err != nil {
					errs[w] = err
					return
				}
				if d := c.done.Add(1); c.opts.Progress != nil && (d%1000 == 0 || int(d) == c.total) {
					c.progress.Lock()
					c.opts.Progress(int(d), c.total)
					c.progress.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, s := range sinks {
		c.diags.list = append(c.diags.list, s.list...)
	}
	return nil
}

// evalOne reads and evaluates one file, or takes its evaluation from
// opts.Cache. The value returned is the caller's own: a cached one is
// decoded afresh for each compile.
func (c *compilation) evalOne(ev *evaluator, lf layoutFile, sink *diagSink) (any, error) {
	v, _, _, err := c.evalRead(ev, lf, sink, &ev.buf, true, nil)
	return v, err
}

// evalSpec reads and scans an OpenAPI document as evalOne does, always
// reading it, into bytes of its own; nil for a file refused.
func (c *compilation) evalSpec(ev *evaluator, lf layoutFile, sink *diagSink) ([]byte, error) {
	src, err := c.load.readLayout(lf, sink, new([]byte))
	if err != nil || src == nil {
		return nil, err
	}
	_, _, _, err = c.evalRead(ev, lf, sink, nil, false, src)
	return src, err
}

// evalRead is evalOne reading into *buf, and returning the bytes read
// (nil if not read) and the file's size. A git blob found in the cache by
// its ID is not read when unread is allowed. src, if not nil, is the file
// already read (and counted) by the caller.
func (c *compilation) evalRead(ev *evaluator, lf layoutFile, sink *diagSink, buf *[]byte, unread bool, src []byte) (any, []byte, int64, error) {
	cache := c.opts.Cache
	var k cacheKey
	keyed, looked := false, false
	if cache != nil {
		// A git blob is known by its ID: unchanged, it is not read.
		if id := lf.blob; id != "" {
			k, keyed = blobKey(&c.identity, lf, id), true
			c.noteKey(lf, k)
			if unread && src == nil {
				looked = true
				if v, size, ok := c.cached(k, lf, sink, true); ok {
					return v, nil, size, nil
				}
			}
		}
	}
	if src == nil {
		var err error
		src, err = c.load.readLayout(lf, sink, buf)
		if err != nil || src == nil {
			return nil, nil, 0, err
		}
	}
	size := int64(len(src))
	if cache == nil {
		v, err := c.evalSource(ev, lf, src, sink)
		return v, src, size, err
	}
	if !keyed {
		k = c.readKey(lf, src)
		c.noteKey(lf, k)
	}
	if !looked {
		if v, _, ok := c.cached(k, lf, sink, false); ok {
			return v, src, size, nil
		}
	}
	n := len(sink.list)
	ev.node = nil
	v, err := c.evalSource(ev, lf, src, sink)
	if err != nil {
		return nil, nil, 0, err
	}
	diags := sink.list[n:len(sink.list):len(sink.list)]
	if overBudget(diags) {
		return v, src, size, nil // depends on timing, not on the file
	}
	cache.putFile(k, size, diags, v, ev.node)
	c.keep(k, v, size, diags)
	return v, src, size, nil
}

// overBudget reports whether diags hold an evaluation over its budget,
// which depends on timing: such an outcome is never cached.
func overBudget(diags Diagnostics) bool {
	for _, d := range diags {
		if d.Code == codeOverBudget {
			return true
		}
	}
	return false
}

// blobIDs is a file system that knows its files' git blob IDs (gitfs).
type blobIDs interface {
	BlobID(name string) (string, bool)
}

// withBlobIDs sets the blob ID of each file, when the file system knows
// them and the compile has a cache (which is keyed by them).
func (c *compilation) withBlobIDs(files []layoutFile) {
	b, ok := c.fsys.(blobIDs)
	if !ok || c.opts.Cache == nil {
		return
	}
	for i := range files {
		files[i].blob, _ = b.BlobID(files[i].path)
	}
}

// cached returns the evaluation under k, if cached, and the file's size.
// Unless the file was read, its size is counted towards the repository's
// limit as readLayout would, and a file over its own limit is left to
// readLayout to report.
func (c *compilation) cached(k cacheKey, lf layoutFile, sink *diagSink, unread bool) (any, int64, bool) {
	v, size, diags, ok := c.getFile(k, lf)
	if !ok {
		return nil, 0, false
	}
	if unread {
		switch c.countUnread(lf, size) {
		case unreadRefused:
			return nil, 0, false
		case unreadOver:
			return nil, size, true
		}
	}
	sink.list = append(sink.list, diags...)
	return v, size, true
}

// unreadCount is what counting an unread file of the cache towards the
// repository's limit gave.
type unreadCount int

const (
	unreadCounted unreadCount = iota // within the limits: the entry stands
	unreadRefused                    // over the file's own limit: read it to report that
	unreadOver                       // the repository is over its limit: nothing is used
)

// countUnread counts a file of size bytes that was not read towards the
// repository's limit, as readLayout would.
func (c *compilation) countUnread(lf layoutFile, size int64) unreadCount {
	if max, _ := c.load.maxFor(lf.kind); size > max {
		return unreadRefused
	}
	if c.load.over.Load() {
		return unreadOver
	}
	if c.load.read.Add(size) > c.load.limits.Repository {
		c.load.over.Store(true)
		return unreadOver
	}
	return unreadCounted
}

// evalSource evaluates one file read. Spec and ignored files are only
// scanned for secrets here; specs are parsed with their API (openapi.go).
func (c *compilation) evalSource(ev *evaluator, lf layoutFile, src []byte, sink *diagSink) (any, error) {
	if lf.kind == kindSpec || lf.kind == kindIgnored || lf.kind == kindSpecPart {
		scanOther(lf.path, src, sink, lf.kind == kindSpec)
		return nil, nil
	}
	return ev.evalFile(lf, src, sink)
}
