package snapshot

import (
	"strings"
	"testing"
)

// Consistent parses only the URLs that hold '@', '?' or '#': every URL
// that URLCredential refuses holds one of them, whatever its encoding.
func TestEveryURLCarryingACredentialHoldsAnAtAQueryOrAFragment(t *testing.T) {
	for _, u := range []string{
		"https://u:pw@api.example", "https://token@api.example/x", "//u@h", "u:p@h",
		"https://api.example/?api_key=x", "https://api.example?TOKEN=x", "https://api.example/#access_token=x",
		"https://api.example/%3Fapi_key=x", "https://api.example/%40u", "https://api.example/%23token=x",
		"https://api.example/x;key=y", "mailto:a@b.example", "https://api.example/?%61pi_key=x",
		"https://[::1]:8080/?sig=x", "http://h/?a=1&signature=2",
	} {
		if URLCredential(u) != "" && !strings.ContainsAny(u, "@?#") {
			t.Errorf("URLCredential refuses %q, which holds no '@', '?' or '#'", u)
		}
	}
}

func TestConsistentRejectsACredentialInAURLFragment(t *testing.T) {
	s := sample()
	s.Publishers[0].Contact.URL = "https://nhsbsa.example/contact#access_token=pw"
	err := s.Consistent()
	if err == nil || !strings.Contains(err.Error(), "publisher "+s.Publishers[0].ID+" contact url: URL carries") {
		t.Fatalf("got %v, want the publisher's contact URL refused", err)
	}
}
