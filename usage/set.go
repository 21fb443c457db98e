package usage

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Set holds daily aggregates, at most one per (replica, date). Adding an
// aggregate is a join: of two versions of one replica's day it keeps the
// one with more requests (a day's figures only grow), ties broken by
// content, so adding is commutative, associative and idempotent — a file
// merged twice, or fetched from a replica and read from its disk, counts
// once.
type Set struct {
	days map[dayKey]entry
}

type dayKey struct{ replica, date string }

type entry struct {
	a      *Aggregate
	digest [sha256.Size]byte
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{days: make(map[dayKey]entry)} }

// Add joins a into the set. An aggregate without a replica name (written
// before replicas were named) is keyed by its content's digest.
func (s *Set) Add(a *Aggregate) error {
	if _, err := time.Parse(time.DateOnly, a.Date); err != nil {
		return fmt.Errorf("aggregate date %q: want YYYY-MM-DD", a.Date)
	}
	canon, err := json.Marshal(a)
	if err != nil {
		return err
	}
	e := entry{a: a, digest: sha256.Sum256(canon)}
	k := dayKey{a.Replica, a.Date}
	if k.replica == "" {
		k.replica = "sha256:" + hex.EncodeToString(e.digest[:])
	}
	if old, ok := s.days[k]; !ok || newer(e, old) {
		s.days[k] = e
	}
	return nil
}

// newer reports whether e supersedes old for the same replica and day.
func newer(e, old entry) bool {
	return cmp.Or(cmp.Compare(e.a.Requests, old.a.Requests), bytes.Compare(e.digest[:], old.digest[:])) > 0
}

// Aggregates returns the set's aggregates sorted by date, then replica.
func (s *Set) Aggregates() []*Aggregate {
	keys := slices.SortedFunc(maps.Keys(s.days), func(x, y dayKey) int {
		return cmp.Or(strings.Compare(x.date, y.date), strings.Compare(x.replica, y.replica))
	})
	out := make([]*Aggregate, len(keys))
	for i, k := range keys {
		out[i] = s.days[k].a
	}
	return out
}

// Len is the number of (replica, day) aggregates held.
func (s *Set) Len() int { return len(s.days) }
