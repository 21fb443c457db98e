package admin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
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
