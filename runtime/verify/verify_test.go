package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func verifier(t testing.TB, trust ...ed25519.PublicKey) *verify.Verifier {
	t.Helper()
	v, err := verify.New(verify.Options{Schema: snaptest.Schema(), Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mustLoad loads s, encoded, with v over active, failing the test if it
// is refused.
func mustLoad(t testing.TB, v *verify.Verifier, s *snapshot.Snapshot, active *store.Snapshot) *store.Snapshot {
	t.Helper()
	next, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, s)}, active)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func restate(t testing.TB, doc string) string { return string(snaptest.Restate(t, []byte(doc))) }

func TestVerifierRefusals(t *testing.T) {
	priv, pub := snaptest.KeyPair(t)
	otherPriv, _ := snaptest.KeyPair(t)
	good := snaptest.Encode(t, snaptest.Small(5, "http://up.test"))
	active, err := verifier(t).Load(verify.Candidate{Bytes: good}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inconsistent := snaptest.Small(6, "http://up.test")
	inconsistent.Entitlements[0].GrantedBy = "someone-else"
	sharedKey := snaptest.Small(6, "http://up.test")
	c := &sharedKey.Consumers[0]
	c.Apps = append(c.Apps, snapshot.App{ID: c.ID + "/zz-thief", Org: c.ID, Name: "Thief",
		APIKeys: []snapshot.APIKey{{ID: "copied", SHA256: c.Apps[0].APIKeys[0].SHA256, Environments: c.Apps[0].APIKeys[0].Environments}}})
	hostHeader := snaptest.Small(6, "http://up.test")
	hostHeader.APIs[0].IdentityHeaders.Org = "Host"
	wrongVersion := restate(t, strings.Replace(string(snaptest.Encode(t, snaptest.Small(6, "http://up.test"))), snapshot.SchemaVersion, "frontdoor.snapshot/v0", 1))
	schemaInvalid := restate(t, strings.Replace(string(snaptest.Encode(t, snaptest.Small(6, "http://up.test"))), `"generation":6`, `"generation":"6"`, 1))
	next := snaptest.Encode(t, snaptest.Small(6, "http://up.test"))
	// The entitlements differ from the active's: the section is read.
	changedGrants := snaptest.Small(6, "http://up.test")
	changedGrants.Entitlements[0].Expires = "2031-01-01"
	unstated := strings.Replace(string(snaptest.Encode(t, changedGrants)), `"grantedBy":"pub0"`, `"grantedBy":"Pub0"`, 1)
	itemUnknownMember := restate(t, strings.Replace(string(next), `"grantedBy":`, `"grantedTo":"x","grantedBy":`, 1))
	itemWrongType := restate(t, strings.Replace(string(next), `"accessModes":[`, `"accessModes":"open","x":[`, 1))
	itemBadPattern := restate(t, strings.Replace(string(next), `"grantedBy":"pub0"`, `"grantedBy":"Pub0"`, 1))
	noSuchSection := restate(t, strings.Replace(string(next), `"generation":6`, `"generation":6,"extra":1`, 1))
	for _, m := range []string{itemUnknownMember, itemWrongType, itemBadPattern, noSuchSection} {
		if m == string(next) {
			t.Fatal("a mutation of the snapshot changed nothing")
		}
	}

	for _, tc := range []struct {
		name   string
		c      verify.Candidate
		trust  []ed25519.PublicKey
		reason verify.Reason
	}{
		{"schema-invalid", verify.Candidate{Bytes: []byte(schemaInvalid)}, nil, verify.ReasonSchema},
		{"bad signature", verify.Candidate{Bytes: next, Signature: snapshot.Sign(otherPriv, next)}, []ed25519.PublicKey{pub}, verify.ReasonSignature},
		{"malformed signature", verify.Candidate{Bytes: next, Signature: []byte("not base64!")}, []ed25519.PublicKey{pub}, verify.ReasonSignature},
		{"tampered after signing", verify.Candidate{Bytes: bytes.Replace(next, []byte("up.test"), []byte("evil.test"), 1), Signature: snapshot.Sign(priv, next)}, []ed25519.PublicKey{pub}, verify.ReasonSignature},
		{"unsigned with trust keys", verify.Candidate{Bytes: next}, []ed25519.PublicKey{pub}, verify.ReasonUnsigned},
		{"lower generation", verify.Candidate{Bytes: snaptest.Encode(t, snaptest.Small(4, "http://up.test"))}, nil, verify.ReasonGeneration},
		{"truncated file", verify.Candidate{Bytes: next[:len(next)/2]}, nil, verify.ReasonDecode},
		{"not json", verify.Candidate{Bytes: []byte("<html>")}, nil, verify.ReasonDecode},
		{"unknown schema version", verify.Candidate{Bytes: []byte(wrongVersion)}, nil, verify.ReasonSchema},
		{"digest mismatch", verify.Candidate{Bytes: next, Digest: snapshot.Digest(good)}, nil, verify.ReasonDigest},
		{"malformed digest", verify.Candidate{Bytes: next, Digest: "sha256:abc"}, nil, verify.ReasonDigest},
		{"inconsistent", verify.Candidate{Bytes: snaptest.Encode(t, inconsistent)}, nil, verify.ReasonConsistency},
		{"an api-key hash held by two apps", verify.Candidate{Bytes: snaptest.Encode(t, sharedKey)}, nil, verify.ReasonConsistency},
		{"host as an identity header", verify.Candidate{Bytes: snaptest.Encode(t, hostHeader)}, nil, verify.ReasonConsistency},
		{"unknown member in an item", verify.Candidate{Bytes: []byte(itemUnknownMember)}, nil, verify.ReasonSchema},
		{"wrong type in an item", verify.Candidate{Bytes: []byte(itemWrongType)}, nil, verify.ReasonSchema},
		{"item breaking a pattern", verify.Candidate{Bytes: []byte(itemBadPattern)}, nil, verify.ReasonSchema},
		{"a section whose bytes are not the digest stated", verify.Candidate{Bytes: []byte(unstated)}, nil, verify.ReasonDigest},
		{"a member the schema does not know", verify.Candidate{Bytes: []byte(noSuchSection)}, nil, verify.ReasonSchema},
		{"bad signature on a schema-invalid snapshot", verify.Candidate{Bytes: []byte(schemaInvalid), Signature: snapshot.Sign(priv, next)}, []ed25519.PublicKey{pub}, verify.ReasonSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verifier(t, tc.trust...).Load(tc.c, active)
			if got != nil {
				t.Errorf("got a snapshot, want a refusal")
			}
			var r *verify.Refusal
			if !errors.As(err, &r) {
				t.Fatalf("got error %v, want a refusal", err)
			}
			if r.Reason != tc.reason {
				t.Errorf("got reason %q, want %q (%v)", r.Reason, tc.reason, err)
			}
		})
	}
}

func TestVerifierAccepts(t *testing.T) {
	priv, pub := snaptest.KeyPair(t)
	older := snaptest.Encode(t, snaptest.Small(4, "http://up.test"))
	active, err := verifier(t).Load(verify.Candidate{Bytes: snaptest.Encode(t, snaptest.Small(5, "http://up.test"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := snaptest.Encode(t, snaptest.Small(6, "http://up.test"))
	for _, tc := range []struct {
		name  string
		c     verify.Candidate
		trust []ed25519.PublicKey
		gen   uint64
	}{
		{"signed with a trusted key", verify.Candidate{Bytes: next, Signature: snapshot.Sign(priv, next)}, []ed25519.PublicKey{pub}, 6},
		{"matching digest without prefix", verify.Candidate{Bytes: next, Digest: strings.TrimPrefix(snapshot.Digest(next), "sha256:") + "\n"}, nil, 6},
		{"matching digest in upper case", verify.Candidate{Bytes: next, Digest: strings.ToUpper(strings.TrimPrefix(snapshot.Digest(next), "sha256:"))}, nil, 6},
		{"rollback when allowed", verify.Candidate{Bytes: older, AllowRollback: true}, nil, 4},
		{"same generation", verify.Candidate{Bytes: snaptest.Encode(t, snaptest.Small(5, "http://other.test"))}, nil, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verifier(t, tc.trust...).Load(tc.c, active)
			if err != nil {
				t.Fatal(err)
			}
			if got.Generation() != tc.gen {
				t.Errorf("got generation %d, want %d", got.Generation(), tc.gen)
			}
		})
	}
}

func TestSameDigestAsActiveIsNoSwap(t *testing.T) {
	b := snaptest.Encode(t, snaptest.Small(5, "http://up.test"))
	v := verifier(t)
	active, err := v.Load(verify.Candidate{Bytes: b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Load(verify.Candidate{Bytes: b}, active)
	if err != nil || got != active {
		t.Errorf("got %p, %v; want the active snapshot %p and no error", got, err, active)
	}
}

// BenchmarkLoadLarge measures load (schema + decode + consistency + memdb
// build) of the L snapshot: 10,000 APIs and 100,000 entitlements. cpu-ms/op
// is the process's CPU time per load (all goroutines, the collector's
// included): on a shared machine, the part of ns/op that is ours.
func BenchmarkLoadLarge(b *testing.B) {
	priv, pub := snaptest.KeyPair(b)
	raw := snaptest.Encode(b, snaptest.Large(2))
	sig := snapshot.Sign(priv, raw)
	active, err := store.Apply(nil, store.Change{Digest: "sha256:small", Doc: snaptest.Small(1, "http://up.test")})
	if err != nil {
		b.Fatal(err)
	}
	var st store.Store
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	cpu := testutil.CPUTime()
	for b.Loop() {
		v := verifier(b, pub) // cold: no item seen before
		next, err := v.Load(verify.Candidate{Bytes: raw, Signature: sig}, active)
		if err != nil {
			b.Fatal(err)
		}
		st.Swap(next)
	}
	reportCPU(b, cpu)
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(raw))/(1<<20), "snapshot-MB")
}

// TestAnInvalidItemIsRefusedAfterValidOnesWereSeen: a swap that changes
// an item of a list into one the schema refuses is refused, naming it.
func TestAnInvalidItemIsRefusedAfterValidOnesWereSeen(t *testing.T) {
	for _, tc := range []struct {
		at   string
		edit func(s *snapshot.Snapshot)
	}{
		{"/entitlements/3", func(s *snapshot.Snapshot) { s.Entitlements[3].Environment = "staging" }}, // not an environment the schema allows
		{"/apis/2", func(s *snapshot.Snapshot) { s.APIs[2].Status = "launched" }},
		{"/routes/4", func(s *snapshot.Snapshot) { s.Routes[4].AccessModes = nil }},
	} {
		v := verifier(t)
		s := snaptest.New(snaptest.Options{Generation: 1, Publishers: 2, APIs: 4, Apps: 5, GrantsPerApp: 2})
		active := mustLoad(t, v, s, nil)
		s.Generation = 2
		tc.edit(s)
		_, err := v.Load(verify.Candidate{Bytes: snaptest.Encode(t, s)}, active)
		if verify.ReasonOf(err) != verify.ReasonSchema || !strings.Contains(err.Error(), tc.at) {
			t.Errorf("got %v, want a schema refusal at %s", err, tc.at)
		}
	}
}

// reportCPU reports the CPU time since start per iteration.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(testutil.CPUTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkLoadLargeChange measures the usual swap: the L snapshot after
// one that differs in a single grant (and its generation). The grants are
// verified, decoded and indexed again; the other sections are the active
// snapshot's.
func BenchmarkLoadLargeChange(b *testing.B) {
	benchmarkSwaps(b, func(s *snapshot.Snapshot) { s.Entitlements[500].Expires = "2030-01-01" })
}

// BenchmarkLoadLargeAPIChange measures the swap of an edit to one API
// file (its summary): only the APIs section differs.
func BenchmarkLoadLargeAPIChange(b *testing.B) {
	benchmarkSwaps(b, func(s *snapshot.Snapshot) { s.APIs[5000].Summary = "Edited in place." })
}

// BenchmarkLoadLargeAPIChangeCompiled is BenchmarkLoadLargeAPIChange as
// the development server swaps: the bytes its own compile made and proved
// consistent, in memory, on every CPU.
func BenchmarkLoadLargeAPIChangeCompiled(b *testing.B) {
	benchmarkSwapsOf(b, func(s *snapshot.Snapshot) { s.APIs[5000].Summary = "Edited in place." }, func(raw []byte) verify.Candidate {
		return verify.Candidate{Bytes: raw, Sum: snapshot.Digest(raw), Consistent: true, AllowRollback: true}
	})
}

// BenchmarkLoadLargeNewGeneration measures a swap to a new generation of
// the same content (a commit that changed no configuration): the database
// is shared.
func BenchmarkLoadLargeNewGeneration(b *testing.B) {
	benchmarkSwaps(b, func(*snapshot.Snapshot) {})
}

// benchmarkSwaps swaps between the L snapshot and a new generation of it
// changed by edit, back and forth (rollbacks allowed), in the background
// (on one goroutine) and read from a file, as a gateway serving requests
// from a file source does.
func benchmarkSwaps(b *testing.B, edit func(*snapshot.Snapshot)) {
	benchmarkSwapsOf(b, edit, func(raw []byte) verify.Candidate {
		c := fileCandidate(raw)
		c.AllowRollback, c.Background = true, true
		return c
	})
}

// benchmarkSwapsOf is benchmarkSwaps with the candidates cand makes of
// the two snapshots' bytes (before the timer starts: their digests are the
// source's or the compile's work).
func benchmarkSwapsOf(b *testing.B, edit func(*snapshot.Snapshot), cand func([]byte) verify.Candidate) {
	s := snaptest.Large(2)
	raw2 := snaptest.Encode(b, s)
	s.Generation = 3
	edit(s)
	raw3 := snaptest.Encode(b, s)
	v := verifier(b)
	var st store.Store
	first, err := v.Load(verify.Candidate{Bytes: raw2}, nil)
	if err != nil {
		b.Fatal(err)
	}
	st.Swap(first)
	c2, c3 := cand(raw2), cand(raw3)
	b.ResetTimer()
	defer reportCPU(b, testutil.CPUTime())
	for i := 0; b.Loop(); i++ {
		c := c3
		if i%2 == 1 {
			c = c2
		}
		next, err := v.Load(c, st.Active())
		if err != nil {
			b.Fatal(err)
		}
		st.Swap(next)
	}
}

// fileCandidate is raw as the file source offers it: read with ReadAt, its
// digest and tail from the read that hashed it.
func fileCandidate(raw []byte) verify.Candidate {
	return fileCandidateOf(raw, raw)
}

// fileCandidateOf is a file holding raw whose hashing read hashed instead:
// a file written to after it was hashed.
func fileCandidateOf(hashed, raw []byte) verify.Candidate {
	// The tail is as short as it may be: the stated section digests.
	tail := hashed[bytes.LastIndex(hashed, []byte(`,"`+snapshot.SectionsMember+`":`)):]
	return verify.Candidate{File: bytes.NewReader(raw), Size: int64(len(raw)), Sum: snapshot.Digest(hashed), Tail: tail}
}

// TestAFileChangedAfterItWasHashedIsRefused: a snapshot file whose bytes
// differ from those its digest and tail were read from is refused, and the
// active snapshot stays, whatever part of it changed, whether it is loaded
// cold or against an active snapshot.
func TestAFileChangedAfterItWasHashedIsRefused(t *testing.T) {
	base := snaptest.New(snaptest.Options{Generation: 1, Publishers: 2, APIs: 4, Apps: 5, GrantsPerApp: 2})
	for _, tc := range []struct {
		name string
		edit func(*snapshot.Snapshot)
		raw  func([]byte) []byte // the bytes written, after edit
	}{
		{name: "a grant", edit: func(s *snapshot.Snapshot) { s.Entitlements[2].Expires = "2031-01-01" }},
		{name: "the generation", edit: func(s *snapshot.Snapshot) { s.Generation = 9 }},
		{name: "an api", edit: func(s *snapshot.Snapshot) { s.APIs[1].Title = "Changed" }},
		{name: "the first member's name", raw: func(b []byte) []byte { return bytes.Replace(b, []byte(`{"apis":`), []byte(`{"apix":`), 1) }},
		{name: "white space", raw: func(b []byte) []byte { return append([]byte{' '}, b[:len(b)-1]...) }},
	} {
		for _, cold := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, cold %t", tc.name, cold), func(t *testing.T) {
				v := verifier(t)
				active := mustLoad(t, v, base, nil)
				if cold {
					v, active = verifier(t), nil
				}
				next := snaptest.Copy(t, base)
				next.Generation = 2
				hashed := snaptest.Encode(t, next)
				if tc.edit != nil {
					tc.edit(next)
				}
				written := snaptest.Encode(t, next)
				if tc.raw != nil {
					written = tc.raw(written)
				}
				got, err := v.Load(fileCandidateOf(hashed, written), active)
				if err == nil {
					t.Fatalf("loaded generation %d, digest %s; want a refusal", got.Generation(), got.Digest())
				}
				if r := verify.ReasonOf(err); r != verify.ReasonDigest && r != verify.ReasonDecode {
					t.Errorf("got %v, want a digest or decode refusal", err)
				}
			})
		}
	}
}
