package diagnosis

import (
	"fmt"
	"slices"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestRoutedIsRoutedAPIsOfTheSnapshotAskedOf asks a Routed of snapshots in
// turn, one asked twice in a row and one asked again after another: each
// answer is RoutedAPIs of the snapshot asked of.
func TestRoutedIsRoutedAPIsOfTheSnapshotAskedOf(t *testing.T) {
	build := func(gen uint64, apis int) *store.Snapshot {
		s := snaptest.New(snaptest.Options{Generation: gen, Publishers: 1, APIs: apis, Apps: 1, GrantsPerApp: 1,
			Upstream: func(string, string) string { return "http://127.0.0.1:1" }})
		b, err := store.Apply(nil, store.Change{Digest: fmt.Sprintf("sha256:%d", gen), Doc: s})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := build(1, 2), build(2, 5)
	ids := func(apis []*snapshot.API) (out []string) {
		for _, a := range apis {
			out = append(out, a.ID)
		}
		return out
	}
	var c Routed
	for i, snap := range []*store.Snapshot{a, a, b, a, nil, b} {
		want := ids(RoutedAPIs(snap))
		if got := ids(c.Of(snap)); !slices.Equal(got, want) {
			t.Errorf("asked %d: %v, want %v", i, got, want)
		}
	}
	if len(RoutedAPIs(a)) == len(RoutedAPIs(b)) {
		t.Fatal("the snapshots route as many APIs: the test cannot tell them apart")
	}
}
