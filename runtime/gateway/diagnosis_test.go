package gateway_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A window on the keyed API in sandbox for the portal app records the
// portal's exchanges, upstream failures included, and nothing else.
func TestTheGatewayRecordsOnlyTheExchangesOfAnOpenWindow(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rec, err := diagnosis.New(diagnosis.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	window := snapshot.Diagnosis{
		Approval: snapshot.Approval{By: "op", Date: now.Format(time.DateOnly)}, CoApprovedBy: "owner",
		Reason: "timeouts", RequesterOrganisation: "Ops", Environment: snapshot.EnvSandbox, App: "acme/portal",
		Start: now.Add(-time.Hour).Format(time.RFC3339), End: now.Add(time.Hour).Format(time.RFC3339),
		CaptureBodies: true, Recipient: id.Recipient().String(), MaxBytes: 1 << 20,
	}
	e := newEnv(t, envOptions{diagnosis: rec, edit: func(s *snapshot.Snapshot) {
		for i := range s.APIs {
			switch s.APIs[i].Name {
			case "keyed":
				s.APIs[i].Diagnosis = []snapshot.Diagnosis{window}
			case "signed":
				w := window
				w.App = "" // every caller's
				s.APIs[i].Diagnosis = []snapshot.Diagnosis{w}
			case "limited":
				w := window
				w.Start, w.End = now.Add(time.Hour).Format(time.RFC3339), now.Add(2*time.Hour).Format(time.RFC3339)
				s.APIs[i].Diagnosis = []snapshot.Diagnosis{w}
			}
		}
	}})
	if r := e.get("/pub/keyed/v1/Patient/"+nhsNumber, "apikey", portalKey, "Cookie", "s=1"); r.code != 200 {
		t.Fatalf("got %d", r.code)
	}
	e.get("/pub/limited/v1/x", "apikey", portalKey) // window not open yet
	e.get("/pub/cred/v1/x", "apikey", portalKey)    // no window
	e.get("/pub/keyed/v1/x", "apikey", otherKey)    // another app: refused, not the window's app
	if r := e.get("/pub/signed/v1/x?nhs=" + nhsNumber); r.code != 401 {
		t.Fatalf("anonymous call to signed: got %d", r.code) // refused, in a window for every caller
	}
	rec.Close()

	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json.age"))
	if len(files) != 2 {
		t.Fatalf("got %d records, want 2 (the portal's call to keyed, the refused call to signed)", len(files))
	}
	byPath := map[string]diagnosis.Record{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		dec, err := age.Decrypt(bytes.NewReader(b), id)
		if err != nil {
			t.Fatal(err)
		}
		var got diagnosis.Record
		if err := json.NewDecoder(dec).Decode(&got); err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(got)
		for _, secret := range []string{portalKey, nhsNumber, "s=1", "X-Frontdoor-App"} {
			if strings.Contains(string(js), secret) {
				t.Errorf("record holds %q: %s", secret, js)
			}
		}
		byPath[got.Path[:len("/pub/keyed")]] = got
	}
	if got := byPath["/pub/keyed"]; got.Status != 200 || got.App != "acme/portal" || !strings.HasPrefix(got.Path, "/pub/keyed/v1/Patient/") || got.ResponseBody == "" {
		t.Errorf("forwarded exchange recorded as %+v", got)
	}
	if got := byPath["/pub/signe"]; got.Status != 401 || got.App != "" || !strings.Contains(got.ResponseBody, "reason") {
		t.Errorf("refusal recorded as %+v", got)
	}
}
