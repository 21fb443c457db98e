package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/golang-jwt/jwt/v5"
)

func TestOneOwnerCannotFillTheOthersShareOfTheReplayCache(t *testing.T) {
	c := newClock()
	rc := NewMemoryReplayCache(10, 3, c.Now)
	exp := t0.Add(time.Minute)
	for i := range 3 {
		if fresh, err := rc.Use("greedy", fmt.Sprint(i), exp); err != nil || !fresh {
			t.Fatalf("greedy key %d: got %v, %v, want fresh", i, fresh, err)
		}
	}
	if _, err := rc.Use("greedy", "3", exp); !errors.Is(err, ErrReplayShareFull) {
		t.Fatalf("greedy past its share: got %v, want ErrReplayShareFull", err)
	}
	for _, owner := range []string{"other", "third"} {
		for i := range 3 {
			if fresh, err := rc.Use(owner, fmt.Sprint(i), exp); err != nil || !fresh {
				t.Fatalf("%s key %d: got %v, %v, want fresh", owner, i, fresh, err)
			}
		}
	}
	c.Advance(2 * time.Minute)
	if fresh, err := rc.Use("greedy", "3", t0.Add(3*time.Minute)); err != nil || !fresh {
		t.Fatalf("greedy after its keys expired: got %v, %v, want fresh", fresh, err)
	}
	if got := rc.Len(); got != 1 {
		t.Errorf("got %d keys held, want 1", got)
	}
}

// TestAFloodingAppGets429AndOtherAppsStillGetTokens floods the token
// endpoint with valid assertions of one app: past its share of the replay
// cache it gets 429, while another app is still served (no 503).
func TestAFloodingAppGets429AndOtherAppsStillGetTokens(t *testing.T) {
	f := newFixture(t)
	a := f.newAuth(t, func(c *Config) { c.ReplayCacheSize = 20; c.ReplayCachePerApp = 5 })
	codes := map[int]int{}
	for i := range 12 {
		as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), fmt.Sprint("flood-", i)), nil)
		w, _ := f.tokenRequest(t, a, assertionForm(as))
		codes[w.Code]++
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[http.StatusOK] != 5 || codes[http.StatusTooManyRequests] != 7 {
		t.Errorf("flooding app: got %v, want 5 × 200 and 7 × 429", codes)
	}
	for i := range 5 {
		as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(2), "batch-1", assertionClaims("acme/batch", f.clock.Now(), fmt.Sprint("calm-", i)), nil)
		if w, body := f.tokenRequest(t, a, assertionForm(as)); w.Code != http.StatusOK {
			t.Fatalf("other app's request %d: got %d %v, want 200", i, w.Code, body)
		}
	}
}

// TestTheTokenLimitIsAskedPerAppAndEnvironmentBeforeRecording: a refusing
// TokenLimit answers 429 and records nothing in the replay cache, so the
// same assertion is accepted once the limit allows it.
func TestTheTokenLimitIsAskedPerAppAndEnvironmentBeforeRecording(t *testing.T) {
	f := newFixture(t)
	var asked []string
	allow := false
	a := f.newAuth(t, func(c *Config) {
		c.TokenLimit = func(_ context.Context, env, app string) (time.Duration, bool) {
			asked = append(asked, env+" "+app)
			return 3 * time.Second, allow
		}
	})
	as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "limited"), nil)
	w, _ := f.tokenRequest(t, a, assertionForm(as))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("got %d Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
	}
	allow = true
	if w, body := f.tokenRequest(t, a, assertionForm(as)); w.Code != http.StatusOK {
		t.Fatalf("once allowed: got %d %v, want 200 (the refused assertion was not recorded)", w.Code, body)
	}
	if len(asked) != 2 || asked[0] != "sandbox acme/portal" {
		t.Errorf("asked %q, want the app and environment twice", asked)
	}
	if a.SetTokenLimit(func(context.Context, string, string) (time.Duration, bool) { return 0, true }) {
		t.Error("SetTokenLimit replaced the configured limit")
	}
}

// TestASigningKeyIsRefusedOutsideItsEnvironments: an inline JWK bound to
// production signs no assertion the sandbox's token endpoint accepts, and
// one bound to the sandbox does.
func TestASigningKeyIsRefusedOutsideItsEnvironments(t *testing.T) {
	for _, tc := range []struct {
		envs []string
		want int
	}{
		{[]string{"production"}, http.StatusUnauthorized},
		{[]string{"integration", "production"}, http.StatusUnauthorized},
		{[]string{"sandbox"}, http.StatusOK},
		{nil, http.StatusOK},
	} {
		t.Run(fmt.Sprint(tc.envs), func(t *testing.T) {
			f := newFixture(t)
			f.snap.Consumers[0].Apps[1].JWKs[0].Environments = tc.envs
			f.dir = newDir(f.snap)
			as := sign(t, jwt.SigningMethodRS512, snaptest.RSAKey(0), "portal-1", assertionClaims("acme/portal", f.clock.Now(), "env"), nil)
			w, body := f.tokenRequest(t, f.auth, assertionForm(as))
			if w.Code != tc.want {
				t.Fatalf("got %d %v, want %d", w.Code, body, tc.want)
			}
			if tc.want != http.StatusOK && body["error_description"] != assertionDescription(ReasonKeyEnvironment) {
				t.Errorf("description %q does not say the key is not valid here", body["error_description"])
			}
		})
	}
}
