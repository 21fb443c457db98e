package review

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

const diagnosisFile = "approvals/diagnosis/nhsbsa.prescription-exemptions.cue"

// diagnosisWindow is a window of the example's prescription exemptions
// API, co-approved by coApprover, ending at end.
func diagnosisWindow(coApprover, end string) string {
	return `windows: [{
	approvedBy:   "nhse-platform-lead"
	date:         "2026-12-07"
	reason:       "Timeouts on exemption checks"
	requester: {handle: "nhse-api-governance", organisation: "NHS England platform operations"}
	coApprovedBy: "` + coApprover + `"
	environment:  "production"
	start:        "2026-12-08T09:00:00Z"
	end:          "` + end + `"
	recipient:    "age1v8nwm4npfzh8ukw3tt9mxjqmy2vx328j89s3g3c45wqktua9acaseqqdqx"
}]
`
}

func TestADiagnosisWindowNeedsThePublishersConsentInThePullRequest(t *testing.T) {
	base := exampleFS(t)
	gov, err := ReadGovernance(base)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	const future = "2026-12-08T12:00:00Z"
	for _, tc := range []struct {
		name      string
		before    string // the file before, "" for none
		file      string
		approvers []string
		want      []string
	}{
		{"co-approver approves", "", diagnosisWindow("nhsbsa-digital-lead", future), []string{"nhsbsa-digital-lead"}, nil},
		{"co-approver did not approve", "", diagnosisWindow("nhsbsa-digital-lead", future), nil, []string{compiler.CodeDiagnosisNotCoApproved}},
		{"another owner approved", "", diagnosisWindow("nhsbsa-digital-lead", future), []string{"nhsbsa-api-team"}, []string{compiler.CodeDiagnosisNotCoApproved}},
		{"co-approver not an owner, though approving", "", diagnosisWindow("nhse-api-governance", future), []string{"nhse-api-governance"}, []string{compiler.CodeDiagnosisNotCoApproved}},
		{"co-approver of another publisher", "", diagnosisWindow("mhra-digital", future), []string{"mhra-digital"}, []string{compiler.CodeDiagnosisNotCoApproved}},
		{"window already over", "", diagnosisWindow("nhsbsa-digital-lead", "2026-12-07T15:00:00Z"), []string{"nhsbsa-digital-lead"}, []string{compiler.CodeDiagnosisOver}},
		{"window extended without consent", diagnosisWindow("nhsbsa-digital-lead", future), diagnosisWindow("nhsbsa-digital-lead", "2026-12-08T20:00:00Z"), nil, []string{compiler.CodeDiagnosisNotCoApproved}},
		{"past window kept as the record", diagnosisWindow("nhsbsa-digital-lead", "2026-12-07T15:00:00Z"), diagnosisWindow("nhsbsa-digital-lead", "2026-12-07T15:00:00Z") + "\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			beforeFS := base
			action := report.Added
			if tc.before != "" {
				beforeFS, action = edited(base, map[string]string{diagnosisFile: tc.before}), report.Modified
			}
			a := &Authority{Base: gov, Before: gov, Head: gov, BeforeFS: beforeFS, HeadFS: edited(base, map[string]string{diagnosisFile: tc.file}),
				Actor: "nhse-platform-lead", Approvers: tc.approvers, Now: now}
			ds, err := a.Check([]report.Change{{Path: diagnosisFile, Action: action}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(codesOf(ds), ","); got != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v:\n%v", codesOf(ds), tc.want, ds)
			}
		})
	}
}
