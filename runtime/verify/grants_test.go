package verify_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// grantVariant returns universe at generation gen with only its
// entitlements changed: some dropped (alone or in runs), some edited.
func grantVariant(t testing.TB, universe *snapshot.Snapshot, rng *rand.Rand, gen uint64) *snapshot.Snapshot {
	t.Helper()
	s := snaptest.Copy(t, universe)
	s.Generation = gen
	drop := rng.Float64() * 0.3
	run := 0
	s.Entitlements = slices.DeleteFunc(s.Entitlements, func(snapshot.Entitlement) bool {
		if run > 0 {
			run--
			return true
		}
		if rng.Float64() < drop/4 {
			run = rng.IntN(6)
			return true
		}
		return false
	})
	for i := range s.Entitlements {
		e := &s.Entitlements[i]
		switch rng.IntN(12) {
		case 0:
			e.Expires = fmt.Sprintf("20%02d-01-01", 30+rng.IntN(5))
		case 1:
			e.RateLimit = &snapshot.RateLimit{Limit: 1 + rng.IntN(9), Per: "second"}
		}
	}
	if err := s.Consistent(); err != nil {
		t.Fatalf("a variant is inconsistent: %v", err)
	}
	return s
}

// TestGrantOnlySwapsReadAsFreshLoads: swaps that change the entitlements
// alone, which are applied run by run, read as fresh loads, whichever
// grants were dropped, added back or edited.
func TestGrantOnlySwapsReadAsFreshLoads(t *testing.T) {
	universe := snaptest.New(snaptest.Options{Generation: 1, Publishers: 4, APIs: 16, Apps: 30, GrantsPerApp: 4})
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 2))
			v := verifier(t)
			var (
				active *store.Snapshot
				seen   []*snapshot.Snapshot
				p      probes
			)
			for step := range 30 {
				var s *snapshot.Snapshot
				switch {
				case step == 0:
					s = universe
				case rng.IntN(4) == 0:
					s = seen[rng.IntN(len(seen))] // an earlier one again
				default:
					s = grantVariant(t, universe, rng, uint64(step+2))
				}
				seen = append(seen, s)
				p.add(s)
				raw := snaptest.Encode(t, s)
				next, err := v.Load(verify.Candidate{Bytes: raw, AllowRollback: true}, active)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				fresh, err := verifier(t).Load(verify.Candidate{Bytes: raw}, nil)
				if err != nil {
					t.Fatalf("step %d: fresh load: %v", step, err)
				}
				if got, want := render(t, next, next.Read(), &p), render(t, fresh, fresh.Read(), &p); got != want {
					t.Fatalf("step %d: the swapped snapshot reads\n%s\nwhere a fresh load reads\n%s", step, got, want)
				}
				active = next
			}
		})
	}
}

// TestAnInconsistentGrantChangeIsRefused: a change of the entitlements
// alone is checked as a whole list would be, wherever it is, and a refusal
// leaves the verifier able to apply the next change.
func TestAnInconsistentGrantChangeIsRefused(t *testing.T) {
	base := snaptest.New(snaptest.Options{Generation: 1, Publishers: 2, APIs: 6, Apps: 8, GrantsPerApp: 3})
	n := len(base.Entitlements)
	for _, tc := range []struct {
		name string
		edit func(es []snapshot.Entitlement) []snapshot.Entitlement
	}{
		{"unknown app", func(es []snapshot.Entitlement) []snapshot.Entitlement { es[n/2].App = es[n/2].App + "-gone"; return es }},
		{"unknown api", func(es []snapshot.Entitlement) []snapshot.Entitlement { es[0].API = "nobody/nothing"; return es }},
		{"granted by another publisher", func(es []snapshot.Entitlement) []snapshot.Entitlement { es[n-1].GrantedBy = "someone-else"; return es }},
		{"duplicated", func(es []snapshot.Entitlement) []snapshot.Entitlement { return slices.Insert(es, n/2, es[n/2]) }},
		{"duplicated after an edit", func(es []snapshot.Entitlement) []snapshot.Entitlement {
			es = slices.Insert(es, 4, es[3])
			es[3].Expires = "2031-01-01"
			return es
		}},
		{"out of order", func(es []snapshot.Entitlement) []snapshot.Entitlement { es[1], es[n-2] = es[n-2], es[1]; return es }},
		{"moved to the end", func(es []snapshot.Entitlement) []snapshot.Entitlement { return append(slices.Delete(es, 0, 1), es[0]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verifier(t)
			active, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, base)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			bad := snaptest.Copy(t, base)
			bad.Generation = 2
			bad.Entitlements = tc.edit(bad.Entitlements)
			if _, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, bad)}, active); verify.ReasonOf(err) != verify.ReasonConsistency {
				t.Fatalf("got %v, want a consistency refusal", err)
			}
			good := snaptest.Copy(t, base)
			good.Generation = 3
			good.Entitlements = good.Entitlements[1:]
			next, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, good)}, active)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(next.Read().AllGrants()); got != n-1 {
				t.Errorf("after the refusal a change left %d grants, want %d", got, n-1)
			}
		})
	}
}

// TestADuplicateNameIsRefusedAtAnyDepth: a member named twice, in the
// document, a section or an item, is refused, on a first load and on a
// swap.
func TestADuplicateNameIsRefusedAtAnyDepth(t *testing.T) {
	base := snaptest.Small(1, "http://up.test")
	next := snaptest.Copy(t, base)
	next.Generation = 2
	doc := string(snaptest.Encode(t, next))
	for _, tc := range []struct{ name, from, to string }{
		{"in an entitlement", `"grantedBy":`, `"grantedBy":"x","grantedBy":`},
		{"in the platform", `"environments":`, `"environments":[],"environments":`},
		{"in an api", `"basePath":`, `"basePath":"/x","basePath":`},
	} {
		bad := restate(t, strings.Replace(doc, tc.from, tc.to, 1))
		if bad == doc {
			t.Fatalf("%s: the mutation changed nothing", tc.name)
		}
		for _, first := range []bool{true, false} {
			v := verifier(t)
			var active *store.Snapshot
			if !first {
				var err error
				if active, err = v.Load(verify.Candidate{Bytes: snaptest.Encode(t, base)}, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := v.Load(verify.Candidate{Bytes: []byte(bad)}, active); err == nil {
				t.Errorf("%s (first load %v): accepted", tc.name, first)
			}
		}
	}
}
