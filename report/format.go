package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// Output formats of validate, check-pr and diff.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatGitHub   = "github"
	FormatSARIF    = "sarif"
	FormatMarkdown = "markdown"
)

// Formats lists the output formats.
func Formats() []string {
	return []string{FormatText, FormatJSON, FormatGitHub, FormatSARIF, FormatMarkdown}
}

// CheckFormat returns an error for an unknown format.
func CheckFormat(f string) error {
	if slices.Contains(Formats(), f) {
		return nil
	}
	return fmt.Errorf("unknown output format %q (want %s)", f, strings.Join(Formats(), ", "))
}

// Output is what validate, check-pr or diff reports. Only Command and
// Diagnostics are always set.
type Output struct {
	// Command is "validate", "check-pr" or "diff".
	Command string `json:"command"`
	// Base and Head name what was compared (revisions or directories).
	Base string `json:"base,omitempty"`
	Head string `json:"head,omitempty"`
	// Actor is who the pull request is judged as (check-pr).
	Actor string `json:"actor,omitempty"`
	// Changes are the changed paths (check-pr).
	Changes []Change `json:"changes,omitempty"`
	// Summary is what changes for whom (diff).
	Summary *Summary `json:"report,omitempty"`
	// Breaking lists breaking OpenAPI changes (check-pr, diff).
	Breaking []SpecChange `json:"breaking,omitempty"`
	// Diagnostics are every problem found, sorted.
	Diagnostics compiler.Diagnostics `json:"diagnostics"`
	// Version is frontdoor's version, recorded in SARIF.
	Version string `json:"-"`
	// MaxPrinted bounds the diagnostics the formats for people show
	// (0: DefaultMaxPrinted); JSON shows them all.
	MaxPrinted int `json:"-"`
}

// DefaultMaxPrinted is how many diagnostics the text, github, sarif and
// markdown formats show unless Output.MaxPrinted says otherwise; they count
// the rest ("and K more"). JSON, read by programs, lists every one (how
// many there can be is bounded by the compiler's file size limits).
const DefaultMaxPrinted = 1000

// maxPrinted is o's bound on the diagnostics shown.
func (o *Output) maxPrinted() int {
	if o.MaxPrinted > 0 {
		return o.MaxPrinted
	}
	return DefaultMaxPrinted
}

// printed returns the diagnostics a format for people shows and how many
// it leaves out.
func (o *Output) printed() (compiler.Diagnostics, int) {
	if n := o.maxPrinted(); len(o.Diagnostics) > n {
		return o.Diagnostics[:n], len(o.Diagnostics) - n
	}
	return o.Diagnostics, 0
}

// moreText says how many diagnostics are not shown.
func (o *Output) moreText(n int) string {
	return fmt.Sprintf("and %d more problems not shown (at most %d are; -o json lists them all)", n, o.maxPrinted())
}

// Write renders o in format.
//
// Every format prints the diagnostics redacted (compiler.Redact): no key,
// no credential of a URL, no over-long value, whoever made them.
func Write(w io.Writer, format string, o *Output) error {
	c := *o
	c.Diagnostics = o.Diagnostics.Redacted()
	o = &c
	switch format {
	case FormatText:
		return writeText(w, o)
	case FormatJSON:
		c := *o
		if c.Diagnostics == nil {
			c.Diagnostics = compiler.Diagnostics{}
		}
		b, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding output: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case FormatGitHub:
		return WriteGitHub(w, o, GitHubLimits{})
	case FormatSARIF:
		return WriteSARIF(w, o)
	case FormatMarkdown:
		_, err := io.WriteString(w, Markdown(o, MaxCommentSize))
		return err
	}
	return CheckFormat(format)
}

// WriteDiagnostics renders a plain list of diagnostics (validate, build).
func WriteDiagnostics(w io.Writer, format, command string, ds compiler.Diagnostics) error {
	if format == FormatJSON {
		return ds.Redacted().WriteJSON(w) // validate's JSON stays a bare list
	}
	return Write(w, format, &Output{Command: command, Diagnostics: ds})
}

func writeText(w io.Writer, o *Output) error {
	var b strings.Builder
	if o.Summary != nil {
		writeReportText(&b, o)
	}
	shown, more := o.printed()
	for _, d := range shown {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	if more > 0 {
		b.WriteString(o.moreText(more) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeReportText(b *strings.Builder, o *Output) {
	if o.Summary.Empty() {
		b.WriteString("nothing changes for anyone\n")
	}
	for _, g := range o.Summary.Groups {
		b.WriteString(g.Title())
		b.WriteString(":\n")
		for _, l := range g.Lines {
			b.WriteString("  - ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
}

// GitHubLimits bounds the annotations of one step. GitHub shows at most 10
// error and 10 warning annotations per step (50 per job): the rest are
// summarised in a notice and listed in a collapsed log group.
type GitHubLimits struct {
	// Errors and Warnings default to 10.
	Errors, Warnings int
}

// WriteGitHub writes diagnostics as GitHub Actions workflow commands
// (::error file=…,line=…,col=…,title=…::message).
func WriteGitHub(w io.Writer, o *Output, lim GitHubLimits) error {
	if lim.Errors <= 0 {
		lim.Errors = 10
	}
	if lim.Warnings <= 0 {
		lim.Warnings = 10
	}
	var b strings.Builder
	if o.Summary != nil {
		fmt.Fprintf(&b, "::group::%s\n", escapeData("frontdoor "+o.Command+": what changes"))
		writeReportText(&b, o)
		b.WriteString("::endgroup::\n")
	}
	var rest compiler.Diagnostics
	errs, warns := 0, 0
	shown, more := o.printed()
	for _, d := range shown {
		kind := "error"
		n := &errs
		max := lim.Errors
		if d.Severity == compiler.SeverityWarning {
			kind, n, max = "warning", &warns, lim.Warnings
		}
		if *n >= max {
			rest = append(rest, d)
			continue
		}
		*n++
		title := d.Code
		if ci, ok := compiler.LookupCode(d.Code); ok {
			title += " " + ci.Title
		}
		msg := d.Message
		if d.Hint != "" {
			msg += " (" + d.Hint + ")"
		}
		fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", kind,
			escapeProperty(d.File), d.Line, d.Col, escapeProperty(title), escapeData(msg))
	}
	if len(rest) > 0 || more > 0 {
		re := rest.Errors() + o.Diagnostics[len(shown):].Errors()
		rw := len(rest) + more - re
		fmt.Fprintf(&b, "::notice title=%s::%s\n", escapeProperty("frontdoor "+o.Command),
			escapeData(fmt.Sprintf("%d more %s and %d more %s are not annotated (GitHub shows 10 of each per step); the log lists them all",
				re, compiler.Plural(re, "error"), rw, compiler.Plural(rw, "warning"))))
		b.WriteString("::group::all other problems\n")
		for _, d := range rest {
			b.WriteString(escapeData(d.String()))
			b.WriteByte('\n')
		}
		if more > 0 {
			b.WriteString(escapeData(o.moreText(more)) + "\n")
		}
		b.WriteString("::endgroup::\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData escapes a workflow command's message, as @actions/core does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// sarifLog is the subset of SARIF 2.1.0 that frontdoor writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation carries the note of results left out.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	FullDescription      sarifMessage `json:"fullDescription"`
	Help                 sarifMessage `json:"help"`
	DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// WriteSARIF writes the diagnostics as a SARIF 2.1.0 log with one run whose
// rules are the whole code registry. Locations are relative to the
// configuration repository's root (uriBaseId %SRCROOT%).
func WriteSARIF(w io.Writer, o *Output) error {
	codes := compiler.Codes()
	idx := map[string]int{}
	rules := make([]sarifRule, len(codes))
	for i, c := range codes {
		idx[c.Code] = i
		level := "error"
		if c.Warning {
			level = "warning"
		}
		rules[i] = sarifRule{ID: c.Code, Name: ruleName(c.Title), ShortDescription: sarifMessage{c.Title},
			FullDescription: sarifMessage{c.Explanation}, Help: sarifMessage{c.Fix}, DefaultConfiguration: sarifConfig{level}}
	}
	shown, more := o.printed()
	results := make([]sarifResult, 0, len(shown))
	for _, d := range shown {
		i, ok := idx[d.Code]
		if !ok {
			i = -1
		}
		msg := d.Message
		if d.Hint != "" {
			msg += " (" + d.Hint + ")"
		}
		results = append(results, sarifResult{RuleID: d.Code, RuleIndex: i, Level: d.Severity.String(), Message: sarifMessage{msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: d.File}).EscapedPath(), URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: max(d.Line, 1), StartColumn: max(d.Col, 1)},
			}}}})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "frontdoor", InformationURI: "https://github.com/frontdoor-dev/frontdoor", Version: o.Version, Rules: rules}},
			Results: results,
		}},
	}
	if more > 0 {
		log.Runs[0].Invocations = []sarifInvocation{{ExecutionSuccessful: true,
			ToolExecutionNotifications: []sarifNotification{{Level: "note", Message: sarifMessage{o.moreText(more)}}}}}
	}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding SARIF: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ruleName turns a title into SARIF's PascalCase rule name.
func ruleName(title string) string {
	var b strings.Builder
	for _, f := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(f[:1]) + f[1:])
	}
	return b.String()
}
