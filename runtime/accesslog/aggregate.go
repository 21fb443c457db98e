package accesslog

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// Aggregate is one day's anonymised traffic summary, written to
// aggregate-YYYY-MM-DD.json. It holds no identifier of a person: no IP
// address, path, query, user agent or request ID, only counts and latencies
// by environment, API, app and status.
type Aggregate struct {
	// Date is the day, YYYY-MM-DD.
	Date string `json:"date"`
	// Requests is the number of requests logged that day.
	Requests uint64 `json:"requests"`
	// Errors counts 5xx responses; ClientErrors 4xx responses.
	Errors       uint64 `json:"errors"`
	ClientErrors uint64 `json:"clientErrors"`
	// Dropped counts entries the logger dropped (its buffer was full), so
	// the other counts are lower bounds when it is not zero.
	Dropped uint64 `json:"dropped"`
	// Groups, sorted by (Environment, API, App, Status).
	Groups []Group `json:"groups"`
}

// Group is the traffic of one (environment, API, app, status).
type Group struct {
	Environment string `json:"environment,omitempty"`
	API         string `json:"api,omitempty"`
	App         string `json:"app,omitempty"`
	Status      int    `json:"status"`
	Count       uint64 `json:"count"`
	// Latency percentiles in milliseconds, accurate to about 3%.
	P50Ms float64 `json:"p50Ms"`
	P95Ms float64 `json:"p95Ms"`
	P99Ms float64 `json:"p99Ms"`
	// LatencyBuckets is the latency histogram as [bucket, count] pairs,
	// kept so that a restarted gateway can merge the day's earlier
	// aggregate (see bucketOf).
	LatencyBuckets [][2]uint64 `json:"latencyBuckets"`
}

type groupKey struct {
	env, api, app string
	status        int
}

// dayStats accumulates one day. It is owned by the writer goroutine.
type dayStats struct {
	requests, errors, clientErrors, dropped uint64
	groups                                  map[groupKey]map[uint16]uint64
}

func newDayStats() *dayStats { return &dayStats{groups: make(map[groupKey]map[uint16]uint64)} }

// subBits is the number of mantissa bits per power of two in the latency
// histogram: 32 buckets per doubling, so a bucket's midpoint is within
// about 1.6% of any value in it.
const subBits = 5

// bucketOf maps a latency in microseconds to its histogram bucket: values
// below 2^subBits have a bucket each; above, each power of two is split into
// 2^subBits equal buckets (a log-linear histogram, as in HdrHistogram).
func bucketOf(us uint64) uint16 {
	const sub = 1 << subBits
	if us < sub {
		return uint16(us)
	}
	e := bits.Len64(us) - 1 // ≥ subBits
	mant := us >> (e - subBits)
	return uint16(uint64(e-subBits+1)*sub + mant - sub)
}

// bucketMid is the midpoint in microseconds of bucket b.
func bucketMid(b uint16) float64 {
	const sub = 1 << subBits
	if b < sub {
		return float64(b)
	}
	e := int(b)/sub + subBits - 1
	mant := uint64(b)%sub + sub
	lo := mant << (e - subBits)
	width := uint64(1) << (e - subBits)
	return float64(lo) + float64(width)/2
}

func (d *dayStats) add(e *Entry) {
	d.requests++
	switch {
	case e.Status >= 500:
		d.errors++
	case e.Status >= 400:
		d.clientErrors++
	}
	k := groupKey{env: e.Environment, api: e.API, app: e.App, status: e.Status}
	h := d.groups[k]
	if h == nil {
		h = make(map[uint16]uint64)
		d.groups[k] = h
	}
	h[bucketOf(uint64(max(0, e.Latency.Microseconds())))]++
}

// merge adds a previously written aggregate of the same day.
func (d *dayStats) merge(a *Aggregate) {
	d.requests += a.Requests
	d.errors += a.Errors
	d.clientErrors += a.ClientErrors
	d.dropped += a.Dropped
	for _, g := range a.Groups {
		k := groupKey{env: g.Environment, api: g.API, app: g.App, status: g.Status}
		h := d.groups[k]
		if h == nil {
			h = make(map[uint16]uint64)
			d.groups[k] = h
		}
		for _, b := range g.LatencyBuckets {
			if b[0] <= math.MaxUint16 {
				h[uint16(b[0])] += b[1]
			}
		}
	}
}

func (d *dayStats) aggregate(date string) *Aggregate {
	a := &Aggregate{Date: date, Requests: d.requests, Errors: d.errors, ClientErrors: d.clientErrors, Dropped: d.dropped, Groups: []Group{}}
	for k, h := range d.groups {
		g := Group{Environment: k.env, API: k.api, App: k.app, Status: k.status}
		keys := make([]uint16, 0, len(h))
		for b, n := range h {
			keys = append(keys, b)
			g.Count += n
		}
		slices.Sort(keys)
		g.LatencyBuckets = make([][2]uint64, len(keys))
		for i, b := range keys {
			g.LatencyBuckets[i] = [2]uint64{uint64(b), h[b]}
		}
		g.P50Ms = percentile(g.LatencyBuckets, g.Count, 0.50)
		g.P95Ms = percentile(g.LatencyBuckets, g.Count, 0.95)
		g.P99Ms = percentile(g.LatencyBuckets, g.Count, 0.99)
		a.Groups = append(a.Groups, g)
	}
	slices.SortFunc(a.Groups, func(x, y Group) int {
		return cmp.Or(strings.Compare(x.Environment, y.Environment), strings.Compare(x.API, y.API),
			strings.Compare(x.App, y.App), cmp.Compare(x.Status, y.Status))
	})
	return a
}

// percentile returns the q-quantile in milliseconds, rounded to µs, of the
// histogram buckets (sorted) holding count values: the smallest bucket at
// which at least ceil(q*count) values are reached.
func percentile(buckets [][2]uint64, count uint64, q float64) float64 {
	if count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(count)))
	var seen uint64
	for _, b := range buckets {
		seen += b[1]
		if seen >= rank {
			return math.Round(bucketMid(uint16(b[0]))) / 1000
		}
	}
	return math.Round(bucketMid(uint16(buckets[len(buckets)-1][0]))) / 1000
}

func aggregateName(date string) string { return "aggregate-" + date + ".json" }

// writeAggregate writes a atomically (temporary file, then rename).
func writeAggregate(dir string, a *Aggregate) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding aggregate %s: %w", a.Date, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, aggregateName(a.Date)), append(b, '\n'), 0o640); err != nil {
		return fmt.Errorf("writing aggregate: %w", err)
	}
	return nil
}

// readAggregate reads the aggregate of date, if one was written.
func readAggregate(dir, date string) (*Aggregate, error) {
	b, err := os.ReadFile(filepath.Join(dir, aggregateName(date)))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading aggregate: %w", err)
	}
	var a Aggregate
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("reading aggregate %s: %w", aggregateName(date), err)
	}
	return &a, nil
}

// dayOf formats t's day in loc as YYYY-MM-DD.
func dayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }
