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
	// Prepare, when set, is called with each verified snapshot just before
	// it is swapped in, on the controller's goroutine (activations are
	// serialised): the gateway precomputes its per-snapshot state there so
	// that no request pays for it.
	Prepare func(*store.Snapshot)
	// Swapped, when set, is called on the controller's goroutine after
	// each swap (and the snapshot's persistence): the gateway returns the
	// previous snapshot's memory then, process-wide state this package
	// leaves to its caller.
	Swapped func()
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Controller activates revisions. Its methods are safe for concurrent use;
// activations are serialised.
type Controller struct {
	opts   Options
	log    *slog.Logger
	copies string // see Copies

	apply sync.Mutex // serialises activations

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
	c := &Controller{opts: opts, log: log}
	if opts.StateDir != "" {
		c.copies = emptyIncoming(opts.StateDir)
	}
	return c, nil
}

// Copies returns a directory for a file source's copies of what it reads
// (source.File.Copies): a snapshot activated from one is persisted by
// renaming its copy, not read again. It is "" without a state directory.
func (c *Controller) Copies() string { return c.copies }

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
	outcome, err := c.activate(&source.Revision{
		Source: "state", Commit: meta.Commit, At: time.Now(),
		Bytes: raw, Signature: sig, Digest: meta.Digest, Compiled: meta.SelfBuilt,
	}, false)
	c.apply.Unlock()
	if err != nil {
		return fmt.Errorf("restoring last-known-good snapshot: %w", err)
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
// unchanged looks) and the error, if any.
func (c *Controller) Apply(rev source.Revision) (string, error) {
	defer rev.Close()
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
	c.apply.Lock()
	defer c.apply.Unlock()
	return c.activate(&rev, c.opts.AllowRollback || rev.AllowRollback)
}

// activate verifies, loads and swaps in rev; c.apply is held.
func (c *Controller) activate(rev *source.Revision, allowRollback bool) (string, error) {
	start := time.Now()
	attempt := &AttemptStatus{Source: rev.Source, Commit: rev.Commit, At: rev.At}
	if attempt.At.IsZero() {
		attempt.At = start
	}
	if len(rev.Bytes) == 0 && rev.File == nil {
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

	active := c.opts.Store.Active()
	cand := verify.Candidate{
		Bytes: rev.Bytes, Signature: rev.Signature, Digest: rev.Digest, Sum: rev.Sum,
		AllowRollback: allowRollback, SelfBuilt: rev.Compiled, Consistent: rev.Consistent,
	}
	if rev.File != nil {
		cand.File, cand.Size, cand.Tail = rev.File, rev.Size, rev.Tail
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
		err := saveState(c.opts.StateDir, bytesOf(rev, next.Digest()), rev.Signature, stateMeta{
			Digest: next.Digest(), SelfBuilt: rev.Compiled, Source: rev.Source, Commit: next.Commit(), SavedAt: time.Now(),
		})
		if err != nil {
			// Serving goes on; only a restart would miss this snapshot.
			c.log.Error("persisting last-known-good snapshot", "err", err)
		}
	}
	if c.opts.Swapped != nil {
		c.opts.Swapped()
	}
	return OutcomeSwapped, nil
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
