package snapshot

import (
	"strings"
	"testing"
)

func TestURLCredentialFindsCredentialsInEveryForm(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"user and password", "https://svc:hunter2@up.example/x"},
		{"user only (a token as the user)", "https://ghp_abcdef@up.example/x"},
		{"api_key parameter", "https://up.example/x?api_key=abc"},
		{"apikey parameter, mixed case", "https://up.example/x?ApiKey=abc"},
		{"access_token parameter", "https://up.example/x?a=1&access_token=abc"},
		{"token parameter", "https://up.example/x?token=abc"},
		{"key parameter", "https://up.example/x?key=abc"},
		{"secret parameter", "https://up.example/x?SECRET=abc"},
		{"password parameter", "https://up.example/x?password=abc"},
		{"sig parameter", "https://up.example/x?sv=2020&sig=abc"},
		{"signature parameter", "https://up.example/x?Signature=abc"},
		{"percent-encoded name", "https://up.example/x?api%5Fkey=abc"},
		{"twice percent-encoded name", "https://up.example/x?api%255Fkey=abc"},
		{"hyphenated name", "https://up.example/x?api-key=abc"},
		{"amazon signed URL", "https://b.example/o?X-Amz-Algorithm=AWS4&X-Amz-Signature=abc"},
		{"client_secret", "https://idp.example/token?client_secret=abc"},
		{"token in the fragment", "https://app.example/cb#access_token=abc&type=bearer"},
		{"other scheme with password", "postgres://u:p@db.example/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := URLCredential(tc.url)
			if got == "" {
				t.Fatalf("got no credential in %q", tc.url)
			}
			if strings.Contains(got, "abc") || strings.Contains(got, "hunter2") {
				t.Errorf("got %q, which quotes the credential", got)
			}
		})
	}
}

func TestURLCredentialAcceptsURLsWithoutCredentials(t *testing.T) {
	for _, u := range []string{
		"https://up.example/x",
		"https://up.example/x?format=json&page=2",
		"https://up.example/x?pageToken=abc",
		"https://up.example/x?next_token=abc",
		"https://up.example/x?apikey={apikey}",
		"https://up.example/x?token=",
		"https://up.example/x?keyword=asthma",
		"https://up.example/x#section-2",
		"mailto:team@example.org",
		"not a url at all",
	} {
		if got := URLCredential(u); got != "" {
			t.Errorf("got %q for %q, want none", got, u)
		}
	}
}

func TestConsistentRejectsCredentialsInURLs(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Snapshot)
	}{
		{"api upstream with user information", func(s *Snapshot) { s.APIs[0].Environments[0].Upstream = "http://u:pw@127.0.0.1:1" }},
		{"route upstream with an api key parameter", func(s *Snapshot) { s.Routes[0].Upstream = "http://127.0.0.1:1/?api_key=pw" }},
		{"base URL with user information", func(s *Snapshot) { s.Platform.Environments[0].BaseURL = "https://u:pw@sandbox.api.example" }},
		{"publisher website with a token", func(s *Snapshot) { s.Publishers[0].Website = "https://nhsbsa.example/?token=pw" }},
		{"app JWKS URL with a signature", func(s *Snapshot) {
			s.Consumers[0].Apps[0].JWKSURL = "https://acme.example/jwks.json?X-Amz-Signature=pw"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sample()
			tc.mutate(s)
			err := s.Consistent()
			if err == nil || !strings.Contains(err.Error(), "URL carries") {
				t.Fatalf("got %v, want an error about credentials in a URL", err)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("got %q, which quotes the credential", err)
			}
		})
	}
}
