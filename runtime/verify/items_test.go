package verify

import (
	"encoding/json"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// strictSchema returns the snapshot schema with each of the named
// definitions' properties narrowed to one value.
func strictSchema(t *testing.T, narrow map[[2]string]string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(snaptest.Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	for at, value := range narrow {
		def := doc["$defs"].(map[string]any)[at[0]].(map[string]any)
		def["properties"].(map[string]any)[at[1]] = map[string]any{"const": value}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestASwapChecksOnlyTheItemsThatChanged: after a swap's first load, the
// items of a list that are the active snapshot's, byte for byte, are not
// checked against the schema again: a schema that only the changed items
// satisfy, put in place after the first load, accepts the swap, which a
// fresh load under it refuses.
func TestASwapChecksOnlyTheItemsThatChanged(t *testing.T) {
	const summary, upstream, expires = "Edited.", "http://edited.test/x", "2031-02-03"
	strict := strictSchema(t, map[[2]string]string{
		{"api", "summary"}:         summary,
		{"route", "upstream"}:      upstream,
		{"entitlement", "expires"}: expires,
	})
	for _, tc := range []struct {
		name string
		edit func(s *snapshot.Snapshot)
	}{
		{"one api", func(s *snapshot.Snapshot) { s.APIs[5].Summary = summary }},
		{"an api and its routes", func(s *snapshot.Snapshot) {
			s.APIs[5].Summary = summary
			for i := range s.Routes {
				if s.Routes[i].API == s.APIs[5].ID {
					s.Routes[i].Upstream = upstream
				}
			}
		}},
		{"a grant and an api", func(s *snapshot.Snapshot) {
			s.APIs[0].Summary = summary
			s.Entitlements[7].Expires = expires
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Options{Schema: snaptest.Schema()})
			if err != nil {
				t.Fatal(err)
			}
			narrow, err := New(Options{Schema: strict})
			if err != nil {
				t.Fatal(err)
			}
			base := snaptest.New(snaptest.Options{Generation: 1, Publishers: 3, APIs: 12, Apps: 10, GrantsPerApp: 2})
			active, err := v.Load(Candidate{Bytes: snaptest.Encode(t, base)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			next := snaptest.Copy(t, base)
			next.Generation = 2
			tc.edit(next)
			raw := snaptest.Encode(t, next)
			if _, err := narrow.Load(Candidate{Bytes: raw}, nil); ReasonOf(err) != ReasonSchema {
				t.Fatalf("a fresh load under the narrowed schema: got %v, want a schema refusal", err)
			}
			v.schema, v.items, v.fast, v.props = narrow.schema, narrow.items, narrow.fast, narrow.props
			if _, err := v.Load(Candidate{Bytes: raw}, active); err != nil {
				t.Errorf("the swap checked items it had checked before: %v", err)
			}
		})
	}
}
