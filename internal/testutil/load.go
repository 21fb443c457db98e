package testutil

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// UnderLoad calls request in a loop from readers goroutines while swaps
// runs on the test's goroutine, then reports on t every error a request
// returned and every generation that went back for one reader. request
// does one request and checks its answer, returning the generation that
// answered it; a reader stops at its first failure. UnderLoad returns how
// many requests passed.
func UnderLoad(t testing.TB, readers int, request func() (generation int, err error), swaps func()) int64 {
	t.Helper()
	var (
		stop   atomic.Bool
		passed atomic.Int64
		wg     sync.WaitGroup
		errs   = make(chan error, readers)
	)
	for range readers {
		wg.Go(func() {
			last := 0
			for !stop.Load() {
				g, err := request()
				if err == nil && g < last {
					err = fmt.Errorf("generation went back from %d to %d", last, g)
				}
				if err != nil {
					errs <- err
					return
				}
				last = g
				passed.Add(1)
			}
		})
	}
	// Readers stop even when swaps fails the test (runtime.Goexit).
	defer wg.Wait()
	defer stop.Store(true)
	swaps()
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return passed.Load()
}
