package admin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/control"
)

type fakeController struct{ ready bool }

func (f fakeController) Ready() bool            { return f.ready }
func (f fakeController) Status() control.Status { return control.Status{Ready: f.ready} }

func TestWebhookSignatureMustMatchTheBody(t *testing.T) {
	secret, body := []byte("k"), []byte(`{"ref":"refs/heads/main"}`)
	good := Sign(secret, body)
	for _, tc := range []struct {
		name, header string
		secret       []byte
		want         bool
	}{
		{"good", good, secret, true},
		{"missing", "", secret, false},
		{"no prefix", good[len("sha256="):], secret, false},
		{"sha1", "sha1=" + good[len("sha256="):], secret, false},
		{"not hex", "sha256=zz", secret, false},
		{"other key", Sign([]byte("other"), body), secret, false},
		{"other body", Sign(secret, []byte("{}")), secret, false},
		{"no secret configured", Sign(nil, body), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := validSignature(tc.secret, body, tc.header); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSyncIsTriggeredOnlyByAnAuthenticatedWebhook(t *testing.T) {
	synced := 0
	h := New(Options{Controller: fakeController{}, Sync: func() { synced++ }, WebhookSecret: []byte("k")})
	post := func(sig string) int {
		body := []byte("{}")
		req := httptest.NewRequest(http.MethodPost, "/-/sync", bytes.NewReader(body))
		if sig != "" {
			req.Header.Set(SignatureHeader, sig)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := post(""); got != http.StatusUnauthorized || synced != 0 {
		t.Errorf("missing signature: got %d (synced %d), want 401", got, synced)
	}
	if got := post(Sign([]byte("bad"), []byte("{}"))); got != http.StatusUnauthorized || synced != 0 {
		t.Errorf("bad signature: got %d (synced %d), want 401", got, synced)
	}
	if got := post(Sign([]byte("k"), []byte("{}"))); got != http.StatusAccepted || synced != 1 {
		t.Errorf("good signature: got %d (synced %d), want 202 and one sync", got, synced)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		path  string
		ready bool
		want  int
	}{
		{"/healthz", false, http.StatusOK},
		{"/readyz", false, http.StatusServiceUnavailable},
		{"/readyz", true, http.StatusOK},
		{"/status", false, http.StatusOK},
		{"/metrics", false, http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		New(Options{Controller: fakeController{ready: tc.ready}, Gatherer: NewRegistry()}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s (ready %v): got %d, want %d", tc.path, tc.ready, rec.Code, tc.want)
		}
	}
}

func TestAggregatesAreListedAndServedAndNothingElse(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"aggregate-2026-11-01.json": `{"date":"2026-11-01"}`,
		"aggregate-2026-11-02.json": `{"date":"2026-11-02"}`,
		"access-2026-11-01.jsonl":   `{"path":"/private"}`,
		"aggregate-notes.json":      `{}`,
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	h := New(Options{Controller: fakeController{ready: true}, AggregateDir: dir})
	for _, tc := range []struct {
		path     string
		code     int
		wantBody string
	}{
		{"/aggregates", 200, `["2026-11-01","2026-11-02"]`},
		{"/aggregates/2026-11-02", 200, `{"date":"2026-11-02"}`},
		{"/aggregates/2026-11-03", 404, ""},
		{"/aggregates/notes", 400, ""},
		{"/aggregates/..%2Faccess-2026-11-01.jsonl", 400, ""},
		{"/aggregates/2026-11-01.jsonl", 400, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.code || (tc.wantBody != "" && strings.TrimSpace(rec.Body.String()) != tc.wantBody) {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, rec.Code, rec.Body.String(), tc.code, tc.wantBody)
		}
		if strings.Contains(rec.Body.String(), "/private") {
			t.Errorf("GET %s served an access log", tc.path)
		}
	}
	rec := httptest.NewRecorder()
	New(Options{Controller: fakeController{ready: true}}).ServeHTTP(rec, httptest.NewRequest("GET", "/aggregates", nil))
	if rec.Code != 404 {
		t.Errorf("without an access log directory GET /aggregates = %d, want 404", rec.Code)
	}
}
