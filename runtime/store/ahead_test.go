package store

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// publisherRows returns a write transaction on a new database and n
// publishers in their primary index's order.
func publisherRows(t *testing.T, n int) (*memdb.Txn, []snapshot.Publisher) {
	t.Helper()
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		t.Fatal(err)
	}
	list := make([]snapshot.Publisher, n)
	for i := range list {
		list[i].ID = fmt.Sprintf("pub-%06d", i)
	}
	return db.Txn(true), list
}

func ids(txn *memdb.Txn) []string {
	return rows(txn, TablePublishers, func(p *Publisher) string { return p.ID })
}

// TestRowsBuiltAheadAreTheRowsBuiltInLine: whether rows are built on
// another goroutine or not, the table holds one row per item, in order.
func TestRowsBuiltAheadAreTheRowsBuiltInLine(t *testing.T) {
	for _, n := range []int{0, 1, minAhead - 1, minAhead, 3*minAhead + aheadChunk/2 + 1} {
		var got [2][]string
		for k, ahead := range []bool{false, true} {
			txn, list := publisherRows(t, n)
			err := syncByIDAhead(txn, list, ahead)
			if err != nil {
				t.Fatalf("%d rows, ahead %t: %v", n, ahead, err)
			}
			got[k] = ids(txn)
		}
		if len(got[1]) != n || !slices.Equal(got[0], got[1]) {
			t.Errorf("%d rows: built ahead %d rows, in line %d, or in another order", n, len(got[1]), len(got[0]))
		}
	}
}

func syncByIDAhead(txn *memdb.Txn, list []snapshot.Publisher, ahead bool) error {
	return syncRowsAhead(txn, TablePublishers, len(list), func(i int) rowKey { return rowKey{list[i].ID} }, (*Publisher).key,
		func(*Publisher, int) bool { return false }, func(i int) (*Publisher, error) { return &Publisher{&list[i]}, nil }, ahead)
}

// TestABuildErrorEndsTheWriteAfterTheRowsBeforeIt: the rows of the items
// before the one that could not be built are inserted, no other, and the
// build's error is returned.
func TestABuildErrorEndsTheWriteAfterTheRowsBeforeIt(t *testing.T) {
	for _, bad := range []int{0, 1, aheadChunk - 1, aheadChunk, 2*minAhead + 3} {
		txn, list := publisherRows(t, 3*minAhead)
		want := errors.New("unbuildable")
		write := make([]int, len(list))
		for i := range write {
			write[i] = i
		}
		err := insertAhead(txn, TablePublishers, write, func(i int) (*Publisher, error) {
			if i == bad {
				return nil, want
			}
			return &Publisher{&list[i]}, nil
		})
		if !errors.Is(err, want) {
			t.Errorf("item %d unbuildable: got %v, want its error", bad, err)
		}
		if got := ids(txn); len(got) != bad || (bad > 0 && got[bad-1] != list[bad-1].ID) {
			t.Errorf("item %d unbuildable: %d rows inserted, want the %d before it", bad, len(got), bad)
		}
	}
}

// TestAnInsertionErrorStopsTheBuilder: once an insertion fails, the rows
// are built no further than the chunks already on their way.
func TestAnInsertionErrorStopsTheBuilder(t *testing.T) {
	txn, list := publisherRows(t, 20*aheadChunk)
	write := make([]int, len(list))
	for i := range write {
		write[i] = i
	}
	var built atomic.Int64
	const bad = 2 * aheadChunk
	err := insertAhead(txn, TablePublishers, write, func(i int) (any, error) {
		built.Add(1)
		if i == bad {
			return "not a publisher", nil // the indexer refuses it
		}
		return &Publisher{&list[i]}, nil
	})
	if err == nil {
		t.Fatal("a row the table cannot index was inserted")
	}
	time.Sleep(50 * time.Millisecond) // a builder that went on would be seen
	if n := built.Load(); n > bad+5*aheadChunk {
		t.Errorf("%d rows built after the insertion of row %d failed, want at most the chunks under way", n, bad)
	}
}
