package accesslog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/usage"
)

// Aggregate is one day's anonymised traffic summary, written to
// aggregate-YYYY-MM-DD.json (see usage.Aggregate).
type Aggregate = usage.Aggregate

type groupKey struct {
	env, api, app string
	status        int
}

// dayStats accumulates one day. It is owned by the writer goroutine.
type dayStats struct {
	requests, errors, clientErrors, dropped uint64
	groups                                  map[groupKey]usage.Hist
}

func newDayStats() *dayStats { return &dayStats{groups: make(map[groupKey]usage.Hist)} }

func (d *dayStats) hist(k groupKey) usage.Hist {
	h := d.groups[k]
	if h == nil {
		h = make(usage.Hist)
		d.groups[k] = h
	}
	return h
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
	d.hist(k)[usage.BucketOf(uint64(max(0, e.Latency.Microseconds())))]++
}

// merge adds a previously written aggregate of the same day.
func (d *dayStats) merge(a *Aggregate) {
	d.requests += a.Requests
	d.errors += a.Errors
	d.clientErrors += a.ClientErrors
	d.dropped += a.Dropped
	for _, g := range a.Groups {
		d.hist(groupKey{env: g.Environment, api: g.API, app: g.App, status: g.Status}).AddPairs(g.LatencyBuckets)
	}
}

func (d *dayStats) aggregate(replica, date string) *Aggregate {
	a := &Aggregate{Replica: replica, Date: date, Requests: d.requests, Errors: d.errors, ClientErrors: d.clientErrors, Dropped: d.dropped, Groups: []usage.Group{}}
	for k, h := range d.groups {
		a.Groups = append(a.Groups, usage.NewGroup(k.env, k.api, k.app, k.status, h))
	}
	usage.SortGroups(a.Groups)
	return a
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
