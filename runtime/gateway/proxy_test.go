package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestProxyRoutesByHostAndLongestBasePath(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.RequestURI())
	}))
	defer up.Close()
	s := snaptest.New(snaptest.Options{Generation: 4, Publishers: 1, APIs: 2, Apps: 1, GrantsPerApp: 1,
		Upstream: func(api, env string) string { return up.URL + "/" + env + "/base?k=v" }})
	built, err := store.Build(s, "sha256:x")
	if err != nil {
		t.Fatal(err)
	}
	st := new(store.Store)
	p := gateway.New(gateway.Options{Store: st, DefaultEnvironment: snapshot.EnvSandbox})

	get := func(host, target string) (int, string, string) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get(gateway.GenerationHeader), rec.Body.String()
	}
	if code, _, _ := get("x", "/pub0/api0/v1"); code != http.StatusServiceUnavailable {
		t.Errorf("before any snapshot: got %d, want 503", code)
	}
	st.Swap(built)
	for _, tc := range []struct {
		name, host, target string
		code               int
		body               string
	}{
		{"production host", snaptest.ProductionHost, "/pub0/api1/v1/Patient/1?x=y", 200, "/production/base/Patient/1?k=v&x=y"},
		{"host with port", snaptest.IntegrationHost + ":443", "/pub0/api1/v1", 200, "/integration/base?k=v"},
		{"unknown host uses the default environment", "127.0.0.1:8080", "/pub0/api0/v1/", 200, "/sandbox/base/?k=v"},
		{"no route", snaptest.ProductionHost, "/pub0/nope/v1", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, gen, body := get(tc.host, tc.target)
			if code != tc.code || gen != "4" {
				t.Errorf("got %d generation %q, want %d generation 4", code, gen, tc.code)
			}
			if tc.body != "" && body != tc.body {
				t.Errorf("got %q, want %q", body, tc.body)
			}
		})
	}
}

func TestProxyAnswers502WhenTheUpstreamIsDown(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	built, err := store.Build(snaptest.Small(1, down.URL), "sha256:x")
	if err != nil {
		t.Fatal(err)
	}
	st := new(store.Store)
	st.Swap(built)
	p := gateway.New(gateway.Options{Store: st, DefaultEnvironment: snapshot.EnvSandbox, Log: nil})
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/pub0/api0/v1", nil))
	if rec.Code != http.StatusBadGateway {
		t.Errorf("got %d, want 502", rec.Code)
	}
}
