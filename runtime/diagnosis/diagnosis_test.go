package diagnosis

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

const nhsNumber = "9434765919"

var t0 = time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)

func testAPI(t *testing.T, id *age.X25519Identity, edit func(*snapshot.Diagnosis)) *snapshot.API {
	t.Helper()
	d := snapshot.Diagnosis{
		Approval: snapshot.Approval{By: "op", Date: "2026-12-07"}, CoApprovedBy: "pub-owner",
		Reason: "502s", RequesterOrganisation: "Platform operations", Environment: "production",
		Start: t0.Format(time.RFC3339), End: t0.Add(2 * time.Hour).Format(time.RFC3339),
		CaptureBodies: true, Recipient: id.Recipient().String(), MaxBytes: 1 << 20,
	}
	if edit != nil {
		edit(&d)
	}
	return &snapshot.API{ID: "pub/patients", Diagnosis: []snapshot.Diagnosis{d},
		Environments: []snapshot.APIEnvironment{{Name: "production"}, {Name: "sandbox"}}}
}

func newRecorder(t *testing.T, clock *testutil.Clock) *Recorder {
	t.Helper()
	r, err := New(Options{Dir: t.TempDir(), Now: clock.Now, Retention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func identity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// exchange records one exchange through c: a request with credentials,
// identity headers and an NHS number in its body and path.
func exchange(c *Capture) {
	req := httptest.NewRequest("POST", "https://api.test/pub/patients/v1/Patient/"+nhsNumber+"?apikey=s3cret&nhs="+nhsNumber, nil)
	req.Header.Set("Authorization", "Bearer user-token-abc")
	req.Header.Set("Apikey", "s3cret")
	req.Header.Set("Cookie", "session=xyz")
	req.Header.Set("X-Frontdoor-App", "acme/portal")
	req.Header.Set("X-Frontdoor-User", nhsNumber)
	req.Header.Set("Content-Type", "application/json")
	body := c.RequestBody(io.NopCloser(strings.NewReader(`{"nhsNumber":"` + nhsNumber + `","note":"request-body"}`)))
	io.ReadAll(body)
	if tap := c.Tap(); tap != nil {
		tap.Write([]byte(`{"patient":"` + nhsNumber + `","note":"response-body"}`))
	}
	h := http.Header{"Set-Cookie": {"a=b"}, "Content-Type": {"application/json"}}
	c.Finish(req, "/pub/patients/v1/Patient/"+nhsNumber, "apikey=s3cret&nhs="+nhsNumber, "req-1", "production", "acme/portal", 502, h)
}

// records decrypts every record on disk with id.
func records(t *testing.T, r *Recorder, id age.Identity) (recs []Record, raw [][]byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(r.opts.Dir, "*", "*.json.age"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
		dec, err := age.Decrypt(bytes.NewReader(b), id)
		if err != nil {
			t.Fatalf("decrypting %s: %v", f, err)
		}
		var rec Record
		if err := json.NewDecoder(dec).Decode(&rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return recs, raw
}

func TestNothingIsCapturedBeforeOrAfterTheWindowOrOutsideItsScope(t *testing.T) {
	id := identity(t)
	clock := testutil.NewClock(t0)
	r := newRecorder(t, clock)
	all := testAPI(t, id, nil)
	one := testAPI(t, id, func(d *snapshot.Diagnosis) { d.App = "acme/portal" })
	for _, tc := range []struct {
		name string
		api  *snapshot.API
		env  string
		app  string
		at   time.Time
		want bool
	}{
		{"at the start", all, "production", "acme/portal", t0, true},
		{"inside", all, "production", "", t0.Add(time.Hour), true},
		{"a nanosecond before the start", all, "production", "acme/portal", t0.Add(-time.Nanosecond), false},
		{"at the end", all, "production", "acme/portal", t0.Add(2 * time.Hour), false},
		{"after the end", all, "production", "acme/portal", t0.Add(3 * time.Hour), false},
		{"another environment", all, "sandbox", "acme/portal", t0.Add(time.Hour), false},
		{"the window's app", one, "production", "acme/portal", t0.Add(time.Hour), true},
		{"another app", one, "production", "acme/other", t0.Add(time.Hour), false},
		{"anonymous, app window", one, "production", "", t0.Add(time.Hour), false},
		{"an API without windows", &snapshot.API{ID: "pub/other"}, "production", "acme/portal", t0.Add(time.Hour), false},
	} {
		if got := r.Match(tc.api, tc.env, tc.app, tc.at) != nil; got != tc.want {
			t.Errorf("%s: captured %v, want %v", tc.name, got, tc.want)
		}
	}
	var nilRecorder *Recorder
	if nilRecorder.Match(all, "production", "", t0.Add(time.Hour)) != nil {
		t.Error("a gateway without a recorder captured")
	}
}

func TestRecordsAreReadableOnlyWithTheOperatorsKeyAndHoldNoCredentialOrNHSNumber(t *testing.T) {
	id := identity(t)
	r := newRecorder(t, testutil.NewClock(t0))
	exchange(r.Match(testAPI(t, id, nil), "production", "acme/portal", t0.Add(time.Minute)))
	r.Close()
	recs, raw := records(t, r, id)
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	for _, b := range raw {
		for _, plain := range []string{"request-body", "response-body", "502", "Platform", "Content-Type"} {
			if bytes.Contains(b, []byte(plain)) {
				t.Errorf("the file on disk shows %q in clear", plain)
			}
		}
		if _, err := age.Decrypt(bytes.NewReader(b), identity(t)); err == nil {
			t.Error("another key decrypted the record")
		}
	}
	rec := recs[0]
	js, _ := json.Marshal(rec)
	for _, secret := range []string{nhsNumber, "Bearer", "s3cret", "session=xyz", "acme/portal\"]", "Set-Cookie", "a=b"} {
		if bytes.Contains(js, []byte(secret)) {
			t.Errorf("record holds %q: %s", secret, js)
		}
	}
	if rec.Status != 502 || !strings.Contains(rec.RequestBody, "request-body") || !strings.Contains(rec.ResponseBody, "response-body") ||
		rec.RequestHeaders["Content-Type"] == nil {
		t.Errorf("record lacks what diagnosis needs: %s", js)
	}
}

func TestBodiesAreRecordedOnlyWhereTheWindowAllowsAndNeverForSpecialCategoryData(t *testing.T) {
	id := identity(t)
	for _, tc := range []struct {
		name            string
		bodies, special bool
		want            bool
	}{
		{"allowed", true, false, true},
		{"not asked for", false, false, false},
		{"special category, asked for", true, true, false},
		{"special category", false, true, false},
	} {
		r := newRecorder(t, testutil.NewClock(t0))
		a := testAPI(t, id, func(d *snapshot.Diagnosis) { d.CaptureBodies = tc.bodies })
		a.SpecialCategory = tc.special
		exchange(r.Match(a, "production", "acme/portal", t0.Add(time.Minute)))
		r.Close()
		recs, _ := records(t, r, id)
		if len(recs) != 1 {
			t.Fatalf("%s: got %d records", tc.name, len(recs))
		}
		if got := recs[0].RequestBody != "" || recs[0].ResponseBody != ""; got != tc.want {
			t.Errorf("%s: bodies recorded %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAWindowRecordsNoMoreThanItsCap(t *testing.T) {
	id := identity(t)
	r := newRecorder(t, testutil.NewClock(t0))
	a := testAPI(t, id, func(d *snapshot.Diagnosis) { d.MaxBytes = 2048 })
	for range 20 {
		exchange(r.Match(a, "production", "acme/portal", t0.Add(time.Minute)))
	}
	r.Close()
	recs, _ := records(t, r, id)
	st := r.Status([]*snapshot.API{a})[0]
	if len(recs) == 0 || len(recs) >= 20 || st.Bytes > 2048 || st.Dropped != 20-len(recs) {
		t.Fatalf("got %d records, %d bytes, %d dropped; want fewer than 20 within 2048 bytes", len(recs), st.Bytes, st.Dropped)
	}
}

func TestRecordsAreDeletedOnceTheWindowHasBeenClosedForTheRetention(t *testing.T) {
	id := identity(t)
	clock := testutil.NewClock(t0)
	r := newRecorder(t, clock)
	a := testAPI(t, id, nil)
	exchange(r.Match(a, "production", "acme/portal", t0.Add(time.Minute)))
	stray := filepath.Join(r.opts.Dir, "stray")
	os.WriteFile(stray, []byte("x"), 0o600)
	r.Close()
	for _, tc := range []struct {
		at   time.Duration
		kept bool
	}{{3 * time.Hour, true}, {2*time.Hour + 24*time.Hour, true}, {2*time.Hour + 25*time.Hour, false}} {
		clock.Set(t0.Add(tc.at))
		r.Sweep()
		files, _ := filepath.Glob(filepath.Join(r.opts.Dir, "*", "*.json.age"))
		if got := len(files) > 0; got != tc.kept {
			t.Errorf("%s after the start: records kept %v, want %v", tc.at, got, tc.kept)
		}
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Error("a file that is no window's was left in the directory")
	}
}

func TestStatusListsScheduledOpenAndClosedWindows(t *testing.T) {
	id := identity(t)
	clock := testutil.NewClock(t0.Add(time.Hour))
	r := newRecorder(t, clock)
	a := testAPI(t, id, nil)
	a.Diagnosis = append(a.Diagnosis, a.Diagnosis[0], a.Diagnosis[0])
	a.Diagnosis[0].Start, a.Diagnosis[0].End = "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"
	a.Diagnosis[2].Start, a.Diagnosis[2].End = "2026-12-09T09:00:00Z", "2026-12-09T10:00:00Z"
	var states []string
	for _, ws := range r.Status([]*snapshot.API{a}) {
		states = append(states, ws.State)
		if !ws.Recording || ws.RequesterOrganisation != "Platform operations" {
			t.Errorf("status %+v", ws)
		}
	}
	if strings.Join(states, ",") != "closed,open,scheduled" {
		t.Errorf("got states %v", states)
	}
	var none *Recorder
	if ws := none.Status([]*snapshot.API{a}); len(ws) != 3 || ws[1].Recording {
		t.Errorf("without a recorder: %+v", ws)
	}
}
