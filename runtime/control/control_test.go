package control_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestRefusedSnapshotsKeepTheLastKnownGoodServing offers one bad snapshot
// per refusal reason to a gateway serving generation 5.
func TestRefusedSnapshotsKeepTheLastKnownGoodServing(t *testing.T) {
	priv, pub := snaptest.KeyPair(t)
	otherPriv, _ := snaptest.KeyPair(t)
	good := upstream(t, "good")
	bad := upstream(t, "bad")
	signed := func(b []byte) source.Revision {
		return source.Revision{Source: "file", Bytes: b, Signature: snapshot.Sign(priv, b)}
	}
	encode := func(gen uint64, up string) []byte { return snaptest.Encode(t, snaptest.Small(gen, up)) }
	next := encode(6, bad.URL)
	inconsistent := snaptest.Small(6, bad.URL)
	inconsistent.Routes[0].API = "pub0/unknown"
	// A second app registered with the first one's credentials, or an API
	// naming a framing header as an identity header.
	thief := func(edit func(victim, thief *snapshot.App)) []byte {
		s := snaptest.Small(6, bad.URL)
		c := &s.Consumers[0]
		c.Apps = append(c.Apps, snapshot.App{ID: c.ID + "/zz-thief", Org: c.ID, Name: "Thief"})
		edit(&c.Apps[0], &c.Apps[1])
		return snaptest.Encode(t, s)
	}
	sharedKey := thief(func(v, t *snapshot.App) {
		t.APIKeys = []snapshot.APIKey{{ID: "copied", SHA256: v.APIKeys[0].SHA256, Environments: v.APIKeys[0].Environments}}
	})
	sharedJWK := thief(func(v, t *snapshot.App) { t.JWKs = []snapshot.JWK{v.JWKs[0]}; t.JWKs[0].Kid = "mine" })
	reservedHeader := snaptest.Small(6, bad.URL)
	reservedHeader.APIs[1].IdentityHeaders.App = "Content-Type"

	for _, tc := range []struct {
		name   string
		rev    source.Revision
		reason verify.Reason
	}{
		{"schema-invalid", signed(snaptest.Restate(t, bytes.Replace(next, []byte(`"generation":6`), []byte(`"generation":"6"`), 1))), verify.ReasonSchema},
		{"bad signature", source.Revision{Source: "file", Bytes: next, Signature: snapshot.Sign(otherPriv, next)}, verify.ReasonSignature},
		{"unsigned with trust keys", source.Revision{Source: "file", Bytes: next}, verify.ReasonUnsigned},
		{"lower generation", signed(encode(4, bad.URL)), verify.ReasonGeneration},
		{"truncated file", signed(next[:len(next)*2/3]), verify.ReasonDecode},
		{"digest mismatch", func() source.Revision { r := signed(next); r.Digest = snapshot.Digest(encode(7, bad.URL)); return r }(), verify.ReasonDigest},
		{"inconsistent", signed(snaptest.Encode(t, inconsistent)), verify.ReasonConsistency},
		{"an api-key hash held by two apps", signed(sharedKey), verify.ReasonConsistency},
		{"a public key held by two apps", signed(sharedJWK), verify.ReasonConsistency},
		{"a reserved identity header", signed(snaptest.Encode(t, reservedHeader)), verify.ReasonConsistency},
		{"compile errors", source.Revision{Source: "dir", Diagnostics: []source.Diagnostic{{File: "a.cue", Line: 3, Col: 5, Code: "FD001", Message: "boom"}}}, verify.ReasonCompile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{trust: []ed25519.PublicKey{pub}})
			if outcome, err := h.ctrl.Apply(signed(encode(5, good.URL))); err != nil || outcome != control.OutcomeSwapped {
				t.Fatalf("activating generation 5: got %q, %v", outcome, err)
			}
			outcome, err := h.ctrl.Apply(tc.rev)
			if outcome != control.OutcomeRefused || verify.ReasonOf(err) != tc.reason {
				t.Fatalf("got %q (%v), want refused for %q", outcome, err, tc.reason)
			}
			if _, gen, body := h.get("/pub0/api1/v1/x"); gen != "5" || !isFrom(body, "good") {
				t.Errorf("served by generation %q (%q), want 5 from good", gen, body)
			}
			st := h.status()
			if st.LastAttempt == nil || st.LastAttempt.Outcome != control.OutcomeRefused || st.LastAttempt.Reason != tc.reason {
				t.Errorf("status last attempt: got %+v, want refused for %q", st.LastAttempt, tc.reason)
			} else if len(st.LastAttempt.Errors) == 0 || st.LastAttempt.Errors[0].Message == "" {
				t.Errorf("status last attempt: got no error message")
			}
			if st.Active == nil || st.Active.Generation != 5 {
				t.Errorf("status active: got %+v, want generation 5", st.Active)
			}
			if got := h.metric("frontdoor_snapshot_refusals_total", "reason", string(tc.reason)); got != 1 {
				t.Errorf("refusals metric for %q: got %v, want 1", tc.reason, got)
			}
			if got := h.metric("frontdoor_snapshot_active_generation"); got != 5 {
				t.Errorf("active generation metric: got %v, want 5", got)
			}
		})
	}
}

func TestCompileErrorsArePositionedInStatus(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	diag := source.Diagnostic{File: "publishers/x/apis/y.cue", Line: 3, Col: 5, Code: "FD001", Message: "boom", Hint: "fix it"}
	h.ctrl.Apply(source.Revision{Source: "dir", Diagnostics: []source.Diagnostic{diag}})
	st := h.status()
	if st.LastAttempt == nil || len(st.LastAttempt.Errors) != 1 || st.LastAttempt.Errors[0] != diag {
		t.Errorf("got %+v, want the diagnostic %+v", st.LastAttempt, diag)
	}
}

func TestSameDigestIsNotSwappedAgain(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	b := snaptest.Encode(t, snaptest.Small(1, "http://up.test"))
	h.ctrl.Apply(source.Revision{Source: "file", Bytes: b})
	if outcome, err := h.ctrl.Apply(source.Revision{Source: "file", Bytes: b}); outcome != control.OutcomeUnchanged || err != nil {
		t.Errorf("got %q, %v; want %q", outcome, err, control.OutcomeUnchanged)
	}
	if got := h.metric("frontdoor_snapshot_swaps_total"); got != 1 {
		t.Errorf("swaps: got %v, want 1", got)
	}
}

func TestReadyOnlyOnceASnapshotIsActive(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	readyz := func() int {
		resp, err := http.Get(h.admin.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := readyz(); got != http.StatusServiceUnavailable {
		t.Errorf("before: got %d, want 503", got)
	}
	if code, _, _ := h.get("/pub0/api0/v1"); code != http.StatusServiceUnavailable {
		t.Errorf("gateway before: got %d, want 503", code)
	}
	h.ctrl.Apply(source.Revision{Source: "file", Bytes: snaptest.Encode(t, snaptest.Small(1, "http://up.test"))})
	if got := readyz(); got != http.StatusOK {
		t.Errorf("after: got %d, want 200", got)
	}
}

// TestEveryResponseComesFromExactlyOneGeneration hammers the gateway while
// the controller swaps 1,000 snapshots, each routing to its own upstream
// path: the generation header and the upstream's answer must agree.
func TestEveryResponseComesFromExactlyOneGeneration(t *testing.T) {
	up := upstream(t, "up")
	h := newHarness(t, harnessOptions{})
	encode := func(gen uint64) []byte {
		return snaptest.Encode(t, snaptest.Small(gen, fmt.Sprintf("%s/g%d", up.URL, gen)))
	}
	if _, err := h.ctrl.Apply(source.Revision{Source: "file", Bytes: encode(1)}); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	before := runtime.NumGoroutine()

	const swaps = 1000
	requests := testutil.UnderLoad(t, 4, func() (int, error) {
		resp, err := client.Get(h.gw.URL + "/pub0/api1/v1/Patient")
		if err != nil {
			return 0, err
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		gen := resp.Header.Get("X-Frontdoor-Generation")
		if want := fmt.Sprintf("up /g%s/Patient", gen); resp.StatusCode != http.StatusOK || body.String() != want {
			return 0, fmt.Errorf("got %d %q with generation %q, want %q", resp.StatusCode, body.String(), gen, want)
		}
		return strconv.Atoi(gen)
	}, func() {
		for gen := uint64(2); gen <= swaps+1; gen++ {
			if outcome, err := h.ctrl.Apply(source.Revision{Source: "file", Bytes: encode(gen)}); err != nil || outcome != control.OutcomeSwapped {
				t.Fatalf("swap to %d: got %q, %v", gen, outcome, err)
			}
		}
	})
	if got := h.store.Active().Generation(); got != swaps+1 {
		t.Errorf("active generation: got %d, want %d", got, swaps+1)
	}
	t.Logf("%d requests during %d swaps", requests, swaps)

	// No goroutine may outlive the swaps (connections closed, the
	// servers' connection goroutines end).
	client.CloseIdleConnections()
	h.transport.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: got %d, want at most %d\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

func TestRestartServesThePersistedSnapshot(t *testing.T) {
	state := t.TempDir()
	up := upstream(t, "persisted")
	h := newHarness(t, harnessOptions{stateDir: state})
	b := snaptest.Encode(t, snaptest.Small(9, up.URL))
	if _, err := h.ctrl.Apply(source.Revision{Source: "dir", Bytes: b, Compiled: true}); err != nil {
		t.Fatal(err)
	}
	_, pub := snaptest.KeyPair(t)
	// Self-built snapshots need no signature, even with trust keys, after
	// a restart as before it.
	h2 := newHarness(t, harnessOptions{stateDir: state, trust: []ed25519.PublicKey{pub}})
	if err := h2.ctrl.Restore(); err != nil {
		t.Fatal(err)
	}
	if _, gen, body := h2.get("/pub0/api0/v1"); gen != "9" || !isFrom(body, "persisted") {
		t.Errorf("got generation %q %q, want 9 from persisted", gen, body)
	}
}

func TestACorruptPersistedSnapshotIsNotServed(t *testing.T) {
	state := t.TempDir()
	h := newHarness(t, harnessOptions{stateDir: state})
	b := snaptest.Encode(t, snaptest.Small(9, "http://up.test"))
	if _, err := h.ctrl.Apply(source.Revision{Source: "file", Bytes: b}); err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(snapshot.Digest(b), "sha256:")
	corrupt := bytes.Replace(b, []byte("up.test"), []byte("ev.test"), 1)
	testutil.WriteFile(t, state+"/snapshots/"+name+".json", corrupt)
	h2 := newHarness(t, harnessOptions{stateDir: state})
	err := h2.ctrl.Restore()
	if verify.ReasonOf(err) != verify.ReasonDigest {
		t.Errorf("got %v, want a digest refusal", err)
	}
	if h2.ctrl.Ready() {
		t.Error("ready with a corrupt snapshot")
	}
}

// TestSwappedRunsAfterEachSwapOnly checks the Swapped hook: called once
// per swap, with the new snapshot active, and never for an unchanged or
// refused candidate.
func TestSwappedRunsAfterEachSwapOnly(t *testing.T) {
	v, err := verify.New(verify.Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	st := new(store.Store)
	var genAtSwapped []uint64
	ctrl, err := control.New(control.Options{Store: st, Verifier: v, Log: quietLog(), Swapped: func() {
		genAtSwapped = append(genAtSwapped, st.Active().Generation())
	}})
	if err != nil {
		t.Fatal(err)
	}
	up := upstream(t, "up")
	b5 := snaptest.Encode(t, snaptest.Small(5, up.URL))
	for _, tc := range []struct {
		name    string
		rev     source.Revision
		outcome string
	}{
		{"first", source.Revision{Source: "file", Bytes: b5}, control.OutcomeSwapped},
		{"same digest", source.Revision{Source: "file", Bytes: b5}, control.OutcomeUnchanged},
		{"broken", source.Revision{Source: "file", Bytes: []byte("{")}, control.OutcomeRefused},
		{"not compiled", source.Revision{Source: "dir", Diagnostics: []source.Diagnostic{{Message: "x"}}}, control.OutcomeRefused},
		{"next", source.Revision{Source: "file", Bytes: snaptest.Encode(t, snaptest.Small(6, up.URL))}, control.OutcomeSwapped},
	} {
		if got, _ := ctrl.Apply(tc.rev); got != tc.outcome {
			t.Fatalf("%s: outcome %q, want %q", tc.name, got, tc.outcome)
		}
	}
	if want := []uint64{5, 6}; !slices.Equal(genAtSwapped, want) {
		t.Fatalf("active generation at each Swapped call: %v, want %v", genAtSwapped, want)
	}
}
