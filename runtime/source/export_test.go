package source

import (
	"context"
	"fmt"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// PullOCI downloads the snapshot artifact ref names (a tag or digest) from
// src, as the OCI source does, without verifying it.
func PullOCI(ctx context.Context, src oras.ReadOnlyTarget, ref string) (Revision, error) {
	desc, err := src.Resolve(ctx, ref)
	if err != nil {
		return Revision{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	if desc.Size > MaxOCIManifestBytes {
		return Revision{}, fmt.Errorf("manifest %s: %d bytes, more than %d", desc.Digest, desc.Size, MaxOCIManifestBytes)
	}
	mb, err := content.FetchAll(ctx, src, desc)
	if err != nil {
		return Revision{}, fmt.Errorf("fetching manifest %s: %w", desc.Digest, err)
	}
	m, err := ParseOCIManifest(mb)
	if err != nil {
		return Revision{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return fetchOCILayers(ctx, src, m, DefaultMaxOCISnapshotBytes)
}
