package store

import (
	"errors"
	"strings"
)

// maxRouteDepth bounds the number of segments of a base path.
const maxRouteDepth = 16

// routeTable finds the longest base path matching a request path in one
// environment. Base paths are few segments deep ("/<publisher>/<api>/v1"),
// so a lookup cuts the path at each "/" up to the deepest base path and
// probes a map from the longest candidate down: at most maxDepth-minDepth+1
// map probes on substrings of the path, no allocation.
type routeTable struct {
	byPath             map[string]*Route
	minDepth, maxDepth int
}

func newRouteTable() *routeTable {
	return &routeTable{byPath: map[string]*Route{}, minDepth: maxRouteDepth + 1}
}

func (t *routeTable) add(r *Route) error {
	p := r.BasePath
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return errors.New("base path must start with / and have no empty segment")
	}
	d := strings.Count(p, "/")
	if d > maxRouteDepth {
		return errors.New("base path too deep")
	}
	if _, dup := t.byPath[p]; dup {
		return errors.New("duplicate base path")
	}
	t.byPath[p] = r
	t.minDepth = min(t.minDepth, d)
	t.maxDepth = max(t.maxDepth, d)
	return nil
}

func (t *routeTable) lookup(path string) *Route {
	// cuts[d] is the end of path's first d segments.
	var cuts [maxRouteDepth + 1]int
	d := 0
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	for i := 1; i < len(path) && d < t.maxDepth; i++ {
		if path[i] == '/' {
			d++
			cuts[d] = i
		}
	}
	if d < t.maxDepth {
		d++
		cuts[d] = len(path)
	}
	for ; d >= t.minDepth && d > 0; d-- {
		if r, ok := t.byPath[path[:cuts[d]]]; ok {
			return r
		}
	}
	return nil
}
