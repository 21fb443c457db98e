package compiler

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/redact"
)

func TestDiagnosticStringHasPositionCodeMessageAndHint(t *testing.T) {
	d := Diagnostic{File: "a.cue", Line: 3, Col: 7, Code: "FD101", Message: "x: field not allowed", Hint: `did you mean "y"?`}
	if got, want := d.String(), `a.cue:3:7: FD101: x: field not allowed (did you mean "y"?)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDiagnosticsSortOrdersAndDeduplicates(t *testing.T) {
	ds := Diagnostics{
		{File: "b.cue", Line: 1, Col: 1, Code: "FD100", Message: "m"},
		{File: "a.cue", Line: 2, Col: 1, Code: "FD200", Message: "m"},
		{File: "a.cue", Line: 2, Col: 1, Code: "FD100", Message: "m"},
		{File: "a.cue", Line: 2, Col: 1, Code: "FD100", Message: "m"},
		{File: "a.cue", Line: 10, Col: 1, Code: "FD100", Message: "m"},
	}
	ds.Sort()
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{"a.cue:2:1: FD100: m", "a.cue:2:1: FD200: m", "a.cue:10:1: FD100: m", "b.cue:1:1: FD100: m"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDiagnosticsJSONRoundTrips(t *testing.T) {
	ds := Diagnostics{{File: "a.cue", Line: 1, Col: 2, Code: "FD308", Message: "m", Hint: "h", Severity: SeverityWarning}}
	var b bytes.Buffer
	if err := ds.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Diagnostics
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0] != ds[0] {
		t.Errorf("got %+v, want %+v", back, ds)
	}
	if !strings.Contains(b.String(), `"severity": "warning"`) {
		t.Errorf("got %s, want a severity name", b.String())
	}
}

func TestEmptyDiagnosticsRenderAsAnEmptyJSONArray(t *testing.T) {
	var b bytes.Buffer
	if err := Diagnostics(nil).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(b.String()); got != "[]" {
		t.Errorf("got %q, want %q", got, "[]")
	}
}

func TestEveryCodeIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		if seen[c.Code] {
			t.Errorf("code %s registered twice", c.Code)
		}
		seen[c.Code] = true
		if c.Title == "" || len(c.Explanation) < 40 || len(c.Fix) < 10 {
			t.Errorf("code %s: got title %q, explanation %q, fix %q; want all written", c.Code, c.Title, c.Explanation, c.Fix)
		}
		if c.Warning != isWarning(c.Code) {
			t.Errorf("code %s: registry says warning %v, diagnostics %v", c.Code, c.Warning, isWarning(c.Code))
		}
	}
}

func TestLookupCodeRefusesAnUnknownCode(t *testing.T) {
	if _, ok := LookupCode("FD999"); ok {
		t.Error("got ok for FD999, want not found")
	}
}

func TestEveryCodeHasAnInvalidCorpusCase(t *testing.T) {
	for _, c := range codeTable() { // the pull-request codes are tested in package review
		matches, _ := filepath.Glob("testdata/invalid/" + strings.ToLower(c.Code) + "-*.txtar")
		if len(matches) == 0 {
			t.Errorf("code %s has no case in testdata/invalid", c.Code)
		}
	}
}

func TestPullRequestCodesAreInTheOneRegistry(t *testing.T) {
	for _, c := range pullRequestCodeTable() {
		if !strings.HasPrefix(c.Code, "FD6") {
			t.Errorf("got %s among the pull-request codes, want FD6xx", c.Code)
		}
		if got, ok := LookupCode(c.Code); !ok || got.Code != c.Code {
			t.Errorf("LookupCode(%q) = %v, %v; want it found", c.Code, got, ok)
		}
	}
}

// A cut can make a URL that Redact left alone because it did not parse
// into one that parses, with a credential; Redact's result must hold none,
// whatever it cut.
func TestRedactLeavesNoCredentialThatACutMade(t *testing.T) {
	pad := strings.Repeat("w ", 150)
	tests := []struct{ name, in string }{
		{"user information, bad escape cut off the message", "A://" + strings.Repeat("0", 230) + "@" + strings.Repeat("0", 170) + "%0"},
		{"password, bad escape cut off the message", pad + "https://u:p@h.test/" + strings.Repeat("a", 100) + "%zz"},
		{"password, bad port cut off the message", pad + "https://u:p@" + strings.Repeat("h", 100) + ":port/"},
		{"bad escape cut off a quoted value", `bad "https://u:p@h.test/` + strings.Repeat("q", maxQuoted) + `%g"`},
		{"bad port cut off a quoted value", `bad "https://u:p@` + strings.Repeat("h", maxQuoted) + `:port"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			for _, u := range urlInText.FindAllString(got, -1) {
				if redact.URL(u) != u {
					t.Errorf("got %q, which keeps a credential in %q", got, u)
				}
			}
			if again := Redact(got); again != got {
				t.Errorf("got %q, then %q", got, again)
			}
		})
	}
}

// A URL that url.Parse refuses still has its credentials masked.
func TestRedactHidesCredentialsOfUnreadableURLs(t *testing.T) {
	for _, in := range []string{
		"see https://u:s3cret@h.test/%zz",
		"see https://u:s3cret@h.test:port/x",
		"see https://h.test/%zz?api_key=s3cret",
		"see https://h.test/%zz#access_token=s3cret",
		`bad "ftp://s3cret@[::1/x"`,
	} {
		got := Redact(in)
		if strings.Contains(got, "s3cret") {
			t.Errorf("got %q", got)
		}
		if again := Redact(got); again != got {
			t.Errorf("got %q, then %q", got, again)
		}
	}
}
