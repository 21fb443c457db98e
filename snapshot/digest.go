package snapshot

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseDigest reads an expected snapshot digest that comes from outside the
// process (a .sha256 file beside the snapshot, an artifact's annotation) and
// returns it in Digest's form, "sha256:" and 64 lower-case hex digits: the
// one form digests are compared in, so that a digest accepted here always
// equals Digest of the bytes it names. It accepts
//
//   - "sha256:<hex>", as frontdoor build writes it, or "<hex>";
//   - either followed by a file name, as in the lines sha256sum writes
//     ("<hex>  name", or "<hex> *name" in binary mode): the name is ignored;
//
// with white space around it (a file's final newline, a CRLF) and the hex
// digits in either case: they name the same bytes however they are spelt,
// and tools differ (PowerShell's Get-FileHash prints upper case). Anything
// else is an error, a second line included, rather than a digest that
// matches nothing: a publisher's mistake is then reported as what it is.
func ParseDigest(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty digest")
	}
	if strings.Contains(s, "\n") {
		return "", errors.New("digest spans more than one line")
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		s = s[:i] // sha256sum's file name follows
	}
	hexDigits, prefixed := strings.CutPrefix(s, "sha256:")
	if i := strings.IndexByte(s, ':'); !prefixed && i >= 0 {
		return "", fmt.Errorf("digest algorithm %.16q, want \"sha256\"", s[:i])
	}
	for i := 0; i < len(hexDigits); i++ {
		if !isHexDigit(hexDigits[i]) {
			r, _ := utf8.DecodeRuneInString(hexDigits[i:])
			return "", fmt.Errorf("digest has %q, which is not a hex digit", r)
		}
	}
	if len(hexDigits) != 64 {
		return "", fmt.Errorf("digest has %d hex digits, want 64", len(hexDigits))
	}
	return "sha256:" + strings.ToLower(hexDigits), nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
