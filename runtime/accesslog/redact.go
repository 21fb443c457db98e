package accesslog

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Redacted replaces an NHS number in a logged path, query or user agent.
const Redacted = "[nhs-number]"

// maxDecodeRounds bounds how many times a logged value is percent-decoded
// to see through multiple encodings.
const maxDecodeRounds = 4

// maxSepRun is the longest run of separators between two digit groups of
// one NHS number ("943 / 476 / 5919", tabs, repeated spaces).
const maxSepRun = 8

// Redact returns s with every NHS number replaced by Redacted. s is first
// read as a person or a downstream tool would read it: percent-decoded
// repeatedly (double encoding), then NFKC-folded (fullwidth and other
// compatibility digits become ASCII digits); digits of any script count. An
// NHS number is ten digits with a valid check digit, delimited by
// non-digits, in digit groups separated by runs of spaces, tabs or
// punctuation other than the query's structure ('&', '=', '?', '#', ';'):
// "9434765919", "943 476 5919", "943.476.5919", "943_476_5919",
// "943/476/5919", "943+476+5919", "９４３４７６５９１９". A run of more than ten
// digits without separators is kept; ten digits with an invalid check digit
// are kept.
//
// When s holds no NHS number it is returned as is (without allocating when
// s is ASCII without escapes); otherwise the decoded, folded form is
// returned with every number replaced, or only Redacted when that form
// would decode further.
func Redact(s string) string {
	if !mayHoldNumber(s) {
		return s
	}
	v, stable := view(s)
	spans := findNHS(v, nil)
	if len(spans) == 0 {
		return s
	}
	if !stable {
		// Encoded more deeply than it is read: what is printed would
		// read as something else again, perhaps another number.
		return Redacted
	}
	out := make([]byte, 0, len(v))
	copied := 0
	for _, sp := range spans {
		out = append(out, v[copied:sp[0]]...)
		out = append(out, Redacted...)
		copied = sp[1]
	}
	return string(append(out, v[copied:]...))
}

// mayHoldNumber reports whether s may read as holding an NHS number: it
// has ten ASCII digits with no ASCII letter or query structure between
// them (which end a number, see findNHS), or a byte that view may decode
// or fold into one ('%' or a non-ASCII byte). Most logged values (paths,
// hexadecimal IDs) have neither, and are not scanned further.
func mayHoldNumber[S string | []byte](s S) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if digits++; digits == 10 {
				return true
			}
		case c == '%' || c >= utf8.RuneSelf:
			return true
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '&' || c == '=' || c == '?' || c == '#' || c == ';':
			digits = 0
		}
	}
	return false
}

// appendRedacted appends s, redacted and escaped as JSON string content.
func appendRedacted(b []byte, s string) []byte { return appendEscaped(b, Redact(s)) }

// view returns s as it reads once decoded: percent-decoded and NFKC-folded
// (when not ASCII), again and again, since folding can make an escape
// ("%¹0" becomes "%10") and decoding a compatibility digit, up to
// maxDecodeRounds times; stable tells whether one more round would change
// nothing. It returns s itself when there is nothing to decode.
func view(s string) (v string, stable bool) {
	v = s
	for range maxDecodeRounds {
		d := readOnce(v)
		if d == v {
			return v, true
		}
		v = d
	}
	return v, readOnce(v) == v
}

// readOnce percent-decodes s once, then NFKC-folds it when it is not ASCII.
func readOnce(s string) string {
	if strings.IndexByte(s, '%') >= 0 {
		s = percentDecode(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFKC.String(s)
		}
	}
	return s
}

// percentDecode decodes every valid %XX escape of s, leaving anything else
// (a bare '%', "%zz") as it is. It returns s when s has no valid escape.
func percentDecode(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			var c [1]byte
			if _, err := hex.Decode(c[:], []byte{s[i+1], s[i+2]}); err == nil {
				if b == nil {
					b = append(make([]byte, 0, len(s)), s[:i]...)
				}
				b = append(b, c[0])
				i += 2
				continue
			}
		}
		if b != nil {
			b = append(b, s[i])
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// digitValue returns the value of r if it is a decimal digit of any script,
// else -1. Unicode's decimal digits come in runs of ten from zero.
func digitValue(r rune) int {
	switch {
	case '0' <= r && r <= '9':
		return int(r - '0')
	case r < utf8.RuneSelf || !unicode.Is(unicode.Nd, r):
		return -1
	}
	v := 0
	for v < 100 && unicode.Is(unicode.Nd, r-rune(v)-1) {
		v++
	}
	return v % 10
}

// isSep reports whether r may separate the digit groups of one number: any
// space, punctuation or symbol but the query's structure.
func isSep(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case r == '&' || r == '=' || r == '?' || r == '#' || r == ';':
			return false
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return true
		}
		return r > ' ' && r < 0x7f && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// group is a run of digits in a token: its byte span and its digits.
type group struct {
	start, end int
	n          int
	digits     [10]byte // the first ten
}

// findNHS appends to spans the byte spans of the NHS numbers in v. A token
// is a sequence of digit groups separated by runs of at most maxSepRun
// separators; within a token, consecutive groups holding exactly ten
// digits with a valid check digit are a number (leftmost first, without
// overlap).
func findNHS(v string, spans [][2]int) [][2]int {
	var tok []group
	var inline [16]group
	tok = inline[:0]
	sepRun := 0
	flush := func() {
		for i := 0; i < len(tok); i++ {
			total := 0
			var d [10]byte
			for j := i; j < len(tok) && total+tok[j].n <= 10; j++ {
				copy(d[total:], tok[j].digits[:tok[j].n])
				total += tok[j].n
				if total == 10 {
					if ValidNHSNumber(&d) {
						spans = append(spans, [2]int{tok[i].start, tok[j].end})
						i = j
					}
					break
				}
			}
		}
		tok = tok[:0]
	}
	for i := 0; i < len(v); {
		c := v[i]
		// Fast skip of ASCII letters and query structure.
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '&' || c == '=' || c == '?' || c == '#' || c == ';') {
			if len(tok) > 0 {
				flush()
			}
			sepRun = 0
			i++
			continue
		}
		r, w := rune(c), 1
		if c >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(v[i:])
		}
		if dv := digitValue(r); dv >= 0 {
			if len(tok) > 0 && sepRun == 0 {
				// Continues the current group.
				g := &tok[len(tok)-1]
				if g.n < 10 {
					g.digits[g.n] = byte(dv)
				}
				g.n++
				g.end = i + w
			} else {
				tok = append(tok, group{start: i, end: i + w, n: 1})
				tok[len(tok)-1].digits[0] = byte(dv)
			}
			sepRun = 0
			i += w
			continue
		}
		if len(tok) > 0 && isSep(r) && sepRun < maxSepRun {
			sepRun++
			i += w
			continue
		}
		if len(tok) > 0 {
			flush()
		}
		sepRun = 0
		i += w
	}
	if len(tok) > 0 {
		flush()
	}
	return spans
}

// ValidNHSNumber reports whether the ten digits d (values 0-9) carry a valid
// NHS number check digit: weights 10 down to 2 on the first nine digits,
// check = 11 - (sum mod 11), where 11 means 0 and 10 means invalid.
func ValidNHSNumber(d *[10]byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]) * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9])
}

// TruncateIP removes the host part of a client address: IPv4 (and
// IPv4-mapped IPv6) to its /24, IPv6 to its /48, zone dropped. An invalid
// address stays invalid.
func TruncateIP(a netip.Addr) netip.Addr {
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Addr{}
	}
	return p.Addr()
}
