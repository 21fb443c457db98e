package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Encode returns the snapshot's canonical JSON: object keys sorted, no
// insignificant whitespace, integers only, HTML characters not escaped, one
// final newline. The same snapshot always encodes to the same bytes. It sets
// Sections to the digests of the other members it wrote.
func (s *Snapshot) Encode() ([]byte, error) {
	return encodeSnapshot(s)
}

// Decode parses a snapshot strictly: unknown fields, trailing data and a
// different schema version are errors. It does not check consistency; call
// Consistent (or use Verify) before trusting the result.
func Decode(b []byte) (*Snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding snapshot: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decoding snapshot: trailing data after document")
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decoding snapshot: schema version %q, want %q", s.SchemaVersion, SchemaVersion)
	}
	return &s, nil
}

// Digest returns "sha256:<hex>" of b, the snapshot's content address.
func Digest(b []byte) string {
	h := sha256.New()
	// In pieces: the hash of one piece is a single assembly call, which
	// the Go scheduler cannot preempt, and a stop-the-world phase of the
	// collector waits for it (27 ms for a 50 MB snapshot in one piece,
	// with every request of a gateway waiting too).
	for len(b) > 0 {
		n := min(len(b), digestPiece)
		h.Write(b[:n])
		b = b[n:]
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// digestPiece is the most Digest hashes in one call (about 0.1 ms).
const digestPiece = 256 << 10
