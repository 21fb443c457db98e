package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

func errorAt(file string, line int, code, msg string) compiler.Diagnostic {
	return compiler.Diagnostic{File: file, Line: line, Col: 1, Code: code, Message: msg, Severity: compiler.SeverityError}
}

func warningAt(file string, line int, code, msg string) compiler.Diagnostic {
	d := errorAt(file, line, code, msg)
	d.Severity = compiler.SeverityWarning
	return d
}

func TestGitHubEscapesPropertiesAndMessages(t *testing.T) {
	d := errorAt("odd,name:100%.cue", 3, compiler.CodeNotOwner, "50% done\r\nnext: line, comma")
	d.Hint = "ask"
	var b bytes.Buffer
	if err := WriteGitHub(&b, &Output{Command: "check-pr", Diagnostics: compiler.Diagnostics{d}}, GitHubLimits{}); err != nil {
		t.Fatal(err)
	}
	want := "::error file=odd%2Cname%3A100%25.cue,line=3,col=1,title=FD601 change by someone who does not own the path::50%25 done%0D%0Anext: line, comma (ask)\n"
	if got := b.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestGitHubEscapesTitlesWithColonsAndCommas(t *testing.T) {
	if got, want := escapeProperty("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := escapeData("a:b,c%d\re"), "a:b,c%25d%0De"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestGitHubAnnotatesTenOfEachThenSummarisesTheRest(t *testing.T) {
	var ds compiler.Diagnostics
	for i := range 15 {
		ds = append(ds, errorAt("a.cue", i+1, compiler.CodeNotOwner, fmt.Sprintf("error %d", i)))
	}
	for i := range 12 {
		ds = append(ds, warningAt("b.cue", i+1, compiler.CodeBreakingMajor, fmt.Sprintf("warning %d", i)))
	}
	var b bytes.Buffer
	if err := WriteGitHub(&b, &Output{Command: "validate", Diagnostics: ds}, GitHubLimits{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, c := range []struct {
		prefix string
		want   int
	}{{"::error ", 10}, {"::warning ", 10}, {"::notice ", 1}, {"::group::", 1}, {"::endgroup::", 1}} {
		if got := strings.Count(out, "\n"+c.prefix) + boolInt(strings.HasPrefix(out, c.prefix)); got != c.want {
			t.Errorf("got %d lines starting %q, want %d", got, c.prefix, c.want)
		}
	}
	if !strings.Contains(out, "5 more errors and 2 more warnings are not annotated") {
		t.Errorf("got %q, want a notice counting 5 errors and 2 warnings left", out)
	}
	for _, rest := range []string{"a.cue:11:1: FD601: error 10", "a.cue:15:1: FD601: error 14", "b.cue:12:1: FD622: warning: warning 11"} {
		if !strings.Contains(out, "\n"+rest+"\n") {
			t.Errorf("got %q, want the log group to list %q", out, rest)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestGitHubLimitsCanBeLowered(t *testing.T) {
	ds := compiler.Diagnostics{errorAt("a.cue", 1, compiler.CodeNotOwner, "x"), errorAt("a.cue", 2, compiler.CodeNotOwner, "y")}
	var b bytes.Buffer
	if err := WriteGitHub(&b, &Output{Command: "validate", Diagnostics: ds}, GitHubLimits{Errors: 1}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "::error "); got != 1 {
		t.Errorf("got %d error annotations, want 1", got)
	}
}

func manyDiagnostics(n int) compiler.Diagnostics {
	var ds compiler.Diagnostics
	for i := range n {
		ds = append(ds, errorAt(fmt.Sprintf("publishers/p%04d/publisher.cue", i), 1, compiler.CodeNotOwner,
			strings.Repeat("a long explanation of the problem ", 3)))
	}
	return ds
}

func TestMarkdownStaysWithinTheCommentLimit(t *testing.T) {
	ds := manyDiagnostics(3000)
	md := Markdown(&Output{Command: "check-pr", Diagnostics: ds}, MaxCommentSize)
	if n := utf8.RuneCountInString(md); n > MaxCommentSize {
		t.Fatalf("got %d characters, want at most %d", n, MaxCommentSize)
	}
	shown := strings.Count(md, "| ❌ |")
	var left int
	if _, err := fmt.Sscanf(md[strings.LastIndex(md, "_… ")+len("_… "):], "%d more lines", &left); err != nil {
		t.Fatalf("no closing note in %q: %v", md[len(md)-300:], err)
	}
	if shown+left != len(ds) {
		t.Errorf("got %d shown + %d left out, want %d in all", shown, left, len(ds))
	}
	if shown < 100 {
		t.Errorf("got %d rows shown, want the comment filled", shown)
	}
}

func TestMarkdownThatFitsIsNotTruncated(t *testing.T) {
	md := Markdown(&Output{Command: "check-pr", Diagnostics: manyDiagnostics(3)}, MaxCommentSize)
	if strings.Contains(md, "not shown") {
		t.Errorf("got %q, want no truncation note", md)
	}
	if got := strings.Count(md, "| ❌ |"); got != 3 {
		t.Errorf("got %d rows, want 3", got)
	}
}

func TestMarkdownNeutralisesMentionsHTMLAndPipes(t *testing.T) {
	d := errorAt("a.cue", 1, compiler.CodeNotOwner, "ping @everyone <script>x</script> a|b")
	md := Markdown(&Output{Command: "validate", Diagnostics: compiler.Diagnostics{d}}, MaxCommentSize)
	for _, bad := range []string{"@everyone", "<script>", "a|b"} {
		if strings.Contains(md, bad) {
			t.Errorf("got %q in %q, want it escaped", bad, md)
		}
	}
	if !strings.Contains(md, `&#64;everyone &lt;script&gt;x&lt;/script&gt; a\|b`) {
		t.Errorf("got %q, want the escaped message", md)
	}
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-2.1.0-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	const url = "https://frontdoor.example/sarif-2.1.0-subset.schema.json"
	if err := c.AddResource(url, f); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sarifOf(t *testing.T, ds compiler.Diagnostics) any {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, &Output{Command: "validate", Diagnostics: ds, Version: "(devel)"}); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	s := compileSARIFSchema(t)
	ds := compiler.Diagnostics{
		errorAt("publishers/acme/publisher.cue", 3, "FD101", "colour: field not allowed"),
		warningAt("publishers/acme/apis/x.yaml", 12, compiler.CodeBreakingMajor, "breaking"),
		errorAt("odd name #1.cue", 1, "FD999", "a code no registry knows"),
	}
	if err := s.Validate(sarifOf(t, ds)); err != nil {
		t.Errorf("got %v, want a valid SARIF log", err)
	}
	if err := s.Validate(sarifOf(t, nil)); err != nil {
		t.Errorf("got %v for an empty log, want valid", err)
	}
}

func TestSARIFSchemaRefusesWhatSARIFRefuses(t *testing.T) {
	s := compileSARIFSchema(t)
	bad := []string{
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rule": []}}}]}`,
	}
	for _, doc := range bad {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err == nil {
			t.Errorf("got valid for %s, want an error", doc)
		}
	}
}

func TestSARIFResultsPointAtTheirRules(t *testing.T) {
	ds := compiler.Diagnostics{errorAt("a.cue", 1, "FD101", "x"), errorAt("b.cue", 2, compiler.CodeSelfGrant, "y")}
	var b bytes.Buffer
	if err := WriteSARIF(&b, &Output{Diagnostics: ds}); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if got, want := len(run.Tool.Driver.Rules), len(compiler.Codes()); got != want {
		t.Errorf("got %d rules, want the %d codes of both registries", got, want)
	}
	for _, r := range run.Results {
		if got := run.Tool.Driver.Rules[r.RuleIndex].ID; got != r.RuleID {
			t.Errorf("got rule %q at index %d, want %q", got, r.RuleIndex, r.RuleID)
		}
	}
}

func TestUnknownFormatIsRefused(t *testing.T) {
	if err := CheckFormat("yaml"); err == nil {
		t.Error("got nil, want an error for yaml")
	}
	for _, f := range Formats() {
		if err := CheckFormat(f); err != nil {
			t.Errorf("got %v for %s, want nil", err, f)
		}
	}
}

// TestFormatsForPeopleShowAtMostDefaultMaxPrintedDiagnosticsAndCountTheRest
// renders more diagnostics than DefaultMaxPrinted in every format: the formats
// for people show at most DefaultMaxPrinted and say how many more; JSON keeps all.
func TestFormatsForPeopleShowAtMostDefaultMaxPrintedDiagnosticsAndCountTheRest(t *testing.T) {
	ds := manyDiagnostics(DefaultMaxPrinted + 234)
	more := fmt.Sprintf("and %d more problems", 234)
	for _, tc := range []struct {
		format string
		shown  func(string) int
		note   string // "" : every diagnostic is listed
	}{
		{FormatText, func(s string) int { return strings.Count(s, ": "+compiler.CodeNotOwner+": ") }, more},
		{FormatGitHub, func(s string) int {
			return strings.Count(s, "::error ") + strings.Count(s, ": "+compiler.CodeNotOwner+": ")
		}, more},
		{FormatSARIF, func(s string) int { return strings.Count(s, `"ruleId"`) }, more},
		{FormatMarkdown, func(s string) int { return strings.Count(s, "| ❌ |") }, "more lines are not shown"},
		{FormatJSON, func(s string) int { return strings.Count(s, `"code": "`+compiler.CodeNotOwner+`"`) }, ""},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var b strings.Builder
			if err := Write(&b, tc.format, &Output{Command: "check-pr", Diagnostics: ds}); err != nil {
				t.Fatal(err)
			}
			got := tc.shown(b.String())
			switch {
			case tc.note == "" && got != len(ds):
				t.Errorf("got %d diagnostics, want all %d", got, len(ds))
			case tc.note != "" && got > DefaultMaxPrinted:
				t.Errorf("got %d diagnostics, want at most %d", got, DefaultMaxPrinted)
			}
			if tc.note != "" && !strings.Contains(b.String(), tc.note) {
				t.Errorf("got no %q in the output", tc.note)
			}
		})
	}
}
