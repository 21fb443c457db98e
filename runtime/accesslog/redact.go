package accesslog

import "net/netip"

// Redacted replaces an NHS number in a logged path, query or user agent.
const Redacted = "[nhs-number]"

// unit is one character of a URL component: a raw byte or a %XX escape.
type unitKind uint8

const (
	unitOther unitKind = iota
	unitDigit
	unitSep
)

// unitAt classifies the unit at s[i] and returns its width. Digits may be
// raw or percent-encoded (%30-%39); separators are ' ', '-', '+' (a space in
// a query), %20 and %2D.
func unitAt(s string, i int) (kind unitKind, digit byte, width int) {
	c := s[i]
	switch {
	case '0' <= c && c <= '9':
		return unitDigit, c - '0', 1
	case c == ' ' || c == '-' || c == '+':
		return unitSep, 0, 1
	case c == '%' && i+2 < len(s):
		switch a, b := s[i+1], s[i+2]; {
		case a == '3' && '0' <= b && b <= '9':
			return unitDigit, b - '0', 3
		case a == '2' && (b == '0' || b == 'D' || b == 'd'):
			return unitSep, 0, 3
		}
	}
	return unitOther, 0, 1
}

// matchNHS reports whether an NHS-number-shaped token starts at s[i] (whose
// preceding unit is not a digit) and where it ends: three digits, an
// optional separator, three digits, an optional separator, four digits, then
// no further digit. The token's digits are returned in d.
func matchNHS(s string, i int, d *[10]byte) (end int, ok bool) {
	n := 0
	for _, group := range [3]int{3, 3, 4} {
		if n > 0 && i < len(s) {
			if k, _, w := unitAt(s, i); k == unitSep {
				i += w
			}
		}
		for j := 0; j < group; j++ {
			if i >= len(s) {
				return 0, false
			}
			k, v, w := unitAt(s, i)
			if k != unitDigit {
				return 0, false
			}
			d[n] = v
			n++
			i += w
		}
	}
	if i < len(s) {
		if k, _, _ := unitAt(s, i); k == unitDigit {
			return 0, false
		}
	}
	return i, true
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

// Redact returns s with every NHS number replaced by Redacted. An NHS number
// is ten digits delimited by non-digits, optionally spaced or hyphenated
// 3-3-4 (separators ' ', '-', '+', %20, %2D; digits raw or percent-encoded),
// with a valid check digit. Ten digits with an invalid check digit, and runs
// of more than ten digits, are kept. Redact returns s itself, without
// allocating, when there is nothing to redact. It is a single byte scan.
func Redact(s string) string {
	start, end, ok := nextNHS(s, 0)
	if !ok {
		return s
	}
	out := make([]byte, 0, len(s)+len(Redacted))
	copied := 0
	for ok {
		out = append(out, s[copied:start]...)
		out = append(out, Redacted...)
		copied = end
		start, end, ok = nextNHS(s, end)
	}
	return string(append(out, s[copied:]...))
}

// appendRedacted appends s, redacted and escaped as JSON string content.
func appendRedacted(b []byte, s string) []byte {
	copied := 0
	for start, end, ok := nextNHS(s, 0); ok; start, end, ok = nextNHS(s, end) {
		b = appendEscaped(b, s[copied:start])
		b = append(b, Redacted...)
		copied = end
	}
	return appendEscaped(b, s[copied:])
}

// nextNHS finds the first NHS number in s at or after from, which is 0 or
// the end of a previous match (so the unit before it is not a digit, or was
// part of that match).
func nextNHS(s string, from int) (start, end int, ok bool) {
	var digits [10]byte
	prevDigit := false
	for i := from; i < len(s); {
		c := s[i]
		// Fast skip of bytes that cannot start a digit unit.
		if c > '9' || (c < '0' && c != '%') {
			prevDigit = false
			i++
			continue
		}
		k, _, w := unitAt(s, i)
		if k != unitDigit {
			prevDigit = false
			i += w
			continue
		}
		if !prevDigit {
			if end, ok := matchNHS(s, i, &digits); ok && ValidNHSNumber(&digits) {
				return i, end, true
			}
		}
		prevDigit = true
		i += w
	}
	return 0, 0, false
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
