package catalog

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
)

// htmlWriter writes HTML straight into a buffer, for the parts of pages
// that are rendered for every API (the endpoints, see spechtml.go), where
// html/template's reflection costs more than all the rest of a build's
// rendering. Its escapers write exactly what html/template's write for a
// value of the same type in the same context, as TestEscapersMatchTemplate
// checks against html/template itself; the templates stay the reference
// the writers are compared with (TestEndpointsMatchTemplate).
type htmlWriter struct {
	*bytes.Buffer
}

// htmlReplacements is html/template's replacement table for text and
// quoted attribute values: NUL and the characters that could end a value
// or start markup. Every other byte (including those of non-ASCII and
// invalid UTF-8) is written as it is.
var htmlReplacements = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// text writes s escaped as html/template escapes a string in text or in a
// quoted attribute value.
func (w htmlWriter) text(s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) >= len(htmlReplacements) || htmlReplacements[c] == "" {
			continue
		}
		w.WriteString(s[written:i])
		w.WriteString(htmlReplacements[c])
		written = i + 1
	}
	w.WriteString(s[written:])
}

// int writes n as html/template writes an int in text.
func (w htmlWriter) int(n int) { w.WriteString(strconv.Itoa(n)) }

// list writes items escaped, each between open and close, separated by
// sep: a template's {{range $i, $x := .}}{{if $i}}, {{end}}...{{end}}.
func (w htmlWriter) list(items []string, sep, open, close string) {
	for i, s := range items {
		if i > 0 {
			w.WriteString(sep)
		}
		w.WriteString(open)
		w.text(s)
		w.WriteString(close)
	}
}

// with writes s escaped between open and close, or nothing when s is
// empty: a template's {{with .S}}open{{.}}close{{end}}.
func (w htmlWriter) with(s, open, close string) {
	if s != "" {
		w.WriteString(open)
		w.text(s)
		w.WriteString(close)
	}
}

// html writes trusted HTML as it is, as html/template does in text.
func (w htmlWriter) html(h template.HTML) { w.WriteString(string(h)) }

// urlPart writes s as html/template escapes a string in the query or
// fragment of a URL in a quoted attribute value (href="#{{.}}"): every
// byte but ASCII letters, digits and -._~ percent-encoded.
func (w htmlWriter) urlPart(s string) {
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			continue
		}
		w.WriteString(s[written:i])
		w.WriteByte('%')
		w.WriteByte(hex[c>>4])
		w.WriteByte(hex[c&15])
		written = i + 1
	}
	w.WriteString(s[written:])
}

// url writes s as html/template escapes a string that starts a URL in a
// quoted attribute value (href="{{.}}"), or follows such a string with no
// text between: a URL with a scheme other than http, https or mailto
// becomes "#ZgotmplZ", and the rest is normalised as urlRest does.
func (w htmlWriter) url(s string) {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	w.urlRest(s)
}

// urlRest writes s as html/template escapes a string inside a URL, before
// its query, in a quoted attribute value (href="mailto:{{.}}"): bytes that
// may not appear in a URL are percent-encoded (but not an existing %XX),
// and & and + written as character references.
func (w htmlWriter) urlRest(s string) {
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var repl string
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			continue
		case c == '&':
			repl = "&amp;"
		case c == '+':
			repl = "&#43;"
		case strings.IndexByte("!#$*,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		w.WriteString(s[written:i])
		if repl != "" {
			w.WriteString(repl)
		} else {
			w.WriteByte('%')
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&15])
		}
		written = i + 1
	}
	w.WriteString(s[written:])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
