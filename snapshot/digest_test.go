package snapshot

import (
	"strings"
	"testing"
)

func TestParseDigest(t *testing.T) {
	want := Digest([]byte("snapshot bytes"))
	hex := strings.TrimPrefix(want, "sha256:")
	upper := strings.ToUpper(hex)
	tests := []struct {
		name, in string
		err      string // substring of the error; "" for none
	}{
		{"as Digest writes it", want, ""},
		{"as a .sha256 file holds it", want + "\n", ""},
		{"without prefix", hex, ""},
		{"upper case", "sha256:" + upper, ""},
		{"upper case without prefix", upper, ""},
		{"mixed case", "sha256:" + hex[:32] + upper[32:], ""},
		{"surrounding white space and CRLF", " \t" + want + "\r\n", ""},
		{"sha256sum text mode", hex + "  snapshot.json\n", ""},
		{"sha256sum binary mode", upper + " *snapshot.json\n", ""},
		{"sha256sum file name with spaces", hex + "  my snapshot.json\n", ""},
		{"prefix and file name", want + "  snapshot.json\n", ""},

		{"empty", "", "empty digest"},
		{"only white space", " \n\t", "empty digest"},
		{"prefix only", "sha256:", "0 hex digits, want 64"},
		{"too short", hex[:63], "63 hex digits, want 64"},
		{"too long", "sha256:" + hex + "0", "65 hex digits, want 64"},
		{"sha512 length", strings.Repeat("ab", 64), "128 hex digits, want 64"},
		{"not hex", "sha256:" + hex[:63] + "g", `'g', which is not a hex digit`},
		{"not ASCII", hex[:62] + "é", `'é', which is not a hex digit`},
		{"upper-case prefix", "SHA256:" + hex, `digest algorithm "SHA256", want "sha256"`},
		{"other algorithm", "sha512:" + hex, `digest algorithm "sha512", want "sha256"`},
		{"prefix after white space", "sha256: " + hex, "0 hex digits, want 64"},
		{"second line", want + "\n" + want + "\n", "more than one line"},
		{"sha256sum of two files", hex + "  a.json\n" + hex + "  b.json\n", "more than one line"},
		{"sha256sum escaped name", `\` + hex + `  a\\b.json`, `'\\', which is not a hex digit`},
		{"base64", "sha256:" + strings.Repeat("A", 43) + "=", `'=', which is not a hex digit`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDigest(tc.in)
			if tc.err == "" {
				if err != nil || got != want {
					t.Errorf("ParseDigest(%q) = %q, %v; want %q", tc.in, got, err, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDigest(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.err)
			}
			if got != "" {
				t.Errorf("ParseDigest(%q) returned %q with its error, want \"\"", tc.in, got)
			}
		})
	}
}

func TestParseDigestIsIdempotent(t *testing.T) {
	// Sources parse what they read and pass the result on; anything that
	// parses it again (the verifier) must get the same digest back.
	d := Digest([]byte("x"))
	for _, in := range []string{d, strings.ToUpper(d[len("sha256:"):])} {
		once, err := ParseDigest(in)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := ParseDigest(once)
		if err != nil || twice != once || once != d {
			t.Errorf("ParseDigest(%q) = %q, then %q, %v; want %q both times", in, once, twice, err, d)
		}
	}
}
