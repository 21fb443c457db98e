package usage

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Threshold is the smallest count published: below it a count reads
// "fewer than 10", so that no figure singles out one organisation.
const Threshold = 10

// Dataset is the public usage dataset (usage.json, see Schema). Each
// environment's figures stand alone: nothing is totalled across
// environments or across months.
type Dataset struct {
	// Threshold is the smallest count published.
	Threshold uint64 `json:"threshold"`
	// From and Through are the first and last days covered.
	From    string `json:"from"`
	Through string `json:"through"`
	// Environments, sorted by name.
	Environments []EnvironmentUsage `json:"environments"`
}

// EnvironmentUsage is one environment's monthly figures.
type EnvironmentUsage struct {
	Environment string `json:"environment"`
	// Platform is the platform's totals per month, oldest first.
	Platform []Figures `json:"platform"`
	// Publishers and APIs, sorted by ID, each with its months.
	Publishers []Series `json:"publishers"`
	APIs       []Series `json:"apis"`
}

// Series is one publisher's or API's figures per month, oldest first.
type Series struct {
	ID     string    `json:"id"`
	Months []Figures `json:"months"`
}

// Figures are one month's figures. A total (publisher, platform) adds up
// only the parts whose figures are published, so that no subtraction of
// published figures uncovers a suppressed one.
type Figures struct {
	Month    string `json:"month"`
	Requests Count  `json:"requests"`
	// ErrorRate is the share of 5xx responses, and P50Ms and P95Ms the
	// latency percentiles; absent when the requests are not published.
	ErrorRate *float64 `json:"errorRate,omitempty"`
	P50Ms     *float64 `json:"p50Ms,omitempty"`
	P95Ms     *float64 `json:"p95Ms,omitempty"`
	// Organisations is the number of distinct consuming organisations.
	Organisations Count `json:"organisations"`
}

// Count is a published count: a Value, or FewerThan when it is below the
// threshold, or Withheld when publishing it would let a small count be
// worked out from other published counts. Excluded is the number of parts
// a total leaves out because their own figure is not published.
type Count struct {
	Value     *uint64 `json:"value,omitempty"`
	FewerThan uint64  `json:"fewerThan,omitempty"`
	Withheld  bool    `json:"withheld,omitempty"`
	Excluded  int     `json:"excluded,omitempty"`
}

// Shown reports whether the count's value is published.
func (c Count) Shown() bool { return c.Value != nil }

func value(n uint64) Count { return Count{Value: &n} }

// small reports whether n is a count that may not be published.
func small(n uint64) bool { return n > 0 && n < Threshold }

// cell accumulates one API's traffic in one environment and month.
type cell struct {
	requests, errors uint64
	hist             Hist
	orgs             map[string]struct{}
}

// part is a cell or total with its published figures.
type part struct {
	fig  Figures
	cell *cell // the traffic of the shown parts only
}

// Publish computes the public dataset of the aggregates in s.
func Publish(s *Set) *Dataset {
	d := &Dataset{Threshold: Threshold, Environments: []EnvironmentUsage{}}
	// env → month → api → cell
	cells := map[string]map[string]map[string]*cell{}
	for _, a := range s.Aggregates() {
		if d.From == "" || a.Date < d.From {
			d.From = a.Date
		}
		d.Through = max(d.Through, a.Date)
		for _, g := range a.Groups {
			if !snapshot.IsID(g.Environment) || !snapshot.IsQualifiedID(g.API) {
				continue // not routed to an API, or not what a gateway writes
			}
			c := cellOf(cells, g.Environment, a.Date[:7], g.API)
			c.add(&g)
		}
	}
	for _, env := range slices.Sorted(maps.Keys(cells)) {
		d.Environments = append(d.Environments, publishEnvironment(env, cells[env]))
	}
	return d
}

func cellOf(cells map[string]map[string]map[string]*cell, env, month, api string) *cell {
	if cells[env] == nil {
		cells[env] = map[string]map[string]*cell{}
	}
	if cells[env][month] == nil {
		cells[env][month] = map[string]*cell{}
	}
	c := cells[env][month][api]
	if c == nil {
		c = &cell{hist: Hist{}, orgs: map[string]struct{}{}}
		cells[env][month][api] = c
	}
	return c
}

func (c *cell) add(g *Group) {
	c.requests += g.Count
	if g.Status >= 500 {
		c.errors += g.Count
	}
	c.hist.AddPairs(g.LatencyBuckets)
	if org, _, ok := strings.Cut(g.App, "/"); ok && org != "" {
		c.orgs[org] = struct{}{}
	}
}

func publishEnvironment(env string, months map[string]map[string]*cell) EnvironmentUsage {
	eu := EnvironmentUsage{Environment: env, Platform: []Figures{}}
	apis := map[string][]Figures{}
	pubs := map[string][]Figures{}
	for _, month := range slices.Sorted(maps.Keys(months)) {
		byPub := map[string][]part{}
		var apiParts []part
		for _, api := range slices.Sorted(maps.Keys(months[month])) {
			p := publishCell(month, months[month][api])
			apis[api] = append(apis[api], p.fig)
			pub, _, _ := strings.Cut(api, "/")
			byPub[pub] = append(byPub[pub], p)
			apiParts = append(apiParts, p)
		}
		var pubParts []part
		for _, pub := range slices.Sorted(maps.Keys(byPub)) {
			p := publishTotal(month, byPub[pub], byPub[pub])
			pubs[pub] = append(pubs[pub], p.fig)
			pubParts = append(pubParts, p)
		}
		eu.Platform = append(eu.Platform, publishTotal(month, pubParts, append(apiParts, pubParts...)).fig)
	}
	eu.APIs, eu.Publishers = series(apis), series(pubs)
	return eu
}

func series(m map[string][]Figures) []Series {
	out := []Series{}
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Series{ID: id, Months: m[id]})
	}
	return out
}

// publishCell publishes one API's month: a count below the threshold is
// suppressed, and so are the rate and latencies of suppressed requests.
func publishCell(month string, c *cell) part {
	f := Figures{Month: month, Requests: threshold(c.requests), Organisations: threshold(uint64(len(c.orgs)))}
	shown := &cell{hist: Hist{}, orgs: map[string]struct{}{}}
	if f.Requests.Shown() {
		shown.requests, shown.errors, shown.hist = c.requests, c.errors, c.hist
		f.ErrorRate, f.P50Ms, f.P95Ms = rates(shown)
	}
	if f.Organisations.Shown() {
		shown.orgs = c.orgs
	}
	return part{fig: f, cell: shown}
}

// publishTotal totals the shown parts. Its organisation count is a
// distinct count over the parts whose own count is shown; it is withheld
// when it differs by a small count from any published count below it
// (described), or from the sum of its parts' counts.
func publishTotal(month string, parts, described []part) part {
	t := &cell{hist: Hist{}, orgs: map[string]struct{}{}}
	f := Figures{Month: month}
	var partOrgs uint64
	for _, p := range parts {
		f.Requests.Excluded += excludedBy(p.fig.Requests)
		f.Organisations.Excluded += excludedBy(p.fig.Organisations)
		if v := p.fig.Organisations.Value; v != nil {
			partOrgs += *v
		}
		t.requests += p.cell.requests
		t.errors += p.cell.errors
		maps.Copy(t.orgs, p.cell.orgs)
		for b, n := range p.cell.hist {
			t.hist[b] += n
		}
	}
	excluded := f.Requests.Excluded
	f.Requests = value(t.requests)
	f.Requests.Excluded = excluded
	if t.requests > 0 {
		f.ErrorRate, f.P50Ms, f.P95Ms = rates(t)
	}
	excluded = f.Organisations.Excluded
	f.Organisations = threshold(uint64(len(t.orgs)))
	if f.Organisations.Shown() && revealsSmall(uint64(len(t.orgs)), partOrgs, described) {
		f.Organisations = Count{Withheld: true}
		t.orgs = map[string]struct{}{}
	}
	f.Organisations.Excluded = excluded
	return part{fig: f, cell: t}
}

// revealsSmall reports whether publishing the distinct count n would let a
// small count be worked out: n minus a published count below it, or the
// sum of its parts' counts minus n (organisations counted twice).
func revealsSmall(n, sumParts uint64, described []part) bool {
	if sumParts >= n && small(sumParts-n) {
		return true
	}
	for _, p := range described {
		if v := p.fig.Organisations.Value; v != nil && n >= *v && small(n-*v) {
			return true
		}
	}
	return false
}

// excludedBy is the number of API months a part leaves out of a total.
func excludedBy(c Count) int {
	if !c.Shown() {
		return 1 + c.Excluded
	}
	return c.Excluded
}

func threshold(n uint64) Count {
	if small(n) {
		return Count{FewerThan: Threshold}
	}
	return value(n)
}

// rates returns the 5xx share and the latency percentiles of c.
func rates(c *cell) (errRate, p50, p95 *float64) {
	pairs, n := c.hist.Pairs()
	r := math.Round(float64(c.errors)/float64(max(c.requests, 1))*1e4) / 1e4
	a, b := Percentile(pairs, n, 0.50), Percentile(pairs, n, 0.95)
	return &r, &a, &b
}
