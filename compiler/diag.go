package compiler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/frontdoor-dev/frontdoor/internal/redact"
)

// Severity tells an error, which invalidates the configuration, from a
// warning, which does not.
type Severity int

// Severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText renders the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one configuration problem, positioned in a file of the
// repository. Line and Col are 1-based; Col counts bytes.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
	Severity Severity `json:"severity"`
}

// String renders the diagnostic as "file:line:col: CODE: message (hint)".
// Warnings carry "warning: " before the message.
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s: ", d.File, d.Line, d.Col, d.Code)
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		fmt.Fprintf(&b, " (%s)", d.Hint)
	}
	return b.String()
}

// Diagnostics is a list of problems. Compile returns them sorted and
// de-duplicated.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Errors counts the errors.
func (ds Diagnostics) Errors() int {
	n := 0
	for _, d := range ds {
		if d.Severity == SeverityError {
			n++
		}
	}
	return n
}

// Sort orders the diagnostics by file, line, column, code and message, and
// drops exact duplicates. It sorts in place and returns the shortened list.
func (ds *Diagnostics) Sort() Diagnostics {
	slices.SortFunc(*ds, compareDiagnostics)
	*ds = slices.Compact(*ds)
	return *ds
}

func compareDiagnostics(a, b Diagnostic) int {
	return cmp.Or(
		strings.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col),
		strings.Compare(a.Code, b.Code),
		strings.Compare(a.Message, b.Message),
		strings.Compare(a.Hint, b.Hint),
		cmp.Compare(a.Severity, b.Severity),
	)
}

// WriteText writes one diagnostic per line (see Diagnostic.String).
func (ds Diagnostics) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the diagnostics as one indented JSON array (never null).
func (ds Diagnostics) WriteJSON(w io.Writer) error {
	if ds == nil {
		ds = Diagnostics{}
	}
	b, err := json.MarshalIndent(ds, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding diagnostics: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// diagSink collects the diagnostics of one file or stage. It is not safe
// for concurrent use; each worker owns its own.
type diagSink struct {
	list Diagnostics
}

func (s *diagSink) add(file string, p pos, code, hint, format string, args ...any) {
	s.list = append(s.list, newDiag(file, p, code, hint, fmt.Sprintf(format, args...)))
}

func newDiag(file string, p pos, code, hint, msg string) Diagnostic {
	line, col := int(p.line), int(p.col)
	if line < 1 {
		line, col = 1, 1
	}
	if col < 1 {
		col = 1
	}
	sev := SeverityError
	if isWarning(code) {
		sev = SeverityWarning
	}
	return Diagnostic{File: file, Line: line, Col: col, Code: code, Message: Redact(msg), Hint: Redact(hint), Severity: sev}
}

// Bounds of what a diagnostic quotes: a quoted value longer than
// maxQuoted runes is cut, and so is a message longer than maxMessage.
const (
	maxQuoted  = 60
	maxMessage = 400
)

// quotedValue matches a double-quoted value in a message.
var quotedValue = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// Redact makes a diagnostic's text fit to print: private keys are replaced
// by a note, the credentials of URLs are masked as the gateway masks what
// it prints (internal/redact), and long values are cut with an ellipsis.
// Every diagnostic is made through it, so that no code path prints a
// secret or a whole file's worth of value.
//
// It repeats until the text no longer changes: a cut can turn a URL that
// did not parse (a bad escape at its end) into one that does, with a
// credential.
func Redact(s string) string {
	for range 8 {
		r := redactOnce(s)
		if r == s {
			break
		}
		s = r
	}
	return s
}

func redactOnce(s string) string {
	if s == "" {
		return s
	}
	s = redactKeys(s)
	s = redact.Text(s)
	s = quotedValue.ReplaceAllStringFunc(s, func(q string) string {
		return `"` + truncate(q[1:len(q)-1], maxQuoted) + `"`
	})
	return truncate(s, maxMessage)
}

// Redacted returns the diagnostics with their texts redacted (see Redact),
// for output of diagnostics that were not made by the compiler.
func (ds Diagnostics) Redacted() Diagnostics {
	out := make(Diagnostics, len(ds))
	for i, d := range ds {
		d.Message, d.Hint = Redact(d.Message), Redact(d.Hint)
		out[i] = d
	}
	return out
}

// redactKeys replaces each private key of s, from its start to its END
// line (or the end of the quoted value or run holding it), by a note.
func redactKeys(s string) string {
	hits := findKeys(s)
	for i := len(hits) - 1; i >= 0; i-- {
		off := hits[i].off
		end := len(s)
		rest := s[off:]
		if e := strings.Index(rest, "-----END"); e >= 0 {
			if c := strings.Index(rest[e+8:], "-----"); c >= 0 {
				end = off + e + 8 + c + 5
			}
		} else if hits[i].what == "DER" || hits[i].what == "OpenSSH" && !strings.HasPrefix(rest, "-") {
			j := off
			for j < len(s) && (isB64(s[j]) || s[j] == '=') {
				j++
			}
			end = j
		} else if q := strings.IndexByte(rest, '"'); q >= 0 {
			end = off + q
		}
		if i+1 < len(hits) && end > hits[i+1].off {
			end = max(off, hits[i+1].off)
		}
		s = s[:off] + "[private key redacted]" + s[end:]
	}
	return s
}

// truncate cuts s to n runes, marking the cut with an ellipsis. A text
// it cut is left as it is.
func truncate(s string, n int) string {
	if c := utf8.RuneCountInString(s); c <= n || c == n+1 && strings.HasSuffix(s, "…") {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

// Count writes n and the noun, in the plural unless n is 1: "1 error",
// "2 errors".
func Count(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, Plural(n, noun))
}

// Plural returns the noun, with an s unless n is 1.
func Plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// pos is a 1-based position in a file; the zero pos means "start of file".
type pos struct{ line, col int32 }
