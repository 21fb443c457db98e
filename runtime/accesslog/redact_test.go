package accesslog

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// withCheckDigit returns the NHS number made of nine digits and its check
// digit, or "" when the check digit would be 10 (no valid number).
func withCheckDigit(nine string) string {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(nine[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		c = 0
	case 10:
		return ""
	}
	return nine + string(rune('0'+c))
}

func TestValidNHSNumbersAreRecognised(t *testing.T) {
	tests := []struct {
		number string
		want   bool
	}{
		{"9434765919", true},  // a published test number
		{"9434765870", true},  // check digit 11 → 0
		{"9434765918", false}, // wrong check digit
		{"9434765911", false},
		{"0000000000", true}, // sum 0 → check 11 → 0
		{"1000000001", true}, // sum 10 → check 1
		{"1000000002", false},
		{"1000000010", false},
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			var d [10]byte
			for i := range d {
				d[i] = tc.number[i] - '0'
			}
			if got := ValidNHSNumber(&d); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckDigitTenIsNeverValid(t *testing.T) {
	// 100000001: sum = 10 + 2 = 12, 12 mod 11 = 1, check 10.
	if got := withCheckDigit("100000001"); got != "" {
		t.Fatalf("got %q, want no valid number", got)
	}
	for c := byte('0'); c <= '9'; c++ {
		var d [10]byte
		copy(d[:], []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, c - '0'})
		if ValidNHSNumber(&d) {
			t.Fatalf("got 100000001%c valid, want invalid", c)
		}
	}
}

func TestRedact(t *testing.T) {
	other := withCheckDigit("401023213") // computed, not a published number
	if other == "" {
		t.Fatal("test number has no valid check digit")
	}
	tests := []struct {
		name, in, want string
	}{
		{"a number in a path segment is redacted", "/patients/9434765919/records", "/patients/[nhs-number]/records"},
		{"a number with check digit 0 is redacted", "/p/9434765870", "/p/[nhs-number]"},
		{"a computed valid number is redacted", "nhs=" + other, "nhs=[nhs-number]"},
		{"a number in a query is redacted", "nhsNumber=9434765919&_count=10", "nhsNumber=[nhs-number]&_count=10"},
		{"a spaced number is redacted", "q=943 476 5919", "q=[nhs-number]"},
		{"a hyphenated number is redacted", "/p/943-476-5919/x", "/p/[nhs-number]/x"},
		{"a number spaced with plus signs is redacted", "q=943+476+5919", "q=[nhs-number]"},
		{"a number spaced with %20 is redacted", "/p/943%20476%205919", "/p/[nhs-number]"},
		{"a number with percent-encoded digits is redacted", "q=%39%34%33%34%37%36%35%39%31%39", "q=[nhs-number]"},
		{"a number next to letters is redacted", "id=abc9434765919def", "id=abc[nhs-number]def"},
		{"two numbers are redacted", "a=9434765919&b=9434765870", "a=[nhs-number]&b=[nhs-number]"},
		{"a number at the start is redacted", "9434765919", "[nhs-number]"},
		{"a number after other digits and a space is redacted", "12 9434765919", "12 [nhs-number]"},
		{"a number with an invalid check digit is kept", "/patients/9434765918", "/patients/9434765918"},
		{"a number whose check digit would be 10 is kept", "/p/1000000010", "/p/1000000010"},
		{"eleven digits are kept", "/orders/94347659190", "/orders/94347659190"},
		{"nine digits are kept", "/orders/943476591", "/orders/943476591"},
		{"a valid number inside a longer run is kept", "/orders/19434765919", "/orders/19434765919"},
		{"a number grouped 4-2-4 is redacted", "q=9434 76 5919", "q=[nhs-number]"},
		{"a path without digits is kept", "/nhsbsa/prescription-exemptions/v1", "/nhsbsa/prescription-exemptions/v1"},
		{"an empty string is kept", "", ""},
		{"a trailing percent is kept", "q=100%", "q=100%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedactDoesNotAllocateWithoutANumber(t *testing.T) {
	s := "/nhsbsa/prescription-exemptions/v1/exemptions/12345?_count=10&date=2025-01-02"
	if allocs := testing.AllocsPerRun(100, func() { _ = Redact(s) }); allocs != 0 {
		t.Fatalf("got %v allocations, want 0", allocs)
	}
}

// referenceNumbers finds NHS numbers the slow way, from the definition:
// in the decoded, folded view, every span that starts and ends with a digit,
// is delimited by non-digits, holds exactly ten digits, and whose other
// characters are separator runs of at most maxSepRun.
func viewOf(s string) string {
	v, _ := view(s)
	return v
}

func referenceNumbers(s string) []string {
	v, _ := view(s)
	rs := []rune(v)
	var found []string
	for i := range rs {
		if digitValue(rs[i]) < 0 || i > 0 && digitValue(rs[i-1]) >= 0 {
			continue
		}
		digits, run := "", 0
		for j := i; j < len(rs); j++ {
			if v := digitValue(rs[j]); v >= 0 {
				digits += string(rune('0' + v))
				run = 0
				if len(digits) == 10 {
					if (j+1 == len(rs) || digitValue(rs[j+1]) < 0) && withCheckDigit(digits[:9]) == digits {
						found = append(found, digits)
					}
					break
				}
				continue
			}
			run++
			if !isSep(rs[j]) || run > maxSepRun {
				break
			}
		}
	}
	return found
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"/patients/9434765919/records", "q=943 476 5919", "q=943+476+5919&x=9434765870",
		"%39%34%33%34%37%36%35%39%31%39", "19434765919", "943-476-5919-1", "%3", "%2", "9434765918",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Redact(in)
		if left := referenceNumbers(out); len(left) > 0 {
			t.Fatalf("Redact(%q) = %q: still contains %v", in, out, left)
		}
		if !mayHoldNumber(in) && (len(findNHS(viewOf(in), nil)) > 0 || len(referenceNumbers(in)) > 0) {
			t.Fatalf("mayHoldNumber(%q) = false, but it holds a number", in)
		}
		if len(referenceNumbers(in)) == 0 && len(findNHS(viewOf(in), nil)) == 0 && out != in {
			t.Fatalf("Redact(%q) = %q: changed an input without NHS numbers", in, out)
		}
		if len(referenceNumbers(in)) > 0 && !strings.Contains(out, Redacted) {
			t.Fatalf("Redact(%q) = %q: redacted nothing", in, out)
		}
		// The JSON encoder redacts the same way.
		var decoded string
		enc := `"` + string(appendRedacted(nil, in)) + `"`
		if err := json.Unmarshal([]byte(enc), &decoded); err != nil {
			t.Fatalf("appendRedacted(%q) = %s: not a JSON string: %v", in, enc, err)
		}
		if utf8.ValidString(out) && decoded != out {
			t.Fatalf("appendRedacted(%q) decodes to %q, want %q", in, decoded, out)
		}
	})
}

func TestOnlyValuesWithTenDigitsUncutByLettersOrEncodingsAreScanned(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"/pub/api/v/things/123456789", false},
		{"", false},
		{"GET", false},
		{"/pub/api/v1/things/123456789", false},
		{"/pub/api/v1/123456789", true},
		{"4bf92f3577b34da6a3ce929d0e0e4736", false},
		{"4bf92f3577b34da6a3c9434765919e47", true},
		{"943a476b5919", false},
		{"q=943476&r=5919", false},
		{"943;4765919", false},
		{"943-476-5919", true},
		{"1 2 3 4 5 6 7 8 9 0", true},
		{"%39", true},
		{"\uff19", true},
	} {
		if got := mayHoldNumber(tc.in); got != tc.want {
			t.Errorf("mayHoldNumber(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestTruncateIP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"203.0.113.77", "203.0.113.0"},
		{"::ffff:203.0.113.77", "203.0.113.0"},
		{"2001:db8:abcd:1234:5678::1", "2001:db8:abcd::"},
		{"fe80::1%eth0", "fe80::"},
		{"127.0.0.1", "127.0.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := TruncateIP(netip.MustParseAddr(tc.in)).String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("an invalid address stays invalid", func(t *testing.T) {
		if got := TruncateIP(netip.Addr{}); got.IsValid() {
			t.Fatalf("got %q, want invalid", got)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"no number", "/nhsbsa/prescription-exemptions/v1/exemptions/12345?_count=10&date=2025-01-02"},
		{"one number", "/personal-demographics/FHIR/R4/Patient/9434765919"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Redact(bc.in)
			}
		})
	}
}

// What Redact prints reads as no NHS number, however it is read again:
// folding can make an escape, decoding can make a foldable digit, and a
// value may be encoded more deeply than one reading sees.
func TestRedactedOutputReadsAsNoNumberWhenReadAgain(t *testing.T) {
	for _, in := range []string{
		"0000000000%¹00003333000",             // ¹ folds to 1: "%10" decodes
		"9434765919 ％39434765919",             // a fullwidth percent folds to an escape
		"9434765919 %²5³9434765919",           // superscripts fold to "%25", then "%39"
		"9434765919 %2525252539434765919",     // encoded once more than is read
		"9434765919/%25252525252539434765919", // and more
	} {
		out := Redact(in)
		if left := referenceNumbers(out); len(left) > 0 {
			t.Errorf("Redact(%q) = %q, which reads as %v", in, out, left)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("Redact(%q) = %q, want %q in it", in, out, Redacted)
		}
	}
}
