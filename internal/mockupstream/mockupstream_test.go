package mockupstream

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestStartServesAnEchoOnEveryLoopbackUpstreamOfTheEnvironment(t *testing.T) {
	addr := freeAddr(t)
	snap := &snapshot.Snapshot{
		APIs: []snapshot.API{{ID: "pub/a", IdentityHeaders: snapshot.IdentityHeaders{App: "X-App"}}, {ID: "pub/b"}},
		Routes: []snapshot.Route{
			{Environment: "sandbox", BasePath: "/pub/a/v1", API: "pub/a", Upstream: "http://" + addr},
			{Environment: "sandbox", BasePath: "/pub/b/v1", API: "pub/b", Upstream: "https://b.internal.example"},
			{Environment: "production", BasePath: "/pub/a/v1", API: "pub/a", Upstream: "http://" + freeAddr(t)},
		},
	}
	s, err := Start(snap, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Addrs) != 1 || s.Addrs[addr] != "pub/a" {
		t.Fatalf("got mocks %v, want only %s for pub/a", s.Addrs, addr)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/pub/a/v1/items?x=1", nil)
	req.Header.Set("X-App", "acme/finder")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e Echo
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.API != "pub/a" || e.Path != "/pub/a/v1/items" || e.Query != "x=1" || e.Headers["X-App"] != "acme/finder" {
		t.Errorf("got echo %+v, want pub/a GET /pub/a/v1/items?x=1 with X-App", e)
	}
}

func TestStartFailsWhenAnUpstreamAddressIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	snap := &snapshot.Snapshot{Routes: []snapshot.Route{{Environment: "sandbox", API: "pub/a", Upstream: "http://" + ln.Addr().String()}}}
	if s, err := Start(snap, "sandbox"); err == nil {
		s.Close()
		t.Fatal("got no error for a taken address")
	}
}
