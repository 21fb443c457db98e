package gateway_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestEveryResponseComesFromExactlyOneGeneration hammers the gateway's
// request path while snapshots are swapped, each routing to its own upstream
// path: the generation header and the path the upstream saw must agree,
// and a client never sees the generation go back.
func TestEveryResponseComesFromExactlyOneGeneration(t *testing.T) {
	e := newEnv(t, envOptions{})
	build := func(gen uint64) *store.Snapshot {
		s := platform(fmt.Sprintf("%s/g%d", e.up.URL, gen), e.jwks.URL, func(s *snapshot.Snapshot) { s.Generation = gen })
		b, err := store.Apply(nil, store.Change{Digest: fmt.Sprintf("sha256:%d", gen), Doc: s})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := build(100)
	e.gw.Prepare(first)
	e.store.Swap(first)

	const swaps = 300
	requests := testutil.UnderLoad(t, 4, func() (int, error) {
		r, err := e.send(http.MethodGet, "/pub/keyed/v1/Patient", nil, "apikey", portalKey)
		if err != nil {
			return 0, err
		}
		gen := r.header.Get("X-Frontdoor-Generation")
		if want := "/g" + gen + "/keyed/Patient"; r.code != http.StatusOK || r.body != want {
			return 0, fmt.Errorf("got %d %q with generation %q, want %q", r.code, r.body, gen, want)
		}
		return strconv.Atoi(gen)
	}, func() {
		for gen := uint64(101); gen <= 100+swaps; gen++ {
			next := build(gen)
			e.gw.Prepare(next)
			e.store.Swap(next)
		}
	})
	t.Logf("%d requests during %d swaps", requests, swaps)
}
