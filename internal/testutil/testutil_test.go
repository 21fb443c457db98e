package testutil

import (
	"slices"
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
