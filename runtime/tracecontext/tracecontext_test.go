package tracecontext_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
)

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParseAcceptsOnlyWellFormedTraceparents(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"the specification's example", valid, true},
		{"not sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"a higher version with more fields", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", true},
		{"a higher version, exact length", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"empty", "", false},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"version 00 with more fields", valid + "-00", false},
		{"a higher version glued to more", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false},
		{"upper-case hex", strings.ToUpper(valid), false},
		{"upper-case trace id", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"short trace id", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
		{"wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"non-hex flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", false},
		{"spaces", " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"trailing space", valid + " ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tracecontext.Parse(tc.in); ok != tc.ok {
				t.Errorf("Parse(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
		})
	}
}

func TestStringRoundTripsAVersion00Traceparent(t *testing.T) {
	c, ok := tracecontext.Parse(valid)
	if !ok {
		t.Fatal("the example does not parse")
	}
	if got := c.String(); got != valid {
		t.Errorf("got %q, want %q", got, valid)
	}
	if got, want := c.TraceIDString(), "4bf92f3577b34da6a3ce929d0e0e4736"; got != want {
		t.Errorf("trace id %q, want %q", got, want)
	}
}

func TestPropagate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   http.Header
		// continues: the client's trace goes on; keepState: its
		// tracestate reaches the upstream.
		continues, keepState bool
	}{
		{"a valid traceparent continues with its state", http.Header{"Traceparent": {valid}, "Tracestate": {"vendor=abc"}}, true, true},
		{"no traceparent starts a trace", http.Header{}, false, false},
		{"a malformed traceparent starts a trace and drops the state", http.Header{"Traceparent": {"00-xyz"}, "Tracestate": {"vendor=abc"}}, false, false},
		{"two traceparents start a trace", http.Header{"Traceparent": {valid, valid}, "Tracestate": {"vendor=abc"}}, false, false},
		{"an oversized tracestate is dropped", http.Header{"Traceparent": {valid}, "Tracestate": {strings.Repeat("v=x,", 200)}}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.in.Clone()
			got := tracecontext.Propagate(h)
			parent, parentOK := tracecontext.Parse(strings.Join(tc.in["Traceparent"], ""))
			if v := h["Traceparent"]; len(v) != 1 || v[0] != got.String() {
				t.Fatalf("traceparent upstream %q, want %q", v, got.String())
			}
			if !got.Valid() {
				t.Fatalf("the upstream's trace context %v is not valid", got)
			}
			if continues := parentOK && got.TraceID == parent.TraceID; continues != tc.continues {
				t.Errorf("trace continued = %v, want %v", continues, tc.continues)
			}
			if parentOK && got.SpanID == parent.SpanID {
				t.Error("the upstream's parent span is the client's, want a new span id")
			}
			if kept := h["Tracestate"] != nil; kept != tc.keepState {
				t.Errorf("tracestate kept = %v, want %v", kept, tc.keepState)
			}
		})
	}
}

func TestNewTracesDiffer(t *testing.T) {
	seen := map[[16]byte]bool{}
	for range 1000 {
		c := tracecontext.New()
		if seen[c.TraceID] {
			t.Fatalf("trace id %s started twice", c.TraceIDString())
		}
		seen[c.TraceID] = true
	}
}

// reference is the specification's version 00 grammar, plus the rule for
// higher versions, as a regular expression.
var reference = regexp.MustCompile(`(?s)^(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}|([0-9a-f][0-9a-e]|[0-9a-e][0-9a-f])-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?)$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{valid, "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "ff-" + valid[3:], "", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := tracecontext.Parse(s)
		zero := len(s) >= 52 && (s[3:35] == strings.Repeat("0", 32) || s[36:52] == strings.Repeat("0", 16))
		want := reference.MatchString(s) && !zero && !(strings.HasPrefix(s, "00") && len(s) != 55)
		if ok != want {
			t.Fatalf("Parse(%q) ok = %v, want %v", s, ok, want)
		}
		if !ok {
			return
		}
		if !c.Valid() {
			t.Fatalf("Parse(%q) returned an invalid context", s)
		}
		if got := c.String(); got[3:] != s[3:55] {
			t.Fatalf("String() = %q, want the fields of %q", got, s)
		}
		if again, ok := tracecontext.Parse(c.String()); !ok || again != c {
			t.Fatalf("%q does not parse back to itself", c.String())
		}
	})
}
