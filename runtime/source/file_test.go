package source

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// startFile runs a file source on path and returns its revisions.
func startFile(t *testing.T, path string) <-chan Revision {
	t.Helper()
	return startSource(t, &File{Path: path, Debounce: 20 * time.Millisecond})
}

func next(t *testing.T, revs <-chan Revision) Revision {
	t.Helper()
	return testutil.Receive(t, revs, 10*time.Second, "revision")
}

func TestFileSourceWaitsForASnapshotToCatchUpWithItsNewDigest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	oldBytes, newBytes := []byte(`{"old":1}`+"\n"), []byte(`{"new":2}`+"\n")
	// A publisher midway: the new digest is written, the new snapshot not yet.
	if err := os.WriteFile(path, oldBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+DigestSuffix, []byte(snapshot.Digest(newBytes)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	revs := startFile(t, path)
	if err := os.WriteFile(path, newBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	r := next(t, revs)
	if got := contentOf(t, r); string(got) != string(newBytes) {
		t.Errorf("got first revision %q, want the new snapshot %q (never the old one with the new digest)", got, newBytes)
	}
}

func TestFileSourceSendsASnapshotWhoseDigestStaysWrong(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	if err := os.WriteFile(path, []byte(`{"a":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+DigestSuffix, []byte(snapshot.Digest([]byte("other"))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := next(t, startFile(t, path))
	if r.Digest != snapshot.Digest([]byte("other")) {
		t.Errorf("got digest %q, want the wrong one passed on for the verifier to refuse", r.Digest)
	}
}

func TestFileSourceReportsAnUnreadableDigestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	b := []byte(`{"a":1}` + "\n")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+DigestSuffix, []byte(snapshot.Digest(b)[:70]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := next(t, startFile(t, path))
	if r.Err == nil || !strings.Contains(r.Err.Error(), path+DigestSuffix+": digest has 63 hex digits, want 64") {
		t.Errorf("got error %v, want one naming the digest file and what is wrong with it", r.Err)
	}
	if r.File != nil || r.Digest != "" {
		t.Errorf("got a file and digest %q with the error, want neither", r.Digest)
	}
}

func TestReadSnapshotFileAcceptsEverySpellingOfADigest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	b := []byte("snapshot bytes")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	d := snapshot.Digest(b)
	hex := d[len("sha256:"):]
	tests := []struct {
		name, file string // file is "" for no digest file
		want       string // rev.Digest
		matches    bool
	}{
		{"no digest file", "", "", true},
		{"sha256: prefix", d + "\n", d, true},
		{"sha256sum output", hex + "  snapshot.json\n", d, true},
		{"upper case", "sha256:" + strings.ToUpper(hex) + "\n", d, true},
		{"upper-case sha256sum output", strings.ToUpper(hex) + " *snapshot.json\r\n", d, true},
		{"another digest", snapshot.Digest([]byte("x")), snapshot.Digest([]byte("x")), false},
		{"empty", "\n", "", false},
		{"truncated", hex[:40], "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(path + DigestSuffix)
			if tc.file != "" {
				if err := os.WriteFile(path+DigestSuffix, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rev := readSnapshotFile(path, "")
			if rev.Digest != tc.want {
				t.Errorf("got digest %q, want %q", rev.Digest, tc.want)
			}
			if got := digestMatches(&rev); got != tc.matches {
				t.Errorf("digestMatches: got %v, want %v (error %v)", got, tc.matches, rev.Err)
			}
			if rev.Sum != "" && rev.Sum != d {
				t.Errorf("sum %s, want %s", rev.Sum, d)
			}
		})
	}
}

// contentOf returns the snapshot bytes r holds, and closes its file.
func contentOf(t *testing.T, r Revision) []byte {
	t.Helper()
	if r.File == nil {
		return r.Bytes
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r.File, 0, r.Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenSnapshotHashesWhatItKeeps: the digest, length and tail a file's
// revision carries, and its copy, are those of the file's bytes, whatever
// its length against the tail's and the read buffer's.
func TestOpenSnapshotHashesWhatItKeeps(t *testing.T) {
	for _, n := range []int{0, 1, tailSize - 1, tailSize, tailSize + 1, 256<<10 + 7, 3*256<<10 + tailSize/2} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i/251)
		}
		path := filepath.Join(t.TempDir(), "snapshot.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := openSnapshot(path, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if r.Copy == nil {
			t.Fatalf("%d bytes: no copy", n)
		}
		if got, err := os.ReadFile(r.Copy.Name()); err != nil || !bytes.Equal(got, b) {
			t.Errorf("%d bytes: the copy holds %d others (%v)", n, len(got), err)
		}
		if r.Sum != snapshot.Digest(b) || r.Size != int64(n) || !bytes.Equal(r.Tail, b[max(n-tailSize, 0):]) {
			t.Errorf("%d bytes: got sum %s, size %d, %d tail bytes; want %s, %d and the last %d", n, r.Sum, r.Size, len(r.Tail), snapshot.Digest(b), n, min(n, tailSize))
		}
		if got := contentOf(t, r); !bytes.Equal(got, b) {
			t.Errorf("%d bytes: the file reads %d others", n, len(got))
		}
	}
}

// TestACopyThatCannotBeMadeLeavesTheRevisionWithoutOne: a copies directory
// that cannot be written to costs the revision its copy, nothing else.
func TestACopyThatCannotBeMadeLeavesTheRevisionWithoutOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshot.json")
	b := []byte(`{"a":1}`)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openSnapshot(path, filepath.Join(t.TempDir(), "missing"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Copy != nil || r.Sum != snapshot.Digest(b) || r.Size != int64(len(b)) {
		t.Errorf("got copy %v, sum %s, size %d; want none, %s, %d", r.Copy, r.Sum, r.Size, snapshot.Digest(b), len(b))
	}
}

// TestClosingARevisionRemovesItsCopy: a copy nobody kept does not stay.
func TestClosingARevisionRemovesItsCopy(t *testing.T) {
	path, copies := filepath.Join(t.TempDir(), "snapshot.json"), t.TempDir()
	if err := os.WriteFile(path, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := openSnapshot(path, copies)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if entries, _ := os.ReadDir(copies); len(entries) != 0 {
		t.Errorf("got %d files in the copies directory, want none", len(entries))
	}
}
