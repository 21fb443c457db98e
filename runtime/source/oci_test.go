package source_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// registryBinary is Debian's docker-registry (CNCF distribution).
const registryBinary = "/usr/bin/docker-registry"

// startRegistry runs a registry on a loopback port for the test and returns
// its "host:port". It skips the test when the binary is absent.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath(registryBinary)
	if err != nil {
		t.Skipf("no registry binary (apt-get install docker-registry): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting registry: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("registry log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry at %s not up after 30s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

type syncBuffer = testutil.SyncBuffer

// countingTransport counts registry requests by method and endpoint kind.
type countingTransport struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := "other"
	switch {
	case strings.Contains(req.URL.Path, "/manifests/"):
		kind = "manifest"
	case strings.Contains(req.URL.Path, "/blobs/"):
		kind = "blob"
	}
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[req.Method+" "+kind]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// signedSnapshot returns a small snapshot of generation gen, its
// signature and the key that verifies it.
func signedSnapshot(t *testing.T, gen uint64, commit string) (b, sig []byte, pub ed25519.PublicKey) {
	t.Helper()
	priv, pub := snaptest.KeyPair(t)
	s := snaptest.Small(gen, "http://127.0.0.1:1")
	s.Commit = commit
	b = snaptest.Encode(t, s)
	return b, snapshot.Sign(priv, b), pub
}

// receive returns the next revision, failing the test after a deadline.
func receive(t *testing.T, revs <-chan source.Revision) source.Revision {
	t.Helper()
	return testutil.Receive(t, revs, 30*time.Second, "revision")
}

// runOCI runs src until the test ends and returns its revisions.
func runOCI(t *testing.T, src *source.OCI) <-chan source.Revision {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	revs := make(chan source.Revision)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, revs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return revs
}

func pushTo(t *testing.T, ref string, a source.OCIArtifact) ocispec.Descriptor {
	t.Helper()
	repo, err := source.NewOCIRepository(ref, source.OCIRepositoryOptions{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := source.PushOCI(context.Background(), repo, repo.Reference.Reference, a)
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return desc
}

func TestPushedSnapshotPullsBackWithItsSignatureCommitAndDigest(t *testing.T) {
	ctx := context.Background()
	b, sig, pub := signedSnapshot(t, 7, "abc123")
	store := memory.New()
	desc, err := source.PushOCI(ctx, store, "prod", source.OCIArtifact{Snapshot: b, Signature: sig, Commit: "abc123", Generation: 7})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := source.PullOCI(ctx, store, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rev.Bytes, b) || !bytes.Equal(rev.Signature, sig) {
		t.Fatalf("pulled %d bytes and signature %q, want the %d pushed and %q", len(rev.Bytes), rev.Signature, len(b), sig)
	}
	if rev.Commit != "abc123" || rev.Digest != snapshot.Digest(b) {
		t.Errorf("got commit %q digest %q, want %q %q", rev.Commit, rev.Digest, "abc123", snapshot.Digest(b))
	}
	if err := snapshot.VerifySignature([]ed25519.PublicKey{pub}, rev.Bytes, rev.Signature); err != nil {
		t.Errorf("pulled signature does not verify: %v", err)
	}

	mb, err := content.FetchAll(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != source.OCIArtifactType {
		t.Errorf("got artifactType %q, want %q", m.ArtifactType, source.OCIArtifactType)
	}
	want := map[string]string{
		source.OCIAnnotationCommit:     "abc123",
		source.OCIAnnotationGeneration: "7",
		source.OCIAnnotationDigest:     snapshot.Digest(b),
	}
	for k, v := range want {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s: got %q, want %q", k, m.Annotations[k], v)
		}
	}
}

func TestPublishingTheSameSnapshotAtTheSameTimeGivesTheSameManifestDigest(t *testing.T) {
	ctx := context.Background()
	b, sig, _ := signedSnapshot(t, 1, "")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := source.OCIArtifact{Snapshot: b, Signature: sig, Generation: 1, Created: at}
	d1, err := source.PushOCI(ctx, memory.New(), "x", a)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := source.PushOCI(ctx, memory.New(), "x", a)
	if err != nil {
		t.Fatal(err)
	}
	if d1.Digest != d2.Digest {
		t.Errorf("got %s and %s, want equal digests", d1.Digest, d2.Digest)
	}
}

func TestManifestThatIsNotASnapshotArtifactIsRefused(t *testing.T) {
	tests := []struct {
		name, manifest, want string
	}{
		{"other artifact type", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`, "not a frontdoor snapshot"},
		{"no snapshot layer", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"` + source.OCIArtifactType + `","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`, "0 snapshot"},
		{"an index", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, "manifest media type"},
		{"not JSON", `{`, "decoding manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := source.ParseOCIManifest([]byte(tc.manifest))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// snapshotManifest returns an artifact manifest of one snapshot layer whose
// digest annotation is digest.
func snapshotManifest(digest string) string {
	ann, _ := json.Marshal(map[string]string{source.OCIAnnotationDigest: digest})
	return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"` + source.OCIArtifactType + `",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},` +
		`"layers":[{"mediaType":"` + source.OCISnapshotMediaType + `","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],` +
		`"annotations":` + string(ann) + `}`
}

func TestManifestDigestAnnotationIsParsedAsADigestFileIs(t *testing.T) {
	want := snapshot.Digest([]byte("snapshot bytes"))
	upper := "sha256:" + strings.ToUpper(strings.TrimPrefix(want, "sha256:"))
	for _, in := range []string{want, upper, strings.TrimPrefix(upper, "sha256:")} {
		m, err := source.ParseOCIManifest([]byte(snapshotManifest(in)))
		if err != nil || m.Digest != want {
			t.Errorf("annotation %q: got digest %q, error %v; want %q", in, m.Digest, err, want)
		}
	}
	_, err := source.ParseOCIManifest([]byte(snapshotManifest(want[:70])))
	if err == nil || !strings.Contains(err.Error(), "annotation "+source.OCIAnnotationDigest+": digest has 63 hex digits, want 64") {
		t.Errorf("truncated annotation: got error %v, want one naming the annotation and what is wrong with it", err)
	}
}

func TestPlainHTTPIsRefusedForANonLoopbackRegistry(t *testing.T) {
	tests := []struct {
		ref    string
		refuse bool
	}{
		{"registry.example.org/frontdoor/snapshot:prod", true},
		{"10.0.0.1:5000/frontdoor/snapshot:prod", true},
		{"localhost:5000/frontdoor/snapshot:prod", false},
		{"127.0.0.1:5000/frontdoor/snapshot:prod", false},
		{"[::1]:5000/frontdoor/snapshot:prod", false},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := source.NewOCIRepository(tc.ref, source.OCIRepositoryOptions{PlainHTTP: true})
			if got := err != nil; got != tc.refuse {
				t.Errorf("got error %v, want refused=%v", err, tc.refuse)
			}
		})
	}
}

func TestOCISourceDownloadsOnlyWhenTheTagMovesToNewContent(t *testing.T) {
	reg := startRegistry(t)
	ref := reg + "/frontdoor/snapshot:prod"
	b1, sig1, _ := signedSnapshot(t, 1, "c1")
	pushTo(t, ref, source.OCIArtifact{Snapshot: b1, Signature: sig1, Commit: "c1", Generation: 1})

	counts := &countingTransport{}
	src := &source.OCI{
		Ref: ref, PlainHTTP: true, Poll: time.Hour,
		Client: &auth.Client{Client: &http.Client{Transport: counts}},
	}
	revs := runOCI(t, src)

	rev := receive(t, revs)
	if rev.Err != nil || !bytes.Equal(rev.Bytes, b1) || !bytes.Equal(rev.Signature, sig1) || rev.Commit != "c1" || rev.Source != "oci" {
		t.Fatalf("first look: got source %q commit %q err %v, %d bytes; want the published snapshot", rev.Source, rev.Commit, rev.Err, len(rev.Bytes))
	}
	if got := counts.get("GET blob"); got != 2 {
		t.Fatalf("first look downloaded %d blobs, want 2 (snapshot and signature)", got)
	}

	const looks = 5
	for range looks {
		src.Trigger()
		if rev := receive(t, revs); !rev.Unchanged || rev.Err != nil {
			t.Fatalf("unchanged tag: got unchanged=%v err=%v, want unchanged", rev.Unchanged, rev.Err)
		}
	}
	if got, want := counts.get("HEAD manifest"), 1+looks; got != want {
		t.Errorf("got %d manifest HEADs, want %d (one per look)", got, want)
	}
	if got := counts.get("GET manifest"); got != 1 {
		t.Errorf("got %d manifest GETs, want 1", got)
	}
	if got := counts.get("GET blob"); got != 2 {
		t.Errorf("looks at an unchanged tag downloaded blobs: %d GETs, want still 2", got)
	}

	// Re-publishing the same snapshot (a new manifest) downloads the
	// manifest but not the layers.
	pushTo(t, ref, source.OCIArtifact{Snapshot: b1, Signature: sig1, Commit: "c1", Generation: 1, Created: time.Unix(1, 0)})
	src.Trigger()
	if rev := receive(t, revs); !rev.Unchanged {
		t.Fatalf("re-published content: got unchanged=%v err=%v, want unchanged", rev.Unchanged, rev.Err)
	}
	if got := counts.get("GET blob"); got != 2 {
		t.Errorf("re-published content downloaded blobs again: %d GETs, want still 2", got)
	}

	b2, sig2, _ := signedSnapshot(t, 2, "c2")
	pushTo(t, ref, source.OCIArtifact{Snapshot: b2, Signature: sig2, Commit: "c2", Generation: 2})
	src.Trigger()
	rev = receive(t, revs)
	if rev.Err != nil || !bytes.Equal(rev.Bytes, b2) || rev.Commit != "c2" || rev.Digest != snapshot.Digest(b2) {
		t.Fatalf("moved tag: got commit %q digest %q err %v, want c2 %s", rev.Commit, rev.Digest, rev.Err, snapshot.Digest(b2))
	}
	if got := counts.get("GET blob"); got != 4 {
		t.Errorf("got %d blob GETs after the tag moved, want 4", got)
	}
}

func TestOCISourcePinnedToADigestAsksTheRegistryOnlyUntilItHasIt(t *testing.T) {
	reg := startRegistry(t)
	b, sig, _ := signedSnapshot(t, 3, "c3")
	desc := pushTo(t, reg+"/frontdoor/snapshot:prod", source.OCIArtifact{Snapshot: b, Signature: sig, Generation: 3})

	counts := &countingTransport{}
	src := &source.OCI{
		Ref: reg + "/frontdoor/snapshot@" + string(desc.Digest), PlainHTTP: true, Poll: time.Hour,
		Client: &auth.Client{Client: &http.Client{Transport: counts}},
	}
	revs := runOCI(t, src)
	if rev := receive(t, revs); rev.Err != nil || !bytes.Equal(rev.Bytes, b) {
		t.Fatalf("got err %v and %d bytes, want the snapshot", rev.Err, len(rev.Bytes))
	}
	before := counts.get("HEAD manifest") + counts.get("GET manifest") + counts.get("GET blob")
	for range 3 {
		src.Trigger()
		if rev := receive(t, revs); !rev.Unchanged {
			t.Fatalf("got unchanged=%v err=%v, want unchanged", rev.Unchanged, rev.Err)
		}
	}
	if after := counts.get("HEAD manifest") + counts.get("GET manifest") + counts.get("GET blob"); after != before {
		t.Errorf("got %d registry requests after the first look, want 0", after-before)
	}
}

func TestOCISourceReportsAMissingTagAndPicksItUpOncePublished(t *testing.T) {
	reg := startRegistry(t)
	ref := reg + "/frontdoor/snapshot:prod"
	src := &source.OCI{Ref: ref, PlainHTTP: true, Poll: time.Hour, Log: slog.New(slog.DiscardHandler)}
	revs := runOCI(t, src)
	if rev := receive(t, revs); rev.Err == nil {
		t.Fatalf("missing tag: got no error, want one")
	}
	b, sig, _ := signedSnapshot(t, 1, "")
	pushTo(t, ref, source.OCIArtifact{Snapshot: b, Signature: sig, Generation: 1})
	src.Trigger()
	if rev := receive(t, revs); rev.Err != nil || !bytes.Equal(rev.Bytes, b) {
		t.Fatalf("got err %v and %d bytes, want the snapshot", rev.Err, len(rev.Bytes))
	}
}
