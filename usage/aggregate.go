// Package usage holds the platform's anonymised usage figures: the daily
// aggregate each gateway replica writes, the join of many replicas'
// aggregates without double counting, and the public dataset the catalogue
// publishes, with small counts suppressed.
package usage

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Aggregate is one replica's anonymised traffic summary of one day. It holds
// no identifier of a person: no IP address, path, query, user agent or
// request ID, only counts and latencies by environment, API, app and status.
type Aggregate struct {
	// Replica names the gateway replica that wrote it (serve --replica-id).
	// Two aggregates of the same replica and date are versions of one
	// day's figures, never added together.
	Replica string `json:"replica,omitempty"`
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
	// LatencyBuckets is the latency histogram as [bucket, count] pairs
	// (see Hist), kept so that aggregates can be merged.
	LatencyBuckets [][2]uint64 `json:"latencyBuckets"`
}

// Hist is a latency histogram: count per bucket (see BucketOf).
type Hist map[uint16]uint64

// subBits is the number of mantissa bits per power of two in the latency
// histogram: 32 buckets per doubling, so a bucket's midpoint is within
// about 1.6% of any value in it.
const subBits = 5

// BucketOf maps a latency in microseconds to its histogram bucket: values
// below 2^subBits have a bucket each; above, each power of two is split into
// 2^subBits equal buckets (a log-linear histogram, as in HdrHistogram).
func BucketOf(us uint64) uint16 {
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

// AddPairs adds [bucket, count] pairs, as a Group stores them.
func (h Hist) AddPairs(pairs [][2]uint64) {
	for _, b := range pairs {
		if b[0] <= math.MaxUint16 {
			h[uint16(b[0])] += b[1]
		}
	}
}

// Pairs returns the histogram as sorted [bucket, count] pairs and the total
// count.
func (h Hist) Pairs() ([][2]uint64, uint64) {
	keys := make([]uint16, 0, len(h))
	var n uint64
	for b, c := range h {
		keys = append(keys, b)
		n += c
	}
	slices.Sort(keys)
	pairs := make([][2]uint64, len(keys))
	for i, b := range keys {
		pairs[i] = [2]uint64{uint64(b), h[b]}
	}
	return pairs, n
}

// Percentile returns the q-quantile in milliseconds, rounded to µs, of the
// sorted histogram pairs holding count values: the smallest bucket at which
// at least ceil(q*count) values are reached.
func Percentile(pairs [][2]uint64, count uint64, q float64) float64 {
	if count == 0 || len(pairs) == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(count)))
	var seen uint64
	for _, b := range pairs {
		seen += b[1]
		if seen >= rank {
			return math.Round(bucketMid(uint16(b[0]))) / 1000
		}
	}
	return math.Round(bucketMid(uint16(pairs[len(pairs)-1][0]))) / 1000
}

// NewGroup returns the group of key with histogram h, percentiles filled.
func NewGroup(env, api, app string, status int, h Hist) Group {
	g := Group{Environment: env, API: api, App: app, Status: status}
	g.LatencyBuckets, g.Count = h.Pairs()
	g.P50Ms = Percentile(g.LatencyBuckets, g.Count, 0.50)
	g.P95Ms = Percentile(g.LatencyBuckets, g.Count, 0.95)
	g.P99Ms = Percentile(g.LatencyBuckets, g.Count, 0.99)
	return g
}

// SortGroups sorts groups by (Environment, API, App, Status).
func SortGroups(gs []Group) {
	slices.SortFunc(gs, func(x, y Group) int {
		return cmp.Or(strings.Compare(x.Environment, y.Environment), strings.Compare(x.API, y.API),
			strings.Compare(x.App, y.App), cmp.Compare(x.Status, y.Status))
	})
}
