package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// TestAPlanKeepsItsTargetsUntilTheCredentialsChange: a swap keeps the
// upstream targets of the plan before (and their connection pools) while
// the credentials read as they did; a changed credential file makes them
// anew, and a changed upstream gets its own.
func TestAPlanKeepsItsTargetsUntilTheCredentialsChange(t *testing.T) {
	dir := t.TempDir()
	writeCred := func(v string) {
		if err := os.WriteFile(filepath.Join(dir, "tok.header"), []byte("X-Backend-Key: "+v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCred("one")
	v, err := verify.New(verify.Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	var active *store.Snapshot
	load := func(gen uint64, upstream string) *store.Snapshot {
		t.Helper()
		s := snaptest.New(snaptest.Options{Generation: gen, Publishers: 1, APIs: 3, Apps: 3, GrantsPerApp: 2,
			Upstream: func(string, string) string { return upstream }})
		for i := range s.Routes {
			s.Routes[i].UpstreamCredential = "tok"
		}
		next, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, s)}, active)
		if err != nil {
			t.Fatal(err)
		}
		active = next
		return next
	}
	p := New(Options{Store: new(store.Store), CredentialsDir: dir, Log: slog.New(slog.DiscardHandler)})
	defer p.Close()
	only := func(pl *plan) *target {
		if len(pl.targets) != 1 {
			t.Fatalf("got %d targets, want 1", len(pl.targets))
		}
		for _, e := range pl.targets {
			return e.t
		}
		return nil
	}
	p1 := p.plan(load(1, "http://up.test"))
	s2 := load(2, "http://up.test")
	p2 := p.plan(s2)
	if only(p1) != only(p2) || p2.snap != s2 || p2.gen[0] != "2" {
		t.Errorf("a new generation: kept the target %v, snapshot %v, generation %q", only(p1) == only(p2), p2.snap == s2, p2.gen)
	}
	writeCred("two")
	p3 := p.plan(load(3, "http://up.test"))
	if only(p2) == only(p3) || only(p3).credValue != "two" {
		t.Errorf("after the credential changed: got credential %q, want a new target with %q", only(p3).credValue, "two")
	}
	p4 := p.plan(load(4, "http://other.test"))
	if only(p4).host != "other.test" {
		t.Errorf("a changed upstream: got host %q", only(p4).host)
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
