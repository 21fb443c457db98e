package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func build(t testing.TB, s *snapshot.Snapshot) *store.Snapshot {
	t.Helper()
	st, err := store.Apply(nil, store.Change{Digest: snapshot.Digest(snaptest.Encode(t, s)), Doc: s})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func read(t testing.TB, s *snapshot.Snapshot) *store.Read {
	t.Helper()
	return build(t, s).Read()
}

func TestRouteLookupPicksTheLongestBasePath(t *testing.T) {
	s := snaptest.Small(1, "http://up.test")
	// Add a deeper route under an existing one's sibling path.
	deep := s.APIs[0]
	deep.ID, deep.Name, deep.BasePath = "pub0/deep", "deep", "/pub0/deep/v1/extra"
	s.APIs = append(s.APIs, deep)
	s.Routes = append(s.Routes, snapshot.Route{Environment: snapshot.EnvSandbox, BasePath: deep.BasePath, API: deep.ID, Upstream: "http://deep.test", AccessModes: deep.AccessModes})
	s.Normalize()
	st := read(t, s)

	for _, tc := range []struct {
		name, env, path, want string
	}{
		{"exact base path", snapshot.EnvSandbox, "/pub0/api1/v1", "/pub0/api1/v1"},
		{"path below base path", snapshot.EnvSandbox, "/pub0/api1/v1/Patient/123", "/pub0/api1/v1"},
		{"trailing slash", snapshot.EnvSandbox, "/pub0/api1/v1/", "/pub0/api1/v1"},
		{"segment prefix is no match", snapshot.EnvSandbox, "/pub0/api1/v10", ""},
		{"parent of base path", snapshot.EnvSandbox, "/pub0/api1", ""},
		{"deeper route", snapshot.EnvSandbox, "/pub0/deep/v1/extra/x", "/pub0/deep/v1/extra"},
		{"unknown environment", "staging", "/pub0/api1/v1", ""},
		{"relative path", snapshot.EnvSandbox, "pub0/api1/v1", ""},
		{"empty path", snapshot.EnvSandbox, "", ""},
		{"root", snapshot.EnvSandbox, "/", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := st.Route(tc.env, tc.path)
			got := ""
			if ok {
				got = r.BasePath
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEnvironmentIsChosenByHost(t *testing.T) {
	st := read(t, snaptest.Small(1, "http://up.test"))
	for _, tc := range []struct{ host, want string }{
		{snaptest.SandboxHost, snapshot.EnvSandbox},
		{snaptest.SandboxHost + ":8443", snapshot.EnvSandbox},
		{"SANDBOX.api.test", snapshot.EnvSandbox},
		{snaptest.ProductionHost, snapshot.EnvProduction},
		{"other.test", ""},
		{"[::1]:8080", ""},
	} {
		got := ""
		if e, ok := st.Environment(tc.host); ok {
			got = e.Name
		}
		if got != tc.want {
			t.Errorf("host %q: got %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestTypedLookupsFindWhatTheSnapshotHolds(t *testing.T) {
	s := snaptest.New(snaptest.Options{Generation: 7, Publishers: 2, APIs: 6, Apps: 3, GrantsPerApp: 2})
	snap := build(t, s)
	if got := snap.GenerationString(); got != "7" {
		t.Errorf("generation: got %q, want %q", got, "7")
	}
	st := snap.Read()
	if a, ok := st.API("pub1/api3"); !ok || a.BasePath != "/pub1/api3/v1" {
		t.Errorf("api: got %v %v", a, ok)
	}
	if _, ok := st.API("pub1/nope"); ok {
		t.Error("api: found an unknown api")
	}
	if p, ok := st.Publisher("pub0"); !ok || p.Name != "Publisher 0" {
		t.Errorf("publisher: got %v %v", p, ok)
	}
	app, ok := st.App(snaptest.AppID(2))
	if !ok || app.Org != "org0" {
		t.Fatalf("app: got %v %v", app, ok)
	}
	sum := sha256.Sum256([]byte(snaptest.APIKey(2)))
	if a, ok := st.AppByAPIKeyHash(hex.EncodeToString(sum[:])); !ok || a.ID != snaptest.AppID(2) {
		t.Fatalf("credential: got %+v %v", a, ok)
	}
	if a, ok := st.AppByAPIKeyHash(strings.ToUpper(hex.EncodeToString(sum[:]))); ok {
		t.Errorf("credential: an upper-case hash found %v", a.ID)
	}
	e := s.Entitlements[0]
	if got, ok := st.Grant(e.App, e.API, e.Environment, e.AccessMode); !ok || got.GrantedBy != e.GrantedBy {
		t.Errorf("entitlement: got %v %v", got, ok)
	}
	if _, ok := st.Grant(e.App, e.API, e.Environment, snapshot.ModeAppLevel3); ok {
		t.Error("entitlement: found an ungranted access mode")
	}
}

func TestStoreSwapPublishesTheNewSnapshot(t *testing.T) {
	var s store.Store
	if s.Active() != nil {
		t.Fatal("a new store has an active snapshot")
	}
	a, b := build(t, snaptest.Small(1, "http://a.test")), build(t, snaptest.Small(2, "http://b.test"))
	if prev := s.Swap(a); prev != nil {
		t.Errorf("first swap: got previous %v, want nil", prev)
	}
	if prev := s.Swap(b); prev != a {
		t.Errorf("second swap: got previous %v, want the first", prev)
	}
	if got := s.Active().Generation(); got != 2 {
		t.Errorf("active generation: got %d, want 2", got)
	}
}

func TestBuildRefusesAnUpstreamThatIsNotAnHTTPURL(t *testing.T) {
	s := snaptest.Small(1, "ftp://up.test")
	if _, err := store.Apply(nil, store.Change{Digest: "sha256:x", Doc: s}); err == nil {
		t.Error("got no error")
	}
}

func BenchmarkRouteLookup(b *testing.B) {
	st := read(b, snaptest.Large(1))
	paths := []string{"/pub17/api1017/v1/Patient/9000000009", "/pub999/api9999/v1", "/pub3/api3/v2/nope"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		st.Route(snapshot.EnvProduction, paths[i%len(paths)])
	}
}

func BenchmarkEnvironmentAndRouteLookup(b *testing.B) {
	snap := build(b, snaptest.Large(1))
	b.ReportAllocs()
	for b.Loop() {
		st := snap.Read()
		env, _ := st.Environment("api.test:443")
		st.Route(env.Name, "/pub17/api1017/v1/Patient/9000000009")
	}
}

func BenchmarkCredentialLookup(b *testing.B) {
	st := read(b, snaptest.Large(1))
	sum := sha256.Sum256([]byte(snaptest.APIKey(4242)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := st.AppByAPIKeySum(sum); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkEntitlementLookup(b *testing.B) {
	s := snaptest.Large(1)
	st := read(b, s)
	e := s.Entitlements[len(s.Entitlements)/2]
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := st.Grant(e.App, e.API, e.Environment, e.AccessMode); !ok {
			b.Fatal("not found")
		}
	}
}
