package review

import (
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
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
		{"another org's owner may not", "publishers/acme/apis/x.cue", "clinic-dev", compiler.CodeNotOwner},
		{"a consumer may not grant itself", "publishers/acme/grants/clinic.cue", "clinic-dev", compiler.CodeSelfGrant},
		{"a stranger may not grant", "publishers/acme/grants/clinic.cue", "someone", compiler.CodeNotOwner},
		{"the publisher grants", "publishers/acme/grants/clinic.cue", "acme-dev", ""},
		{"the operator is not a publisher owner", "publishers/acme/apis/x.cue", "op", compiler.CodeNotOwner},
		{"the operator creates publishers", "publishers/new/publisher.cue", "op", ""},
		{"nobody else creates publishers", "publishers/new/publisher.cue", "acme-dev", compiler.CodeNewPublisher},
		{"a broken owners file falls back to the operator", "publishers/broken/publisher.cue", "op", ""},
		{"... and to nobody else", "publishers/broken/publisher.cue", "acme-dev", compiler.CodeNotOperator},
		{"a consumer owner changes its org", "consumers/clinic/consumer.cue", "clinic-dev", ""},
		{"others may not", "consumers/clinic/consumer.cue", "acme-dev", compiler.CodeNotOwner},
		{"anyone registers an org", "consumers/new-org/consumer.cue", "anyone", ""},
		{"approvals are the operator's", "approvals/launch/acme.x.cue", "acme-dev", compiler.CodeNotOperator},
		{"the operator approves", "approvals/launch/acme.x.cue", "op", ""},
		{"policy is the operator's", "frontdoor.cue", "dept", compiler.CodeNotOperator},
		{"CI is the operator's", ".github/workflows/frontdoor.yml", "acme-dev", compiler.CodeNotOperator},
		{"CODEOWNERS is the operator's", "CODEOWNERS", "clinic-dev", compiler.CodeNotOperator},
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
	ds, err := a.Check([]report.Change{{Path: "publishers/acme/publisher.cue", Action: report.Modified}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Code != compiler.CodeOwnersChange || ds[0].Line != 2 {
		t.Fatalf("got %v, want one FD604 at line 2", ds)
	}
	a.Actor = "acme-dev"
	if ds, _ := a.Check([]report.Change{{Path: "publishers/acme/publisher.cue", Action: report.Modified}}); len(ds) != 0 {
		t.Errorf("got %v, want an owner allowed", ds)
	}
}

func TestOnlyAGeneratedCodeOwnersMayBeChangedByANonOperator(t *testing.T) {
	headFiles := fstest.MapFS{
		"frontdoor.cue":                   {Data: []byte("operator: owners: [\"op\"]\ndepartment: owners: [\"dept\"]\n")},
		"publishers/acme/publisher.cue":   {Data: []byte(`owners: ["acme-dev"]` + "\n")},
		"consumers/clinic/consumer.cue":   {Data: []byte(`owners: ["clinic-dev"]` + "\n")},
		"consumers/newcomer/consumer.cue": {Data: []byte(`owners: ["new-dev"]` + "\n")},
	}
	head, err := ReadGovernance(headFiles)
	if err != nil {
		t.Fatal(err)
	}
	generated := CodeOwners(head)
	for _, tc := range []struct {
		name, codeowners string
		action           report.Action
		wantRefused      bool
	}{
		{"regenerated from the head's owners lists", generated, report.Modified, false},
		{"added as generated", generated, report.Added, false},
		{"with a line of the actor's own", generated + "/publishers/ @new-dev\n", report.Modified, true},
		{"edited by hand", strings.Replace(generated, "@op", "@new-dev", 1), report.Modified, true},
		{"deleted", "", report.Deleted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			maps.Copy(fsys, headFiles)
			if tc.action != report.Deleted {
				fsys["CODEOWNERS"] = &fstest.MapFile{Data: []byte(tc.codeowners)}
			}
			a := &Authority{Base: testGovernance(t), Head: head, HeadFS: fsys, Actor: "new-dev"}
			ds, err := a.Check([]report.Change{{Path: "CODEOWNERS", Action: tc.action}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ds) == 1 && ds[0].Code == compiler.CodeNotOperator; got != tc.wantRefused {
				t.Errorf("got %v, want refused %v", ds, tc.wantRefused)
			}
		})
	}
}
