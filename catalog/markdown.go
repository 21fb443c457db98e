package catalog

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders untrusted Markdown (publishers' descriptions, OpenAPI
// descriptions) into safe HTML: goldmark, with the HTML written in the
// Markdown passed on, then a bluemonday policy stricter than UGCPolicy, which
// keeps only safe elements (links, line breaks, lists, tables, emphasis) and
// drops the rest (scripts and their content, event handlers, images, classes,
// styles; links only to http, https and mailto URLs). Headings are renumbered
// so that they fit under the heading of the section they appear in and never
// skip a level. Safe for concurrent use.
//
// Short texts, which recur across OpenAPI documents ("Not found.", "The
// item's ID."), are rendered once: up to maxCachedTexts of them are kept.
type markdown struct {
	md     map[int]goldmark.Markdown // by the level a Markdown "#" becomes
	policy *bluemonday.Policy

	mu     sync.Mutex
	cached map[cachedText]template.HTML
}

// cachedText is the key of a rendered short text.
type cachedText struct {
	src string
	top int
}

const (
	maxCachedText  = 200  // bytes of source
	maxCachedTexts = 8192 // texts kept
)

func newMarkdown() *markdown {
	m := &markdown{md: make(map[int]goldmark.Markdown), policy: newPolicy(), cached: make(map[cachedText]template.HTML)}
	for _, top := range []int{3, 4, 5, 6} {
		m.md[top] = goldmark.New(
			goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingLevels(top), 100))),
			// Raw HTML goes through: the policy decides what stays.
			goldmark.WithRendererOptions(html.WithUnsafe()),
		)
	}
	return m
}

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
		"ul", "ol", "li", "dl", "dt", "dd", "h3", "h4", "h5", "h6", "del", "sup", "sub",
		"table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AllowAttrs("scope").Matching(bluemonday.SpaceSeparatedTokens).OnElements("th")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	return p
}

// headingLevels renumbers headings from level top: the highest level
// written becomes top, the next one written top+1, and so on (at most h6),
// so that levels the text skips are not skipped on the page.
type headingLevels int

func (top headingLevels) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	var used [7]bool
	var hs []*ast.Heading
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := node.(*ast.Heading); ok && entering {
			used[h.Level] = true
			hs = append(hs, h)
		}
		return ast.WalkContinue, nil
	})
	var to [7]int
	next := int(top)
	for l := 1; l <= 6; l++ {
		if used[l] {
			to[l] = min(next, 6)
			next++
		}
	}
	for _, h := range hs {
		h.Level = to[h.Level]
	}
}

// render returns src as sanitised HTML whose top-level headings are h<top>
// (3 to 6).
func (m *markdown) render(src string, top int) template.HTML {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	if len(src) > maxCachedText {
		return m.convert(src, top)
	}
	key := cachedText{src: src, top: top}
	m.mu.Lock()
	h, ok := m.cached[key]
	m.mu.Unlock()
	if ok {
		return h
	}
	h = m.convert(src, top)
	m.mu.Lock()
	if len(m.cached) < maxCachedTexts {
		m.cached[key] = h
	}
	m.mu.Unlock()
	return h
}

// convert renders src as render does, without the cache.
func (m *markdown) convert(src string, top int) template.HTML {
	md, ok := m.md[top]
	if !ok {
		md = m.md[6]
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; show the text escaped.
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	out := buf.Bytes()
	if bytes.Contains(out, []byte("<img")) {
		// Images are dropped: their text stays (a badge in a link).
		out = imgAlt.ReplaceAll(out, []byte("$1"))
	}
	out = m.policy.SanitizeBytes(out)
	if bytes.Contains(out, []byte("></a>")) {
		// A link left without text is named by its address.
		out = emptyLink.ReplaceAll(out, []byte("$1$2</a>"))
	}
	return template.HTML(out) //nolint:gosec // sanitised above
}

var (
	// imgAlt is an HTML image with its alternative text.
	imgAlt = regexp.MustCompile(`(?i)<img\b[^>]*?\balt\s*=\s*"([^"<>]*)"[^>]*>`)
	// emptyLink is a sanitised link with no text.
	emptyLink = regexp.MustCompile(`(<a href="([^"]*)"[^>]*>)\s*</a>`)
)

// plain returns src's text without Markdown markup, on one line (for search
// and summaries).
func plain(src string) string {
	var b strings.Builder
	for _, f := range strings.Fields(src) {
		f = strings.Trim(f, "#*_`>|")
		if f == "" || strings.HasPrefix(f, "-") && len(f) == 1 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}
