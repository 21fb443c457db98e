package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestAPlanIsRebasedOnlyOverTheSameIndexAndCredentials: a swap to a new
// generation of the same content reuses the plan (routes, grants, quotas,
// targets), one of changed grants reuses all but the changed app's grants
// and quotas, but
// a changed upstream credential file or a changed API builds it anew.
func TestAPlanIsRebasedOnlyOverTheSameIndexAndCredentials(t *testing.T) {
	dir := t.TempDir()
	writeCred := func(v string) {
		if err := os.WriteFile(filepath.Join(dir, "tok.header"), []byte("X-Backend-Key: "+v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCred("one")
	v, err := store.NewVerifier(store.VerifierOptions{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	var active *store.Snapshot
	load := func(gen uint64, edit func(*snapshot.Snapshot)) *store.Snapshot {
		t.Helper()
		s := snaptest.New(snaptest.Options{Generation: gen, Publishers: 1, APIs: 3, Apps: 3, GrantsPerApp: 2,
			Upstream: func(string, string) string { return "http://up.test" }})
		for i := range s.Routes {
			s.Routes[i].UpstreamCredential = "tok"
		}
		if edit != nil {
			edit(s)
		}
		next, err := v.Load(store.Candidate{Bytes: snaptest.Encode(t, s)}, active)
		if err != nil {
			t.Fatal(err)
		}
		active = next
		return next
	}
	p := New(Options{Store: new(store.Store), CredentialsDir: dir, Log: slog.New(slog.DiscardHandler)})
	defer p.Close()
	same := func(a, b *plan) bool {
		return reflect.ValueOf(a.routes).UnsafePointer() == reflect.ValueOf(b.routes).UnsafePointer()
	}
	cred := func(pl *plan) string {
		for _, rp := range pl.routes {
			return rp.target.credValue
		}
		return ""
	}

	p1 := p.plan(load(1, nil))
	s2 := load(2, nil)
	p2 := p.plan(s2)
	if !same(p1, p2) || p2.snap != s2 || p2.gen[0] != "2" || p2.data.Generation != 2 {
		t.Errorf("a new generation of the same content: rebased %v, snapshot %v, generation %q", same(p1, p2), p2.snap == s2, p2.gen)
	}
	writeCred("two")
	p3 := p.plan(load(3, nil))
	if same(p2, p3) || cred(p3) != "two" {
		t.Errorf("after the credential changed: rebased %v, credential %q; want a new plan with %q", same(p2, p3), cred(p3), "two")
	}
	s4 := load(4, func(s *snapshot.Snapshot) { s.Entitlements[0].Expires = "2031-01-01" })
	p4 := p.plan(s4)
	es := s4.Entitlements()
	changed := p4.grants.get(es[0].App)
	if !same(p3, p4) || changed == nil || changed.list[0].Expires != "2031-01-01" || changed == p3.grants.get(es[0].App) {
		t.Error("changed grants: want the routes of the plan before and the changed app's grants and quotas anew")
	}
	kept := 0
	for _, e := range es {
		if e.App != es[0].App {
			if g := p4.grants.get(e.App); g == nil || g != p3.grants.get(e.App) {
				t.Errorf("grants of %s, unchanged, not kept with their quotas", e.App)
			}
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("the test snapshot has one app with grants: nothing shows what is kept")
	}
	p5 := p.plan(load(5, func(s *snapshot.Snapshot) {
		s.Entitlements[0].Expires = "2031-01-01"
		s.APIs[0].Title = "Renamed"
	}))
	renamed := false
	for _, rp := range p5.routes {
		renamed = renamed || rp.api.Title == "Renamed"
	}
	if same(p4, p5) || !renamed {
		t.Error("a changed api was not planned anew")
	}
}

func TestBusyWhileRequestsArrive(t *testing.T) {
	var st store.Store
	p := New(Options{Store: &st, Log: slog.New(slog.DiscardHandler)})
	defer p.Close()
	if p.Busy() {
		t.Error("busy before any request")
	}
	p.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	if !p.Busy() {
		t.Error("not busy right after a request")
	}
	p.lastRequest.Store(time.Now().Add(-busyWindow - time.Millisecond).UnixNano())
	if p.Busy() {
		t.Error("still busy a second after the last request")
	}
}

// TestGrantIndexFollowsChangedGrants: swap after swap changing a few apps'
// grants (some revoked, some granted again), the plan's grant index answers
// as the store does for every app, keeps the unchanged apps' entries, and
// builds a new base once the changes outgrow a fraction of it.
func TestGrantIndexFollowsChangedGrants(t *testing.T) {
	v, err := store.NewVerifier(store.VerifierOptions{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	base := snaptest.New(snaptest.Options{Generation: 1, Publishers: 2, APIs: 6, Apps: 400, GrantsPerApp: 2})
	load := func(s *snapshot.Snapshot, active *store.Snapshot) *store.Snapshot {
		t.Helper()
		next, err := v.Load(store.Candidate{Bytes: snaptest.Encode(t, s)}, active)
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	active := load(base, nil)
	x := newGrantIndex(active)
	rebuilt := 0
	for i := range 60 {
		s := snaptest.Copy(t, base)
		s.Generation = uint64(i + 2)
		// Each time, further along: one app's grants get an expiry date
		// and another's are revoked; the last swap's are as they were
		// again (granted again, no expiry).
		apps := []string{snaptest.AppID(i * 5 % 400), snaptest.AppID((i*5 + 1) % 400)}
		for j := range s.Entitlements {
			if s.Entitlements[j].App == apps[0] {
				s.Entitlements[j].Expires = fmt.Sprintf("%d-01-01", 2030+i)
			}
		}
		s.Entitlements = slices.DeleteFunc(s.Entitlements, func(e snapshot.Entitlement) bool { return e.App == apps[1] })
		next := load(s, active)
		changed, ok := next.GrantsChanged(active)
		if !ok {
			t.Fatalf("swap %d: the store cannot tell which grants changed", i)
		}
		prev := x
		x = x.with(next, changed)
		newBase := reflect.ValueOf(x.base).UnsafePointer() != reflect.ValueOf(prev.base).UnsafePointer()
		if newBase {
			rebuilt++
		}
		if len(x.over) > len(x.base)/8+64 {
			t.Fatalf("swap %d: %d apps changed over a base of %d", i, len(x.over), len(x.base))
		}
		for a := range 400 {
			app := snaptest.AppID(a)
			g, found := next.Grants(app)
			ag := x.get(app)
			if found != (ag != nil) || (found && !reflect.DeepEqual(g.List, ag.list)) || (ag != nil && len(ag.quotas) != len(ag.list)) {
				t.Fatalf("swap %d: grants of %s differ from the store's", i, app)
			}
			if !newBase && !slices.Contains(changed, app) && ag != prev.get(app) {
				t.Fatalf("swap %d: grants of %s, unchanged, not kept", i, app)
			}
		}
		active = next
	}
	if rebuilt == 0 {
		t.Error("the index never built a new base")
	}
}
