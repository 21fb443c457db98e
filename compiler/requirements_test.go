package compiler

import (
	"strings"
	"testing"
)

func TestOneDiagnosticListsEveryUnmetRequirementWithTheFileAndTheApprover(t *testing.T) {
	a, _ := readCase(t, "testdata/invalid/fd360-every-requirement-unmet.txtar")
	res := mustCompile(t, overlay(t, baseFS(t), a), testOptions())
	var got []Diagnostic
	for _, d := range res.Diagnostics {
		if d.Code == codeRequirementsUnmet && d.Line == 1 {
			got = append(got, d)
		}
	}
	if len(got) != 1 {
		t.Fatalf("got %d FD360 at the production grant, want 1:\n%s", len(got), renderDiags(res.Diagnostics))
	}
	d := got[0]
	for _, want := range []string{
		"lacks 5 requirement(s) of acme/patients",
		"DSPT standards-exceeded (clinic: standards-met)",
		`agreement "ACME-DSA-3" signed`,
		"clinicalSafetyCase of app portal",
		"recipientCategory pharmacy (clinic: none)",
		"purposes of app portal include research (has: none)",
	} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message %q lacks %q", d.Message, want)
		}
	}
	for _, want := range []string{"consumers/clinic/consumer.cue", "an owner of consumer clinic", "publishers/acme/apis/patients.cue"} {
		if !strings.Contains(d.Hint, want) {
			t.Errorf("hint %q lacks %q", d.Hint, want)
		}
	}
}

func TestRequirementsOfAnEnvironmentReplaceOnlyWhatTheyState(t *testing.T) {
	yes, no := true, false
	r := &requirements{
		DSPT: "standards-exceeded", Agreements: []string{"A", "B"}, ClinicalSafetyCase: &yes, Purposes: []string{"direct-care"},
		Environments: map[string]requirementSet{"sandbox": {Agreements: []string{}, ClinicalSafetyCase: &no}},
	}
	sb, prod := r.forEnv("sandbox"), r.forEnv("production")
	if len(sb.Agreements) != 0 || *sb.ClinicalSafetyCase || sb.DSPT != "standards-exceeded" || len(sb.Purposes) != 1 {
		t.Errorf("sandbox: got %+v, want no agreements, no safety case, the rest API-wide", sb)
	}
	if len(prod.Agreements) != 2 || !*prod.ClinicalSafetyCase {
		t.Errorf("production: got %+v, want the API-wide requirements", prod)
	}
}
