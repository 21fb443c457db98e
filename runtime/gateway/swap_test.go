package gateway_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

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
		b, err := store.Build(s, fmt.Sprintf("sha256:%d", gen))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := build(100)
	e.gw.Prepare(first)
	e.store.Swap(first)

	const swaps = 300
	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		errs     = make(chan error, 8)
	)
	for range 4 {
		wg.Go(func() {
			last := 0
			for !stop.Load() {
				r, err := e.send(http.MethodGet, "/pub/keyed/v1/Patient", nil, "apikey", portalKey)
				if err != nil {
					errs <- err
					return
				}
				gen := r.header.Get("X-Frontdoor-Generation")
				if want := "/g" + gen + "/keyed/Patient"; r.code != http.StatusOK || r.body != want {
					errs <- fmt.Errorf("got %d %q with generation %q, want %q", r.code, r.body, gen, want)
					return
				}
				g, _ := strconv.Atoi(gen)
				if g < last {
					errs <- fmt.Errorf("generation went back from %d to %d", last, g)
					return
				}
				last = g
				requests.Add(1)
			}
		})
	}
	for gen := uint64(101); gen <= 100+swaps; gen++ {
		next := build(gen)
		e.gw.Prepare(next)
		e.store.Swap(next)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d requests during %d swaps", requests.Load(), swaps)
}
