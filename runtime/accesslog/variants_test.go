package accesslog

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

// TestEveryWritingOfAnNHSNumberIsRedacted covers the ways a number reaches
// a log: any separators between its digit groups, any encoding, any digit
// script that folds to ASCII digits.
func TestEveryWritingOfAnNHSNumberIsRedacted(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"dotted", "/p/943.476.5919"},
		{"underscored", "q=943_476_5919"},
		{"slashed", "/p/943/476/5919/x"},
		{"tab-separated", "q=943\t476\t5919"},
		{"encoded tabs", "q=943%09476%095919"},
		{"repeated spaces", "q=943   476    5919"},
		{"plus-joined", "q=943+476+5919"},
		{"spaced slashes", "q=943 / 476 / 5919"},
		{"colons", "q=943:476:5919"},
		{"commas", "q=943,476,5919"},
		{"grouped in pairs", "q=94 34 76 59 19"},
		{"en dashes", "q=943\u2013476\u20135919"},
		{"encoded en dashes", "q=943%E2%80%93476%E2%80%935919"},
		{"percent-encoded digits", "q=%39%34%33%34%37%36%35%39%31%39"},
		{"double-encoded", "q=%2539%2534%2533%2534%2537%2536%2535%2539%2531%2539"},
		{"triple-encoded separators", "q=943%25252E476%25252E5919"},
		{"double-encoded spaces", "/p/943%2520476%25205919"},
		{"fullwidth digits", "q=\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19"},
		{"encoded fullwidth digits", "q=%EF%BC%99%EF%BC%94%EF%BC%93%EF%BC%94%EF%BC%97%EF%BC%96%EF%BC%95%EF%BC%99%EF%BC%91%EF%BC%99"},
		{"fullwidth with ideographic spaces", "q=\uff19\uff14\uff13\u3000\uff14\uff17\uff16\u3000\uff15\uff19\uff11\uff19"},
		{"Arabic-Indic digits", "q=\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669"},
		{"mathematical bold digits", "q=\U0001D7D7\U0001D7D2\U0001D7D1\U0001D7D2\U0001D7D5\U0001D7D4\U0001D7D3\U0001D7D7\U0001D7CF\U0001D7D7"},
		{"mixed scripts and separators", "q=94%33.4\uff17\uff16 59_19"},
		{"in a method", "9434765919"},
		{"in a request ID", "req-943-476-5919"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Redact(tc.in)
			if !strings.Contains(out, Redacted) {
				t.Fatalf("Redact(%q) = %q: nothing redacted", tc.in, out)
			}
			if left := referenceNumbers(out); len(left) > 0 {
				t.Fatalf("Redact(%q) = %q: still holds %v", tc.in, out, left)
			}
			for _, digits := range []string{"9434", "765919", "476", "5919"} {
				if strings.Contains(viewOf(out), digits) {
					t.Errorf("Redact(%q) = %q: digits %s survive", tc.in, out, digits)
				}
			}
		})
	}
}

// TestEveryLoggedFieldIsRedacted puts a number in each text field of an
// entry, in several writings: the written line holds none.
func TestEveryLoggedFieldIsRedacted(t *testing.T) {
	for _, number := range []string{"9434765919", "943.476.5919", "%39434765919", "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19"} {
		// Each logged field (by its JSON name), and how to write the
		// number n into it.
		for field, set := range map[string]func(e *Entry, n string){
			"requestId":   func(e *Entry, n string) { e.RequestID = "a " + n + " b" },
			"method":      func(e *Entry, n string) { e.Method = "a " + n + " b" },
			"path":        func(e *Entry, n string) { e.Path = "/p/" + n },
			"query":       func(e *Entry, n string) { e.Query = "q=" + n },
			"userAgent":   func(e *Entry, n string) { e.UserAgent = "a " + n + " b" },
			"app":         func(e *Entry, n string) { e.App = "a " + n + " b" },
			"org":         func(e *Entry, n string) { e.Org = "a " + n + " b" },
			"api":         func(e *Entry, n string) { e.API = "a " + n + " b" },
			"environment": func(e *Entry, n string) { e.Environment = "a " + n + " b" },
			"accessMode":  func(e *Entry, n string) { e.AccessMode = "a " + n + " b" },
		} {
			t.Run(field+"/"+number, func(t *testing.T) {
				clock := testutil.NewClock(day("2025-03-01"))
				l := newLogger(t, clock, Options{})
				e := entry(clock)
				e.Path, e.Query = "/x", ""
				set(&e, number)
				l.Log(e)
				l.Flush()
				lines := readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))
				if len(lines) != 1 {
					t.Fatalf("got %d lines, want 1", len(lines))
				}
				got, _ := lines[0][field].(string)
				if !strings.Contains(got, Redacted) {
					t.Errorf("%s: got %q, want it redacted", field, got)
				}
				for k, v := range lines[0] {
					if s, ok := v.(string); ok && len(referenceNumbers(s)) > 0 {
						t.Errorf("%s holds an NHS number: %q", k, s)
					}
				}
			})
		}
	}
}

// TestCredentialQueryParametersAreRedacted: the value of every parameter
// carrying a credential is replaced, however its name is spelt; other
// parameters are kept.
func TestCredentialQueryParametersAreRedacted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"apikey=abc&access_token=def&password=ghi", "apikey=[redacted]&access_token=[redacted]&password=[redacted]"},
		{"APIKEY=abc", "APIKEY=[redacted]"},
		{"api_key=abc&x=1", "api_key=[redacted]&x=1"},
		{"api-key=abc", "api-key=[redacted]"},
		{"%61pikey=abc", "%61pikey=[redacted]"},
		{"%2561pikey=abc", "%2561pikey=[redacted]"},
		{"x=1;token=abc", "x=1;token=[redacted]"},
		{"id_token=a&refresh_token=b&client_secret=c&client_assertion=d", "id_token=[redacted]&refresh_token=[redacted]&client_secret=[redacted]&client_assertion=[redacted]"},
		{"code=abc&state=xyz", "code=[redacted]&state=xyz"},
		{"sig=abc&key=def", "sig=[redacted]&key=[redacted]"},
		{"subscription-key=abc", "subscription-key=[redacted]"},
		{"design=blue&postcode=LS1&_count=10", "design=blue&postcode=LS1&_count=10"},
		{"apikey", "apikey"},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := redactQuery(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestALoggedQueryHasNoCredentialNorNumber checks the two redactions
// together, on the written line.
func TestALoggedQueryHasNoCredentialNorNumber(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{})
	e := entry(clock)
	e.Query = "apikey=s3cr3t-key&access_token=tok.en&password=hunter2&nhs=943.476.5919"
	l.Log(e)
	l.Flush()
	lines := readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))
	got := lines[0]["query"].(string)
	for _, secret := range []string{"s3cr3t-key", "tok.en", "hunter2", "5919"} {
		if strings.Contains(got, secret) {
			t.Errorf("query %q holds %q", got, secret)
		}
	}
}

// TestATraceIDIsWrittenAsHexDigitsAndRedacted: a trace ID is written as
// its 32 hex digits, not at all when zero, and a number its digits spell
// (a client chooses the trace ID it continues) is redacted like any field.
func TestATraceIDIsWrittenAsHexDigitsAndRedacted(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   [16]byte
		want string // "" for no field
	}{
		{"zero", [16]byte{}, ""},
		{"hex", [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"spelling a number", [16]byte{0xab, 0x94, 0x34, 0x76, 0x59, 0x19, 0xcd}, "ab" + Redacted + "cd000000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testutil.NewClock(day("2025-03-01"))
			l := newLogger(t, clock, Options{})
			e := entry(clock)
			e.TraceID = tc.id
			l.Log(e)
			l.Flush()
			lines := readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1", len(lines))
			}
			got, present := lines[0]["traceId"]
			switch {
			case tc.want == "" && present:
				t.Errorf("traceId %v, want none", got)
			case tc.want != "" && got != tc.want:
				t.Errorf("traceId %v, want %q", got, tc.want)
			}
		})
	}
}
