// Package pathsafe is the first stage of the gateway's request path: it
// normalises a request path once and refuses paths that different parsers
// (the gateway's router, an upstream framework, a WAF, a logger) could read
// differently.
//
// The clean path Normalize returns is the only form of the path the rest of
// the request path may use: routing (longest base-path prefix), entitlement
// and the upstream request all see exactly these bytes, so no later stage
// can disagree with another about which resource is meant.
//
// # Rules
//
// The input is the path in its escaped (wire) form, as it appeared in the
// request line (for a *url.URL, its EscapedPath). A path is refused, with an
// *Error whose Reason names the rule, when it:
//
//   - is empty or does not start with "/" (asterisk-form, authority-form);
//   - is longer than MaxLen bytes, before or after normalising, or has more
//     than MaxSegments segments;
//   - contains an empty segment ("//"); a single trailing "/" is allowed,
//     because "/a/" and "/a" are different resources to many upstreams;
//   - contains a segment made of dots only (".", "..", "...") or ending
//     with "." ("x."): upstreams resolve dot segments differently (or not
//     at all), and Windows file systems and IIS drop trailing dots, so
//     "x." and "..." are read as "x" and ".." there;
//   - percent-encodes "/" (%2F), "\" (%5C) or "." (%2E), in either case:
//     the decoded and undecoded paths would have different segments;
//   - percent-encodes "%" (%25): double encoding hides any of the above
//     from one decoder and not the next;
//   - contains a raw "\" (Windows and some proxies treat it as "/");
//   - contains ";" raw or encoded (%3B): matrix/path parameters that
//     servlet containers strip ("/admin;x=1/") and routers do not;
//   - contains a control character (0x00-0x1F, 0x7F, U+0080-U+009F), raw
//     or encoded, including NUL;
//   - contains an invalid percent-encoding ("%", "%4", "%zz");
//   - decodes to bytes that are not valid UTF-8, including overlong forms
//     (%C0%AF for "/") and encoded surrogates;
//   - contains a non-ASCII look-alike of "/", "\" or ".": any character
//     whose NFKC compatibility form contains one of them (fullwidth solidus
//     U+FF0F, one dot leader U+2024, two dot leader U+2025, ellipsis
//     U+2026, vertical two dot leader U+FE30, fullwidth full stop U+FF0E,
//     "1." U+2488, ...), and the separator-like punctuation and symbols
//     that have no such form but that best-fit code page mappings or
//     readers take for one (division slash U+2215, set minus U+2216,
//     ideographic full stop U+3002, combining solidus overlays, ...).
//
// # Canonical form
//
// An accepted path is rewritten to one canonical spelling, so that routing
// compares like with like:
//
//   - percent-encoded unreserved characters (ALPHA, DIGIT, "-", "_", "~")
//     are decoded ("%41" becomes "A");
//   - every other percent-encoding keeps its encoding with upper-case hex
//     ("%c3%a9" becomes "%C3%A9", "%3f" becomes "%3F");
//   - raw bytes outside RFC 3986 pchar (non-ASCII UTF-8, space, '"', '<',
//     '>', '^', '`', '{', '|', '}', '[', ']', '?', '#') are percent-encoded.
//
// Normalize is idempotent on its output, and it neither allocates nor copies
// when the input is already canonical (the common case).
//
// Because encoded slashes are refused, url.PathUnescape of the clean path has
// exactly the same segments; an upstream request should carry the clean path
// as url.URL.RawPath and its unescaped form as url.URL.Path (see SetURL).
package pathsafe

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on accepted paths.
const (
	// MaxLen is the longest accepted path in bytes, both as received and
	// after normalising.
	MaxLen = 2048
	// MaxSegments is the largest accepted number of "/"-separated segments.
	MaxSegments = 64
)

// Reason names the rule a refused path broke. Its values are stable and safe
// to use as a metric label or in a response body.
type Reason string

// Reasons a path is refused.
const (
	NotAbsolute     Reason = "not absolute"
	TooLong         Reason = "too long"
	TooManySegments Reason = "too many segments"
	EmptySegment    Reason = "empty segment"
	DotSegment      Reason = "dot segment"
	EncodedSlash    Reason = "encoded slash"
	EncodedDot      Reason = "encoded dot"
	EncodedPercent  Reason = "encoded percent (double encoding)"
	Backslash       Reason = "backslash"
	Semicolon       Reason = "semicolon (path parameter)"
	ControlChar     Reason = "control character"
	BadEncoding     Reason = "invalid percent-encoding"
	BadUTF8         Reason = "invalid utf-8"
	Lookalike       Reason = "look-alike of a separator"
)

// Error reports why a path was refused. It never includes the path itself,
// which may carry personal data; Offset is the byte offset in the input at
// which the rule was broken. The gateway answers 400 Bad Request to any
// *Error.
type Error struct {
	Reason Reason
	Offset int
}

func (e *Error) Error() string {
	return "ambiguous path: " + string(e.Reason) + " at byte " + strconv.Itoa(e.Offset)
}

func fail(r Reason, off int) (string, error) { return "", &Error{Reason: r, Offset: off} }

// Byte classes of the raw input.
const (
	clsLiteral   = iota // pchar kept as is: unreserved, sub-delims but ';', ':', '@'
	clsSlash            // '/'
	clsPercent          // '%'
	clsEncode           // printable ASCII outside pchar: percent-encoded on output
	clsHigh             // 0x80-0xFF: part of a UTF-8 sequence, percent-encoded on output
	clsBackslash        // '\\'
	clsSemicolon        // ';'
	clsControl          // 0x00-0x1F, 0x7F
)

// class maps each input byte to its class. It is filled once at package
// initialisation and only read afterwards.
var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c < 0x20 || c == 0x7f:
			t[c] = clsControl
		case c >= 0x80:
			t[c] = clsHigh
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$&'()*+,=:@", byte(c)) >= 0:
			t[c] = clsLiteral
		case c == '/':
			t[c] = clsSlash
		case c == '%':
			t[c] = clsPercent
		case c == '\\':
			t[c] = clsBackslash
		case c == ';':
			t[c] = clsSemicolon
		default:
			t[c] = clsEncode
		}
	}
	return t
}()

// unreserved reports whether c is decoded when found percent-encoded. '.' is
// unreserved too, but %2E is refused before this is consulted.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperhex = "0123456789ABCDEF"

// utf8Run accumulates the decoded bytes of a run of non-ASCII input (raw or
// percent-encoded) and validates them rune by rune without allocating.
type utf8Run struct {
	buf   [utf8.UTFMax]byte
	n     int
	start int // input offset of the first byte of the pending rune
}

// add appends a decoded byte at input offset off and reports the reason the
// run is invalid, if it is.
func (u *utf8Run) add(b byte, off int) Reason {
	if u.n == 0 {
		u.start = off
	}
	u.buf[u.n] = b
	u.n++
	if !utf8.FullRune(u.buf[:u.n]) {
		return ""
	}
	r, size := utf8.DecodeRune(u.buf[:u.n])
	if r == utf8.RuneError && size <= 1 || size != u.n {
		return BadUTF8
	}
	u.n = 0
	switch {
	case r >= 0x80 && r <= 0x9f:
		return ControlChar
	case lookalike(r):
		return Lookalike
	}
	return ""
}

// lookalike reports whether r, a non-ASCII character, may be read as '/',
// '\' or '.' somewhere: its NFKC compatibility form contains one (the
// class of fullwidth, small, leader and enclosed forms), or it is one of
// the separator-like characters without such a form that best-fit
// mappings or readers take for a separator.
func lookalike(r rune) bool {
	switch r {
	case 0x0337, 0x0338, // COMBINING SHORT and LONG SOLIDUS OVERLAY
		0x20E5, 0x20EB, // COMBINING REVERSE SOLIDUS and LONG DOUBLE SOLIDUS OVERLAY
		0x2044,         // FRACTION SLASH
		0x2215,         // DIVISION SLASH
		0x2216,         // SET MINUS
		0x2571, 0x2572, // BOX DRAWINGS LIGHT DIAGONALS
		0x27CB, 0x27CD, // MATHEMATICAL RISING and FALLING DIAGONAL
		0x29F5,         // REVERSE SOLIDUS OPERATOR
		0x29F8, 0x29F9, // BIG SOLIDUS, BIG REVERSE SOLIDUS
		0x2027,         // HYPHENATION POINT
		0x0701, 0x0702, // SYRIAC SUPRALINEAR and SUBLINEAR FULL STOP
		0x06D4, // ARABIC FULL STOP
		0x3002, // IDEOGRAPHIC FULL STOP (NFKC of U+FF61)
		0xFF61: // HALFWIDTH IDEOGRAPHIC FULL STOP
		return true
	}
	var enc [utf8.UTFMax]byte
	d := norm.NFKC.Properties(enc[:utf8.EncodeRune(enc[:], r)]).Decomposition()
	return bytes.ContainsAny(d, `./\`)
}

// Normalize checks rawPath, in escaped form, against the package's rules and
// returns its canonical form. It returns rawPath itself, without allocating,
// when rawPath is already canonical. A refused path yields an *Error.
// Normalize is safe for concurrent use.
func Normalize(rawPath string) (clean string, err error) {
	n := len(rawPath)
	if n == 0 || rawPath[0] != '/' {
		return fail(NotAbsolute, 0)
	}
	if n > MaxLen {
		return fail(TooLong, MaxLen)
	}
	var (
		run      utf8Run
		segStart = 1 // input offset of the current segment
		segs     = 1
		outLen   = 0     // length of the canonical form
		dirty    = false // the canonical form differs from rawPath
	)
	for i := 0; i < n; i++ {
		c := rawPath[i]
		cls := class[c]
		if run.n > 0 && cls != clsHigh && cls != clsPercent {
			return fail(BadUTF8, run.start)
		}
		switch cls {
		case clsLiteral:
			outLen++
		case clsSlash:
			if i == 0 {
				outLen++
				continue
			}
			if r := checkSegment(rawPath[segStart:i]); r != "" {
				return fail(r, segStart)
			}
			segStart = i + 1
			segs++
			if segs > MaxSegments {
				return fail(TooManySegments, i)
			}
			outLen++
		case clsPercent:
			if i+2 >= n {
				return fail(BadEncoding, i)
			}
			hi, ok1 := unhex(rawPath[i+1])
			lo, ok2 := unhex(rawPath[i+2])
			if !ok1 || !ok2 {
				return fail(BadEncoding, i)
			}
			b := hi<<4 | lo
			if run.n > 0 && b < 0x80 {
				return fail(BadUTF8, run.start)
			}
			switch {
			case b == '/':
				return fail(EncodedSlash, i)
			case b == '.':
				return fail(EncodedDot, i)
			case b == '%':
				return fail(EncodedPercent, i)
			case b == '\\':
				return fail(Backslash, i)
			case b == ';':
				return fail(Semicolon, i)
			case b < 0x20 || b == 0x7f:
				return fail(ControlChar, i)
			case b >= 0x80:
				if r := run.add(b, i); r != "" {
					return fail(r, run.start)
				}
				outLen += 3
				dirty = dirty || isLowerHex(rawPath[i+1]) || isLowerHex(rawPath[i+2])
			case unreserved(b):
				outLen++
				dirty = true
			default:
				outLen += 3
				dirty = dirty || isLowerHex(rawPath[i+1]) || isLowerHex(rawPath[i+2])
			}
			i += 2
		case clsEncode:
			outLen += 3
			dirty = true
		case clsHigh:
			if r := run.add(c, i); r != "" {
				return fail(r, run.start)
			}
			outLen += 3
			dirty = true
		case clsBackslash:
			return fail(Backslash, i)
		case clsSemicolon:
			return fail(Semicolon, i)
		case clsControl:
			return fail(ControlChar, i)
		}
	}
	if run.n > 0 {
		return fail(BadUTF8, run.start)
	}
	// The last segment may be empty (a trailing slash), but not "." or "..".
	if segStart < n {
		if r := checkSegment(rawPath[segStart:]); r != "" {
			return fail(r, segStart)
		}
	}
	if outLen > MaxLen {
		return fail(TooLong, MaxLen)
	}
	if !dirty {
		return rawPath, nil
	}
	return canonical(rawPath, outLen), nil
}

func isLowerHex(c byte) bool { return 'a' <= c && c <= 'f' }

// checkSegment checks one non-final segment (or a non-empty final one), in
// its escaped form (a "." in it is a literal dot: %2E is refused).
func checkSegment(seg string) Reason {
	switch {
	case seg == "":
		return EmptySegment
	case seg[len(seg)-1] == '.':
		// ".", "..", "..." and "x.": dot-only segments and trailing dots.
		return DotSegment
	}
	return ""
}

// canonical rewrites an already validated path into its canonical form of
// length outLen.
func canonical(p string, outLen int) string {
	var b strings.Builder
	b.Grow(outLen)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch class[c] {
		case clsPercent:
			hi, _ := unhex(p[i+1])
			lo, _ := unhex(p[i+2])
			d := hi<<4 | lo
			if d < 0x80 && unreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperhex[d>>4])
				b.WriteByte(upperhex[d&15])
			}
			i += 2
		case clsEncode, clsHigh:
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// NormalizeURL normalises u's path exactly as received: u.RawPath when set
// (net/url keeps the raw form there whenever it differs from the default
// encoding, even when it is not a valid encoding of u.Path), otherwise the
// default encoding of u.Path. Use it on an http.Request's URL as parsed by
// net/http. It does not modify u.
func NormalizeURL(u *url.URL) (string, error) {
	if u.RawPath != "" {
		return Normalize(u.RawPath)
	}
	return Normalize(u.EscapedPath())
}

// SetURL sets u's path to clean, a path returned by Normalize: RawPath to the
// canonical escaped form and Path to its decoded form, so that
// u.EscapedPath() == clean and an upstream sees exactly the clean path.
func SetURL(u *url.URL, clean string) error {
	p, err := url.PathUnescape(clean)
	if err != nil {
		return err
	}
	u.Path = p
	u.RawPath = clean
	return nil
}
