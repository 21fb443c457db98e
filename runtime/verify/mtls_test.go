package verify_test

import (
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// mtlsSnapshot is snaptest.Small with mutual TLS required on its first
// API's routes and client certificates registered by its first
// consumer's first app and a second app, whose fingerprint is second.
func mtlsSnapshot(gen uint64, second string) *snapshot.Snapshot {
	s := snaptest.Small(gen, "http://up.test")
	a := &s.APIs[0]
	for i := range a.Environments {
		a.Environments[i].MutualTLS = true
	}
	for i := range s.Routes {
		if s.Routes[i].API == a.ID {
			s.Routes[i].MutualTLS = true
		}
	}
	c := &s.Consumers[0]
	c.Apps[0].ClientCertificates = []snapshot.ClientCertificate{{ID: "laptop", SHA256: strings.Repeat("ab", 32)}}
	c.Apps = append(c.Apps, snapshot.App{ID: c.ID + "/zz-kiosk", Org: c.ID, Name: "Kiosk",
		ClientCertificates: []snapshot.ClientCertificate{{ID: "kiosk", SHA256: second}}})
	return s
}

func TestAGatewayLoadsMutualTLSAndRefusesAFingerprintOfTwoApps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second string
		reason verify.Reason
	}{
		{"distinct fingerprints load", strings.Repeat("cd", 32), ""},
		{"one fingerprint in two apps is refused", strings.Repeat("ab", 32), verify.ReasonConsistency},
		{"a malformed fingerprint is refused by the schema", strings.Repeat("CD", 32), verify.ReasonSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mtlsSnapshot(6, tc.second)
			got, err := verifier(t).Load(verify.Candidate{Bytes: snaptest.Encode(t, s)}, nil)
			if r := verify.ReasonOf(err); r != tc.reason {
				t.Fatalf("got reason %q (%v), want %q", r, err, tc.reason)
			}
			if tc.reason == "" && got == nil {
				t.Fatal("no snapshot loaded")
			}
		})
	}
}
