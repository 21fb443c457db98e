package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Encode returns the snapshot's canonical JSON: object keys sorted, no
// insignificant whitespace, integers only, HTML characters not escaped, one
// final newline. The same snapshot always encodes to the same bytes. It sets
// Sections to the digests of the other members it wrote.
func (s *Snapshot) Encode() ([]byte, error) {
	return encodeSnapshot(s)
}

// Canonical rewrites any JSON document into canonical form (see Encode).
// Numbers must be integers: a fraction or exponent is an error, so that no
// two encoders can disagree about a float.
func Canonical(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("canonical json: trailing data after document")
	}
	var buf bytes.Buffer
	buf.Grow(len(doc))
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return fmt.Errorf("canonical json: non-integer number %s", v)
		}
		buf.WriteString(v.String())
	case string:
		writeString(buf, v)
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := writeCanonical(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("canonical json: unexpected %T", v)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	buf.Truncate(buf.Len() - 1)
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
