//go:build unix

package source

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestReadFileOffHeap(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), (2<<20)/16+3)
	small := []byte("small")
	for _, tc := range []struct {
		name    string
		content []byte
		offHeap bool
	}{{"large", big, true}, {"small", small, false}, {"empty", nil, false}} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			b, sum, free, err := readFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.content) {
				t.Errorf("read %d bytes, want %d", len(b), len(tc.content))
			}
			if want := snapshot.Digest(tc.content); sum != want {
				t.Errorf("digest computed while reading: %s, want %s", sum, want)
			}
			if (free != nil) != tc.offHeap {
				t.Errorf("off heap: %v, want %v", free != nil, tc.offHeap)
			}
			if free != nil {
				free()
				free() // a second release is harmless
			}
		})
	}
	if _, _, _, err := readFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: got %v", err)
	}
}

// TestFileSourceRevisionsOffHeap: the file source hands a large snapshot
// over outside the Go heap, whole, and its consumer releases it.
func TestFileSourceRevisionsOffHeap(t *testing.T) {
	defer func(n int64) { offHeapMin = n }(offHeapMin)
	offHeapMin = 1
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	content := []byte(`{"some":"snapshot bytes"}`)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan Revision)
	errc := make(chan error, 1)
	go func() { errc <- (&File{Path: path, Debounce: time.Millisecond}).Run(ctx, out) }()
	select {
	case rev := <-out:
		if !rev.OffHeap() || !bytes.Equal(rev.Bytes, content) {
			t.Errorf("got %q (off heap %v), want %q off heap", rev.Bytes, rev.OffHeap(), content)
		}
		rev.Release()
		rev.Release()
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("no revision")
	}
	cancel()
	<-errc
}
