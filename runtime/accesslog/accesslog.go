// Package accesslog is the last stage of the gateway's request path: it
// records one JSON line per request to daily files, and keeps a daily
// anonymised aggregate.
//
// Lines have the shape log/slog's JSONHandler writes ("time", "msg", then
// the fields), encoded by hand into a reused buffer. Operational errors go
// to a *slog.Logger.
//
// # What is logged
//
// Time, request ID, method, path and query (NHS numbers redacted, see
// Redact), status, latency, bytes out, app, org, API, environment, access
// mode, the client IP truncated to its /24 (IPv4) or /48 (IPv6) and the user
// agent (redacted, truncated). Never a request or response body, never a
// header other than the user agent.
//
// # Files
//
// Lines go to access-YYYY-MM-DD.jsonl in Dir, one file per day (UTC unless
// Options.Location says otherwise). At each day rollover, and on Close, the
// day's aggregate is written to aggregate-YYYY-MM-DD.json (see Aggregate);
// a gateway restarted during a day merges the aggregate it wrote on Close.
// Access files whose day is more than LogRetentionDays before today, and
// aggregates more than AggregateRetentionDays before today, are deleted at
// start and at every rollover. One Logger owns its Dir.
//
// # Cost on the request path
//
// Log only copies the Entry into a bounded channel; a single goroutine
// redacts, encodes, writes and aggregates, in batches (entries reach the
// file within about 10 ms, or at Flush). When the channel is full the entry
// is dropped and counted (Dropped), so logging never blocks a request.
package accesslog

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options.
const (
	DefaultLogRetentionDays       = 90
	DefaultAggregateRetentionDays = 730
	DefaultBuffer                 = 16384
	// maxUserAgent is the longest user agent logged, in bytes.
	maxUserAgent = 256
)

// Entry is one request as the gateway saw it. Path and Query are given
// unredacted: the logger redacts them.
type Entry struct {
	Time      time.Time
	RequestID string
	Method    string
	// Path is the normalised path (pathsafe.Normalize).
	Path string
	// Query is the raw query string, without '?'.
	Query    string
	Status   int
	Latency  time.Duration
	BytesOut int64
	// App, Org and AccessMode are empty when the request was not
	// authenticated; API and Environment when it was not routed.
	App, Org, API, Environment, AccessMode string
	// ClientIP is the full address; the logger truncates it.
	ClientIP  netip.Addr
	UserAgent string
	// TraceID is the W3C trace ID of the request, written as 32 hex
	// digits; the zero ID is not written.
	TraceID [16]byte
}

// Options configure a Logger.
type Options struct {
	// Dir receives the files; it is created if missing.
	Dir string
	// Replica names this gateway in its aggregates, so that merging many
	// replicas' files never counts one day of one replica twice.
	Replica string
	// LogRetentionDays and AggregateRetentionDays are the platform's
	// retention (snapshot.Platform); 0 means the default.
	LogRetentionDays, AggregateRetentionDays int
	// Buffer is the number of entries queued before Log drops; 0 means
	// DefaultBuffer.
	Buffer int
	// Now is the clock that decides the day; nil means time.Now.
	Now func() time.Time
	// Location of day boundaries; nil means UTC.
	Location *time.Location
	// ErrorLog receives write errors (the first of each day); nil
	// means slog.Default().
	ErrorLog *slog.Logger
}

// Logger writes access logs asynchronously. Log is safe for concurrent use
// and never blocks; Flush, SetRetention and Close are safe for concurrent
// use too.
type Logger struct {
	dir      string
	replica  string
	now      func() time.Time
	loc      *time.Location
	errorLog *slog.Logger

	ch     chan Entry
	ctl    chan chan struct{}
	quit   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once

	logDays, aggDays atomic.Int64

	dropped atomic.Uint64

	// Owned by the writer goroutine.
	day         string
	nextDay     time.Time // start of the day after day
	file        *os.File
	buf         *bufio.Writer
	line        []byte // the line being encoded, reused
	stats       *dayStats
	droppedSeen uint64 // dropped counter already attributed to a day
	errLogged   bool
	closeErr    error
}

// New opens today's file in o.Dir, merges today's aggregate if one was
// written, deletes expired files and starts the writer goroutine.
func New(o Options) (*Logger, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("access log: no directory")
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	l := &Logger{
		dir:      o.Dir,
		replica:  o.Replica,
		now:      o.Now,
		loc:      o.Location,
		errorLog: o.ErrorLog,
		ch:       make(chan Entry, cmpOr(o.Buffer, DefaultBuffer)),
		ctl:      make(chan chan struct{}),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.loc == nil {
		l.loc = time.UTC
	}
	if l.errorLog == nil {
		l.errorLog = slog.Default()
	}
	l.SetRetention(o.LogRetentionDays, o.AggregateRetentionDays)
	if err := l.open(l.now()); err != nil {
		return nil, err
	}
	l.removeExpired()
	go l.run()
	return l, nil
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// SetRetention changes the retention, in days, from the next rollover (or
// Flush); 0 means the default. The gateway calls it when a snapshot with a
// new Platform policy is published.
func (l *Logger) SetRetention(logDays, aggregateDays int) {
	l.logDays.Store(int64(cmpOr(logDays, DefaultLogRetentionDays)))
	l.aggDays.Store(int64(cmpOr(aggregateDays, DefaultAggregateRetentionDays)))
}

// Log queues e for writing. It never blocks: when the queue is full, or the
// Logger is closed, e is dropped and counted.
func (l *Logger) Log(e Entry) {
	if l.closed.Load() {
		l.dropped.Add(1)
		return
	}
	select {
	case l.ch <- e:
	default:
		l.dropped.Add(1)
	}
}

// Dropped is the number of entries dropped since New.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Flush waits until every entry queued before the call is written to the
// file, rolling over first if the day changed.
func (l *Logger) Flush() {
	if l.closed.Load() {
		return
	}
	ack := make(chan struct{})
	select {
	case l.ctl <- ack:
		<-ack
	case <-l.done:
	}
}

// Close writes the queued entries and today's aggregate, and closes the
// file. Entries logged after Close are dropped.
func (l *Logger) Close() error {
	l.once.Do(func() {
		l.closed.Store(true)
		close(l.quit)
	})
	<-l.done
	return l.closeErr
}

// rotationCheck is how often the writer checks for a new day when idle.
const rotationCheck = 30 * time.Second

// batchInterval is how long the writer lets entries queue after it woke for
// one: under load it then wakes and writes to the file about once per
// interval rather than once per request (each wake and each write is a
// context switch or a system call that the request path's CPUs pay for).
const batchInterval = 10 * time.Millisecond

func (l *Logger) run() {
	defer close(l.done)
	tick := time.NewTicker(rotationCheck)
	defer tick.Stop()
	batch := time.NewTimer(batchInterval)
	batch.Stop()
	defer batch.Stop()
	// While a batch gathers, recv is nil (the select ignores the queue)
	// and batchC is the batch timer's channel.
	recv := l.ch
	var batchC <-chan time.Time
	for {
		select {
		case e := <-recv:
			l.write(&e)
			l.drain()
			recv = nil
			batch.Reset(batchInterval)
			batchC = batch.C
		case <-batchC:
			l.drain()
			l.flush()
			recv, batchC = l.ch, nil
		case ack := <-l.ctl:
			l.drain()
			l.rollover(l.now())
			l.flush()
			close(ack)
		case <-tick.C:
			if l.file == nil {
				l.nextDay = time.Time{} // retry a file that failed to open
			}
			l.rollover(l.now())
			l.flush()
		case <-l.quit:
			l.drain()
			l.rollover(l.now())
			l.closeErr = l.closeDay()
			return
		}
	}
}

// drain writes the entries queued now.
func (l *Logger) drain() {
	for {
		select {
		case e := <-l.ch:
			l.write(&e)
		default:
			return
		}
	}
}

// rollover moves to a new day's file if t is past the current day, writing
// the old day's aggregate and deleting expired files. It never goes back to
// an earlier day.
func (l *Logger) rollover(t time.Time) {
	if t.Before(l.nextDay) {
		return
	}
	if err := l.closeDay(); err != nil {
		l.fail(err)
	}
	if err := l.open(t); err != nil {
		l.fail(err)
	}
	l.removeExpired()
}

// open opens the access file of t's day for appending and loads that day's
// aggregate.
func (l *Logger) open(t time.Time) error {
	local := t.In(l.loc)
	y, m, d := local.Date()
	day := local.Format(time.DateOnly)
	l.day = day
	l.nextDay = time.Date(y, m, d+1, 0, 0, 0, 0, l.loc)
	l.stats = newDayStats()
	l.errLogged = false
	a, err := readAggregate(l.dir, day)
	if err != nil {
		l.fail(err) // a corrupt aggregate must not stop logging
	} else if a != nil {
		l.stats.merge(a)
	}
	f, err := os.OpenFile(filepath.Join(l.dir, "access-"+day+".jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	l.file = f
	l.buf = bufio.NewWriterSize(f, 64<<10)
	return nil
}

// closeDay flushes and closes the current file and writes its aggregate.
func (l *Logger) closeDay() error {
	if l.file == nil {
		return nil
	}
	d := l.dropped.Load()
	l.stats.dropped += d - l.droppedSeen
	l.droppedSeen = d
	var errs []error
	if err := l.buf.Flush(); err != nil {
		errs = append(errs, err)
	}
	if err := l.file.Close(); err != nil {
		errs = append(errs, err)
	}
	l.file, l.buf = nil, nil
	if err := writeAggregate(l.dir, l.stats.aggregate(l.replica, l.day)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("access log: closing %s: %v", l.day, errs)
	}
	return nil
}

func (l *Logger) flush() {
	if l.buf != nil {
		if err := l.buf.Flush(); err != nil {
			l.fail(err)
		}
	}
}

func (l *Logger) fail(err error) {
	if !l.errLogged {
		l.errorLog.Error("access log", "err", err)
		l.errLogged = true
	}
}

// removeExpired deletes the access files and aggregates past retention.
func (l *Logger) removeExpired() {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.fail(err)
		return
	}
	today := l.now().In(l.loc)
	logCutoff := dayOf(today.AddDate(0, 0, -int(l.logDays.Load())), l.loc)
	aggCutoff := dayOf(today.AddDate(0, 0, -int(l.aggDays.Load())), l.loc)
	for _, de := range entries {
		name := de.Name()
		var day, cutoff string
		switch {
		case strings.HasPrefix(name, "access-") && strings.HasSuffix(name, ".jsonl"):
			day, cutoff = strings.TrimSuffix(strings.TrimPrefix(name, "access-"), ".jsonl"), logCutoff
		case strings.HasPrefix(name, "aggregate-") && strings.HasSuffix(name, ".json"):
			day, cutoff = strings.TrimSuffix(strings.TrimPrefix(name, "aggregate-"), ".json"), aggCutoff
		default:
			continue
		}
		if _, err := time.Parse(time.DateOnly, day); err != nil || day >= cutoff {
			continue
		}
		if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
			l.fail(err)
		}
	}
}

// write redacts, encodes and aggregates one entry.
func (l *Logger) write(e *Entry) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	l.rollover(e.Time)
	if l.buf == nil {
		return // the day's file could not be opened; fail was called
	}
	l.stats.add(e)
	l.line = appendEntry(l.line[:0], e)
	if _, err := l.buf.Write(l.line); err != nil {
		l.fail(err)
	}
}
