package compiler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
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
	return Diagnostic{File: file, Line: line, Col: col, Code: code, Message: msg, Hint: hint, Severity: sev}
}

// pos is a 1-based position in a file; the zero pos means "start of file".
type pos struct{ line, col int32 }
