package store

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A snapshot's canonical JSON is one object whose members come in sorted
// order, without whitespace (snapshot.Canonical). Its members are its
// sections. Consecutive snapshots of one platform usually differ in a few
// sections only (a new commit and generation always; the grants when a
// publisher approves an app; nothing else when a commit touched no config),
// so a swap verifies, decodes and indexes only the sections that changed
// and takes the others from the active snapshot.
//
// A section's bytes are found by searching for the member names in order,
// not by parsing: `,"name":` cannot occur inside a JSON string (its quotes
// would be escaped), and the snapshot's types use these names at the top
// level only. Soundness does not rest on that, though: every section is
// decoded on its own the first time its bytes are seen, which fails unless
// they are exactly one JSON value; a section whose bytes equal a section of
// the active snapshot (same contentSum) was proven that way before. So the
// document is, byte for byte, the fixed skeleton of member names around
// sections that each decode, and decoding them one by one yields what
// decoding the whole document would (see TestSectionsDecodeAsTheWhole).
// Anything else, a document that is valid but not canonical included, is
// loaded whole.

// Section indexes, in document order.
const (
	secAPIs = iota
	secCommit
	secConsumers
	secEntitlements
	secGeneration
	secPlatform
	secPublishers
	secRoutes
	secSchemaVersion
	numSections
)

// sectionNames are the snapshot's top-level member names, by section index.
var sectionNames = [numSections]string{"apis", "commit", "consumers", "entitlements", "generation", "platform", "publishers", "routes", "schemaVersion"}

// sectionOptional marks the sections a snapshot may omit ("omitempty").
var sectionOptional = [numSections]bool{secCommit: true}

// indexed marks the sections the database and routing tables are built
// from, and that Snapshot.Consistent reads beyond the schema version: when
// none of them changed, a snapshot shares its database with the active one.
var indexed = [numSections]bool{
	secAPIs: true, secConsumers: true, secEntitlements: true,
	secPlatform: true, secPublishers: true, secRoutes: true,
}

// sectionSums identifies a snapshot's sections: which are present, and the
// contentSum of each one's bytes.
type sectionSums struct {
	has [numSections]bool
	sum [numSections]contentSum
	// size is each section's length in bytes.
	size [numSections]int
}

// contentSum identifies bytes within this process: two keyed 64-bit
// hashes (hash/maphash, AES-based: over 10 GB/s where SHA-256 does 2) with
// seeds drawn at start. It tells whether a section or item of a candidate
// is the one already verified; it is no digest (the snapshot's digest and
// signature are SHA-256 and ed25519): crafting a collision would take the
// process's secret seeds, and the bytes compared are the verified
// snapshot's own and a candidate that is itself verified.
type contentSum [2]uint64

var sumSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func sumOf(b []byte) contentSum {
	if len(b) <= sumPiece {
		return contentSum{maphash.Bytes(sumSeeds[0], b), maphash.Bytes(sumSeeds[1], b)}
	}
	// Both hashes piece by piece, so that the second reads each piece from
	// the CPU's cache rather than a section of tens of megabytes from
	// memory again (the same values as maphash.Bytes).
	var h0, h1 maphash.Hash
	h0.SetSeed(sumSeeds[0])
	h1.SetSeed(sumSeeds[1])
	for len(b) > 0 {
		n := min(len(b), sumPiece)
		h0.Write(b[:n])
		h1.Write(b[:n])
		b = b[n:]
	}
	return contentSum{h0.Sum64(), h1.Sum64()}
}

// sumPiece is how much sumOf hashes at a time.
const sumPiece = 128 << 10

// sections are a canonical snapshot document cut into its members.
type sections struct {
	raw [numSections][]byte // nil when absent
	sectionSums
}

// markers are the member names as they precede their sections: `,"name":`.
var markers = func() (m [numSections][]byte) {
	for i, n := range sectionNames {
		m[i] = []byte(`,"` + n + `":`)
	}
	return m
}()

// splitSections cuts b into its sections and hashes them. It returns false
// when b does not have the canonical layout. hint, when not nil, are the
// sections of the snapshot before (the active one's): where a section has
// the length it had there and the member name that followed it there
// follows it again, that is taken as its end without searching its bytes.
// A new generation of the same content then cuts tens of megabytes with a
// few comparisons; each section changed in length is searched as before.
//
// A cut taken from the hint is as sound as one found by searching (see
// above): every section is still proven one JSON value, by decoding or by
// equal bytes, and a JSON object has one set of top-level members.
func splitSections(b []byte, hint *sectionSums) (*sections, bool) {
	b = bytes.TrimSuffix(b, []byte("\n"))
	first := markers[0][1:] // `"apis":`
	if len(b) < 2 || b[0] != '{' || !bytes.HasPrefix(b[1:], first) || b[len(b)-1] != '}' {
		return nil, false
	}
	s := &sections{}
	rest := b[1+len(first) : len(b)-1] // from the value of section cur on
	for cur := 0; ; {
		end, next, ok := 0, 0, false
		if hint != nil {
			end, next, ok = hint.cut(rest, cur)
		}
		if !ok {
			if end, next, ok = search(rest, cur); !ok {
				return nil, false
			}
		}
		s.raw[cur], s.has[cur], s.size[cur] = rest[:end], true, end
		s.sum[cur] = sumOf(rest[:end])
		if next == numSections {
			return s, true
		}
		rest, cur = rest[end+len(markers[next]):], next
	}
}

// cut returns where section cur ends in rest (its bytes and all after) and
// which section follows it, when they are where they were in the snapshot
// of s: false otherwise.
func (s *sectionSums) cut(rest []byte, cur int) (end, next int, ok bool) {
	if !s.has[cur] {
		return 0, 0, false
	}
	end, next = s.size[cur], cur+1
	for next < numSections && !s.has[next] {
		next++
	}
	if end == 0 || end > len(rest) {
		return 0, 0, false
	}
	if next == numSections {
		return end, next, end == len(rest)
	}
	return end, next, bytes.HasPrefix(rest[end:], markers[next])
}

// search returns where section cur ends in rest (its bytes and all after)
// and which section follows it, found by searching for the member names
// that may follow it.
func search(rest []byte, cur int) (end, next int, ok bool) {
	// The next required section bounds the search for optional ones.
	end, next = len(rest), numSections
	for n := cur + 1; n < numSections; n++ {
		if sectionOptional[n] {
			continue
		}
		j := bytes.Index(rest, markers[n])
		if j < 0 {
			return 0, 0, false
		}
		end, next = j, n
		break
	}
	for n := cur + 1; n < next; n++ {
		if j := bytes.Index(rest[:end], markers[n]); j >= 0 {
			end, next = j, n
			break
		}
	}
	return end, next, end > 0
}

// changed reports which of s's sections differ from old's.
func (s *sectionSums) changed(old *sectionSums) (ch [numSections]bool, any bool) {
	for i := range ch {
		ch[i] = s.has[i] != old.has[i] || (s.has[i] && s.sum[i] != old.sum[i])
		any = any || ch[i]
	}
	return ch, any
}

// decodeSection decodes section i of s into its field of d, which must be
// the zero value or a copy of another snapshot (the field is replaced, never
// decoded into: its slices may be shared). An absent section zeroes the
// field.
func decodeSection(d *snapshot.Snapshot, s *sections, i int) error {
	raw := s.raw[i]
	var err error
	switch i {
	case secAPIs:
		d.APIs, err = decodeList[snapshot.API](raw)
	case secCommit:
		d.Commit, err = decodeValue[string](raw)
	case secConsumers:
		d.Consumers, err = decodeList[snapshot.Consumer](raw)
	case secEntitlements:
		d.Entitlements, err = decodeList[snapshot.Entitlement](raw)
	case secGeneration:
		d.Generation, err = decodeValue[uint64](raw)
	case secPlatform:
		d.Platform, err = decodeValue[snapshot.Platform](raw)
	case secPublishers:
		d.Publishers, err = decodeList[snapshot.Publisher](raw)
	case secRoutes:
		d.Routes, err = decodeList[snapshot.Route](raw)
	case secSchemaVersion:
		d.SchemaVersion, err = decodeValue[string](raw)
	}
	if err != nil {
		return fmt.Errorf("decoding snapshot: %s: %w", sectionNames[i], err)
	}
	return nil
}

// decodeSections decodes every section of s into a new snapshot.
func decodeSections(s *sections) (*snapshot.Snapshot, error) {
	var d snapshot.Snapshot
	for i := range numSections {
		if err := decodeSection(&d, s, i); err != nil {
			return nil, err
		}
	}
	return &d, checkVersion(&d)
}

func decodeValue[T any](raw []byte) (T, error) {
	var v T
	if raw == nil {
		return v, nil
	}
	err := jsonv2.Unmarshal(raw, &v, jsonv2.RejectUnknownMembers(true))
	return v, err
}

// decodeList decodes a JSON array into a new slice sized for it first (see
// arrayLengths).
func decodeList[T any](raw []byte) ([]T, error) {
	var v []T
	if raw == nil {
		return nil, nil
	}
	presize(&v, itemCount(raw), len(raw))
	err := jsonv2.Unmarshal(raw, &v, jsonv2.RejectUnknownMembers(true))
	return v, err
}

func checkVersion(d *snapshot.Snapshot) error {
	if d.SchemaVersion != snapshot.SchemaVersion {
		return fmt.Errorf("decoding snapshot: schema version %q, want %q", d.SchemaVersion, snapshot.SchemaVersion)
	}
	return nil
}

// Pieces of an array of objects: the array cut at every "},{", which
// cannot fall between two items anywhere else in a canonical (compact)
// array, but may fall inside one (in a string, or between nested objects).
// An array cut into as many pieces as it has items is cut exactly at its
// items. A swap that changes a few grants then finds the unchanged ones by
// their pieces' sums and decodes, validates and checks only the others
// (see loadChanged).
var pieceCut = []byte("},{")

// pieces returns the sums of the pieces of raw (an array section), and
// appends their end offsets to *ends when ends is not nil; false when raw
// is not an array of objects. hint is the number of pieces expected (the
// active snapshot's): 100,000 grants would otherwise leave 3 MB of
// grown-out slices behind on every swap.
func pieces(raw []byte, hint int, ends *[]int) (sums []contentSum, ok bool) {
	n := len(raw)
	if n < 2 || raw[0] != '[' || raw[n-1] != ']' {
		return nil, false
	}
	if n == 2 {
		return nil, true
	}
	if raw[1] != '{' || raw[n-2] != '}' {
		return nil, false
	}
	sums = make([]contentSum, 0, hint+hint/64+1)
	start := 1
	for {
		j := bytes.Index(raw[start:n-1], pieceCut)
		end := n - 1
		if j >= 0 {
			end = start + j + 1
		}
		if ends != nil {
			*ends = append(*ends, end)
		}
		sums = append(sums, sumOf(raw[start:end]))
		if j < 0 {
			return sums, true
		}
		start = end + 1
	}
}

// endsPool holds the offsets pieces appends, which a load needs only while
// it cuts the changed grants out (0.8 MB for 100,000 grants).
var endsPool = sync.Pool{New: func() any { return new([]int) }}

// commonEnds returns how many leading and trailing elements a and b share
// (not overlapping in either).
func commonEnds(a, b []contentSum) (prefix, suffix int) {
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	return prefix, suffix
}
