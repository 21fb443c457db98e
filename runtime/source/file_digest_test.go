package source_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestFileSourceCanonicalisesAnUpperCaseDigest(t *testing.T) {
	// PowerShell's Get-FileHash, for one, prints upper case; the verifier
	// compares digests as snapshot.Digest writes them.
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	b := snaptest.Encode(t, snaptest.Small(1, "http://127.0.0.1:1"))
	want := snapshot.Digest(b)
	upper := strings.ToUpper(strings.TrimPrefix(want, "sha256:"))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+source.DigestSuffix, []byte(upper+"  snapshot.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	revs := make(chan source.Revision, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = (&source.File{Path: path, Debounce: 20 * time.Millisecond}).Run(ctx, revs)
	}()
	defer func() { cancel(); <-done }()
	r := testutil.Receive(t, revs, 10*time.Second, "revision")

	if r.Err != nil {
		t.Fatalf("got error %v, want the snapshot", r.Err)
	}
	if r.Digest != want {
		t.Errorf("got digest %q, want %q", r.Digest, want)
	}
	v, err := verify.New(verify.Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := v.Load(verify.Candidate{File: r.File, Size: r.Size, Tail: r.Tail, Digest: r.Digest, Sum: r.Sum}, nil); err != nil {
		t.Errorf("verifier refused the snapshot: %v", err)
	}
}
