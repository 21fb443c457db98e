package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// variant returns a consistent snapshot of generation gen drawn from
// universe: some of its APIs, routes, apps, keys and grants dropped, some
// changed, new keys added and an environment's host moved.
func variant(t testing.TB, universe *snapshot.Snapshot, rng *rand.Rand, gen uint64) *snapshot.Snapshot {
	t.Helper()
	s := snaptest.Copy(t, universe)
	s.Generation = gen
	p := func(x float64) bool { return rng.Float64() < x }
	if p(0.3) {
		s.Platform.Environments[len(s.Platform.Environments)-1].Host = "alt.api.test"
	}
	for i := range s.Publishers {
		if p(0.2) {
			s.Publishers[i].Name += " (renamed)"
		}
	}
	droppedAPIs := map[string]bool{}
	s.APIs = slices.DeleteFunc(s.APIs, func(a snapshot.API) bool {
		droppedAPIs[a.ID] = p(0.15)
		return droppedAPIs[a.ID]
	})
	for i := range s.APIs {
		a := &s.APIs[i]
		if p(0.2) {
			a.Title += " v2"
		}
		if p(0.2) {
			a.RateLimit = snapshot.RateLimit{Limit: 1 + rng.IntN(50), Per: "second"}
		}
		if p(0.1) {
			a.AppRateLimit = snapshot.RateLimit{Limit: 1 + rng.IntN(50), Per: "minute"}
		}
	}
	s.Routes = slices.DeleteFunc(s.Routes, func(r snapshot.Route) bool { return droppedAPIs[r.API] || p(0.1) })
	for i := range s.Routes {
		if p(0.2) {
			s.Routes[i].Upstream = "http://alt.test/" + s.Routes[i].API
		}
	}
	droppedApps := map[string]bool{}
	for i := range s.Consumers {
		c := &s.Consumers[i]
		c.Apps = slices.DeleteFunc(c.Apps, func(a snapshot.App) bool {
			droppedApps[a.ID] = p(0.15)
			return droppedApps[a.ID]
		})
		for j := range c.Apps {
			a := &c.Apps[j]
			a.APIKeys = slices.DeleteFunc(a.APIKeys, func(snapshot.APIKey) bool { return p(0.15) })
			if p(0.15) {
				sum := sha256.Sum256([]byte("extra-" + a.ID))
				a.APIKeys = append(a.APIKeys, snapshot.APIKey{ID: "zz-extra", SHA256: hex.EncodeToString(sum[:]), Environments: []string{snapshot.EnvSandbox}})
			}
			if p(0.1) {
				a.Name += " (renamed)"
			}
		}
	}
	s.Entitlements = slices.DeleteFunc(s.Entitlements, func(e snapshot.Entitlement) bool {
		return droppedAPIs[e.API] || droppedApps[e.App] || p(0.15)
	})
	for i := range s.Entitlements {
		e := &s.Entitlements[i]
		if p(0.15) {
			e.Expires = fmt.Sprintf("20%02d-01-01", 30+rng.IntN(5))
		}
		if p(0.1) {
			e.RateLimit = &snapshot.RateLimit{Limit: 1 + rng.IntN(9), Per: "second"}
		}
	}
	s.Normalize()
	if err := s.Consistent(); err != nil {
		t.Fatalf("a variant is inconsistent: %v", err)
	}
	return s
}

// probes are the lookups every snapshot is read with: those of everything
// any snapshot of a sequence had, and some of nothing.
type probes struct {
	paths  [][2]string // environment, path
	hosts  []string
	keys   []string
	grants [][4]string // app, API, environment, access mode
	envs   []string
	seen   map[any]bool
}

func (p *probes) add(s *snapshot.Snapshot) {
	if p.seen == nil {
		p.seen = map[any]bool{}
	}
	once := func(k any) bool {
		if p.seen[k] {
			return false
		}
		p.seen[k] = true
		return true
	}
	for _, e := range s.Platform.Environments {
		if once("env " + e.Name) {
			p.envs = append(p.envs, e.Name)
		}
		if once("host " + e.Host) {
			p.hosts = append(p.hosts, e.Host, strings.ToUpper(e.Host)+":443")
		}
	}
	if once("nowhere") {
		p.hosts = append(p.hosts, "nowhere.test")
	}
	for _, r := range s.Routes {
		if once([2]string{r.Environment, r.BasePath}) {
			p.paths = append(p.paths, [2]string{r.Environment, r.BasePath}, [2]string{r.Environment, r.BasePath + "/x/y"},
				[2]string{r.Environment, r.BasePath + "x"}, [2]string{"nowhere", r.BasePath})
		}
	}
	for _, c := range s.Consumers {
		for _, a := range c.Apps {
			for _, k := range a.APIKeys {
				if once(k.SHA256) {
					p.keys = append(p.keys, k.SHA256)
				}
			}
		}
	}
	for _, e := range s.Entitlements {
		if once([3]string{e.App, e.API, e.Environment}) {
			for _, m := range snapshot.AccessModes {
				p.grants = append(p.grants, [4]string{e.App, e.API, e.Environment, m})
			}
		}
	}
}

// render writes everything r reads, through every index, as text.
func render(t testing.TB, snap *store.Snapshot, r *store.Read, p *probes) string {
	t.Helper()
	var b strings.Builder
	doc := r.Document()
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%s\n%s %d %s\n", j, snap.Digest(), snap.Generation(), snap.Commit())
	for _, h := range p.hosts {
		if e, ok := r.Environment(h); ok {
			fmt.Fprintf(&b, "host %s: %s\n", h, e.Name)
		}
	}
	for _, e := range p.envs {
		u, ok := r.TokenURL(e)
		fmt.Fprintf(&b, "token %s: %s %v\n", e, u, ok)
	}
	for _, q := range p.paths {
		if rt, ok := r.Route(q[0], q[1]); ok {
			fmt.Fprintf(&b, "route %s %s: %s %s %s %s %+v %v %v %s\n", q[0], q[1], rt.BasePath, rt.API.ID, rt.API.Title, rt.Upstream, rt.Ident, rt.Open, rt.User, rt.ProxyKey)
		}
	}
	for _, k := range p.keys {
		if a, ok := r.AppByAPIKeyHash(k); ok {
			fmt.Fprintf(&b, "key %s: %s %s\n", k, a.ID, a.Name)
		}
	}
	for _, g := range p.grants {
		if e, ok := r.Grant(g[0], g[1], g[2], g[3]); ok {
			j, _ := json.Marshal(e.Entitlement)
			fmt.Fprintf(&b, "grant %v: %s %s\n", g, j, e.AppKey)
		}
		r.Grants(g[0], g[1], g[2], func(e *store.Grant) bool {
			fmt.Fprintf(&b, "grants %v: %s\n", g, e.AccessMode)
			return true
		})
	}
	for _, a := range doc.APIs {
		for _, n := range a.IdentityHeaders.Names() {
			fmt.Fprintf(&b, "reserved %s: %v\n", n, snap.Reserved(n))
		}
	}
	return b.String()
}

// TestSwapsReadAsFreshLoads: after every swap of a random sequence of
// snapshots, every read through the database (each route, environment,
// credential, grant and bucket key, and every row) equals a fresh load of
// the same snapshot, whether the swaps change any section or the
// entitlements alone (applied run by run), and whether the candidates are
// in memory or read from a file.
func TestSwapsReadAsFreshLoads(t *testing.T) {
	universe := snaptest.New(snaptest.Options{Generation: 1, Publishers: 4, APIs: 16, Apps: 30, GrantsPerApp: 3})
	for _, vary := range []struct {
		name string
		f    func(testing.TB, *snapshot.Snapshot, *rand.Rand, uint64) *snapshot.Snapshot
	}{{"any section", variant}, {"grants alone", grantVariant}, {"apis", apiVariant}} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprint(vary.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 1))
				swapsReadAsFreshLoads(t, 25, func(step int, seen []*snapshot.Snapshot) *snapshot.Snapshot {
					switch {
					case step == 0:
						return universe
					case rng.IntN(5) == 0:
						return seen[rng.IntN(len(seen))] // an earlier one again
					}
					return vary.f(t, universe, rng, uint64(step+2))
				})
			})
		}
	}
}

// swapsReadAsFreshLoads swaps, on one verifier, to the snapshots next
// returns (given the step and those before), and checks after each swap
// that the database reads as a fresh load of the same snapshot.
func swapsReadAsFreshLoads(t *testing.T, steps int, next func(step int, seen []*snapshot.Snapshot) *snapshot.Snapshot) {
	t.Helper()
	// Windows over files much smaller than the grants: they slide.
	defer verify.SetWindowSize(2048)()
	v, fresh := verifier(t), verifier(t) // fresh loads each snapshot on no active one
	var (
		active *store.Snapshot
		seen   []*snapshot.Snapshot
		p      probes
	)
	for step := range steps {
		s := next(step, seen)
		seen = append(seen, s)
		p.add(s)
		raw := snaptest.Encode(t, s)
		c := verify.Candidate{Bytes: raw, AllowRollback: true}
		if step%2 == 1 {
			c = fileCandidate(raw)
			c.AllowRollback = true
		}
		swapped, err := v.Load(c, active)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		full, err := fresh.Load(verify.Candidate{Bytes: raw}, nil)
		if err != nil {
			t.Fatalf("step %d: fresh load: %v", step, err)
		}
		if got, want := render(t, swapped, swapped.Read(), &p), render(t, full, full.Read(), &p); got != want {
			t.Fatalf("step %d: the swapped snapshot reads\n%s\nwhere a fresh load reads\n%s", step, got, want)
		}
		active = swapped
	}
}

// TestAReadStartedBeforeASwapReadsTheOldSnapshot: a read transaction opened
// on the active snapshot reads it, whole and unchanged, however many swaps
// follow, while other readers read the new ones.
func TestAReadStartedBeforeASwapReadsTheOldSnapshot(t *testing.T) {
	universe := snaptest.New(snaptest.Options{Generation: 1, Publishers: 4, APIs: 16, Apps: 30, GrantsPerApp: 3})
	rng := rand.New(rand.NewPCG(7, 7))
	v := verifier(t)
	var st store.Store
	first := mustLoad(t, v, universe, nil)
	st.Swap(first)
	var p probes
	p.add(universe)
	old := first.Read()
	before := render(t, first, old, &p)

	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		reads atomic.Int64
	)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				r := st.Active().Read()
				for _, q := range p.paths {
					r.Route(q[0], q[1])
				}
				for _, k := range p.keys {
					r.AppByAPIKeyHash(k)
				}
				reads.Add(1)
			}
		})
	}
	for step := range 15 {
		s := variant(t, universe, rng, uint64(step+2))
		next := mustLoad(t, v, s, st.Active())
		st.Swap(next)
	}
	stop.Store(true)
	wg.Wait()
	if after := render(t, first, old, &p); after != before {
		t.Errorf("the read opened before the swaps now reads\n%s\nwhere it read\n%s", after, before)
	}
	if reads.Load() == 0 {
		t.Error("the concurrent readers read nothing")
	}
}

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

// apiVariant returns universe at generation gen with some of its APIs
// edited as an API file's edit does: a summary, a title, identity headers
// or limits changed (the APIs alone change), an upstream moved (its routes
// too), an API added, removed or renamed (its routes and grants follow).
func apiVariant(t testing.TB, universe *snapshot.Snapshot, rng *rand.Rand, gen uint64) *snapshot.Snapshot {
	t.Helper()
	s := snaptest.Copy(t, universe)
	s.Generation = gen
	for op := range 1 + rng.IntN(3) {
		i := rng.IntN(len(s.APIs))
		a := &s.APIs[i]
		switch rng.IntN(7) {
		case 0:
			a.Summary = fmt.Sprintf("Edited %d.", rng.IntN(100))
		case 1:
			a.Title += " (renamed)"
		case 2:
			a.IdentityHeaders = snapshot.IdentityHeaders{App: "X-Client-App", User: "X-User"}
		case 3:
			a.RateLimit = snapshot.RateLimit{Limit: 1 + rng.IntN(50), Per: "minute"}
		case 4:
			up := "http://moved.test/" + a.ID
			for k := range a.Environments {
				a.Environments[k].Upstream = up
			}
			for k := range s.Routes {
				if s.Routes[k].API == a.ID {
					s.Routes[k].Upstream = up
				}
			}
		case 5: // removed, with its routes and grants
			id := a.ID
			s.APIs = slices.Delete(s.APIs, i, i+1)
			s.Routes = slices.DeleteFunc(s.Routes, func(r snapshot.Route) bool { return r.API == id })
			s.Entitlements = slices.DeleteFunc(s.Entitlements, func(e snapshot.Entitlement) bool { return e.API == id })
		case 6: // renamed, or added beside it
			add := rng.IntN(2) == 0
			old, name := a.ID, fmt.Sprintf("%sx%d", a.Name, op)
			if add {
				s.APIs = append(s.APIs, *a)
				a = &s.APIs[len(s.APIs)-1]
				a.Environments = slices.Clone(a.Environments)
			}
			a.ID, a.Name, a.BasePath = a.Publisher+"/"+name, name, "/"+a.Publisher+"/"+name+"/v1"
			for k, n := 0, len(s.Routes); k < n; k++ {
				if r := s.Routes[k]; r.API == old {
					r.API, r.BasePath = a.ID, a.BasePath
					if add {
						s.Routes = append(s.Routes, r)
					} else {
						s.Routes[k] = r
					}
				}
			}
			for k := range s.Entitlements {
				if e := &s.Entitlements[k]; e.API == old && !add {
					e.API = a.ID
				}
			}
		}
	}
	s.Normalize()
	if err := s.Consistent(); err != nil {
		t.Fatalf("a variant is inconsistent: %v", err)
	}
	return s
}

// TestAnInconsistentListChangeIsRefused: a change of the entitlements or
// the APIs, read item by item, is checked as a whole list would be,
// wherever it is, and a refusal leaves the verifier able to apply the next
// change.
func TestAnInconsistentListChangeIsRefused(t *testing.T) {
	base := snaptest.New(snaptest.Options{Generation: 1, Publishers: 2, APIs: 6, Apps: 8, GrantsPerApp: 3})
	n, m := len(base.Entitlements), len(base.APIs)
	for _, tc := range []struct {
		name string
		edit func(s *snapshot.Snapshot)
	}{
		{"unknown app", func(s *snapshot.Snapshot) { s.Entitlements[n/2].App += "-gone" }},
		{"unknown api", func(s *snapshot.Snapshot) { s.Entitlements[0].API = "nobody/nothing" }},
		{"granted by another publisher", func(s *snapshot.Snapshot) { s.Entitlements[n-1].GrantedBy = "someone-else" }},
		{"duplicated", func(s *snapshot.Snapshot) { s.Entitlements = slices.Insert(s.Entitlements, n/2, s.Entitlements[n/2]) }},
		{"duplicated after an edit", func(s *snapshot.Snapshot) {
			s.Entitlements = slices.Insert(s.Entitlements, 4, s.Entitlements[3])
			s.Entitlements[3].Expires = "2031-01-01"
		}},
		{"out of order", func(s *snapshot.Snapshot) {
			es := s.Entitlements
			es[1], es[n-2] = es[n-2], es[1]
		}},
		{"moved to the end", func(s *snapshot.Snapshot) {
			s.Entitlements = append(slices.Delete(s.Entitlements, 0, 1), s.Entitlements[0])
		}},
		{"apis out of order", func(s *snapshot.Snapshot) { s.APIs[1], s.APIs[m-2] = s.APIs[m-2], s.APIs[1] }},
		{"an api duplicated", func(s *snapshot.Snapshot) { s.APIs = slices.Insert(s.APIs, 2, s.APIs[2]) }},
		{"an api gone, its routes and grants not", func(s *snapshot.Snapshot) { s.APIs = slices.Delete(s.APIs, 3, 4) }},
		{"an api moved to another base path", func(s *snapshot.Snapshot) { s.APIs[4].BasePath += "0" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verifier(t)
			active := mustLoad(t, v, base, nil)
			bad := snaptest.Copy(t, base)
			bad.Generation = 2
			tc.edit(bad)
			if _, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, bad)}, active); verify.ReasonOf(err) != verify.ReasonConsistency {
				t.Fatalf("got %v, want a consistency refusal", err)
			}
			good := snaptest.Copy(t, base)
			good.Generation = 3
			good.Entitlements = good.Entitlements[1:]
			good.APIs[0].Summary = "Edited."
			next := mustLoad(t, v, good, active)
			if got := len(next.Read().AllGrants()); got != n-1 {
				t.Errorf("after the refusal a change left %d grants, want %d", got, n-1)
			}
			if a, _ := next.Read().API(good.APIs[0].ID); a.Summary != "Edited." {
				t.Errorf("after the refusal a change left api summary %q", a.Summary)
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
				active = mustLoad(t, v, base, nil)
			}
			if _, err := v.Load(verify.Candidate{Bytes: []byte(bad)}, active); err == nil {
				t.Errorf("%s (first load %v): accepted", tc.name, first)
			}
		}
	}
}
