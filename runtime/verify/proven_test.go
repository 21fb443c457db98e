package verify_test

import (
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestOnlyACompilesOwnConsistentBytesSkipTheConsistencyCheck loads an
// inconsistent snapshot said in different ways to be a compile's: only
// bytes in memory with the compile's digest and its word that it checked
// them skip the check (which this inconsistent one then passes, showing
// that it was skipped); every other candidate is checked and refused.
func TestOnlyACompilesOwnConsistentBytesSkipTheConsistencyCheck(t *testing.T) {
	active, err := verifier(t).Load(verify.Candidate{Bytes: snaptest.Encode(t, snaptest.Small(5, "http://up.test"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inconsistent := snaptest.Small(6, "http://up.test")
	inconsistent.Routes = append(inconsistent.Routes, inconsistent.Routes[0])
	b := snaptest.Encode(t, inconsistent)
	sum := snapshot.Digest(b)
	for _, tc := range []struct {
		name    string
		c       verify.Candidate
		checked bool
	}{
		{"the compile's bytes, digest and word", verify.Candidate{Bytes: b, Sum: sum, Consistent: true, SelfBuilt: true}, false},
		{"its word without its digest", verify.Candidate{Bytes: b, Consistent: true, SelfBuilt: true}, true},
		{"its digest without its word", verify.Candidate{Bytes: b, Sum: sum, SelfBuilt: true}, true},
		{"neither", verify.Candidate{Bytes: b}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, base := range []struct {
				name   string
				active bool
			}{{"cold", false}, {"over an active snapshot", true}} {
				on := active
				if !base.active {
					on = nil
				}
				_, err := verifier(t).Load(tc.c, on)
				if checked := verify.ReasonOf(err) == verify.ReasonConsistency; checked != tc.checked {
					t.Errorf("%s: refused as inconsistent: %v, want %v (%v)", base.name, checked, tc.checked, err)
				}
				if !tc.checked && err != nil {
					t.Errorf("%s: %v", base.name, err)
				}
			}
		})
	}
}
