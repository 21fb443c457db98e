package store_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// candidate is a change to a snapshot, as the next candidate.
type candidate struct {
	name string
	// edit changes a copy of the previous snapshot; raw, when set, edits
	// its encoding instead.
	edit     func(*snapshot.Snapshot)
	raw      func([]byte) []byte
	rollback bool
	// shares says the result shares the previous snapshot's database.
	shares bool
	// derived says the result keeps the grants rows of the apps whose
	// grants did not change (store.Snapshot.GrantsChanged).
	derived bool
}

// TestSectionLoadsAgreeWithWholeLoads feeds one verifier a chain of
// candidates, each a change to the last accepted one, loaded in the
// background, and checks every verdict and every loaded snapshot against a
// verifier that loads each candidate whole, on every CPU.
func TestSectionLoadsAgreeWithWholeLoads(t *testing.T) {
	base := snaptest.New(snaptest.Options{Generation: 10, Commit: commit(10), Publishers: 3, APIs: 12, Apps: 30, GrantsPerApp: 3, Description: "d"})
	gen := func(s *snapshot.Snapshot) { s.Generation++ }
	steps := []candidate{
		{name: "new generation only", edit: gen, shares: true},
		{name: "new commit and generation", edit: func(s *snapshot.Snapshot) { gen(s); s.Commit = commit(11) }, shares: true},
		{name: "commit removed", edit: func(s *snapshot.Snapshot) { gen(s); s.Commit = "" }, shares: true},
		{name: "commit back", edit: func(s *snapshot.Snapshot) { gen(s); s.Commit = commit(13) }, shares: true},
		{name: "one grant changed", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements[7].Expires = "2031-01-01" }, derived: true},
		{name: "the same grant changed again (its neighbours reused)", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements[7].Expires = "2031-06-06" }, derived: true},
		{name: "one grant removed", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements = append(s.Entitlements[:3:3], s.Entitlements[4:]...)
		}, derived: true},
		{name: "every grant of an app revoked", edit: func(s *snapshot.Snapshot) {
			gen(s)
			app := s.Entitlements[0].App
			s.Entitlements = slices.DeleteFunc(s.Entitlements, func(e snapshot.Entitlement) bool { return e.App == app })
		}, derived: true},
		{name: "an app granted again", edit: func(s *snapshot.Snapshot) {
			gen(s)
			e := base.Entitlements[0]
			s.Entitlements = append([]snapshot.Entitlement{e}, s.Entitlements...)
		}, derived: true},
		{name: "grants changed at both ends", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements[0].Expires = "2032-02-02"
			s.Entitlements[len(s.Entitlements)-1].Expires = "2032-02-02"
		}, derived: true},
		{name: "a grant with its own rate limit", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements[5].RateLimit = &snapshot.RateLimit{Limit: 5, Per: "second"}
		}, derived: true},
		{name: "an approval reference that cuts a piece", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements[6].Approval.Reference = `CHG-1 a},{"accessMode":"x`
			s.Entitlements[9].Approval.Reference = `CHG-2 b},{`
		}},
		{name: "then a grant after it changed", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements[8].Expires = "2033-03-03" }},
		{name: "the references removed (the pieces are the items again)", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements[6].Approval.Reference, s.Entitlements[9].Approval.Reference = "", ""
		}},
		{name: "the last grant removed", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements = s.Entitlements[:len(s.Entitlements)-1] }, derived: true},
		{name: "a grant appended", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements = append(s.Entitlements, base.Entitlements[len(base.Entitlements)-1])
		}, derived: true},
		{name: "no grants at all", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements = []snapshot.Entitlement{} }, derived: true},
		{name: "grants back", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements = slices.Clone(base.Entitlements) }},
		{name: "a grant changed after grants came back", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements[2].Expires = "2034-04-04" }, derived: true},
		{name: "a grant and an api changed together", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Entitlements[4].Expires = "2035-05-05"
			s.APIs[1].Description = "changed with a grant"
		}},
		{name: "an api described anew", edit: func(s *snapshot.Snapshot) { gen(s); s.APIs[2].Description = "new words" }},
		{name: "an environment on another host", edit: func(s *snapshot.Snapshot) { gen(s); s.Platform.Environments[0].Host = "int.elsewhere.test" }},
		{name: "a publisher renamed", edit: func(s *snapshot.Snapshot) { gen(s); s.Publishers[1].Name = "Renamed" }},
		{name: "an app's key rotated", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Consumers[0].Apps[0].APIKeys[0].SHA256 = strings.Repeat("ab", 32)
		}},
		{name: "a route upstream moved", edit: func(s *snapshot.Snapshot) {
			gen(s)
			s.Routes[0].Upstream = "http://moved.test/x"
			for i := range s.APIs {
				if s.APIs[i].ID == s.Routes[0].API {
					for j := range s.APIs[i].Environments {
						if s.APIs[i].Environments[j].Name == s.Routes[0].Environment {
							s.APIs[i].Environments[j].Upstream = "http://moved.test/x"
						}
					}
				}
			}
		}},
		// Refusals, each against the last accepted snapshot.
		{name: "same content, lower generation", edit: func(s *snapshot.Snapshot) { s.Generation -= 2 }},
		{name: "inconsistent grant", edit: func(s *snapshot.Snapshot) { gen(s); s.Entitlements[0].GrantedBy = "pub9" }},
		{name: "grant breaking the schema", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"grantedBy":"pub0"`), []byte(`"grantedBy":"Pub0"`), 1)
		}},
		{name: "generation of the wrong type", raw: func(b []byte) []byte { return replaceGeneration(b, `"99"`) }},
		{name: "unknown member in a grant", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"grantedBy":`), []byte(`"grantedTo":"x","grantedBy":`), 1)
		}},
		{name: "unknown top-level member", raw: func(b []byte) []byte {
			return append(bytes.TrimSuffix(bytes.TrimSpace(b), []byte("}")), []byte(`,"zzz":1}`)...)
		}},
		{name: "unknown schema version", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(snapshot.SchemaVersion), []byte("frontdoor.snapshot/v0"), 1)
		}},
		{name: "missing required section", raw: func(b []byte) []byte {
			i := bytes.Index(b, []byte(`,"routes":`))
			j := bytes.Index(b, []byte(`,"schemaVersion":`))
			return append(append([]byte{}, b[:i]...), b[j:]...)
		}},
		{name: "truncated in a section", raw: func(b []byte) []byte {
			i := bytes.Index(b, []byte(`,"entitlements":`))
			return append(append([]byte{}, b[:i+40]...), b[i+41:]...)
		}},
		{name: "rollback allowed", edit: func(s *snapshot.Snapshot) { s.Generation -= 5 }, rollback: true, shares: true},
		{name: "pretty-printed (loaded whole)", raw: func(b []byte) []byte {
			var out bytes.Buffer
			if err := json.Indent(&out, replaceGeneration(b, "100"), "", "  "); err != nil {
				panic(err)
			}
			return out.Bytes()
		}},
		{name: "canonical again after a whole load", edit: func(s *snapshot.Snapshot) { s.Generation = 101 }},
		{name: "then only the generation", edit: func(s *snapshot.Snapshot) { s.Generation = 102 }, shares: true},
	}

	warm, whole := verifier(t), verifier(t)
	store.WholeLoadsOnly(whole)
	first := store.Candidate{Bytes: snaptest.Encode(t, base)}
	active, err := warm.Load(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := whole.Load(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev := base
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			next := snaptest.Copy(t, prev)
			var raw []byte
			if step.raw != nil {
				raw = step.raw(snaptest.Encode(t, prev))
			} else {
				step.edit(next)
				raw = snaptest.Encode(t, next)
			}
			c := store.Candidate{Bytes: raw, AllowRollback: step.rollback}
			want, wantErr := whole.Load(c, ref)
			c.Background = true // one goroutine: the same verdicts
			got, gotErr := warm.Load(c, active)
			if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Fatalf("section-wise load: %v\nwhole load: %v", gotErr, wantErr)
			}
			if gotErr != nil {
				t.Logf("refused: %v", gotErr)
				return // both refused it: the active snapshots stay
			}
			if !reflect.DeepEqual(got.Data(), want.Data()) || !reflect.DeepEqual(got.Entitlements(), want.Entitlements()) {
				t.Fatal("the section-wise load decoded another snapshot than the whole load")
			}
			if got.Digest() != want.Digest() || got.Generation() != want.Generation() {
				t.Errorf("digest %s gen %d, want %s gen %d", got.Digest(), got.Generation(), want.Digest(), want.Generation())
			}
			if shares := got.SharesIndex(active); shares != step.shares {
				t.Errorf("shares the previous database: %v, want %v", shares, step.shares)
			}
			sameLookups(t, got, want, active)
			if derived := keptGrants(t, got, active); derived != (step.derived || step.shares) {
				t.Errorf("grants derived from the previous snapshot's: %v, want %v", derived, step.derived || step.shares)
			}
			active, ref = got, want
			if step.raw == nil {
				prev = next
			} else if prev, err = snapshot.Decode(raw); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sameLookups checks that every typed read answers alike on a and b, for
// the keys of b and of prev (the snapshot before them).
func sameLookups(t *testing.T, a, b, prev *store.Snapshot) {
	t.Helper()
	d := b.Data()
	for _, r := range d.Routes {
		ra, okA := a.Route(r.Environment, r.BasePath+"/x")
		rb, okB := b.Route(r.Environment, r.BasePath+"/x")
		if okA != okB || (okA && (!reflect.DeepEqual(*ra.Route, *rb.Route) || ra.API.ID != rb.API.ID || ra.Upstream.String() != rb.Upstream.String())) {
			t.Errorf("route %s %s differs", r.Environment, r.BasePath)
		}
	}
	for _, e := range d.Platform.Environments {
		ea, okA := a.Environment(e.Host)
		eb, okB := b.Environment(e.Host)
		if ea != eb || okA != okB {
			t.Errorf("host %s: %q %v, want %q %v", e.Host, ea, okA, eb, okB)
		}
	}
	for _, c := range d.Consumers {
		for _, app := range c.Apps {
			for _, k := range app.APIKeys {
				ca, okA := a.Credential(k.SHA256)
				cb, okB := b.Credential(k.SHA256)
				if okA != okB || (okA && ca.App.ID != cb.App.ID) {
					t.Errorf("credential of %s differs", app.ID)
				}
			}
		}
	}
	for _, e := range slices.Concat(b.Entitlements(), prev.Entitlements()) {
		ga, okA := a.Entitlement(e.App, e.API, e.Environment, e.AccessMode)
		gb, okB := b.Entitlement(e.App, e.API, e.Environment, e.AccessMode)
		if okA != okB || !reflect.DeepEqual(ga, gb) {
			t.Errorf("grant %s differs", e.Key())
		}
	}
	for _, p := range d.Publishers {
		if _, ok := a.Publisher(p.ID); !ok {
			t.Errorf("publisher %s missing", p.ID)
		}
	}
}

// keptGrants reports whether s tells which apps' grants changed from prev's
// (store.Snapshot.GrantsChanged), and checks then that every other app's
// row is prev's own.
func keptGrants(t *testing.T, s, prev *store.Snapshot) bool {
	t.Helper()
	apps, ok := s.GrantsChanged(prev)
	if !ok {
		return false
	}
	if !slices.IsSorted(apps) {
		t.Errorf("changed apps not sorted: %v", apps)
	}
	changed := func(app string) bool { _, found := slices.BinarySearch(apps, app); return found }
	s.EachGrants(func(g *store.Grants) {
		if old, _ := prev.Grants(g.App); !changed(g.App) && old != g {
			t.Errorf("grants of %s: unchanged but not the previous row", g.App)
		}
	})
	prev.EachGrants(func(g *store.Grants) {
		if _, found := s.Grants(g.App); !found && !changed(g.App) {
			t.Errorf("grants of %s: gone but not named as changed", g.App)
		}
	})
	return true
}

func replaceGeneration(b []byte, to string) []byte {
	i := bytes.Index(b, []byte(`,"generation":`)) + len(`,"generation":`)
	j := i + bytes.IndexByte(b[i:], ',')
	return append(append(append([]byte{}, b[:i]...), to...), b[j:]...)
}

func commit(n int) string { return strings.Repeat(string(rune('a'+n%6)), 40) }
