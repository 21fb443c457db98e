package snapshot

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// sample returns a small, valid, normalised snapshot.
func sample() *Snapshot {
	s := &Snapshot{
		SchemaVersion: SchemaVersion,
		Generation:    7,
		Commit:        "0123456789abcdef0123456789abcdef01234567",
		Platform: Platform{
			Name:     "Health API Platform",
			Operator: "Platform Operator",
			Environments: []Environment{
				{Name: EnvSandbox, BaseURL: "https://sandbox.api.example", Host: "sandbox.api.example"},
				{Name: EnvProduction, BaseURL: "https://api.example", Host: "api.example"},
			},
			PublisherCategories: []string{"arms-length-body"},
			AppRateLimit:        RateLimit{Limit: 300, Per: "minute"},
			LogRetentionDays:    90,
		},
		Publishers: []Publisher{{ID: "nhsbsa", Name: "Business Services <Authority>", Category: "arms-length-body", LegalBasis: "statute", DataController: true}},
		APIs: []API{{
			ID: "nhsbsa/exemptions", Publisher: "nhsbsa", Name: "exemptions", Title: "Exemptions", Version: "1.0.0", Major: 1,
			Status: StatusStable, BasePath: "/nhsbsa/exemptions/v1", AccessModes: []string{ModeAppLevel3, ModeAppLevel0},
			Environments: []APIEnvironment{{Name: EnvSandbox, Upstream: "http://127.0.0.1:1"}},
		}},
		Routes: []Route{{Environment: EnvSandbox, BasePath: "/nhsbsa/exemptions/v1", API: "nhsbsa/exemptions", Upstream: "http://127.0.0.1:1", AccessModes: []string{ModeAppLevel0}}},
		Consumers: []Consumer{{ID: "acme", Name: "Acme", DSPT: "standards-met", Apps: []App{{
			ID: "acme/finder", Org: "acme", Name: "Finder",
			APIKeys: []APIKey{{ID: "k1", SHA256: strings.Repeat("ab", 32), Environments: []string{EnvSandbox}}},
		}}}},
		Entitlements: []Entitlement{{App: "acme/finder", API: "nhsbsa/exemptions", Environment: EnvSandbox, AccessMode: ModeAppLevel0, GrantedBy: "nhsbsa"}},
	}
	s.Normalize()
	return s
}

// encoded returns s encoded, failing the test if it does not encode.
func encoded(t testing.TB, s *Snapshot) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeIsCanonical(t *testing.T) {
	b := encoded(t, sample())
	if again := canonical(t, b); !bytes.Equal(b, again) {
		t.Errorf("canonical form of an encoded snapshot differs:\n got %s\nwant %s", again, b)
	}
	if !bytes.Contains(b, []byte(`"name":"Business Services <Authority>"`)) {
		t.Errorf("HTML characters were escaped: %s", b)
	}
	if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
		t.Errorf("got %d newlines, want exactly one final newline", bytes.Count(b, []byte("\n")))
	}
}

func TestDecodeRoundTripsEncode(t *testing.T) {
	b := encoded(t, sample())
	s, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2 := encoded(t, s)
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed bytes:\n got %s\nwant %s", b2, b)
	}
	if Digest(b) != Digest(b2) {
		t.Errorf("got digest %s, want %s", Digest(b2), Digest(b))
	}
}

func TestDecodeRejectsUnknownFields(t *testing.T) {
	b := encoded(t, sample())
	bad := bytes.Replace(b, []byte(`{"apis":`), []byte(`{"extra":1,"apis":`), 1)
	if _, err := Decode(bad); err == nil {
		t.Error("got no error for an unknown field")
	}
}

func TestDecodeRejectsOtherSchemaVersions(t *testing.T) {
	b := encoded(t, sample())
	bad := bytes.Replace(b, []byte(SchemaVersion), []byte("frontdoor.snapshot/v0"), 1)
	if _, err := Decode(bad); err == nil {
		t.Error("got no error for another schema version")
	}
}

func TestDigestIsSHA256OfBytes(t *testing.T) {
	got := Digest([]byte("abc"))
	want := "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSignatureVerifiesOnlyUntamperedBytesWithTrustedKey(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPEM, _ := GenerateKey()
	other, _ := ParsePublicKey(otherPEM)

	b := encoded(t, sample())
	sig := Sign(priv, b)
	tampered := bytes.Replace(b, []byte(`"generation":7`), []byte(`"generation":8`), 1)
	tests := []struct {
		name    string
		keys    []ed25519.PublicKey
		data    []byte
		sig     []byte
		wantErr bool
	}{
		{"trusted key, same bytes", []ed25519.PublicKey{pub}, b, sig, false},
		{"second of two keys", []ed25519.PublicKey{other, pub}, b, sig, false},
		{"untrusted key", []ed25519.PublicKey{other}, b, sig, true},
		{"tampered bytes", []ed25519.PublicKey{pub}, tampered, sig, true},
		{"garbage signature", []ed25519.PublicKey{pub}, b, []byte("not base64!"), true},
		{"no trusted keys", nil, b, sig, true},
		{"a signature over the bytes themselves", []ed25519.PublicKey{pub}, b,
			[]byte(base64.StdEncoding.EncodeToString(ed25519.Sign(priv, b))), true},
	}
	// The signature is ed25519 over the digest, which anyone can check
	// with the public key alone.
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if !ed25519.Verify(pub, []byte(Digest(b)), raw) {
		t.Error("the signature is not ed25519 over the snapshot's digest")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.keys, tc.data, tc.sig)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Errorf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestConsistentAcceptsSample(t *testing.T) {
	if err := sample().Consistent(); err != nil {
		t.Fatal(err)
	}
}

// window is a valid capture window of the sample's API, edited.
func window(edit func(*Diagnosis)) Diagnosis {
	d := Diagnosis{Approval: Approval{By: "op", Date: "2026-03-01"}, CoApprovedBy: "owner", Reason: "r", RequesterOrganisation: "o",
		Environment: EnvSandbox, Start: "2026-03-02T09:00:00Z", End: "2026-03-03T09:00:00Z", Recipient: "age1x", MaxBytes: 1024}
	edit(&d)
	return d
}

func TestConsistentAcceptsADayLongDiagnosisWindow(t *testing.T) {
	s := sample()
	s.APIs[0].Diagnosis = []Diagnosis{window(func(*Diagnosis) {})}
	if err := s.Consistent(); err != nil {
		t.Fatal(err)
	}
}

func TestConsistentRejectsBrokenSnapshots(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Snapshot)
		want   string
	}{
		{"entitlement to unknown app", func(s *Snapshot) { s.Entitlements[0].App = "acme/ghost" }, "unknown app"},
		{"entitlement to unknown api", func(s *Snapshot) { s.Entitlements[0].API = "nhsbsa/ghost" }, "unknown api"},
		{"entitlement for mode not offered", func(s *Snapshot) { s.Entitlements[0].AccessMode = ModeOpen }, "does not offer"},
		{"entitlement granted by another publisher", func(s *Snapshot) { s.Entitlements[0].GrantedBy = "mhra" }, "not the api's publisher"},
		{"route to unknown api", func(s *Snapshot) { s.Routes[0].API = "x/y" }, "unknown api"},
		{"route to retired api", func(s *Snapshot) { s.APIs[0].Status = StatusRetired }, "retired"},
		{"duplicate apis", func(s *Snapshot) { s.APIs = append(s.APIs, s.APIs[0]) }, "not sorted or duplicated"},
		{"plaintext api key", func(s *Snapshot) { s.Consumers[0].Apps[0].APIKeys[0].SHA256 = "secret" }, "not a lowercase hex"},
		{"overlapping routes", func(s *Snapshot) {
			r := s.Routes[0]
			r.BasePath += "/sub"
			s.Routes = append(s.Routes, r)
		}, "overlap"},
		{"wrong schema version", func(s *Snapshot) { s.SchemaVersion = "v0" }, "schema version"},
		{"diagnosis window over a day", func(s *Snapshot) {
			s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.End = "2026-03-03T09:00:01Z" })}
		}, "longer than 24 hours"},
		{"diagnosis window backwards", func(s *Snapshot) { s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.End = d.Start })} }, "ends before it starts"},
		{"diagnosis window in an offset", func(s *Snapshot) {
			s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.Start = "2026-03-02T09:00:00" })}
		}, "not RFC 3339"},
		{"diagnosis bodies of special category", func(s *Snapshot) {
			s.APIs[0].SpecialCategory = true
			s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.CaptureBodies = true })}
		}, "special-category"},
		{"diagnosis of an environment not deployed", func(s *Snapshot) {
			s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.Environment = EnvProduction })}
		}, "not deployed"},
		{"diagnosis without a cap", func(s *Snapshot) { s.APIs[0].Diagnosis = []Diagnosis{window(func(d *Diagnosis) { d.MaxBytes = 0 })} }, "size cap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sample()
			tc.mutate(s)
			err := s.Consistent()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRateLimitPerSecond(t *testing.T) {
	tests := []struct {
		rl   RateLimit
		want float64
	}{
		{RateLimit{5, "second"}, 5},
		{RateLimit{300, "minute"}, 5},
		{RateLimit{3600, "hour"}, 1},
	}
	for _, tc := range tests {
		if got := tc.rl.PerSecond(); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.rl, got, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b := encoded(f, sample())
	f.Add(b)
	f.Add([]byte(`{"schemaVersion":"frontdoor.snapshot/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes canonically and stably.
		b1, err := s.Encode()
		if err != nil {
			t.Fatalf("decoded snapshot does not encode: %v", err)
		}
		s2, err := Decode(b1)
		if err != nil {
			t.Fatalf("encoded snapshot does not decode: %v", err)
		}
		b2, _ := s2.Encode()
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b1, b2)
		}
	})
}
