package review

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// policyGovernance reads a frontdoor.cue with the given extra policy.
func policyGovernance(t *testing.T, policy string) *Governance {
	t.Helper()
	g, err := ReadGovernance(fstest.MapFS{"frontdoor.cue": {Data: []byte(`operator: owners: ["op", "op2"]
department: owners: ["dept"]
` + policy)}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewOrChangedRecipientCategoriesAndPurposesNeedTheOperatorAndTheDepartment(t *testing.T) {
	const gp = `recipientCategories: "gp-practice": {description: "GP practices", approvedBy: {operator: "op", department: "dept", date: "2026-01-01"}}
`
	const care = `purposes: "direct-care": {description: "Care", approvedBy: {operator: "op", department: "dept", date: "2026-01-01"}}
`
	for _, tc := range []struct {
		name, base, head, actor string
		approvers               []string
		want                    string // substring of the FD370 message, "" for none
	}{
		{"a category approved by both is accepted", "", gp, "op", []string{"dept"}, ""},
		{"a category without the department's review is refused", "", gp, "op", nil, "recipient category gp-practice added without both approvals: the department approver dept did not author or approve"},
		{"a category the operator did not authorise is refused", "", gp, "dept", nil, "the operator approver op did not author or approve"},
		{"a purpose without the department's review is refused", "", care, "op", nil, "purpose direct-care added without both approvals"},
		{"a purpose approved by both is accepted", "", care, "dept", []string{"op"}, ""},
		{"a changed description needs both again", gp, strings.Replace(gp, "GP practices", "General practices", 1), "op", nil, "recipient category gp-practice changed"},
		{"an unchanged category needs nobody", gp, gp, "op", nil, ""},
		{"a department approver who is not a department owner is refused", "", strings.Replace(care, `department: "dept"`, `department: "op2"`, 1), "op", []string{"op2"}, `approvedBy.department "op2" is not a department owner`},
		{"one person cannot be both approvers", "", strings.Replace(gp, `operator: "op"`, `operator: "dept"`, 1), "dept", nil, `approvedBy.operator "dept" is not an operator owner`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Authority{Base: policyGovernance(t, tc.base), Head: policyGovernance(t, tc.head), Actor: tc.actor, Approvers: tc.approvers}
			var got []string
			for _, d := range a.checkPlatform() {
				if d.Code == compiler.CodePolicyApprovers {
					got = append(got, d.Message)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("got %q, want no FD370", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("got %q, want one FD370 containing %q", got, tc.want)
			}
		})
	}
}
