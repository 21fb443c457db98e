package catalog

import (
	"fmt"
	"strconv"

	"github.com/frontdoor-dev/frontdoor/usage"
)

// usageIndex holds the published usage figures by environment and ID, for
// the API, publisher and platform pages (Options.Usage).
type usageIndex struct {
	d    *usage.Dataset
	apis map[string][]usageEnv // by API ID
	pubs map[string][]usageEnv // by publisher ID
}

// usageEnv is one environment's figures of one API, publisher or the
// platform: a table, and a chart of its requests.
type usageEnv struct {
	Environment string
	ID          string // HTML id prefix, unique on the page
	Rows        []usageRow
	Chart       usageChart
}

type usageRow struct {
	Month, Requests, ErrorRate, P50, P95, Organisations string
}

// usageChart is a bar chart of requests per month, drawn as SVG. Bars of
// months whose requests are not published are left out.
type usageChart struct {
	Label         string
	Width, Height int
	Bars          []usageBar
	Max           string
}

type usageBar struct {
	X, Y, W, H int
	Month      string
	Title      string
}

const (
	chartHeight = 120
	barWidth    = 28
	barGap      = 8
)

func newUsageIndex(d *usage.Dataset) *usageIndex {
	if d == nil {
		return nil
	}
	u := &usageIndex{d: d, apis: map[string][]usageEnv{}, pubs: map[string][]usageEnv{}}
	for _, e := range d.Environments {
		for _, s := range e.APIs {
			u.apis[s.ID] = append(u.apis[s.ID], usageEnvOf(e.Environment, s.Months))
		}
		for _, s := range e.Publishers {
			u.pubs[s.ID] = append(u.pubs[s.ID], usageEnvOf(e.Environment, s.Months))
		}
	}
	return u
}

// platform returns the platform's figures per environment.
func (u *usageIndex) platform() []usageEnv {
	var out []usageEnv
	for _, e := range u.d.Environments {
		out = append(out, usageEnvOf(e.Environment, e.Platform))
	}
	return out
}

func (u *usageIndex) forAPI(id string) []usageEnv {
	if u == nil {
		return nil
	}
	return u.apis[id]
}

func (u *usageIndex) forPublisher(id string) []usageEnv {
	if u == nil {
		return nil
	}
	return u.pubs[id]
}

func usageEnvOf(env string, months []usage.Figures) usageEnv {
	ue := usageEnv{Environment: env, ID: "usage-" + env}
	var top uint64
	for _, f := range months {
		if v := f.Requests.Value; v != nil {
			top = max(top, *v)
		}
	}
	ue.Chart = usageChart{
		Label:  fmt.Sprintf("Requests per month in %s", env),
		Width:  max(1, len(months))*(barWidth+barGap) + barGap,
		Height: chartHeight,
		Max:    thousands(top),
	}
	for i, f := range months {
		ue.Rows = append(ue.Rows, usageRow{
			Month: f.Month, Requests: countText(f.Requests), Organisations: countText(f.Organisations),
			ErrorRate: percentText(f.ErrorRate), P50: msText(f.P50Ms), P95: msText(f.P95Ms),
		})
		if v := f.Requests.Value; v != nil && top > 0 {
			h := max(1, int(*v*uint64(chartHeight)/top))
			ue.Chart.Bars = append(ue.Chart.Bars, usageBar{
				X: barGap + i*(barWidth+barGap), Y: chartHeight - h, W: barWidth, H: h,
				Month: f.Month, Title: f.Month + ": " + thousands(*v) + " requests",
			})
		}
	}
	return ue
}

// countText says a published count in words.
func countText(c usage.Count) string {
	var s string
	switch {
	case c.Value != nil:
		s = thousands(*c.Value)
	case c.FewerThan > 0:
		s = "fewer than " + strconv.FormatUint(c.FewerThan, 10)
	default:
		s = "not published"
	}
	if c.Excluded > 0 {
		s += fmt.Sprintf(" (leaves out %d %s too small to publish)", c.Excluded, plural(c.Excluded, "figure", "figures"))
	}
	return s
}

func percentText(r *float64) string {
	if r == nil {
		return "not published"
	}
	return strconv.FormatFloat(*r*100, 'f', 2, 64) + "%"
}

func msText(ms *float64) string {
	if ms == nil {
		return "not published"
	}
	return strconv.FormatFloat(*ms, 'f', 1, 64) + " ms"
}

// thousands formats n with comma separators.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// usagePage is the platform's usage page.
type usagePage struct {
	pageMeta
	Envs      []usageEnv
	Threshold uint64
	From      string
	Through   string
}

func (m *model) usagePage() *usagePage {
	p := &usagePage{pageMeta: m.meta("usage/index.html", "Usage – "+m.title, "usage"),
		Envs: m.usage.platform(), Threshold: m.usage.d.Threshold, From: m.usage.d.From, Through: m.usage.d.Through}
	return p
}
