package testutil

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenSetOrAdvanced(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("got %v, want %v", got, start)
	}
	c.Advance(time.Minute)
	if got, want := c.Now(), start.Add(time.Minute); !got.Equal(want) {
		t.Errorf("after Advance: got %v, want %v", got, want)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Errorf("after Set: got %v, want %v", got, start)
	}
}

func TestReadTreeKeysEveryFileBySlashPath(t *testing.T) {
	dir := t.TempDir()
	WriteTree(t, dir, map[string]string{"a.cue": "a", "sub/.hidden": "h", "sub/deep/b.yaml": "b"})
	got := ReadTree(t, dir)
	if len(got) != 3 || string(got["a.cue"].Data) != "a" || string(got["sub/.hidden"].Data) != "h" || string(got["sub/deep/b.yaml"].Data) != "b" {
		t.Errorf("got %v, want the three files by slash path", got)
	}
}

func TestReceiveReturnsTheValueSent(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if got := Receive(t, ch, time.Second, "value"); got != 7 {
		t.Errorf("got %d, want 7", got)
	}
}

func TestFindInTreeNamesEachFileAndWordIgnoringCase(t *testing.T) {
	dir := t.TempDir()
	WriteTree(t, dir, map[string]string{"a.html": "Call Jo Bloggs", "sub/b.json": `{"email":"JO@example.test"}`, "c.txt": "nothing"})
	found, files := FindInTree(t, dir, []string{"jo bloggs", "jo@example.test"})
	want := []string{`a.html contains "jo bloggs"`, `sub/b.json contains "jo@example.test"`}
	if files != 3 || !slices.Equal(found, want) {
		t.Errorf("got %q in %d files, want %q in 3", found, files, want)
	}
}

func TestUnderLoadReportsAGenerationThatGoesBack(t *testing.T) {
	var gen, calls atomic.Int64
	gen.Store(2)
	older := make(chan struct{})
	ft := &fakeT{TB: t}
	UnderLoad(ft, 1, func() (int, error) {
		calls.Add(1)
		g := gen.Load()
		if g == 1 {
			close(older)
		}
		return int(g), nil
	}, func() {
		for calls.Load() < 2 {
			runtime.Gosched()
		}
		gen.Store(1)
		<-older
	})
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], "went back from 2 to 1") {
		t.Errorf("got %q, want one error saying the generation went back", ft.errors)
	}
}

func TestUnderLoadCountsPassingRequestsAndReportsFailures(t *testing.T) {
	var calls atomic.Int64
	ft := &fakeT{TB: t}
	passed := UnderLoad(ft, 2, func() (int, error) {
		if calls.Add(1) > 10 {
			return 0, errors.New("refused")
		}
		return 1, nil
	}, func() {
		for calls.Load() < 12 {
			runtime.Gosched()
		}
	})
	if passed != 10 || len(ft.errors) != 2 {
		t.Errorf("got %d passed and errors %q, want 10 and two refusals", passed, ft.errors)
	}
}

// fakeT records Error calls instead of failing the test.
type fakeT struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Error(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprint(args...))
}
