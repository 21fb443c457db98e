package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestURLMasksEveryCredential(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:s3cret@git.example/platform.git", "https://user:REDACTED@git.example/platform.git"},
		{"https://ghp_s3cret@git.example/platform.git", "https://REDACTED@git.example/platform.git"},
		{"http://x-access-token:s3cret@127.0.0.1:3000/r.git", "http://x-access-token:REDACTED@127.0.0.1:3000/r.git"},
		{"https://git.example/r.git?token=s3cret", "https://git.example/r.git?token=REDACTED"},
		{"https://git.example/r.git?a=1&access_token=s3cret&private_token=s4", "https://git.example/r.git?a=1&access_token=REDACTED&private_token=REDACTED"},
		{"https://h.example/jwks.json?apikey=s3cret&sig=s4&code=s5", "https://h.example/jwks.json?apikey=REDACTED&sig=REDACTED&code=REDACTED"},
		{"https://u:p%40ss@h.example/x", "https://u:REDACTED@h.example/x"},
		{"ssh://git@git.example/platform.git", "ssh://git@git.example/platform.git"},
		{"ssh://git:s3cret@git.example/platform.git", "ssh://git:REDACTED@git.example/platform.git"},
		{"https://git.example/platform.git", "https://git.example/platform.git"},
		{"https://git.example/r.git?ref=main&design=x", "https://git.example/r.git?ref=main&design=x"},
		{"git@git.example:platform.git", "git@git.example:platform.git"},
		{"https://us er:s3cret@h.example/x", "https://REDACTED@h.example/x"},
		{"https://h.example/cb#access_token=s3cret&state=1", "https://h.example/cb#access_token=REDACTED&state=1"},
		{"https://h.example/cb?code=s3cret#id_token=s4", "https://h.example/cb?code=REDACTED#id_token=REDACTED"},
		{"https://h.example/%zz?token=s3cret", "https://h.example/%zz?token=REDACTED"},
		{"https://h.example/%zz#a=1&client_secret=s3cret", "https://h.example/%zz#a=1&client_secret=REDACTED"},
		{"https://u:s3cret@h.example:port/x?sig=s4", "https://REDACTED@h.example:port/x?sig=REDACTED"},
		{"/var/lib/frontdoor", "/var/lib/frontdoor"},
		{"https://REDACTED@h.example/x…", "https://REDACTED@h.example/x…"},
		{"https://u:REDACTED@h.example/x?token=REDACTED…", "https://u:REDACTED@h.example/x?token=REDACTED"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTextMasksEveryURLInAMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`fetching https://u:s3cret@git.example/r.git main: Get "https://u:s3cret@git.example/r.git/info/refs?service=git-upload-pack": EOF`,
			`fetching https://u:REDACTED@git.example/r.git main: Get "https://u:REDACTED@git.example/r.git/info/refs?service=git-upload-pack": EOF`},
		{"remote https://tok@h.example/r.git, then http://h.example/x?token=abc.", "remote https://REDACTED@h.example/r.git, then http://h.example/x?token=REDACTED."},
		{"no url here", "no url here"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorMasksItsMessageAndKeepsItsChain(t *testing.T) {
	err := Error(fmt.Errorf("fetching https://u:s3cret@h.example/r.git: %w", fs.ErrPermission))
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %q, want the password masked", err)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("the masked error no longer wraps its cause")
	}
	plain := errors.New("nothing to mask")
	if Error(plain) != plain {
		t.Error("an error without credentials was wrapped")
	}
}

func TestCredentialParamsAreRecognisedInEverySpelling(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"apikey", true}, {"APIKEY", true}, {"api_key", true}, {"Api-Key", true}, {"%61pikey", true}, {"%2561pikey", true},
		{"access_token", true}, {"id_token", true}, {"password", true}, {"client_secret", true}, {"client_assertion", true},
		{"key", true}, {"code", true}, {"sig", true}, {"X-Api-Key", true},
		{"keyword", false}, {"postcode", false}, {"design", false}, {"q", false}, {"_count", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CredentialParam(tc.name); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
