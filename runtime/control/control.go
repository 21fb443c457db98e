// Package control ties the gateway runtime together: it takes revisions
// from a source, verifies and loads them into the store, swaps the active
// snapshot, persists the last-known-good one, and keeps the status and
// metrics the admin endpoints show.
package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/background"
	"github.com/frontdoor-dev/frontdoor/internal/redact"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// Outcomes of an attempt.
const (
	OutcomeSwapped   = "swapped"   // the candidate is now active
	OutcomeUnchanged = "unchanged" // same digest as the active snapshot
	OutcomeRefused   = "refused"   // see the reason; the active one stays
)

// minFreeInterval spaces the controller's returns of memory to the OS.
const minFreeInterval = 10 * time.Second

// maxLoggedDiagnostics bounds the configuration errors logged per attempt.
const maxLoggedDiagnostics = 20

// Status is what /status shows.
type Status struct {
	Ready       bool           `json:"ready"`
	Active      *ActiveStatus  `json:"active"`
	LastAttempt *AttemptStatus `json:"lastAttempt"`
	Source      *SourceStatus  `json:"source"`
}

// ActiveStatus describes the active snapshot.
type ActiveStatus struct {
	Source     string    `json:"source"`
	Commit     string    `json:"commit,omitempty"`
	Digest     string    `json:"digest"`
	Generation uint64    `json:"generation"`
	LoadedAt   time.Time `json:"loadedAt"`
}

// AttemptStatus describes the last revision offered for activation.
type AttemptStatus struct {
	Source  string    `json:"source"`
	Commit  string    `json:"commit,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
	// Reason is the refusal's reason.
	Reason verify.Reason `json:"reason,omitempty"`
	// Errors are the compile's diagnostics, or the refusal's error.
	Errors []source.Diagnostic `json:"errors,omitempty"`
}

// SourceStatus describes the source's health.
type SourceStatus struct {
	Name        string     `json:"name"`
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

// Options configure a Controller.
type Options struct {
	// Store receives the snapshots; Verifier checks them first.
	Store    *store.Store
	Verifier *verify.Verifier
	// StateDir, when set, persists the last-known-good snapshot.
	StateDir string
	// AllowRollback accepts a lower generation than the active one.
	AllowRollback bool
	// Metrics, when set, are kept up to date.
	Metrics *Metrics
	// Background, when set, runs verification and loading while the
	// gateway is serving requests (Background.Busy): on one goroutine
	// (verify.Candidate.Background) at idle CPU priority, so that requests
	// keep the CPUs. Loads while idle, and the first load, use every CPU.
	Background *background.Runner
	// Prepare, when set, is called with each verified snapshot just before
	// it is swapped in, on the controller's goroutine (activations are
	// serialised): the gateway precomputes its per-snapshot state there so
	// that no request pays for it.
	Prepare func(*store.Snapshot)
	// OnLoad, when set, is called on the controller's goroutine before a
	// candidate snapshot is verified and loaded; the function it returns,
	// if not nil, is called right after the swap (before the snapshot is
	// persisted), or when the candidate is refused or unchanged.
	// Activations are serialised, so calls never overlap. The gateway uses
	// it to give the collector room while a swap holds two snapshots (see
	// cmd/frontdoor): process-wide state this package leaves to its caller.
	OnLoad func() (done func())
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Controller activates revisions. Its methods are safe for concurrent use;
// activations are serialised.
type Controller struct {
	opts Options
	log  *slog.Logger

	apply     sync.Mutex    // serialises activations
	lastFree  time.Time     // guarded by apply
	freeTimer *time.Timer   // guarded by apply: a pending free, see freeOSMemory
	freeEvery time.Duration // minFreeInterval, but in tests
	free      func()        // background.FreeOSMemory, but in tests

	mu     sync.Mutex // guards status
	status Status
}

// New returns a Controller.
func New(opts Options) (*Controller, error) {
	if opts.Store == nil || opts.Verifier == nil {
		return nil, errors.New("controller: store and verifier are required")
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Controller{opts: opts, log: log, freeEvery: minFreeInterval, free: background.FreeOSMemory}, nil
}

// Restore activates the last-known-good snapshot from the state directory,
// verified as any other. It returns an error wrapping fs.ErrNotExist when
// there is none.
func (c *Controller) Restore() error {
	if c.opts.StateDir == "" {
		return fmt.Errorf("no state directory: %w", fs.ErrNotExist)
	}
	raw, sig, meta, err := loadState(c.opts.StateDir)
	if err != nil {
		return err
	}
	c.apply.Lock()
	outcome, err := c.activate(source.Revision{
		Source: "state", Commit: meta.Commit, At: time.Now(),
		Bytes: raw, Signature: sig, Digest: meta.Digest, Compiled: meta.SelfBuilt,
	}, false, false)
	c.apply.Unlock()
	if err != nil {
		return fmt.Errorf("restoring last-known-good snapshot: %w", err)
	}
	if outcome == OutcomeSwapped {
		c.freeOSMemory()
	}
	c.log.Info("restored last-known-good snapshot", "outcome", outcome, "digest", meta.Digest, "commit", meta.Commit)
	return nil
}

// Run runs src and activates what it pushes until ctx is done or the source
// fails for good.
func (c *Controller) Run(ctx context.Context, src source.Source) error {
	c.mu.Lock()
	if c.status.Source == nil || c.status.Source.Name != src.Name() {
		c.status.Source = &SourceStatus{Name: src.Name()}
	}
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	revs := make(chan source.Revision)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, revs) }()
	for {
		select {
		case rev := <-revs:
			c.Apply(rev)
		case err := <-done:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("source %s: %w", src.Name(), err)
		}
	}
}

// Apply handles one revision: records a source error, or verifies and
// activates a snapshot. It returns the outcome ("" for source errors and
// unchanged looks) and the error, if any, and releases the revision
// (source.Revision.Release).
func (c *Controller) Apply(rev source.Revision) (string, error) {
	now := rev.At
	if now.IsZero() {
		now = time.Now()
	}
	switch {
	case rev.Err != nil:
		c.sourceError(rev.Source, rev.Err, now)
		return "", rev.Err
	case rev.Unchanged:
		c.sourceOK(rev.Source, now)
		return "", nil
	}
	c.sourceOK(rev.Source, now)
	defer rev.Release()
	outcome, err := c.load(rev, c.opts.AllowRollback || rev.AllowRollback)
	// A load grows the heap, with the collector paused in the background
	// or under a raised soft limit (OnLoad) otherwise: a cycle now due
	// should not start late, with requests assisting it.
	background.CollectIfDue()
	if outcome == OutcomeSwapped {
		c.freeOSMemory()
	}
	if err != nil && rev.OffHeap() {
		err = detach(err)
	}
	return outcome, err
}

// load activates rev, in the background when the gateway is serving
// requests (Options.Background).
func (c *Controller) load(rev source.Revision, allowRollback bool) (outcome string, err error) {
	c.apply.Lock() // activations are serialised, and a timed free waits for them
	defer c.apply.Unlock()
	if c.opts.Store.Active() == nil || !c.opts.Background.Active() {
		return c.activate(rev, allowRollback, false)
	}
	// The memory limit is raised and restored outside the background work:
	// restoring it there, with the collector paused, could start a
	// collection that waits for the work's idle-priority thread.
	endLoad := c.onLoad()
	defer endLoad()
	c.opts.Background.Do(func() { outcome, err = c.activate(rev, allowRollback, true) })
	return outcome, err
}

// detach returns err without references to an off-heap revision's bytes
// (a decoding error may quote them): its text, under the same refusal.
func detach(err error) error {
	var r *verify.Refusal
	if errors.As(err, &r) {
		return &verify.Refusal{Reason: r.Reason, Err: errors.New(r.Err.Error())}
	}
	return errors.New(err.Error())
}

// activate verifies, loads and swaps in rev. In the background (see
// Options.Background) it leaves Options.OnLoad to its caller.
// c.apply is held.
func (c *Controller) activate(rev source.Revision, allowRollback, background bool) (string, error) {
	start := time.Now()
	attempt := &AttemptStatus{Source: rev.Source, Commit: rev.Commit, At: rev.At}
	if attempt.At.IsZero() {
		attempt.At = start
	}
	if len(rev.Bytes) == 0 {
		// The configuration did not compile.
		attempt.Outcome, attempt.Reason, attempt.Errors = OutcomeRefused, verify.ReasonCompile, slices.Clone(rev.Diagnostics)
		c.refused(attempt)
		c.log.Warn("configuration does not compile; the active snapshot stays", "source", rev.Source, "commit", rev.Commit, "errors", len(rev.Diagnostics))
		for i, d := range rev.Diagnostics {
			if i == maxLoggedDiagnostics {
				c.log.Warn("more configuration errors in /status", "count", len(rev.Diagnostics)-i)
				break
			}
			c.log.Warn("configuration error", "file", d.File, "line", d.Line, "col", d.Col, "code", d.Code, "msg", d.Message, "hint", d.Hint)
		}
		return OutcomeRefused, &verify.Refusal{Reason: verify.ReasonCompile, Err: fmt.Errorf("%d configuration errors", len(rev.Diagnostics))}
	}

	endLoad := func() {}
	if !background {
		endLoad = c.onLoad()
	}
	defer endLoad() // refused or unchanged
	active := c.opts.Store.Active()
	cand := verify.Candidate{
		Bytes: rev.Bytes, Signature: rev.Signature, Digest: rev.Digest, Sum: rev.Sum,
		AllowRollback: allowRollback, SelfBuilt: rev.Compiled,
		Background: background,
	}
	next, err := c.opts.Verifier.Load(cand, active)
	if err != nil {
		attempt.Outcome, attempt.Reason = OutcomeRefused, verify.ReasonOf(err)
		if attempt.Reason == "" {
			attempt.Reason = verify.ReasonDecode
		}
		attempt.Errors = []source.Diagnostic{{Code: string(attempt.Reason), Message: err.Error()}}
		c.refused(attempt)
		c.log.Warn("snapshot refused", "source", rev.Source, "commit", rev.Commit, "reason", attempt.Reason, "err", err)
		return OutcomeRefused, err
	}
	attempt.Digest = next.Digest()
	if next == active {
		attempt.Outcome = OutcomeUnchanged
		c.mu.Lock()
		c.status.LastAttempt = attempt
		c.mu.Unlock()
		return OutcomeUnchanged, nil
	}

	if c.opts.Prepare != nil {
		c.opts.Prepare(next)
	}
	c.opts.Store.Swap(next)
	endLoad()
	took := time.Since(start)
	attempt.Outcome = OutcomeSwapped
	c.mu.Lock()
	c.status.Ready = true
	c.status.LastAttempt = attempt
	c.status.Active = &ActiveStatus{Source: rev.Source, Commit: next.Commit(), Digest: next.Digest(), Generation: next.Generation(), LoadedAt: next.LoadedAt()}
	c.mu.Unlock()
	if m := c.opts.Metrics; m != nil {
		m.swaps.Inc()
		m.swapDuration.Observe(took.Seconds())
		m.activeGeneration.Set(float64(next.Generation()))
	}
	c.log.Info("snapshot activated", "source", rev.Source, "commit", next.Commit(), "generation", next.Generation(), "digest", next.Digest(), "took", took)

	if c.opts.StateDir != "" && rev.Source != "state" {
		err := saveState(c.opts.StateDir, rev.Bytes, rev.Signature, stateMeta{
			Digest: next.Digest(), SelfBuilt: rev.Compiled, Source: rev.Source, Commit: next.Commit(), SavedAt: time.Now(),
		})
		if err != nil {
			// Serving goes on; only a restart would miss this snapshot.
			c.log.Error("persisting last-known-good snapshot", "err", err)
		}
	}
	return OutcomeSwapped, nil
}

// onLoad calls Options.OnLoad and returns a function that ends the load
// (once, however often it is called).
func (c *Controller) onLoad() func() {
	if c.opts.OnLoad == nil {
		return func() {}
	}
	var once sync.Once
	end := c.opts.OnLoad()
	return func() {
		once.Do(func() {
			if end != nil {
				end()
			}
		})
	}
}

func (c *Controller) refused(a *AttemptStatus) {
	c.mu.Lock()
	c.status.LastAttempt = a
	c.mu.Unlock()
	if m := c.opts.Metrics; m != nil {
		m.refusals.WithLabelValues(string(a.Reason)).Inc()
	}
}

func (c *Controller) sourceOK(name string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sourceStatus(name)
	s.LastSuccess = &at
}

func (c *Controller) sourceError(name string, err error, at time.Time) {
	c.mu.Lock()
	s := c.sourceStatus(name)
	s.LastError, s.LastErrorAt = redact.Text(err.Error()), &at
	c.mu.Unlock()
	if m := c.opts.Metrics; m != nil {
		m.sourceErrors.WithLabelValues(name).Inc()
	}
}

// sourceStatus returns the status of the named source; c.mu is held.
func (c *Controller) sourceStatus(name string) *SourceStatus {
	if c.status.Source == nil || c.status.Source.Name != name {
		c.status.Source = &SourceStatus{Name: name}
	}
	return c.status.Source
}

// Status returns a copy of the current status.
func (c *Controller) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	if s.Active != nil {
		a := *s.Active
		s.Active = &a
	}
	if s.LastAttempt != nil {
		a := *s.LastAttempt
		s.LastAttempt = &a
	}
	if s.Source != nil {
		a := *s.Source
		s.Source = &a
	}
	return s
}

// freeOSMemory returns freed memory to the OS after a swap (the load's
// garbage, the raw bytes once persisted and the previous snapshot once the
// requests that started on it end are dead: better collected than kept
// resident at the load's peak), at most once per minFreeInterval and only
// while no requests are being served (Options.Background.Busy): a forced
// collection costs CPU the requests need, and the memory it returns has to
// be faulted in again as they allocate, whereas a gateway serving requests
// allocates enough for the collector and the scavenger to keep its memory
// down by themselves. An idle one allocates too little for that, so a free
// is left pending until the gateway is idle: during a burst of swaps the
// first one frees at once (if idle) and the others leave one free for
// minFreeInterval after the previous one, so that the memory of the
// burst's last swap is returned too. It is called after the background
// work, if any, has ended: a forced collection meanwhile would wait for
// its idle thread.
func (c *Controller) freeOSMemory() {
	c.apply.Lock()
	defer c.apply.Unlock()
	if c.freeTimer != nil {
		return // a free is due, and will see this swap's garbage
	}
	wait := c.freeEvery - time.Since(c.lastFree)
	if wait <= 0 && !c.opts.Background.Serving() {
		c.lastFree = time.Now()
		go c.free()
		return
	}
	c.freeTimer = time.AfterFunc(max(wait, 0), c.freePending)
}

// freePending is the pending free's timer function.
func (c *Controller) freePending() {
	c.apply.Lock()
	if c.opts.Background.Serving() {
		c.freeTimer.Reset(c.freeEvery)
		c.apply.Unlock()
		return
	}
	c.freeTimer = nil
	c.lastFree = time.Now()
	c.apply.Unlock()
	c.free()
}

// Ready reports whether a verified snapshot is active.
func (c *Controller) Ready() bool { return c.opts.Store.Active() != nil }

// ActiveGeneration returns the active snapshot's generation, 0 if none.
func (c *Controller) ActiveGeneration() uint64 {
	if a := c.opts.Store.Active(); a != nil {
		return a.Generation()
	}
	return 0
}

// ActiveCommit returns the active snapshot's commit, "" if none.
func (c *Controller) ActiveCommit() string {
	if a := c.opts.Store.Active(); a != nil {
		return a.Commit()
	}
	return ""
}
