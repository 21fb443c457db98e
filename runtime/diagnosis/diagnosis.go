// Package diagnosis records an API's live traffic during the capture
// windows the operator opens for fault diagnosis (approvals/diagnosis in
// the configuration, snapshot.Diagnosis): only the requests of the window's
// API, environment and app, only between its start and end, with
// credentials and identity values removed, NHS numbers redacted, bodies
// only where the window allows them (never for special-category data), up
// to the window's size cap. Each record is encrypted with age to the
// operator's public key named in the approval, so that nobody without the
// private key can read it on the gateway's disk, and a window's records are
// deleted once it has been closed for the retention period.
package diagnosis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
	"weak"

	"filippo.io/age"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Defaults for Options.
const (
	DefaultRetention = 7 * 24 * time.Hour
	// DefaultMaxBody is the most bytes of one body recorded.
	DefaultMaxBody = 64 << 10
	// queueLen bounds the records waiting to be written; past it records
	// are dropped and counted.
	queueLen = 1024
)

// Options configure a Recorder. Dir is required.
type Options struct {
	// Dir holds one directory per window; created 0700 if missing.
	Dir string
	// Retention is how long a window's records are kept after it closes.
	Retention time.Duration
	// MaxBody bounds each recorded body.
	MaxBody int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives write errors; nil means slog.Default().
	Log *slog.Logger
}

// Recorder records the exchanges that fall in an open window. It is safe
// for concurrent use.
type Recorder struct {
	opts      Options
	queue     chan job
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex
	windows map[string]*window // by window ID
}

type job struct {
	w   *window
	rec *Record
}

// window is the recording state of one capture window.
type window struct {
	id        string
	api       string
	d         snapshot.Diagnosis
	bodies    bool
	recipient age.Recipient
	end       time.Time

	mu                      sync.Mutex
	used                    int64 // plaintext bytes accepted
	records, dropped, fails int
	seq                     int
}

// New starts a Recorder: it deletes the records of windows closed longer
// than the retention, and keeps doing so every minute until Close.
func New(opts Options) (*Recorder, error) {
	if opts.Dir == "" {
		return nil, errors.New("diagnosis: no directory")
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("diagnosis: %w", err)
	}
	r := &Recorder{opts: opts, queue: make(chan job, queueLen), done: make(chan struct{}), windows: map[string]*window{}}
	r.Sweep()
	r.wg.Add(2)
	go r.write()
	go r.sweepEvery(time.Minute)
	return r, nil
}

// Close writes the queued records and stops the recorder. It may be
// called more than once.
func (r *Recorder) Close() {
	r.closeOnce.Do(func() { close(r.done) })
	r.wg.Wait()
}

// WindowID names a window: its directory on disk and its line in /status.
func WindowID(api string, d *snapshot.Diagnosis) string {
	h := sha256.New()
	for _, s := range []string{api, d.Environment, d.App, d.Start, d.End, d.Recipient} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Match returns the capture of a request to api in env by app (empty when
// anonymous) at now, or nil when no window of the API is open for it. It
// costs nothing for an API without windows.
func (r *Recorder) Match(api *snapshot.API, env, app string, now time.Time) *Capture {
	if r == nil || len(api.Diagnosis) == 0 {
		return nil
	}
	// Start and End are whole seconds in UTC, so comparing the strings
	// compares the times: open from Start (included) to End (excluded).
	t := now.UTC().Format(time.RFC3339)
	for i := range api.Diagnosis {
		d := &api.Diagnosis[i]
		if d.Environment != env || (d.App != "" && d.App != app) || t < d.Start || t >= d.End {
			continue
		}
		w := r.window(api, d)
		if w == nil {
			return nil
		}
		return &Capture{r: r, w: w, start: now}
	}
	return nil
}

// window returns the state of window d of api, made on first use.
func (r *Recorder) window(api *snapshot.API, d *snapshot.Diagnosis) *window {
	id := WindowID(api.ID, d)
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.windows[id]; ok {
		return w
	}
	rcp, err := age.ParseX25519Recipient(d.Recipient)
	if err != nil {
		r.opts.Log.Error("diagnosis window has no valid recipient: nothing recorded", "api", api.ID, "window", id)
		return nil
	}
	end, _ := time.Parse(time.RFC3339, d.End)
	w := &window{id: id, api: api.ID, d: *d, bodies: d.CaptureBodies && !api.SpecialCategory, recipient: rcp, end: end}
	if err := w.writeMeta(r.opts.Dir); err != nil {
		r.opts.Log.Error("diagnosis window cannot be recorded", "api", api.ID, "window", id, "err", err)
		return nil
	}
	r.windows[id] = w
	return w
}

// Window describes a window in public terms (the catalogue lists them): a
// window's directory holds it in plain text, so that a sweep knows when the
// window closed, and /status shows it.
type Window struct {
	API                   string `json:"api"`
	Environment           string `json:"environment"`
	App                   string `json:"app,omitempty"`
	Start                 string `json:"start"`
	End                   string `json:"end"`
	Reason                string `json:"reason"`
	RequesterOrganisation string `json:"requesterOrganisation"`
}

const metaName = "window.json"

func describe(api string, d *snapshot.Diagnosis) Window {
	return Window{API: api, Environment: d.Environment, App: d.App, Start: d.Start, End: d.End,
		Reason: d.Reason, RequesterOrganisation: d.RequesterOrganisation}
}

func (w *window) writeMeta(dir string) error {
	wd := filepath.Join(dir, w.id)
	if err := os.MkdirAll(wd, 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(describe(w.api, &w.d))
	return atomicfile.Write(filepath.Join(wd, metaName), b, 0o600)
}

// enqueue hands a record to the writer, within the window's cap.
func (r *Recorder) enqueue(w *window, rec *Record) {
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	w.mu.Lock()
	if w.used+int64(len(b)) > w.d.MaxBytes {
		w.dropped++
		w.mu.Unlock()
		return
	}
	w.used += int64(len(b))
	w.seq++
	rec.seq = w.seq
	w.mu.Unlock()
	rec.plain = b
	select {
	case r.queue <- job{w, rec}:
	default:
		w.mu.Lock()
		w.dropped++
		w.mu.Unlock()
	}
}

func (r *Recorder) write() {
	defer r.wg.Done()
	for {
		select {
		case j := <-r.queue:
			r.writeRecord(j)
		case <-r.done:
			for {
				select {
				case j := <-r.queue:
					r.writeRecord(j)
				default:
					return
				}
			}
		}
	}
}

// writeRecord encrypts a record to the window's recipient into its own
// file, <window>/<seq>.json.age.
func (r *Recorder) writeRecord(j job) {
	err := func() error {
		p := filepath.Join(r.opts.Dir, j.w.id, fmt.Sprintf("%08d.json.age", j.rec.seq))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		enc, err := age.Encrypt(f, j.w.recipient)
		if err == nil {
			_, err = enc.Write(j.rec.plain)
		}
		if err == nil {
			err = enc.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(p)
		}
		return err
	}()
	j.w.mu.Lock()
	if err != nil {
		j.w.fails++
	} else {
		j.w.records++
	}
	j.w.mu.Unlock()
	if err != nil {
		r.opts.Log.Error("diagnosis record not written", "window", j.w.id, "err", err)
	}
}

func (r *Recorder) sweepEvery(d time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.Sweep()
		case <-r.done:
			return
		}
	}
}

// Sweep deletes the records of every window closed for longer than the
// retention, and anything in the directory that is not a window's.
func (r *Recorder) Sweep() {
	entries, err := os.ReadDir(r.opts.Dir)
	if err != nil {
		r.opts.Log.Error("diagnosis sweep", "err", err)
		return
	}
	now := r.opts.Now()
	for _, e := range entries {
		p := filepath.Join(r.opts.Dir, e.Name())
		var m Window
		b, err := os.ReadFile(filepath.Join(p, metaName))
		end, perr := time.Time{}, json.Unmarshal(b, &m)
		if err == nil && perr == nil {
			end, perr = time.Parse(time.RFC3339, m.End)
		}
		if err != nil || perr != nil || now.After(end.Add(r.opts.Retention)) {
			if err := os.RemoveAll(p); err != nil {
				r.opts.Log.Error("diagnosis sweep", "err", err)
			}
			r.mu.Lock()
			delete(r.windows, e.Name())
			r.mu.Unlock()
		}
	}
}

// WindowStatus is one window in /status.
type WindowStatus struct {
	ID string `json:"id"`
	Window
	Bodies bool `json:"bodies"`
	// State is "scheduled", "open" or "closed".
	State string `json:"state"`
	// Recording is false when the gateway has nowhere to record
	// (serve --diagnosis-dir or --state): nothing is captured.
	Recording bool  `json:"recording"`
	Records   int   `json:"records"`
	Bytes     int64 `json:"bytes"`
	MaxBytes  int64 `json:"maxBytes"`
	Dropped   int   `json:"dropped,omitempty"`
	Failed    int   `json:"failed,omitempty"`
}

// Status describes every window of apis, open, scheduled or closed. A nil
// Recorder reports them as not recording.
func (r *Recorder) Status(apis []*snapshot.API) []WindowStatus {
	clock := time.Now
	if r != nil {
		clock = r.opts.Now
	}
	now := clock().UTC().Format(time.RFC3339)
	out := []WindowStatus{}
	for _, a := range apis {
		for i := range a.Diagnosis {
			d := &a.Diagnosis[i]
			ws := WindowStatus{ID: WindowID(a.ID, d), Window: describe(a.ID, d), Bodies: d.CaptureBodies && !a.SpecialCategory,
				State: "open", MaxBytes: d.MaxBytes, Recording: r != nil}
			switch {
			case now < d.Start:
				ws.State = "scheduled"
			case now >= d.End:
				ws.State = "closed"
			}
			if w := r.known(ws.ID); w != nil {
				w.mu.Lock()
				ws.Records, ws.Bytes, ws.Dropped, ws.Failed = w.records, w.used, w.dropped, w.fails
				w.mu.Unlock()
			}
			out = append(out, ws)
		}
	}
	return out
}

func (r *Recorder) known(id string) *window {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.windows[id]
}

// RoutedAPIs returns the APIs of snap's routes, once each: those whose
// windows can record anything.
func RoutedAPIs(snap *store.Snapshot) []*snapshot.API {
	if snap == nil {
		return nil
	}
	var out []*snapshot.API
	seen := map[string]bool{}
	it, err := snap.Read().Txn().Get(store.TableRoutes, store.IndexID)
	if err != nil {
		return nil
	}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		if a := obj.(*store.Route).API; !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out
}

// Routed remembers RoutedAPIs of the last snapshot it was asked of: a
// snapshot does not change once applied, so a status request does not
// go over all its routes again. It holds the snapshot weakly: a swapped
// out snapshot is not kept alive by it.
type Routed struct {
	mu   sync.Mutex
	snap weak.Pointer[store.Snapshot]
	apis []*snapshot.API
}

// Of returns RoutedAPIs(snap), computed once per snapshot.
func (c *Routed) Of(snap *store.Snapshot) []*snapshot.API {
	if snap == nil {
		return nil
	}
	k := weak.Make(snap)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != k {
		c.snap, c.apis = k, RoutedAPIs(snap)
	}
	return c.apis
}
