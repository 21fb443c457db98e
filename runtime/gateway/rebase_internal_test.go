package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestAPlanIsRebasedOnlyOverTheSameIndexAndCredentials: a swap to a new
// generation of the same content reuses the plan (routes, grants, quotas,
// targets), one of changed grants reuses all but the grants and quotas, but
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
		s := snaptest.Small(gen, "http://up.test")
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
	p4 := p.plan(load(4, func(s *snapshot.Snapshot) { s.Entitlements[0].Expires = "2031-01-01" }))
	if !same(p3, p4) || p4.grants[p4.data.Entitlements[0].App].list[0].Expires != "2031-01-01" || &p4.quotas[0] == &p3.quotas[0] {
		t.Error("changed grants: want the routes of the plan before and the grants and quotas anew")
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
