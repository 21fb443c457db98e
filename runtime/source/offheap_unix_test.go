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

// TestReadFileReusesTheReleasedMapping: a snapshot read after the last one
// was released reuses its mapping, with only the new file's bytes in view;
// one read while the last is still in use gets a mapping of its own.
func TestReadFileReusesTheReleasedMapping(t *testing.T) {
	dropSpare()
	dir := t.TempDir()
	write := func(name string, n int, c byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte{c}, n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, smaller := write("first", 3<<20, 'a'), write("smaller", 3<<20-5, 'b')
	read := func(p string) ([]byte, func()) {
		t.Helper()
		b, _, free, err := readFile(p)
		if err != nil || free == nil {
			t.Fatalf("%s: %v (off heap: %v)", p, err, free != nil)
		}
		return b, free
	}
	a, freeA := read(first)
	b, freeB := read(smaller) // a is in use: another mapping
	if &a[0] == &b[0] {
		t.Fatal("a mapping in use was handed out again")
	}
	freeA()
	freeB() // there is a spare already: unmapped
	c, freeC := read(smaller)
	if &c[0] != &a[0] {
		t.Error("the released mapping was not reused")
	}
	if len(c) != 3<<20-5 || cap(c) != len(c) || bytes.IndexByte(c, 'a') >= 0 {
		t.Errorf("read %d bytes (cap %d), with the last file's bytes in view: %v", len(c), cap(c), bytes.IndexByte(c, 'a') >= 0)
	}
	freeC()
	dropSpare() // as spareFor after the last release
	d, freeD := read(first)
	defer freeD()
	if !bytes.Equal(d, bytes.Repeat([]byte{'a'}, 3<<20)) {
		t.Error("a read after the spare mapping was dropped differs from the file")
	}
}
