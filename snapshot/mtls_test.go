package snapshot

import (
	"strings"
	"testing"
)

// withMTLS is sample() with mutual TLS required on its sandbox route and
// a client certificate registered by its app.
func withMTLS() *Snapshot {
	s := sample()
	s.APIs[0].Environments[0].MutualTLS = true
	s.Routes[0].MutualTLS = true
	s.Consumers[0].Apps[0].ClientCertificates = []ClientCertificate{{ID: "laptop", SHA256: strings.Repeat("cd", 32)}}
	return s
}

func TestConsistentAcceptsMutualTLSWithARegisteredCertificate(t *testing.T) {
	if err := withMTLS().Consistent(); err != nil {
		t.Fatal(err)
	}
}

func TestConsistentRejectsBrokenMutualTLS(t *testing.T) {
	second := func(s *Snapshot, id, sha string) {
		a := &s.Consumers[0]
		a.Apps = append(a.Apps, App{ID: "acme/kiosk", Org: "acme", Name: "Kiosk", ClientCertificates: []ClientCertificate{{ID: id, SHA256: sha}}})
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Snapshot)
		want   string
	}{
		{"a fingerprint in upper case", func(s *Snapshot) {
			s.Consumers[0].Apps[0].ClientCertificates[0].SHA256 = strings.Repeat("CD", 32)
		}, "client certificate laptop is not a lowercase hex sha-256"},
		{"a fingerprint with colons", func(s *Snapshot) {
			s.Consumers[0].Apps[0].ClientCertificates[0].SHA256 = strings.TrimSuffix(strings.Repeat("cd:", 32), ":")
		}, "is not a lowercase hex sha-256"},
		{"a SHA-1 fingerprint", func(s *Snapshot) {
			s.Consumers[0].Apps[0].ClientCertificates[0].SHA256 = strings.Repeat("cd", 20)
		}, "is not a lowercase hex sha-256"},
		{"one fingerprint in two apps", func(s *Snapshot) { second(s, "copy", strings.Repeat("cd", 32)) },
			"app acme/kiosk: client certificate copy has the fingerprint of client certificate laptop of app acme/finder"},
		{"one fingerprint twice in one app", func(s *Snapshot) {
			a := &s.Consumers[0].Apps[0]
			a.ClientCertificates = append(a.ClientCertificates, ClientCertificate{ID: "spare", SHA256: strings.Repeat("cd", 32)})
		}, "client certificate spare has the fingerprint of client certificate laptop of app acme/finder"},
		{"a route requiring mutual TLS where its api does not", func(s *Snapshot) { s.APIs[0].Environments[0].MutualTLS = false }, "mutualTLS differs"},
		{"an api requiring mutual TLS whose route does not", func(s *Snapshot) { s.Routes[0].MutualTLS = false }, "mutualTLS differs"},
		{"a route requiring mutual TLS that accepts open access", func(s *Snapshot) {
			s.APIs[0].AccessModes = append(s.APIs[0].AccessModes, ModeOpen)
			s.Routes[0].AccessModes = append(s.Routes[0].AccessModes, ModeOpen)
		}, "accepts open access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withMTLS()
			tc.mutate(s)
			s.Normalize()
			err := s.Consistent()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
