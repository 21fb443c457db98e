package compiler

import (
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestADiagnosisWindowReachesTheSnapshotInUTCWholeSeconds(t *testing.T) {
	fsys := baseFS(t)
	fsys["approvals/diagnosis/acme.patients.cue"] = &fstest.MapFile{Data: []byte(`windows: [{
	approvedBy:   "op-bob"
	date:         "2026-03-01"
	reason:       "Intermittent 502s"
	requester: {handle: "op-alice", organisation: "Platform operations"}
	coApprovedBy: "acme-dev"
	environment:  "production"
	app:          "clinic/portal"
	start:        "2026-03-02T10:00:00.250+01:00"
	end:          "2026-03-02T17:59:59.750Z"
	captureBodies: true
	recipient:    "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx"
}, {
	approvedBy:   "op-alice"
	date:         "2026-02-20"
	reason:       "Slow lookups"
	requester: {handle: "op-alice", organisation: "Platform operations"}
	coApprovedBy: "acme-dev"
	environment:  "sandbox"
	start:        "2026-02-21T08:00:00Z"
	end:          "2026-02-21T09:00:00Z"
	recipient:    "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx"
	maxBytes:     4096
}]
`)}
	res := mustCompile(t, fsys, testOptions())
	if res.Snapshot == nil {
		t.Fatalf("not compiled:\n%s", renderDiags(res.Diagnostics))
	}
	a, _ := res.Snapshot.API("acme/patients")
	if len(a.Diagnosis) != 2 {
		t.Fatalf("got %d windows, want 2", len(a.Diagnosis))
	}
	first, second := a.Diagnosis[0], a.Diagnosis[1]
	if first.Start != "2026-02-21T08:00:00Z" || first.MaxBytes != 4096 || first.CaptureBodies {
		t.Errorf("first window (the earlier): %+v", first)
	}
	// 10:00:00.250+01:00 starts at 09:00:01Z, and 17:59:59.750Z ends at
	// 17:59:59Z: whole seconds inside the approved window.
	want := snapshot.Diagnosis{
		Approval: snapshot.Approval{By: "op-bob", Date: "2026-03-01"}, CoApprovedBy: "acme-dev",
		Reason: "Intermittent 502s", RequesterOrganisation: "Platform operations", Environment: "production", App: "clinic/portal",
		Start: "2026-03-02T09:00:01Z", End: "2026-03-02T17:59:59Z", CaptureBodies: true,
		Recipient: "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx", MaxBytes: 16 << 20,
	}
	if second != want {
		t.Errorf("got %+v\nwant %+v", second, want)
	}
	if err := res.Snapshot.Consistent(); err != nil {
		t.Error(err)
	}
}
