package catalog

import (
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
