package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/runtime/source"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// The state directory holds the last-known-good snapshot:
//
//	snapshots/<hex>.json      the snapshot's bytes, named by digest
//	snapshots/<hex>.json.sig  its signature, if it had one
//	current.json              which one is current (stateMeta)
//	incoming/                 copies a file source makes as it reads (see
//	                          Controller.Copies), emptied at start
//
// Every file is written to a temporary name, synced and renamed into place,
// and current.json last: a crash at any point leaves the previous state or
// the new one, never a snapshot paired with another's signature.

const (
	snapshotsDir = "snapshots"
	incomingDir  = "incoming"
	currentFile  = "current.json"
)

// stateMeta describes the persisted snapshot.
type stateMeta struct {
	File      string    `json:"file"`
	Digest    string    `json:"digest"`
	Signed    bool      `json:"signed"`
	SelfBuilt bool      `json:"selfBuilt"`
	Source    string    `json:"source"`
	Commit    string    `json:"commit,omitempty"`
	SavedAt   time.Time `json:"savedAt"`
}

// verified is a verified snapshot's bytes, to persist: size of them, put
// at a path (atomically) by place.
type verified struct {
	size  int64
	place func(path string) error
}

// bytesOf returns rev's verified bytes: its copy, renamed into place (and
// then no longer rev's), or its bytes, written; a file without a copy is
// read again, and persisted only if it still has digest.
func bytesOf(rev *source.Revision, digest string) verified {
	switch {
	case rev.Copy != nil:
		return verified{size: rev.Size, place: func(path string) error {
			cp := rev.Copy
			if err := cp.Chmod(0o644); err != nil {
				return fmt.Errorf("writing %s: %w", cp.Name(), err)
			}
			if err := cp.Sync(); err != nil {
				return fmt.Errorf("syncing %s: %w", cp.Name(), err)
			}
			if err := os.Rename(cp.Name(), path); err != nil {
				return fmt.Errorf("replacing %s: %w", path, err)
			}
			cp.Close()
			rev.Copy = nil
			return nil
		}}
	case rev.File != nil:
		return verified{size: rev.Size, place: func(path string) error {
			r := &digestReader{r: io.NewSectionReader(rev.File, 0, rev.Size), h: sha256.New(), want: digest}
			return atomicfile.WriteFrom(path, r, 0o644)
		}}
	default:
		return verified{size: int64(len(rev.Bytes)), place: func(path string) error { return atomicfile.Write(path, rev.Bytes, 0o644) }}
	}
}

// saveState persists raw (and sig) as the last-known-good snapshot. The
// snapshot's file is kept when it is there already (named by its digest,
// with its length).
func saveState(dir string, raw verified, sig []byte, meta stateMeta) error {
	sd := filepath.Join(dir, snapshotsDir)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		return fmt.Errorf("creating state dir: %w", err)
	}
	name := strings.TrimPrefix(meta.Digest, "sha256:") + ".json"
	meta.File = filepath.ToSlash(filepath.Join(snapshotsDir, name))
	if fi, err := os.Stat(filepath.Join(sd, name)); err != nil || !fi.Mode().IsRegular() || fi.Size() != raw.size {
		if err := raw.place(filepath.Join(sd, name)); err != nil {
			return err
		}
	}
	if meta.Signed = len(sig) > 0; meta.Signed {
		if err := atomicfile.Write(filepath.Join(sd, name+snapshot.SignatureSuffix), sig, 0o644); err != nil {
			return err
		}
	}
	if err := syncDir(sd); err != nil {
		return err
	}
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, currentFile), append(mb, '\n'), 0o644); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	// Remove older snapshots; a failure here is harmless.
	entries, _ := os.ReadDir(sd)
	for _, e := range entries {
		if e.Name() != name && e.Name() != name+snapshot.SignatureSuffix {
			_ = os.Remove(filepath.Join(sd, e.Name()))
		}
	}
	return nil
}

// emptyIncoming makes the state directory's incoming directory, removing
// what an earlier run left in it, and returns it ("" if it cannot).
func emptyIncoming(dir string) string {
	in := filepath.Join(dir, incomingDir)
	if err := os.MkdirAll(in, 0o755); err != nil {
		return ""
	}
	entries, _ := os.ReadDir(in)
	for _, e := range entries {
		_ = os.Remove(filepath.Join(in, e.Name()))
	}
	return in
}

// loadState reads the persisted snapshot. It returns fs.ErrNotExist (wrapped)
// when there is none.
func loadState(dir string) (raw, sig []byte, meta stateMeta, err error) {
	mb, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		return nil, nil, meta, fmt.Errorf("reading state: %w", err)
	}
	if err := json.Unmarshal(mb, &meta); err != nil {
		return nil, nil, meta, fmt.Errorf("decoding %s: %w", currentFile, err)
	}
	if !fs.ValidPath(meta.File) || !strings.HasPrefix(meta.File, snapshotsDir+"/") {
		return nil, nil, meta, fmt.Errorf("state names an invalid file %q", meta.File)
	}
	path := filepath.Join(dir, filepath.FromSlash(meta.File))
	if raw, err = os.ReadFile(path); err != nil {
		return nil, nil, meta, fmt.Errorf("reading state: %w", err)
	}
	if meta.Signed {
		if sig, err = os.ReadFile(path + snapshot.SignatureSuffix); err != nil {
			return nil, nil, meta, fmt.Errorf("reading state: %w", err)
		}
	}
	return raw, sig, meta, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// digestReader fails at its end unless what it read has digest want: a
// file written to after it was verified is not persisted.
type digestReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	if err == io.EOF && "sha256:"+hex.EncodeToString(d.h.Sum(nil)) != d.want {
		return n, errors.New("the snapshot file changed after it was verified")
	}
	return n, err
}
