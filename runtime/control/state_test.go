package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// fileRevision is the revision the file source offers of the file at
// path: the open file, with the digest and tail of its bytes, and no copy.
func fileRevision(t *testing.T, path string) source.Revision {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return source.Revision{Source: "file", File: f, Size: int64(len(b)), Sum: snapshot.Digest(b), Tail: b[max(len(b)-4096, 0):], Compiled: true}
}

// copiedRevision is the first revision a file source copying into copies
// offers of the file at path.
func copiedRevision(t *testing.T, path, copies string) source.Revision {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan source.Revision)
	done := make(chan error, 1)
	go func() { done <- (&source.File{Path: path, Copies: copies, Log: quietLog()}).Run(ctx, out) }()
	select {
	case rev := <-out:
		cancel()
		<-done
		if rev.Err != nil || rev.Copy == nil {
			t.Fatalf("got error %v, copy %v; want a copied revision", rev.Err, rev.Copy)
		}
		rev.Compiled = true
		return rev
	case err := <-done:
		t.Fatalf("file source ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no revision from the file source")
	}
	return source.Revision{}
}

// persisted returns the bytes of the state directory's current snapshot,
// nil if there is none.
func persisted(t *testing.T, state string) []byte {
	t.Helper()
	mb, err := os.ReadFile(filepath.Join(state, "current.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ File, Digest string }
	if err := json.Unmarshal(mb, &meta); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(state, meta.File))
	if err != nil {
		t.Fatal(err)
	}
	if snapshot.Digest(b) != meta.Digest {
		t.Errorf("the persisted file has digest %s, current.json says %s", snapshot.Digest(b), meta.Digest)
	}
	return b
}

// changes are writes to a snapshot file after it was verified.
var changes = []struct {
	name   string
	change func(t *testing.T, path string, b []byte)
}{
	{"unchanged", func(*testing.T, string, []byte) {}},
	{"appended", func(t *testing.T, path string, _ []byte) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("\n\n")
		f.Close()
	}},
	{"same length changed", func(t *testing.T, path string, b []byte) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt(bytes.Replace(b, []byte("up.test"), []byte("ev.test"), 1), 0)
		f.Close()
	}},
	{"replaced by rename", func(t *testing.T, path string, b []byte) {
		testutil.WriteFile(t, path+".new", bytes.Replace(b, []byte("up.test"), []byte("ev.test"), 1))
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}},
}

// TestAFileChangedAfterVerificationIsNeverPersisted: whatever is written to
// a snapshot file between its verification and its persistence, the
// persisted copy, if any, is the verified bytes; with the file source's
// copy it always is.
func TestAFileChangedAfterVerificationIsNeverPersisted(t *testing.T) {
	for _, copied := range []bool{true, false} {
		for _, tc := range changes {
			name := tc.name + ", read again"
			if copied {
				name = tc.name + ", copied as read"
			}
			t.Run(name, func(t *testing.T) {
				state, path := t.TempDir(), filepath.Join(t.TempDir(), "snapshot.json")
				b := snaptest.Encode(t, snaptest.Small(9, "http://up.test"))
				testutil.WriteFile(t, path, b)
				h := newHarness(t, harnessOptions{stateDir: state, prepare: func(*store.Snapshot) { tc.change(t, path, b) }})
				rev := fileRevision(t, path)
				if copied {
					rev = copiedRevision(t, path, h.ctrl.Copies())
				}
				if _, err := h.ctrl.Apply(rev); err != nil {
					t.Fatal(err)
				}
				got := persisted(t, state)
				if got != nil && !bytes.Equal(got, b) {
					t.Fatalf("persisted %d bytes that are not the %d verified", len(got), len(b))
				}
				if got == nil && (copied || tc.name == "unchanged") {
					t.Error("nothing persisted, want the verified bytes")
				}
			})
		}
	}
}

// TestACopyIsPersistedByRenaming: the file source's copy becomes the
// persisted snapshot itself, and the incoming directory is left empty.
func TestACopyIsPersistedByRenaming(t *testing.T) {
	state, path := t.TempDir(), filepath.Join(t.TempDir(), "snapshot.json")
	b := snaptest.Encode(t, snaptest.Small(9, "http://up.test"))
	testutil.WriteFile(t, path, b)
	h := newHarness(t, harnessOptions{stateDir: state})
	rev := copiedRevision(t, path, h.ctrl.Copies())
	copyInfo, err := rev.Copy.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ctrl.Apply(rev); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(state, "snapshots", strings.TrimPrefix(snapshot.Digest(b), "sha256:")+".json")
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi, copyInfo) {
		t.Error("the persisted snapshot is not the source's copy")
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("got mode %v, want 0644 as every persisted file", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(h.ctrl.Copies()); len(entries) != 0 {
		t.Errorf("got %d files left in %s, want none", len(entries), h.ctrl.Copies())
	}
}

// TestUnswappedCopiesAreRemoved: the copy of a snapshot that is refused,
// or is the active one, does not stay in the incoming directory.
func TestUnswappedCopiesAreRemoved(t *testing.T) {
	state, dir := t.TempDir(), t.TempDir()
	h := newHarness(t, harnessOptions{stateDir: state})
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	testutil.WriteFile(t, good, snaptest.Encode(t, snaptest.Small(9, "http://up.test")))
	testutil.WriteFile(t, bad, []byte(`{"not":"a snapshot"}`))
	for _, tc := range []struct {
		name, path, outcome string
	}{
		{"first", good, control.OutcomeSwapped},
		{"the active one", good, control.OutcomeUnchanged},
		{"refused", bad, control.OutcomeRefused},
	} {
		if got, _ := h.ctrl.Apply(copiedRevision(t, tc.path, h.ctrl.Copies())); got != tc.outcome {
			t.Fatalf("%s: outcome %q, want %q", tc.name, got, tc.outcome)
		}
		if entries, _ := os.ReadDir(h.ctrl.Copies()); len(entries) != 0 {
			t.Errorf("%s: got %d files left in the incoming directory, want none", tc.name, len(entries))
		}
	}
}

// TestACrashBeforeTheStateIsReplacedKeepsThePreviousGoodCopy: what a crash
// leaves at each step of persisting a new snapshot (its copy written, its
// copy renamed into place, current.json's replacement written) restores
// the previous snapshot, and a restart clears the incoming directory.
func TestACrashBeforeTheStateIsReplacedKeepsThePreviousGoodCopy(t *testing.T) {
	up := upstream(t, "good")
	next := snaptest.Encode(t, snaptest.Small(10, up.URL))
	for _, tc := range []struct {
		name  string
		crash func(t *testing.T, state string)
	}{
		{"copy written", func(t *testing.T, state string) {
			testutil.WriteFile(t, filepath.Join(state, "incoming", "snapshot-1.json"), next)
		}},
		{"copy renamed into place", func(t *testing.T, state string) {
			testutil.WriteFile(t, filepath.Join(state, "snapshots", strings.TrimPrefix(snapshot.Digest(next), "sha256:")+".json"), next)
		}},
		{"current.json's replacement written", func(t *testing.T, state string) {
			testutil.WriteFile(t, filepath.Join(state, ".current.json.tmp-1"), []byte(`{"file":"snapshots/x.json"}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			good := snaptest.Encode(t, snaptest.Small(9, up.URL))
			if _, err := newHarness(t, harnessOptions{stateDir: state}).ctrl.Apply(source.Revision{Source: "file", Bytes: good}); err != nil {
				t.Fatal(err)
			}
			tc.crash(t, state)
			h := newHarness(t, harnessOptions{stateDir: state})
			if err := h.ctrl.Restore(); err != nil {
				t.Fatal(err)
			}
			if _, gen, body := h.get("/pub0/api0/v1"); gen != "9" || !isFrom(body, "good") {
				t.Errorf("got generation %q %q, want 9 from good", gen, body)
			}
			if entries, _ := os.ReadDir(h.ctrl.Copies()); len(entries) != 0 {
				t.Errorf("got %d files left in the incoming directory after a restart, want none", len(entries))
			}
		})
	}
}

// TestASnapshotPersistedAlreadyIsNotWrittenAgain: a restarted gateway that
// is offered the snapshot it persisted keeps the persisted file.
func TestASnapshotPersistedAlreadyIsNotWrittenAgain(t *testing.T) {
	state := t.TempDir()
	b := snaptest.Encode(t, snaptest.Small(9, "http://up.test"))
	if _, err := newHarness(t, harnessOptions{stateDir: state}).ctrl.Apply(source.Revision{Source: "file", Bytes: b}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(state, "snapshots", strings.TrimPrefix(snapshot.Digest(b), "sha256:")+".json")
	before, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newHarness(t, harnessOptions{stateDir: state}).ctrl.Apply(source.Revision{Source: "file", Bytes: b}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the persisted snapshot was written again")
	}
}
