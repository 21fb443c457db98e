package source

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A published snapshot is an OCI artifact: an image manifest (image-spec
// v1.1) whose artifactType is OCIArtifactType, whose config is the empty
// descriptor, and whose layers are the snapshot (OCISnapshotMediaType) and,
// when it is signed, its signature file (OCISignatureMediaType). The
// manifest's annotations carry the snapshot's commit, generation and digest
// for people and tools; the gateway verifies the bytes, not the annotations.
const (
	OCIArtifactType       = "application/vnd.frontdoor.snapshot.v1+json"
	OCISnapshotMediaType  = "application/vnd.frontdoor.snapshot.v1+json"
	OCISignatureMediaType = "application/vnd.frontdoor.snapshot.signature.v1+base64"

	OCIAnnotationCommit     = "dev.frontdoor.snapshot.commit"
	OCIAnnotationGeneration = "dev.frontdoor.snapshot.generation"
	OCIAnnotationDigest     = "dev.frontdoor.snapshot.digest"
)

// Size limits of what the OCI source downloads; a descriptor announcing
// more is refused before any byte of it is read.
const (
	MaxOCIManifestBytes  = 4 << 20
	MaxOCISignatureBytes = 4 << 10
	// DefaultMaxOCISnapshotBytes bounds the snapshot layer, far above the
	// largest platform's.
	DefaultMaxOCISnapshotBytes = 1 << 30
)

// OCIArtifact is a built snapshot to publish.
type OCIArtifact struct {
	// Snapshot is the canonical snapshot JSON.
	Snapshot []byte
	// Signature is the signature file's contents; empty for none.
	Signature []byte
	// Commit and Generation are recorded as annotations.
	Commit     string
	Generation uint64
	// Created is the manifest's creation time annotation; the zero time
	// means now. A fixed time makes publishing the same snapshot twice
	// produce the same manifest digest.
	Created time.Time
}

// PushOCI pushes a as an artifact to dst and tags it with tag (if not
// empty). It returns the manifest's descriptor. Blobs the target already
// has are not uploaded again.
func PushOCI(ctx context.Context, dst oras.Target, tag string, a OCIArtifact) (ocispec.Descriptor, error) {
	if len(a.Snapshot) == 0 {
		return ocispec.Descriptor{}, errors.New("pushing snapshot: empty snapshot")
	}
	digest := snapshot.Digest(a.Snapshot)
	layers := []ocispec.Descriptor{
		content.NewDescriptorFromBytes(OCISnapshotMediaType, a.Snapshot),
	}
	layers[0].Annotations = map[string]string{ocispec.AnnotationTitle: "snapshot.json"}
	blobs := [][]byte{a.Snapshot}
	if len(a.Signature) > 0 {
		sig := content.NewDescriptorFromBytes(OCISignatureMediaType, a.Signature)
		sig.Annotations = map[string]string{ocispec.AnnotationTitle: "snapshot.json" + snapshot.SignatureSuffix}
		layers = append(layers, sig)
		blobs = append(blobs, a.Signature)
	}
	for i, desc := range layers {
		if err := pushBlob(ctx, dst, desc, blobs[i]); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("pushing %s: %w", desc.Annotations[ocispec.AnnotationTitle], err)
		}
	}
	created := a.Created
	if created.IsZero() {
		created = time.Now()
	}
	annotations := map[string]string{
		OCIAnnotationDigest:       digest,
		OCIAnnotationGeneration:   strconv.FormatUint(a.Generation, 10),
		ocispec.AnnotationCreated: created.UTC().Format(time.RFC3339),
	}
	if a.Commit != "" {
		annotations[OCIAnnotationCommit] = a.Commit
		annotations[ocispec.AnnotationRevision] = a.Commit
	}
	desc, err := oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, OCIArtifactType, oras.PackManifestOptions{
		Layers:              layers,
		ManifestAnnotations: annotations,
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pushing manifest: %w", err)
	}
	if tag != "" {
		if err := dst.Tag(ctx, desc, tag); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("tagging %s: %w", tag, err)
		}
	}
	return desc, nil
}

// pushBlob pushes data unless dst already has it.
func pushBlob(ctx context.Context, dst oras.Target, desc ocispec.Descriptor, data []byte) error {
	if ok, err := dst.Exists(ctx, desc); err == nil && ok {
		return nil
	}
	err := dst.Push(ctx, desc, bytes.NewReader(data))
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return err
}

// OCIManifest is what the OCI source reads from an artifact's manifest.
type OCIManifest struct {
	// Snapshot and Signature are the layers' descriptors; Signature is
	// zero when the artifact holds none.
	Snapshot, Signature ocispec.Descriptor
	// Commit and Digest are the annotations' values, if any; Digest in
	// snapshot.Digest's form (see snapshot.ParseDigest).
	Commit, Digest string
}

// ParseOCIManifest reads a snapshot artifact's manifest. It refuses
// anything but an image manifest of OCIArtifactType (in artifactType, or in
// the config's media type as image-spec v1.0 registries store artifacts)
// with exactly one snapshot layer and at most one signature layer.
func ParseOCIManifest(b []byte) (OCIManifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return OCIManifest{}, fmt.Errorf("decoding manifest: %w", err)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest {
		return OCIManifest{}, fmt.Errorf("manifest media type %q, want %q", m.MediaType, ocispec.MediaTypeImageManifest)
	}
	if m.ArtifactType != OCIArtifactType && m.Config.MediaType != OCIArtifactType {
		return OCIManifest{}, fmt.Errorf("artifact type %q is not a frontdoor snapshot (%s)", cmp.Or(m.ArtifactType, m.Config.MediaType), OCIArtifactType)
	}
	var out OCIManifest
	var snapshots, signatures int
	for _, l := range m.Layers {
		switch l.MediaType {
		case OCISnapshotMediaType:
			out.Snapshot = l
			snapshots++
		case OCISignatureMediaType:
			out.Signature = l
			signatures++
		}
	}
	if snapshots != 1 || signatures > 1 {
		return OCIManifest{}, fmt.Errorf("artifact has %d snapshot and %d signature layers, want 1 and at most 1", snapshots, signatures)
	}
	out.Commit = m.Annotations[OCIAnnotationCommit]
	if d := m.Annotations[OCIAnnotationDigest]; d != "" {
		// Parsed as a .sha256 file is, so that a snapshot is accepted
		// from a registry exactly when it would be from a file.
		var err error
		if out.Digest, err = snapshot.ParseDigest(d); err != nil {
			return OCIManifest{}, fmt.Errorf("annotation %s: %w", OCIAnnotationDigest, err)
		}
	}
	return out, nil
}

// IsLoopbackHost reports whether host (a registry's "host[:port]") is
// localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// OCIRepositoryOptions configure NewOCIRepository.
type OCIRepositoryOptions struct {
	// PlainHTTP speaks HTTP instead of HTTPS; only loopback registries are
	// allowed it.
	PlainHTTP bool
	// Client defaults to OCIClient(nil).
	Client remote.Client
}

// NewOCIRepository returns a client of the repository of ref
// ("registry/repository[:tag|@digest]").
func NewOCIRepository(ref string, opts OCIRepositoryOptions) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref)
	if err != nil {
		return nil, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	if opts.PlainHTTP && !IsLoopbackHost(repo.Reference.Registry) {
		return nil, fmt.Errorf("plain HTTP to registry %s: only loopback registries may be reached without TLS", repo.Reference.Registry)
	}
	repo.PlainHTTP = opts.PlainHTTP
	repo.Client = opts.Client
	if repo.Client == nil {
		repo.Client = OCIClient(nil)
	}
	return repo, nil
}

// OCIClient returns a registry client over base (nil: a client with
// oras-go's retrying transport) that authenticates with the credentials of
// the Docker configuration ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json, as written by "docker login" or mounted from a
// Kubernetes secret), when there is one.
func OCIClient(base *http.Client) *auth.Client {
	if base == nil {
		base = retry.DefaultClient
	}
	c := &auth.Client{Client: base, Cache: auth.NewCache()}
	c.SetUserAgent("frontdoor")
	if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		c.Credential = credentials.Credential(store)
	}
	return c
}

// OCI polls a registry for a snapshot artifact by tag or digest.
//
// Each look resolves the reference with one HEAD request; the manifest and
// the layers are downloaded only when the manifest's digest changed, and
// the layers only when they changed too. A digest reference is resolved
// until it has been downloaded once, then never again. The source does not
// verify the snapshot (the controller does, with the signature layer and
// the digest annotation).
type OCI struct {
	// Ref is "registry/repository:tag" or "registry/repository@sha256:...".
	Ref string
	// PlainHTTP speaks HTTP to a loopback registry.
	PlainHTTP bool
	// Client defaults to OCIClient(nil).
	Client remote.Client
	// Poll interval, default DefaultPoll.
	Poll time.Duration
	// Timeout bounds one look, default DefaultFetchTimeout.
	Timeout time.Duration
	// MaxSnapshotBytes defaults to DefaultMaxOCISnapshotBytes.
	MaxSnapshotBytes int64
	// Log defaults to slog.Default().
	Log *slog.Logger

	trigger
}

var (
	_ Source    = (*OCI)(nil)
	_ Triggerer = (*OCI)(nil)
)

// Name returns "oci".
func (o *OCI) Name() string { return "oci" }

// ociState is what the last successful download was.
type ociState struct {
	manifest, snapshot, signature string // digests
}

// Run looks at once, then every Poll and on every Trigger.
func (o *OCI) Run(ctx context.Context, out chan<- Revision) error {
	repo, err := NewOCIRepository(o.Ref, OCIRepositoryOptions{PlainHTTP: o.PlainHTTP, Client: o.Client})
	if err != nil {
		return fmt.Errorf("oci source: %w", err)
	}
	if err := repo.Reference.ValidateReference(); err != nil {
		return fmt.Errorf("oci source: reference %q names no tag or digest: %w", o.Ref, err)
	}
	log := orDefault(o.Log).With("source", o.Name(), "ref", o.Ref)
	var last ociState
	tick := time.NewTicker(cmpOr(o.Poll, DefaultPoll))
	defer tick.Stop()
	trigger := o.triggered()
	for {
		lctx, cancel := context.WithTimeout(ctx, cmpOr(o.Timeout, DefaultFetchTimeout))
		rev := o.look(lctx, repo, &last)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rev.Source = o.Name()
		if rev.Err != nil {
			log.Warn("look failed", "err", rev.Err)
		}
		if !send(ctx, out, rev) {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		case <-trigger:
		}
	}
}

// look resolves the reference and downloads what changed since last,
// which it updates after a complete download.
func (o *OCI) look(ctx context.Context, repo *remote.Repository, last *ociState) Revision {
	ref := repo.Reference.Reference
	if _, err := repo.Reference.Digest(); err == nil && last.manifest == ref {
		// A digest names immutable content: nothing to ask.
		return Revision{Unchanged: true}
	}
	desc, err := repo.Resolve(ctx, ref)
	if err != nil {
		return Revision{Err: fmt.Errorf("resolving %s: %w", o.Ref, err)}
	}
	if string(desc.Digest) == last.manifest {
		return Revision{Unchanged: true}
	}
	if desc.Size > MaxOCIManifestBytes {
		return Revision{Err: fmt.Errorf("manifest %s: %d bytes, more than %d", desc.Digest, desc.Size, MaxOCIManifestBytes)}
	}
	mb, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return Revision{Err: fmt.Errorf("fetching manifest %s: %w", desc.Digest, err)}
	}
	m, err := ParseOCIManifest(mb)
	if err != nil {
		return Revision{Err: fmt.Errorf("manifest %s: %w", desc.Digest, err)}
	}
	next := ociState{manifest: string(desc.Digest), snapshot: string(m.Snapshot.Digest), signature: string(m.Signature.Digest)}
	if next.snapshot == last.snapshot && next.signature == last.signature {
		// Re-tagged or re-published with the same content.
		*last = next
		return Revision{Unchanged: true, Commit: m.Commit}
	}
	rev, err := fetchOCILayers(ctx, repo, m, cmp.Or(o.MaxSnapshotBytes, DefaultMaxOCISnapshotBytes))
	if err != nil {
		return Revision{Err: err}
	}
	*last = next
	return rev
}

// fetchOCILayers downloads the snapshot and signature layers of m.
func fetchOCILayers(ctx context.Context, src content.Fetcher, m OCIManifest, maxSnapshot int64) (Revision, error) {
	if m.Snapshot.Size > maxSnapshot {
		return Revision{}, fmt.Errorf("snapshot layer %s: %d bytes, more than %d", m.Snapshot.Digest, m.Snapshot.Size, maxSnapshot)
	}
	b, err := content.FetchAll(ctx, src, m.Snapshot)
	if err != nil {
		return Revision{}, fmt.Errorf("fetching snapshot layer %s: %w", m.Snapshot.Digest, err)
	}
	rev := Revision{Bytes: b, Commit: m.Commit, Digest: m.Digest}
	if rev.Digest == "" {
		// Without the annotation, the layer's digest stands for the
		// snapshot's (FetchAll checked the bytes against it). One of
		// another algorithm than sha256 cannot be compared with
		// snapshot.Digest, and is refused here, not as a mismatch.
		if rev.Digest, err = snapshot.ParseDigest(string(m.Snapshot.Digest)); err != nil {
			return Revision{}, fmt.Errorf("snapshot layer %s: %w", m.Snapshot.Digest, err)
		}
	}
	if m.Signature.Digest != "" {
		if m.Signature.Size > MaxOCISignatureBytes {
			return Revision{}, fmt.Errorf("signature layer %s: %d bytes, more than %d", m.Signature.Digest, m.Signature.Size, MaxOCISignatureBytes)
		}
		if rev.Signature, err = content.FetchAll(ctx, src, m.Signature); err != nil {
			return Revision{}, fmt.Errorf("fetching signature layer %s: %w", m.Signature.Digest, err)
		}
	}
	rev.At = time.Now()
	return rev, nil
}
