package catalog

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestShortTextsRenderTheSameFromTheCache(t *testing.T) {
	m := newMarkdown()
	for _, src := range []string{"Not found.", "The item's ID, **bold** <script>x</script>", "# Heading\n\ntext"} {
		for _, top := range []int{3, 6} {
			want := m.convert(src, top)
			if got := m.render(src, top); got != want {
				t.Errorf("render(%q, %d) = %q, want %q", src, top, got, want)
			}
			if got := m.render(src, top); got != want {
				t.Errorf("render(%q, %d) from the cache = %q, want %q", src, top, got, want)
			}
		}
	}
	if got := m.render("# Heading", 3); !strings.Contains(string(got), "<h3") {
		t.Errorf("got %q, want the heading demoted to h3", got)
	}
	if got := m.render("# Heading", 5); !strings.Contains(string(got), "<h5") {
		t.Errorf("got %q from the cache of another level, want h5", got)
	}
}

func TestTheMarkdownCacheIsBounded(t *testing.T) {
	m := newMarkdown()
	for i := range maxCachedTexts + 100 {
		m.render("text "+strconv.Itoa(i), 4)
	}
	m.render(strings.Repeat("long ", maxCachedText), 4)
	if n := len(m.cached); n != maxCachedTexts {
		t.Errorf("got %d texts cached, want %d", n, maxCachedTexts)
	}
}

func TestHeadingLevelsInDescriptionsNeverSkip(t *testing.T) {
	heading := regexp.MustCompile(`<h(\d)`)
	tests := []struct {
		src  string
		top  int
		want string
	}{
		{"## Overview\n\ntext\n\n#### Detail\n\ntext", 4, "4 5"},
		{"# A\n\n### B\n\n###### C\n\n## D", 3, "3 5 6 4"},
		{"### Only\n\ntext", 3, "3"},
		{"## A\n\n### B\n\n#### C\n\n##### D\n\n###### E", 4, "4 5 6 6 6"},
	}
	m := newMarkdown()
	for _, tc := range tests {
		var got []string
		for _, h := range heading.FindAllStringSubmatch(string(m.render(tc.src, tc.top)), -1) {
			got = append(got, h[1])
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("render(%q, %d): got levels %q, want %q", tc.src, tc.top, g, tc.want)
		}
	}
}

func TestSafeHTMLInMarkdownIsKeptAndTheRestDropped(t *testing.T) {
	tests := []struct {
		src       string
		keep, not []string
	}{
		{`Read <a href="https://example.org/statuses">about statuses</a>.`, []string{`<a href="https://example.org/statuses"`, "about statuses</a>"}, nil},
		{"one<br>two<br/>three", []string{"one<br>two<br/>three"}, nil},
		{"<table><tr><th>A</th></tr><tr><td>1</td><td>2</td></tr></table>", []string{"<table>", "<th>A</th>", "<td>1</td><td>2</td>"}, nil},
		{"<ul><li>x</li></ul> and <em>y</em> <strong>z</strong>", []string{"<ul>", "<li>x</li>", "<em>y</em>", "<strong>z</strong>"}, nil},
		{`<script>alert("x")</script>after`, []string{"after"}, []string{"script", "alert"}},
		{`<a href="javascript:alert(1)">j</a>`, nil, []string{"javascript", "href"}},
		{`<a href="https://example.org" onclick="alert(1)" onmouseover="x()">o</a>`, []string{`href="https://example.org"`}, []string{"onclick", "onmouseover", "alert"}},
		{`<img src="https://example.org/x.png" onerror="alert(1)">`, nil, []string{"<img", "onerror"}},
		{`<iframe src="https://example.org"></iframe><style>p{}</style>`, nil, []string{"iframe", "style"}},
		{`<a href="data:text/html,x">d</a>`, nil, []string{"data:"}},
	}
	m := newMarkdown()
	for _, tc := range tests {
		got := string(m.convert(tc.src, 4))
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("convert(%q) = %q, want %q kept", tc.src, got, k)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("convert(%q) = %q, want no %q", tc.src, got, n)
			}
		}
	}
}

func TestLinksAroundDroppedImagesKeepAName(t *testing.T) {
	tests := []struct{ src, want string }{
		{`<a href="https://example.org/run"><img src="https://example.org/b.svg" alt="Run in Postman"></a>`, `>Run in Postman</a>`},
		{`<a href="https://example.org/run"><img src="https://example.org/b.svg"></a>`, `>https://example.org/run</a>`},
		{`[![Badge](https://example.org/b.svg)](https://example.org/go)`, `>Badge</a>`},
	}
	m := newMarkdown()
	for _, tc := range tests {
		if got := string(m.convert(tc.src, 4)); !strings.Contains(got, tc.want) || strings.Contains(got, "<img") {
			t.Errorf("convert(%q) = %q, want %q and no image", tc.src, got, tc.want)
		}
	}
}
