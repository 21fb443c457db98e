package review

import (
	"testing"
	"testing/fstest"
)

func testGovernance(t *testing.T) *Governance {
	t.Helper()
	g, err := ReadGovernance(fstest.MapFS{
		"frontdoor.cue": {Data: []byte(`operator: owners: ["op"]
department: owners: ["dept"]
`)},
		"publishers/acme/publisher.cue":   {Data: []byte(`owners: ["acme-dev", "Acme-Lead"]` + "\n")},
		"publishers/broken/publisher.cue": {Data: []byte(`owners: [`)},
		"consumers/clinic/consumer.cue":   {Data: []byte(`owners: ["clinic-dev"]` + "\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOwnershipFollowsTheLayout(t *testing.T) {
	g := testGovernance(t)
	for _, tc := range []struct {
		name, path, who, code string
	}{
		{"a publisher owner changes its API", "publishers/acme/apis/x.cue", "acme-dev", ""},
		{"handles compare without case", "publishers/acme/apis/x.cue", "acme-lead", ""},
		{"another org's owner may not", "publishers/acme/apis/x.cue", "clinic-dev", CodeNotOwner},
		{"a consumer may not grant itself", "publishers/acme/grants/clinic.cue", "clinic-dev", CodeSelfGrant},
		{"a stranger may not grant", "publishers/acme/grants/clinic.cue", "someone", CodeNotOwner},
		{"the publisher grants", "publishers/acme/grants/clinic.cue", "acme-dev", ""},
		{"the operator is not a publisher owner", "publishers/acme/apis/x.cue", "op", CodeNotOwner},
		{"the operator creates publishers", "publishers/new/publisher.cue", "op", ""},
		{"nobody else creates publishers", "publishers/new/publisher.cue", "acme-dev", CodeNewPublisher},
		{"a broken owners file falls back to the operator", "publishers/broken/publisher.cue", "op", ""},
		{"... and to nobody else", "publishers/broken/publisher.cue", "acme-dev", CodeNotOperator},
		{"a consumer owner changes its org", "consumers/clinic/consumer.cue", "clinic-dev", ""},
		{"others may not", "consumers/clinic/consumer.cue", "acme-dev", CodeNotOwner},
		{"anyone registers an org", "consumers/new-org/consumer.cue", "anyone", ""},
		{"approvals are the operator's", "approvals/launch/acme.x.cue", "acme-dev", CodeNotOperator},
		{"the operator approves", "approvals/launch/acme.x.cue", "op", ""},
		{"policy is the operator's", "frontdoor.cue", "dept", CodeNotOperator},
		{"CI is the operator's", ".github/workflows/frontdoor.yml", "acme-dev", CodeNotOperator},
		{"CODEOWNERS is the operator's", "CODEOWNERS", "clinic-dev", CodeNotOperator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := pathOwner(g, tc.path, tc.who)
			if v.ok != (tc.code == "") || v.code != tc.code {
				t.Errorf("got ok=%v code %q, want code %q", v.ok, v.code, tc.code)
			}
		})
	}
}

func TestOwnersListChangesNeedAnExistingOwner(t *testing.T) {
	base := testGovernance(t)
	head, err := ReadGovernance(fstest.MapFS{
		"frontdoor.cue":                 {Data: []byte("operator: owners: [\"op\"]\ndepartment: owners: [\"dept\"]\n")},
		"publishers/acme/publisher.cue": {Data: []byte("// comment\nowners: [\"acme-dev\", \"Acme-Lead\", \"intruder\"]\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &Authority{Base: base, Head: head, Actor: "intruder"}
	ds, err := a.Check([]Change{{Path: "publishers/acme/publisher.cue", Action: Modified}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Code != CodeOwnersChange || ds[0].Line != 2 {
		t.Fatalf("got %v, want one FD604 at line 2", ds)
	}
	a.Actor = "acme-dev"
	if ds, _ := a.Check([]Change{{Path: "publishers/acme/publisher.cue", Action: Modified}}); len(ds) != 0 {
		t.Errorf("got %v, want an owner allowed", ds)
	}
}
