package pathsafe

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// corpus is the security corpus: path-confusion cases seen in the wild
// (request smuggling to internal routes, WAF bypasses, servlet matrix
// parameters, IIS best-fit mappings, double encoding, overlong UTF-8).
var corpus = []struct {
	name   string
	in     string
	want   string // the clean path, when accepted
	reason Reason // the refusal, when refused
}{
	// Accepted, already canonical.
	{name: "a plain API path is kept", in: "/nhsbsa/prescription-exemptions/v1/exemptions", want: "/nhsbsa/prescription-exemptions/v1/exemptions"},
	{name: "the root is kept", in: "/", want: "/"},
	{name: "a trailing slash is kept", in: "/nhsbsa/api/v1/", want: "/nhsbsa/api/v1/"},
	{name: "dots inside a segment are a name", in: "/a/..b/c.json", want: "/a/..b/c.json"},
	{name: "a leading dot is a name", in: "/.well-known/x", want: "/.well-known/x"},
	{name: "a middle dot is a letter, not a full stop", in: "/col%C2%B7lecci%C3%B3", want: "/col%C2%B7lecci%C3%B3"},
	{name: "CJK and accented names are kept", in: "/%E4%B8%AD/caf%C3%A9", want: "/%E4%B8%AD/caf%C3%A9"},
	{name: "sub-delims, colon and at are literal", in: "/a/b:c@d!$&'()*+,=~", want: "/a/b:c@d!$&'()*+,=~"},
	{name: "an encoded space stays encoded", in: "/a%20b", want: "/a%20b"},
	{name: "a valid encoded UTF-8 name is kept", in: "/caf%C3%A9", want: "/caf%C3%A9"},
	{name: "an encoded question mark stays encoded", in: "/a%3Fb", want: "/a%3Fb"},
	// Accepted, rewritten to the canonical form.
	{name: "encoded unreserved letters are decoded", in: "/%61dmin/%41", want: "/admin/A"},
	{name: "encoded tilde, hyphen and underscore are decoded", in: "/%7Euser/a%2Db%5Fc", want: "/~user/a-b_c"},
	{name: "lower-case hex is upper-cased", in: "/caf%c3%a9/%3f", want: "/caf%C3%A9/%3F"},
	{name: "raw UTF-8 is percent-encoded", in: "/café", want: "/caf%C3%A9"},
	{name: "raw characters outside pchar are encoded", in: "/a\"b<c>d{e}|^`[]", want: "/a%22b%3Cc%3Ed%7Be%7D%7C%5E%60%5B%5D"},
	{name: "a raw space is encoded", in: "/a b", want: "/a%20b"},
	{name: "mixed raw and encoded UTF-8 bytes of one rune are accepted", in: "/caf\xc3%A9", want: "/caf%C3%A9"},

	// Refused: structure.
	{name: "an empty path is refused", in: "", reason: NotAbsolute},
	{name: "a relative path is refused", in: "nhsbsa/api", reason: NotAbsolute},
	{name: "the asterisk form is refused", in: "*", reason: NotAbsolute},
	{name: "an absolute URL is refused", in: "http://internal/admin", reason: NotAbsolute},
	{name: "a double slash is refused", in: "/nhsbsa//api", reason: EmptySegment},
	{name: "a leading double slash is refused", in: "//evil.example/a", reason: EmptySegment},
	{name: "a trailing double slash is refused", in: "/a//", reason: EmptySegment},
	{name: "a dot-dot segment is refused", in: "/nhsbsa/api/v1/../../admin", reason: DotSegment},
	{name: "a trailing dot-dot segment is refused", in: "/nhsbsa/..", reason: DotSegment},
	{name: "a dot segment is refused", in: "/nhsbsa/./api", reason: DotSegment},
	{name: "a trailing dot segment is refused", in: "/a/.", reason: DotSegment},
	{name: "a three-dot segment is refused", in: "/a/.../b", reason: DotSegment},
	{name: "a four-dot final segment is refused", in: "/a/....", reason: DotSegment},
	{name: "a segment ending with a dot is refused", in: "/a/x./b", reason: DotSegment},
	{name: "a final segment ending with a dot is refused", in: "/a/admin.", reason: DotSegment},
	{name: "a segment ending with two dots is refused", in: "/a/v1../b", reason: DotSegment},
	{name: "a path over the length limit is refused", in: "/" + strings.Repeat("a", MaxLen), reason: TooLong},
	{name: "a path that grows over the limit when encoded is refused", in: "/" + strings.Repeat("é", 700), reason: TooLong},
	{name: "too many segments are refused", in: strings.Repeat("/a", MaxSegments+1), reason: TooManySegments},

	// Refused: encodings that change the segments.
	{name: "an encoded slash is refused", in: "/nhsbsa%2Fapi", reason: EncodedSlash},
	{name: "a lower-case encoded slash is refused", in: "/nhsbsa%2fapi", reason: EncodedSlash},
	{name: "an encoded dot-dot is refused", in: "/a/%2E%2E/admin", reason: EncodedDot},
	{name: "a lower-case encoded dot is refused", in: "/a/%2e%2e/admin", reason: EncodedDot},
	{name: "a half-encoded dot-dot is refused", in: "/a/.%2e/admin", reason: EncodedDot},
	{name: "an encoded dot in a name is refused", in: "/a/b%2Ejson", reason: EncodedDot},
	{name: "a double-encoded slash is refused", in: "/a%252Fb", reason: EncodedPercent},
	{name: "a double-encoded dot-dot is refused", in: "/a/%252e%252e/b", reason: EncodedPercent},
	{name: "an encoded backslash is refused", in: "/a%5C..%5Cadmin", reason: Backslash},
	{name: "a lower-case encoded backslash is refused", in: "/a%5cb", reason: Backslash},
	{name: "a raw backslash is refused", in: "/a\\..\\admin", reason: Backslash},
	{name: "a matrix parameter is refused", in: "/admin;jsessionid=x/", reason: Semicolon},
	{name: "a dot-dot hidden behind a semicolon is refused", in: "/a/..;/admin", reason: Semicolon},
	{name: "an encoded semicolon is refused", in: "/a%3Bb", reason: Semicolon},

	// Refused: control characters and bad encodings.
	{name: "a raw NUL is refused", in: "/a\x00b", reason: ControlChar},
	{name: "an encoded NUL is refused", in: "/a%00.json", reason: ControlChar},
	{name: "an encoded CRLF is refused", in: "/a%0D%0ASet-Cookie:x", reason: ControlChar},
	{name: "a raw tab is refused", in: "/a\tb", reason: ControlChar},
	{name: "an encoded DEL is refused", in: "/a%7F", reason: ControlChar},
	{name: "an encoded C1 control is refused", in: "/a%C2%85b", reason: ControlChar},
	{name: "a truncated percent-encoding is refused", in: "/a%4", reason: BadEncoding},
	{name: "a bare percent is refused", in: "/100%", reason: BadEncoding},
	{name: "non-hex percent-encoding is refused", in: "/a%zzb", reason: BadEncoding},
	{name: "an overlong UTF-8 slash is refused", in: "/a%C0%AFadmin", reason: BadUTF8},
	{name: "an overlong UTF-8 dot is refused", in: "/a/%C0%AE%C0%AE/admin", reason: BadUTF8},
	{name: "a three-byte overlong slash is refused", in: "/a%E0%80%AFb", reason: BadUTF8},
	{name: "an encoded surrogate is refused", in: "/a%ED%A0%80", reason: BadUTF8},
	{name: "a truncated UTF-8 sequence is refused", in: "/caf%C3", reason: BadUTF8},
	{name: "a UTF-8 sequence cut by ASCII is refused", in: "/caf%C3a", reason: BadUTF8},
	{name: "a raw invalid UTF-8 byte is refused", in: "/a\xffb", reason: BadUTF8},
	{name: "a fullwidth solidus is refused", in: "/a%EF%BC%8F..%EF%BC%8Fadmin", reason: Lookalike},
	{name: "a raw fullwidth full stop is refused", in: "/a/\uff0e\uff0e/admin", reason: Lookalike},
	{name: "a division slash is refused", in: "/a\u2215b", reason: Lookalike},
	{name: "a one dot leader is refused", in: "/a/%E2%80%A4%E2%80%A4/b", reason: Lookalike},
	{name: "a two dot leader is refused", in: "/a/%E2%80%A5/admin", reason: Lookalike},
	{name: "a raw two dot leader is refused", in: "/a/\u2025/admin", reason: Lookalike},
	{name: "a horizontal ellipsis is refused", in: "/a/%E2%80%A6/b", reason: Lookalike},
	{name: "a vertical two dot leader is refused", in: "/a/%EF%B8%B0/admin", reason: Lookalike},
	{name: "a small full stop is refused", in: "/a/\ufe52\ufe52/b", reason: Lookalike},
	{name: "a digit with full stop is refused", in: "/a/%E2%92%88", reason: Lookalike},
	{name: "a small reverse solidus is refused", in: "/a\ufe68b", reason: Lookalike},
	{name: "a fullwidth reverse solidus is refused", in: "/a%EF%BC%BCb", reason: Lookalike},
	{name: "a set minus is refused", in: "/a\u2216b", reason: Lookalike},
	{name: "an ideographic full stop is refused", in: "/a/\u3002\u3002/b", reason: Lookalike},
	{name: "a halfwidth ideographic full stop is refused", in: "/a/%EF%BD%A1", reason: Lookalike},
	{name: "a combining long solidus overlay is refused", in: "/a\u0338b", reason: Lookalike},
}

func TestCorpus(t *testing.T) {
	if len(corpus) < 30 {
		t.Fatalf("got %d corpus cases, want at least 30", len(corpus))
	}
	for _, tc := range corpus {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if tc.reason != "" {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("Normalize(%q) = %q, %v; want a refusal for %q", tc.in, got, err, tc.reason)
				}
				if pe.Reason != tc.reason {
					t.Fatalf("got reason %q, want %q", pe.Reason, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			checkInvariants(t, tc.in, got)
		})
	}
}

func TestErrorDoesNotContainThePath(t *testing.T) {
	_, err := Normalize("/patients/9434765919/%2e%2e/admin")
	if err == nil {
		t.Fatal("got no error, want a refusal")
	}
	if strings.Contains(err.Error(), "9434765919") {
		t.Fatalf("got %q, want an error without the path", err)
	}
}

func TestNormalizeURLUsesTheRawPath(t *testing.T) {
	tests := []struct {
		name, target string
		reason       Reason
		want         string
	}{
		{name: "an encoded slash hidden by decoding is still refused", target: "/a%2Fb", reason: EncodedSlash},
		{name: "an encoded slash next to an invalid raw character is still refused", target: "/a%2Fb\"", reason: EncodedSlash},
		{name: "a clean request path is accepted", target: "/nhsbsa/api/v1/x?nhs=1", want: "/nhsbsa/api/v1/x"},
		{name: "an encoded space is kept encoded", target: "/a%20b", want: "/a%20b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			got, err := NormalizeURL(u)
			if tc.reason != "" {
				var pe *Error
				if !errors.As(err, &pe) || pe.Reason != tc.reason {
					t.Fatalf("got %q, %v; want reason %q", got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSetURLMakesTheEscapedPathTheCleanPath(t *testing.T) {
	for _, in := range []string{"/a/b", "/caf%C3%A9/%3F/x%20y", "/a%22b", "/~x/!$&'()*+,=:@"} {
		t.Run(in, func(t *testing.T) {
			clean, err := Normalize(in)
			if err != nil {
				t.Fatal(err)
			}
			var u url.URL
			if err := SetURL(&u, clean); err != nil {
				t.Fatal(err)
			}
			if got := u.EscapedPath(); got != clean {
				t.Fatalf("got %q, want %q", got, clean)
			}
		})
	}
}

func TestCleanPathIsReturnedWithoutAllocating(t *testing.T) {
	p := "/nhsbsa/prescription-exemptions/v1/exemptions/caf%C3%A9"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Normalize(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("got %v allocations, want 0", allocs)
	}
}

// checkInvariants asserts what every accepted path guarantees.
func checkInvariants(t *testing.T, in, clean string) {
	t.Helper()
	if !strings.HasPrefix(clean, "/") {
		t.Fatalf("Normalize(%q) = %q: does not start with /", in, clean)
	}
	if len(clean) > MaxLen {
		t.Fatalf("Normalize(%q) = %q: longer than %d", in, clean, MaxLen)
	}
	again, err := Normalize(clean)
	if err != nil || again != clean {
		t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, clean, clean, again, err)
	}
	if strings.Contains(clean, "//") {
		t.Fatalf("Normalize(%q) = %q: contains //", in, clean)
	}
	for _, bad := range []string{"%2F", "%2f", "%2E", "%2e", "%5C", "%5c", "%25", "%3B", "%3b", "\\", ";", "\x00"} {
		if strings.Contains(clean, bad) {
			t.Fatalf("Normalize(%q) = %q: contains %q", in, clean, bad)
		}
	}
	for i := 0; i < len(clean); i++ {
		if c := clean[i]; c < 0x21 || c >= 0x7f {
			t.Fatalf("Normalize(%q) = %q: contains byte %#x", in, clean, c)
		}
	}
	decoded, err := url.PathUnescape(clean)
	if err != nil {
		t.Fatalf("Normalize(%q) = %q: does not unescape: %v", in, clean, err)
	}
	if got, want := strings.Count(decoded, "/"), strings.Count(clean, "/"); got != want {
		t.Fatalf("Normalize(%q) = %q: %d segments decoded, %d encoded", in, clean, got, want)
	}
	// Read with compatibility folding (as NFKC-normalising or best-fit
	// readers do), the path has the same separators and no dot-only or
	// dot-ending segment.
	folded := norm.NFKC.String(decoded)
	if got, want := strings.Count(folded, "/"), strings.Count(clean, "/"); got != want {
		t.Fatalf("Normalize(%q) = %q: %d segments when NFKC-folded, %d encoded", in, clean, got, want)
	}
	if strings.ContainsRune(folded, '\\') {
		t.Fatalf("Normalize(%q) = %q: has a backslash when NFKC-folded", in, clean)
	}
	for _, seg := range strings.Split(folded, "/")[1:] {
		if strings.HasSuffix(seg, ".") {
			t.Fatalf("Normalize(%q) = %q: has a dot-only or dot-ending segment %q when decoded and folded", in, clean, seg)
		}
	}
	for _, r := range decoded {
		if r >= utf8.RuneSelf && strings.ContainsAny(norm.NFKC.String(string(r)), `./\`) {
			t.Fatalf("Normalize(%q) = %q: keeps %U, a compatibility form of a separator", in, clean, r)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, tc := range corpus {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		clean, err := Normalize(in)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Normalize(%q): got error %T, want *Error", in, err)
			}
			return
		}
		checkInvariants(t, in, clean)
	})
}

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, path string }{
		{"clean", "/nhsbsa/prescription-exemptions/v1/exemptions/9434765919"},
		{"rewritten", "/nhsbsa/prescription-exemptions/v1/%65xemptions/caf%c3%a9"},
		{"refused", "/nhsbsa/prescription-exemptions/v1/../../admin"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.path)))
			for b.Loop() {
				_, _ = Normalize(bc.path)
			}
		})
	}
}
