package snapshot

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// canonical is the reference canonical form of doc, written by
// encoding/json alone: decoded into generic maps, whose keys it sorts, and
// encoded again without HTML escaping.
func canonical(t *testing.T, doc []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// canonicalOfMarshal is the reference encoding: encoding/json's output
// rewritten into canonical form, with the digest of each member's canonical
// bytes computed from that output.
func canonicalOfMarshal(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	doc := *s
	doc.Sections = nil
	raw, err := json.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatal(err)
	}
	doc.Sections = map[string]string{}
	for name, m := range members {
		doc.Sections[name] = Digest(bytes.TrimSuffix(canonical(t, m), []byte("\n")))
	}
	if raw, err = json.Marshal(&doc); err != nil {
		t.Fatal(err)
	}
	return canonical(t, raw)
}

func TestEncodeMatchesCanonicalOfMarshal(t *testing.T) {
	escaping := sample()
	// Strings that need escaping, HTML, non-ASCII, control characters and
	// invalid UTF-8 must come out as encoding/json writes them.
	escaping.APIs[0].Description = "<b>Tom & \"Jerry\"</b>\n\ttab \\ é ü 😀 \u2028 \x01 \xff"
	escaping.APIs[0].Tags = nil
	escaping.Publishers[0].Website = "https://example.test/?a=1&b=<2>"
	escaping.Platform.IdentityProviders = []IdentityProvider{{ID: "nhs-login", Issuer: "https://login.test", JWKSURL: "https://login.test/jwks",
		LevelClaim: "identity_proofing_level", Levels: map[string]string{"P9": ModeNHSLoginP9, "é<": ModeNHSLoginP0}}}
	rl := RateLimit{Limit: 10, Per: "second"}
	escaping.Entitlements[0].RateLimit = &rl
	for _, tc := range []struct {
		name string
		s    *Snapshot
	}{
		{"strings that need escaping", escaping},
		{"an empty snapshot", &Snapshot{SchemaVersion: SchemaVersion}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encoded(t, tc.s)
			if want := canonicalOfMarshal(t, tc.s); !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestEncodeStatesTheDigestOfEverySectionItWrites(t *testing.T) {
	s := sample()
	s.Sections = map[string]string{"apis": "sha256:forged", "extra": "x"}
	got := encoded(t, s)
	var members map[string]json.RawMessage
	if err := json.Unmarshal(got, &members); err != nil {
		t.Fatal(err)
	}
	var stated map[string]string
	if err := json.Unmarshal(members[SectionsMember], &stated); err != nil {
		t.Fatal(err)
	}
	delete(members, SectionsMember)
	if len(stated) != len(members) {
		t.Errorf("got %d digests for %d sections", len(stated), len(members))
	}
	for name, raw := range members {
		if want := Digest(raw); stated[name] != want {
			t.Errorf("%s: stated %q, want %q", name, stated[name], want)
		}
	}
	if !reflect.DeepEqual(s.Sections, stated) {
		t.Errorf("Sections holds %v, the document states %v", s.Sections, stated)
	}
}

func TestEncodeReusingWritesWhatEncodeWritesOfAnEqualSnapshot(t *testing.T) {
	first := sample()
	_, secs, err := first.EncodeReusing(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name := range secs {
		if name == "generation" {
			continue // the member that differs below
		}
		t.Run(name, func(t *testing.T) {
			s := sample()
			s.Generation++ // another document, this member equal
			want := encoded(t, s)
			got, again, err := s.EncodeReusing(map[string]Section{name: secs[name]}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if again[name].Digest != Digest(again[name].Bytes) {
				t.Errorf("the member's digest is not that of its bytes")
			}
		})
	}
}

// threeAPIs is sample with three APIs.
func threeAPIs() *Snapshot {
	s := sample()
	a := s.APIs[0]
	for _, name := range []string{"prescriptions", "vaccinations"} {
		b := a
		b.ID, b.Name, b.BasePath = "nhsbsa/"+name, name, "/nhsbsa/"+name+"/v1"
		b.AccessModes = slices.Clone(a.AccessModes)
		b.Environments = slices.Clone(a.Environments)
		s.APIs = append(s.APIs, b)
	}
	return s
}

// TestEncodeReusingAPIsWritesWhatEncodeWrites encodes a snapshot after an
// earlier encoding of three APIs, each edit changing the APIs another
// way: the document is Encode's, and every item of the next encoding is
// its bytes in the document.
func TestEncodeReusingAPIsWritesWhatEncodeWrites(t *testing.T) {
	prior := threeAPIs()
	_, secs, err := prior.EncodeReusing(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Snapshot)
	}{
		{"none", func(*Snapshot) {}},
		{"one's title", func(s *Snapshot) { s.APIs[1].Title = "Prescriptions \u00e9" }},
		{"one's environments", func(s *Snapshot) { s.APIs[2].Environments[0].Upstream = "http://127.0.0.1:2" }},
		{"one's access mode list emptied", func(s *Snapshot) { s.APIs[0].AccessModes = []string{} }},
		{"one removed", func(s *Snapshot) { s.APIs = slices.Delete(s.APIs, 1, 2) }},
		{"one added", func(s *Snapshot) {
			b := s.APIs[0]
			b.ID, b.BasePath = "nhsbsa/zz", "/nhsbsa/zz/v1"
			s.APIs = append(s.APIs, b)
		}},
		{"one renamed", func(s *Snapshot) { s.APIs[2].ID = "nhsbsa/renamed" }},
		{"two swapped", func(s *Snapshot) { s.APIs[0], s.APIs[1] = s.APIs[1], s.APIs[0] }},
		{"none left", func(s *Snapshot) { s.APIs = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := threeAPIs()
			s.Generation++
			tc.edit(s)
			want := encoded(t, s)
			got, again, err := s.EncodeReusing(nil, prior.APIs, secs["apis"].Items)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if again["apis"].Digest != Digest(again["apis"].Bytes) {
				t.Errorf("the member's digest is not that of its bytes")
			}
			items := again["apis"].Items
			if len(items) != len(s.APIs) {
				t.Fatalf("%d items, want %d", len(items), len(s.APIs))
			}
			for i := range s.APIs {
				b, err := (&Snapshot{APIs: s.APIs[i : i+1]}).Encode()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(b, append(append([]byte(`"apis":[`), items[i]...), ']')) {
					t.Errorf("item %d is %s, not the API's encoding", i, items[i])
				}
			}
		})
	}
}

// TestEncodeReusingAPIsWritesAnEqualAPIAsTheEarlierBytes hands an
// encoding earlier bytes marked for one API: they are written for it when
// it is equal to the earlier one, and not when it is not.
func TestEncodeReusingAPIsWritesAnEqualAPIAsTheEarlierBytes(t *testing.T) {
	for _, equal := range []bool{true, false} {
		prior := threeAPIs()
		_, secs, err := prior.EncodeReusing(nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		items := slices.Clone(secs["apis"].Items)
		items[1] = []byte(`{"marked":true}`)
		s := threeAPIs()
		if !equal {
			s.APIs[1].Title = "Other"
		}
		got, _, err := s.EncodeReusing(nil, prior.APIs, items)
		if err != nil {
			t.Fatal(err)
		}
		if marked := bytes.Contains(got, items[1]); marked != equal {
			t.Errorf("equal %v: the earlier bytes written: %v", equal, marked)
		}
	}
}
