package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// parseHTML parses a page or fails the test.
func parseHTML(t testing.TB, name string, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return doc
}

// findAll returns the element nodes under n for which match is true, in
// document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byTag(tags ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		for _, t := range tags {
			if n.Data == t {
				return true
			}
		}
		return false
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// htmlFiles returns the site's HTML pages.
func htmlFiles(s *Site) []string {
	var out []string
	for _, f := range s.Files() {
		if strings.HasSuffix(f, ".html") {
			out = append(out, f)
		}
	}
	return out
}

func mustFile(t testing.TB, s *Site, name string) []byte {
	t.Helper()
	b, ok := s.File(name)
	if !ok {
		t.Fatalf("site has no %s; it has %q", name, s.Files())
	}
	return b
}

// jsonFile decodes the site's JSON file name.
func jsonFile[T any](t testing.TB, s *Site, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(mustFile(t, s, name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// listedAPIs returns the data-api values of a list page, in order.
func listedAPIs(t testing.TB, s *Site, page string) []string {
	t.Helper()
	doc := parseHTML(t, page, mustFile(t, s, page))
	var ids []string
	for _, li := range findAll(doc, byTag("li")) {
		if id, ok := attr(li, "data-api"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// Leaks returns, sorted, "file: string" for every file of the site that
// contains one of forbidden (compared case-insensitively; empty strings are
// ignored): what BuildDir refuses to write, found on a built site.
func (s *Site) Leaks(forbidden []string) []string {
	var out []string
	for _, name := range s.names {
		data := bytes.ToLower(s.files[name])
		for _, f := range forbidden {
			if f != "" && bytes.Contains(data, bytes.ToLower([]byte(f))) {
				out = append(out, name+": "+f)
			}
		}
	}
	return out
}

// Write writes the site into dir as BuildDir does (with nothing forbidden):
// a file whose bytes are unchanged is not rewritten; files written by an
// earlier Write that the site no longer has are removed. It returns the
// number of files written.
func (s *Site) Write(dir string) (written int, err error) {
	w, err := newDirWriter(dir, nil)
	if err != nil {
		return 0, err
	}
	for _, name := range s.names {
		if err := w.put(name, s.files[name]); err != nil {
			w.abort()
			return 0, err
		}
	}
	return w.commit()
}
