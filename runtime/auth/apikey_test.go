package auth

import (
	"net/http"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

var level0 = []string{snapshot.ModeAppLevel0}

func TestAPIKeyAuthenticatesItsAppOnTheKeysLastDay(t *testing.T) {
	f := newFixture(t)
	p, err := f.auth.Authenticate(request("apikey", portalKey), f.dir, "sandbox", level0)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := Principal{AppID: "acme/portal", OrgID: "acme", AccessMode: snapshot.ModeAppLevel0, CredentialID: "k1"}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
}

func TestAPIKeyIsRefused(t *testing.T) {
	tests := []struct {
		name       string
		req        *http.Request
		modes      []string
		wantReason Reason
		wantStatus int
	}{
		{"a wrong key is refused", request("apikey", "not-a-key"), level0, ReasonInvalidAPIKey, 401},
		{"an expired key is refused", request("apikey", oldKey), level0, ReasonExpiredKey, 401},
		{"a missing header is refused", request(), level0, ReasonMissingCredential, 401},
		{"an empty header is refused", request("apikey", ""), level0, ReasonMissingCredential, 401},
		{"a valid key in another header is refused", request("X-Api-Key", portalKey), level0, ReasonMissingCredential, 401},
		{"a valid key as a bearer token is refused", request("Authorization", "Bearer "+portalKey), level0, ReasonMissingCredential, 401},
		{"a repeated header is refused", request("apikey", portalKey, "apikey", portalKey), level0, ReasonInvalidRequest, 400},
		{"a key on an app-level3 route is refused", request("apikey", portalKey), []string{snapshot.ModeAppLevel3}, ReasonMissingCredential, 401},
		{"a bad key on a route also open is refused", request("apikey", "not-a-key"), []string{snapshot.ModeOpen, snapshot.ModeAppLevel0}, ReasonInvalidAPIKey, 401},
		{"an oversized key is refused", request("apikey", string(make([]byte, maxAPIKeyLen+1))), level0, ReasonInvalidAPIKey, 401},
	}
	f := newFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.Authenticate(tc.req, f.dir, "sandbox", tc.modes)
			wantRefusal(t, err, tc.wantReason, tc.wantStatus)
		})
	}
}

func TestAPIKeyExpiresAfterItsLastDayInUTC(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(12*time.Hour - time.Nanosecond) // 23:59:59.999 on the last day
	if _, err := f.auth.Authenticate(request("apikey", portalKey), f.dir, "sandbox", level0); err != nil {
		t.Fatalf("on the last day: %v", err)
	}
	f.clock.Advance(time.Nanosecond)
	_, err := f.auth.Authenticate(request("apikey", portalKey), f.dir, "sandbox", level0)
	if got := ReasonOf(err); got != ReasonExpiredKey {
		t.Errorf("the day after: got %q, want %q", got, ReasonExpiredKey)
	}
}

func TestOpenRouteNeedsNoCredential(t *testing.T) {
	f := newFixture(t)
	p, err := f.auth.Authenticate(request(), f.dir, "sandbox", []string{snapshot.ModeOpen})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if p != (Principal{AccessMode: snapshot.ModeOpen}) {
		t.Errorf("got %+v, want an open principal", p)
	}
}

func TestRouteWithoutModesRefusesEverything(t *testing.T) {
	f := newFixture(t)
	_, err := f.auth.Authenticate(request("apikey", portalKey), f.dir, "sandbox", nil)
	if got := ReasonOf(err); got != ReasonMissingCredential {
		t.Errorf("got %q, want %q", got, ReasonMissingCredential)
	}
}

func TestErrorMessagesAreFixedSentences(t *testing.T) {
	f := newFixture(t)
	_, err := f.auth.Authenticate(request("apikey", oldKey), f.dir, "sandbox", level0)
	e := err.(*Error)
	if got, want := e.Message(), "invalid or expired API key"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := e.Code, CodeInvalidAPIKey; got != want {
		t.Errorf("got code %q, want %q", got, want)
	}
}

// slowDirectory hides the directory's fast path, as a store that only
// implements Directory would.
type slowDirectory struct{ Directory }

func TestAPIKeyWorksWithADirectoryWithoutTheFastPath(t *testing.T) {
	f := newFixture(t)
	dir := slowDirectory{f.dir}
	p, err := f.auth.Authenticate(request("apikey", batchKey), dir, "sandbox", level0)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got, want := p.AppID, "acme/batch"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = f.auth.Authenticate(request("apikey", "nope"), dir, "sandbox", level0)
	if got := ReasonOf(err); got != ReasonInvalidAPIKey {
		t.Errorf("got %q, want %q", got, ReasonInvalidAPIKey)
	}
}
