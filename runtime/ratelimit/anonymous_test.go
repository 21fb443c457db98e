package ratelimit

import (
	"context"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestAnonymousCallersTogetherTakeAtMostHalfOfAMixedAPI(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	api := &snapshot.API{ID: "pub/mixed", RateLimit: rl(10, "second"), AppRateLimit: rl(3, "second")}
	admitted := 0
	for n := range 10 {
		q := AnonymousQuota(nil, "sandbox", api, "198.51."+string(rune('0'+n))+".0", true)
		for range 3 {
			if _, rej, err := Check(context.Background(), l, &q); err == nil && rej == nil {
				admitted++
			} else if rej != nil && rej.Scope != ScopeAnonymous && rej.Scope != ScopeNetwork {
				t.Fatalf("refused by %s, want the network's or the anonymous pool's quota", rej.Scope)
			}
		}
	}
	if admitted != 5 {
		t.Errorf("admitted %d anonymous requests, want 5 (half of 10)", admitted)
	}
	app := newQuota(nil, "sandbox", api, "acme/portal", nil)
	for i := range 3 {
		if _, rej, err := Check(context.Background(), l, &app); err != nil || rej != nil {
			t.Fatalf("app request %d: refused (%v, %v), want admitted", i, rej, err)
		}
	}
}

func TestOneNetworkTakesAtMostOneAppsShare(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	api := &snapshot.API{ID: "pub/open", RateLimit: rl(100, "second")}
	platform := &snapshot.Platform{AppRateLimit: rl(2, "second")}
	q := AnonymousQuota(platform, "sandbox", api, "198.51.100.0", false)
	if q.PoolKey != "" {
		t.Errorf("an open-only API has an anonymous pool %q, want none", q.PoolKey)
	}
	admitted := 0
	var last *Rejection
	for range 5 {
		_, rej, _ := Check(context.Background(), l, &q)
		if rej == nil {
			admitted++
		} else {
			last = rej
		}
	}
	if admitted != 2 || last == nil || last.Scope != ScopeNetwork {
		t.Errorf("admitted %d, last refusal %v, want 2 then the network's quota", admitted, last)
	}
}
