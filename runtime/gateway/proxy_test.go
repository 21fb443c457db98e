package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestProxyRoutesByHostAndLongestBasePath(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(s *snapshot.Snapshot) {
		// A deeper API under the open one's base path.
		deep := api("deep", snapshot.ModeOpen)
		deep.BasePath = "/pub/open/v1/deep"
		s.APIs = append(s.APIs, deep)
		for _, env := range []string{snapshot.EnvSandbox, snapshot.EnvProduction} {
			s.Routes = append(s.Routes, snapshot.Route{Environment: env, BasePath: deep.BasePath, API: deep.ID,
				Upstream: "UP/" + env + "-deep?k=v", AccessModes: deep.AccessModes})
		}
	}})
	for _, tc := range []struct {
		name, host, target string
		code               int
		body               string
	}{
		{"sandbox host", sandboxHost, "/pub/open/v1/Patient/1?x=y", 200, "/open/Patient/1?x=y"},
		{"host with port and upper case", "SANDBOX.api.test:443", "/pub/open/v1", 200, "/open"},
		{"unknown host uses the default environment", "127.0.0.1:8080", "/pub/open/v1/", 200, "/open/"},
		{"longest base path wins", sandboxHost, "/pub/open/v1/deep/x?a=b", 200, "/sandbox-deep/x?k=v&a=b"},
		{"a base path only matches whole segments", sandboxHost, "/pub/open/v1deep", 404, ""},
		{"no route", prodHost, "/pub/nope/v1", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.target, "Host", tc.host)
			if r.code != tc.code || r.header.Get(gateway.GenerationHeader) != "7" {
				t.Errorf("got %d generation %q, want %d generation 7", r.code, r.header.Get(gateway.GenerationHeader), tc.code)
			}
			if tc.body != "" && r.body != tc.body {
				t.Errorf("got %q, want %q", r.body, tc.body)
			}
		})
	}
}

func TestProxyAnswers502WhenTheUpstreamIsDown(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.up.Close()
	r := e.get("/pub/open/v1/x")
	if r.code != http.StatusBadGateway {
		t.Fatalf("got %d, want 502", r.code)
	}
	if p := decodeProblem(t, r); p.Detail != "the API's backend could not be reached or failed" {
		t.Errorf("detail: got %q", p.Detail)
	}
}

func TestProxyAnswers503BeforeAnySnapshot(t *testing.T) {
	p := gateway.New(gateway.Options{Store: new(store.Store), DefaultEnvironment: snapshot.EnvSandbox})
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/pub0/api0/v1", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("got %d, want 503", rec.Code)
	}
}
