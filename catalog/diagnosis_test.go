package catalog

import (
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// withDiagnosis gives nhsbsa/exemptions a past window on one app and an
// open one with bodies.
func withDiagnosis(s *snapshot.Snapshot) *snapshot.Snapshot {
	for i := range s.APIs {
		if s.APIs[i].ID == "nhsbsa/exemptions" {
			s.APIs[i].Diagnosis = []snapshot.Diagnosis{{
				Approval: snapshot.Approval{By: "secret-approver", Date: "2026-10-01", Reference: "DIAG-7"}, CoApprovedBy: "secret-coapprover",
				Reason: "Timeouts on exemption checks", RequesterOrganisation: "Platform operations", Environment: "production",
				App: "pharmacy-co/till", Start: "2026-10-02T09:00:00Z", End: "2026-10-02T12:00:00Z",
				Recipient: "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx", MaxBytes: 1 << 20,
			}, {
				Approval: snapshot.Approval{By: "secret-approver", Date: "2026-11-01"}, CoApprovedBy: "secret-coapprover",
				Reason: "Malformed responses", RequesterOrganisation: "NHSBSA service desk", Environment: "production",
				Start: "2026-11-02T09:00:00Z", End: "2026-11-02T10:30:00Z", CaptureBodies: true,
				Recipient: "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx", MaxBytes: 1 << 20,
			}}
		}
	}
	return s
}

func TestThePublisherPageListsEveryDiagnosisWindowWithoutNamingAppsOrApprovers(t *testing.T) {
	site, err := Build(withDiagnosis(testSnapshot()), testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := site.File("publishers/nhsbsa/index.html")
	page := string(b)
	for _, want := range []string{
		`<h2 id="diagnosis">`, "Malformed responses", "NHSBSA service desk", "09:00 on 2 November 2026 UTC",
		"Timeouts on exemption checks", "<code>DIAG-7</code>",
		"without bodies, of one application",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("publisher page lacks %q", want)
		}
	}
	// exemptions carries special-category data: no bodies, whatever the window asks.
	if strings.Contains(page, "with bodies") {
		t.Error("bodies of a special-category API shown as recorded")
	}
	if strings.Index(page, "Malformed responses") > strings.Index(page, "Timeouts on exemption checks") {
		t.Error("windows are not listed newest first")
	}
	if leaks := site.Leaks([]string{"secret-approver", "secret-coapprover", "pharmacy-co/till", "age1v8nwm"}); len(leaks) > 0 {
		t.Errorf("the site shows %v", leaks)
	}
	other, _ := site.File("publishers/trust-a/index.html")
	if !strings.Contains(string(other), "is on record") {
		t.Error("a publisher without windows does not say so")
	}
}
