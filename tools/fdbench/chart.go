package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"strings"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// Results are what scripts/bench-gateway.sh records.
type Results struct {
	// Title and Note are printed above and below the bars.
	Title string `json:"title"`
	Note  string `json:"note"`
	// Rate is the fixed request rate of the latency runs.
	Rate    int      `json:"rate"`
	Results []Result `json:"results"`
}

// Result is one contender's numbers.
type Result struct {
	Name  string  `json:"name"`
	RPS   float64 `json:"rps"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// chart draws throughput and p99 latency bars as SVG.
func chart(args []string, stderr io.Writer) error {
	fs := flags("chart", stderr)
	in := fs.String("in", "", "results JSON")
	out := fs.String("o", "", "SVG file to write")
	if err := parse(fs, args, "in", "o"); err != nil {
		return err
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("decoding %s: %w", *in, err)
	}
	if len(r.Results) == 0 {
		return fmt.Errorf("%s: no results", *in)
	}
	return atomicfile.Write(*out, []byte(renderSVG(r)), 0o644)
}

// Layout of the chart, in SVG user units.
const (
	chartWidth = 760
	labelWidth = 90
	barHeight  = 22
	barGap     = 8
	panelGap   = 40
	barSpace   = chartWidth - labelWidth - 110
)

// colors of the bars, by contender.
func color(name string) string {
	switch {
	case strings.HasPrefix(name, "frontdoor"):
		return "#1d70b8"
	case name == "nginx":
		return "#00703c"
	case name == "caddy":
		return "#f47738"
	}
	return "#6f777b"
}

// renderSVG draws one panel per metric, each a bar per contender.
func renderSVG(r Results) string {
	panels := []struct {
		title string
		unit  string
		value func(Result) float64
	}{
		{"Throughput at saturation (wrk), requests/s — higher is better", "req/s", func(x Result) float64 { return x.RPS }},
		{fmt.Sprintf("p99 latency at %d requests/s (vegeta), ms — lower is better", r.Rate), "ms", func(x Result) float64 { return x.P99Ms }},
	}
	n := len(r.Results)
	panelHeight := 28 + n*(barHeight+barGap)
	height := 50 + len(panels)*(panelHeight+panelGap) + 20
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Arial, Helvetica, sans-serif" font-size="13" role="img" aria-labelledby="title">`+"\n", chartWidth, height, chartWidth, height)
	title := r.Title
	if title == "" {
		title = "Gateway benchmark"
	}
	fmt.Fprintf(&sb, `<title id="title">%s</title>`+"\n", html.EscapeString(title))
	fmt.Fprintf(&sb, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&sb, `<text x="10" y="24" font-size="16" font-weight="bold" fill="#0b0c0c">%s</text>`+"\n", html.EscapeString(title))
	y := 50
	for _, p := range panels {
		fmt.Fprintf(&sb, `<text x="10" y="%d" font-weight="bold" fill="#0b0c0c">%s</text>`+"\n", y+14, html.EscapeString(p.title))
		y += 28
		top := 0.0
		for _, x := range r.Results {
			top = max(top, p.value(x))
		}
		for _, x := range r.Results {
			v := p.value(x)
			w := 0.0
			if top > 0 {
				w = v / top * barSpace
			}
			fmt.Fprintf(&sb, `<text x="10" y="%d" fill="#0b0c0c">%s</text>`+"\n", y+barHeight-6, html.EscapeString(x.Name))
			fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelWidth, y, w, barHeight, color(x.Name))
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" fill="#0b0c0c">%s %s</text>`+"\n", float64(labelWidth)+w+6, y+barHeight-6, formatValue(v), p.unit)
			y += barHeight + barGap
		}
		y += panelGap
	}
	if r.Note != "" {
		fmt.Fprintf(&sb, `<text x="10" y="%d" font-size="11" fill="#505a5f">%s</text>`+"\n", y-panelGap+20, html.EscapeString(r.Note))
	}
	sb.WriteString("</svg>\n")
	return sb.String()
}

func formatValue(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
