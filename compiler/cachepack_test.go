package compiler

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packEntries are n entries of different sizes, keyed by their index.
func packEntries(n int) []packEntry {
	out := make([]packEntry, n)
	for i := range out {
		out[i] = packEntry{sha256.Sum256([]byte(fmt.Sprint(i))), bytes.Repeat([]byte{byte(i)}, 1+i%97)}
	}
	return out
}

// packFiles lists the packs and the temporary files in dir.
func packFiles(t *testing.T, dir string) (packs, temps int) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case strings.HasPrefix(e.Name(), "."):
			temps++
		case strings.HasSuffix(e.Name(), packSuffix):
			packs++
		}
	}
	return packs, temps
}

// packedEntries checks that a run opening dir reads each of ents as it was.
func packedEntries(t *testing.T, dir string, ents []packEntry) {
	t.Helper()
	r, err := openPackDir(dir, DefaultCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	for _, e := range ents {
		if got, ok := r.get(e.key, new([]byte)); !ok || !bytes.Equal(got, e.b) {
			t.Fatalf("entry %x: got %v %q, want %q", e.key[:4], ok, got, e.b)
		}
	}
}

func TestARunsEntriesAreReadableFromItsPacksOnceClosedAndNoTemporaryFileIsLeft(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		roll int64
	}{
		{"no entry", 0, packRoll},
		{"one entry", 1, packRoll},
		{"many entries", 500, packRoll},
		{"entries past the roll", 500, 4 << 10},
		{"each entry its own pack", 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := openPackDir(dir, DefaultCacheSize)
			if err != nil {
				t.Fatal(err)
			}
			d.roll = tc.roll
			ents := packEntries(tc.n)
			wantPacks, streamed := 0, int64(0)
			for _, e := range ents {
				d.put(e.key, e.b)
				if streamed += int64(len(e.b)); streamed >= tc.roll {
					wantPacks, streamed = wantPacks+1, 0
				}
			}
			if streamed > 0 {
				wantPacks++
			}
			if err := d.close(); err != nil {
				t.Fatal(err)
			}
			if packs, temps := packFiles(t, dir); packs != wantPacks || temps != 0 {
				t.Errorf("%d packs and %d temporary files, want %d and none", packs, temps, wantPacks)
			}
			packedEntries(t, dir, ents)
		})
	}
}

func TestAnEntryIsWrittenAsItWasPutWhateverItsBytesBecomeAfter(t *testing.T) {
	dir := t.TempDir()
	d, err := openPackDir(dir, DefaultCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	ents := packEntries(50)
	buf := make([]byte, 128)
	for _, e := range ents {
		b := append(buf[:0], e.b...)
		d.put(e.key, b)
		clear(b) // the caller's memory is used again (encodeWith)
	}
	d.close()
	packedEntries(t, dir, ents)
}

func TestAnotherRunSeesNoEntryOfARunNotYetClosed(t *testing.T) {
	dir := t.TempDir()
	d, err := openPackDir(dir, DefaultCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	ents := packEntries(200)
	for _, e := range ents {
		d.put(e.key, e.b)
	}
	mid, err := openPackDir(dir, DefaultCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(mid.packs) != 0 {
		t.Errorf("a run opened mid-stream sees %d packs, want none", len(mid.packs))
	}
	mid.close()
	d.close()
	if packs, temps := packFiles(t, dir); packs != 1 || temps != 0 {
		t.Errorf("%d packs and %d temporary files, want 1 and none", packs, temps)
	}
}

// A pack whose index is not sorted by key (another format's) is ignored:
// its keys could not be found.
func TestAPackWithAnUnsortedIndexIsIgnored(t *testing.T) {
	dir := t.TempDir()
	ents := packEntries(20)
	var idx, data []byte
	for _, e := range ents { // in the order made: not sorted by key
		sum := sha256.Sum256(e.b)
		idx = append(idx, e.key[:]...)
		idx = binary.BigEndian.AppendUint64(idx, uint64(len(data)))
		idx = binary.BigEndian.AppendUint32(idx, uint32(len(e.b)))
		idx = append(idx, sum[:]...)
		data = append(data, e.b...)
	}
	if err := os.WriteFile(filepath.Join(dir, "unsorted"+packSuffix), append(packHead(len(ents), int64(len(data)), idx), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := openPackDir(dir, DefaultCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if len(d.packs) != 0 {
		t.Errorf("%d packs opened, want none", len(d.packs))
	}
	if err := os.WriteFile(filepath.Join(dir, "sorted"+packSuffix), append(packHead(len(ents), int64(len(data)), sortIndex(idx)), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	packedEntries(t, dir, ents)
}

// A run reads back the entries it put, before it closes the directory:
// from the stream being written, and from the packs it rolled.
func TestARunReadsBackTheEntriesItPut(t *testing.T) {
	for _, roll := range []int64{packRoll, 4 << 10, 1} {
		t.Run(fmt.Sprint("roll ", roll), func(t *testing.T) {
			d, err := openPackDir(t.TempDir(), DefaultCacheSize)
			if err != nil {
				t.Fatal(err)
			}
			defer d.close()
			d.roll = roll
			ents := packEntries(300)
			for i, e := range ents {
				d.put(e.key, e.b)
				// The entries put so far, read between puts.
				for _, f := range ents[:i+1][max(0, i-3):] {
					if got, ok := d.get(f.key, new([]byte)); !ok || !bytes.Equal(got, f.b) {
						t.Fatalf("entry %x after %d puts: got %v %q, want %q", f.key[:4], i+1, ok, got, f.b)
					}
				}
			}
			for _, e := range ents {
				if got, ok := d.get(e.key, new([]byte)); !ok || !bytes.Equal(got, e.b) {
					t.Fatalf("entry %x: got %v %q, want %q", e.key[:4], ok, got, e.b)
				}
			}
		})
	}
}
