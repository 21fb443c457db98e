package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func newPublishCmd() *cobra.Command {
	var ref string
	var plainHTTP bool
	var trust []string
	c := &cobra.Command{
		Use:   "publish --ref REGISTRY/REPOSITORY:TAG OUTDIR",
		Short: "Push a built snapshot to an OCI registry for gateways to pull",
		Long: `publish pushes the snapshot that build wrote to OUTDIR (snapshot.json, with
snapshot.json.sig and snapshot.json.sha256 when present) to an OCI registry
as an artifact of type ` + source.OCIArtifactType + `, tags it, and
prints the manifest's digest. Gateways follow it with
--source oci --oci-ref REGISTRY/REPOSITORY:TAG (or @DIGEST).

The snapshot is decoded and checked against its .sha256 before anything is
pushed; with --trust, its signature must verify with one of the keys.
Credentials come from the Docker configuration ($DOCKER_CONFIG/config.json
or ~/.docker/config.json). --plain-http (no TLS) is allowed only for
loopback registries. SOURCE_DATE_EPOCH, when set, is the manifest's creation
time, so that publishing the same snapshot gives the same manifest digest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if ref == "" {
				return usage("publish needs --ref REGISTRY/REPOSITORY:TAG")
			}
			a, err := readBuild(args[0])
			if err != nil {
				return usage("%w", err)
			}
			if len(trust) > 0 {
				keys, err := readTrustKeys(trust)
				if err != nil {
					return usage("%w", err)
				}
				if len(a.Signature) == 0 {
					return usage("--trust given but %s has no signature", args[0])
				}
				if err := snapshot.VerifySignature(keys, a.Snapshot, a.Signature); err != nil {
					return usage("signature of %s: %w", args[0], err)
				}
			}
			if len(a.Signature) == 0 {
				fmt.Fprintln(c.ErrOrStderr(), "warning: publishing an unsigned snapshot; gateways with --trust keys will refuse it")
			}
			if a.Created, err = sourceDateEpoch(); err != nil {
				return usage("%w", err)
			}
			repo, err := source.NewOCIRepository(ref, source.OCIRepositoryOptions{PlainHTTP: plainHTTP})
			if err != nil {
				return usage("%w", err)
			}
			tag := repo.Reference.Reference
			if _, err := repo.Reference.Digest(); err == nil || tag == "" {
				return usage("--ref %s: want a tag (REGISTRY/REPOSITORY:TAG)", ref)
			}
			desc, err := source.PushOCI(c.Context(), repo, tag, a)
			if err != nil {
				if !plainHTTP && strings.Contains(err.Error(), "HTTP response to HTTPS client") {
					return fmt.Errorf("publishing to %s: %w (a plain-HTTP loopback registry needs --plain-http)", ref, err)
				}
				return fmt.Errorf("publishing to %s: %w", ref, err)
			}
			fmt.Fprintln(c.OutOrStdout(), desc.Digest)
			name := repo.Reference.Registry + "/" + repo.Reference.Repository
			fmt.Fprintf(c.ErrOrStderr(), "published %s@%s as %s (generation %d, snapshot %s)\n", name, desc.Digest, ref, a.Generation, snapshot.Digest(a.Snapshot))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&ref, "ref", "", "registry, repository and tag to push to")
	f.BoolVar(&plainHTTP, "plain-http", false, "speak HTTP instead of HTTPS (loopback registries only)")
	f.StringArrayVar(&trust, "trust", nil, "public key (PEM) the signature must verify with before publishing; repeatable")
	return c
}

// readBuild reads a build directory into an artifact, checking the
// snapshot's digest file and decoding it for its commit and generation.
func readBuild(dir string) (source.OCIArtifact, error) {
	path := filepath.Join(dir, snapshotFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return source.OCIArtifact{}, fmt.Errorf("reading snapshot: %w", err)
	}
	s, err := snapshot.Decode(b)
	if err != nil {
		return source.OCIArtifact{}, fmt.Errorf("%s: %w", path, err)
	}
	digest := snapshot.Digest(b)
	if d, err := os.ReadFile(filepath.Join(dir, digestFile)); err == nil {
		// Read as the file source reads it: publish accepts what a
		// gateway would.
		want, err := snapshot.ParseDigest(string(d))
		if err != nil {
			return source.OCIArtifact{}, fmt.Errorf("reading digest: %s: %w", filepath.Join(dir, digestFile), err)
		}
		if want != digest {
			return source.OCIArtifact{}, fmt.Errorf("%s: snapshot digest is %s, the digest file says %s", path, digest, want)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return source.OCIArtifact{}, fmt.Errorf("reading digest: %w", err)
	}
	a := source.OCIArtifact{Snapshot: b, Commit: s.Commit, Generation: s.Generation}
	if sig, err := os.ReadFile(path + snapshot.SignatureSuffix); err == nil {
		a.Signature = sig
	} else if !errors.Is(err, fs.ErrNotExist) {
		return source.OCIArtifact{}, fmt.Errorf("reading signature: %w", err)
	}
	return a, nil
}

// sourceDateEpoch returns $SOURCE_DATE_EPOCH as a time, or the zero time.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", v, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
