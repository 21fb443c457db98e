package review

import (
	"maps"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/report"
)

// governanceRepos are a base and a head revision with several publishers
// and consumers, owners changed in the head and grants between them.
func governanceRepos() (base, head fstest.MapFS) {
	base = fstest.MapFS{
		"frontdoor.cue":                     {Data: []byte("operator: owners: [\"op\"]\ndepartment: owners: [\"dept\"]\n")},
		"publishers/acme/publisher.cue":     {Data: []byte("owners: [\"acme-dev\"]\n")},
		"publishers/beta/publisher.cue":     {Data: []byte("owners: [\"beta-dev\"]\n")},
		"publishers/broken/publisher.cue":   {Data: []byte("owners: [")},
		"consumers/clinic/consumer.cue":     {Data: []byte("owners: [\"clinic-dev\"]\n")},
		"consumers/surgery/consumer.cue":    {Data: []byte("owners: [\"surgery-dev\"]\n")},
		"publishers/acme/grants/clinic.cue": {Data: []byte("grants: [{app: \"a\", api: \"x\", environment: \"sandbox\", accessMode: \"open\", approvedBy: \"acme-dev\", date: \"2026-01-01\"}]\n")},
	}
	head = maps.Clone(base)
	head["publishers/acme/publisher.cue"] = &fstest.MapFile{Data: []byte("owners: [\"acme-dev\", \"clinic-dev\"]\n")}
	head["consumers/clinic/consumer.cue"] = &fstest.MapFile{Data: []byte("owners: [\"clinic-dev\", \"acme-dev\"]\n")}
	head["publishers/acme/grants/clinic.cue"] = &fstest.MapFile{Data: []byte("grants: [{app: \"a\", api: \"x\", environment: \"sandbox\", accessMode: \"open\", approvedBy: \"clinic-dev\", date: \"2026-01-02\"}]\n")}
	head["publishers/beta/grants/surgery.cue"] = &fstest.MapFile{Data: []byte("grants: [{app: \"s\", api: \"y\", environment: \"sandbox\", accessMode: \"open\", approvedBy: \"surgery-dev\", date: \"2026-01-02\"}]\n")}
	head["consumers/new-org/consumer.cue"] = &fstest.MapFile{Data: []byte("owners: [\"newbie\"]\n")}
	head["publishers/new-pub/publisher.cue"] = &fstest.MapFile{Data: []byte("owners: [\"newbie\"]\n")}
	// CODEOWNERS brought up to date, as `frontdoor new` writes it.
	g, err := ReadGovernance(head)
	if err != nil {
		panic(err)
	}
	head["CODEOWNERS"] = &fstest.MapFile{Data: []byte(CodeOwners(g))}
	return base, head
}

func TestAuthorityReadingOnlyTheChangedDirectoriesJudgesAsReadingAll(t *testing.T) {
	base, head := governanceRepos()
	all, err := fsChanges(base, head)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("the repositories differ in %d paths, want at least 5", len(all))
	}
	authority := func(scope *governanceScope, actor string) *Authority {
		t.Helper()
		b, err1 := readGovernance(base, scope)
		h, err2 := readGovernance(head, scope)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return &Authority{Base: b, Head: h, BeforeFS: base, HeadFS: head, Actor: actor}
	}
	found := 0
	for _, actor := range []string{"acme-dev", "clinic-dev", "surgery-dev", "beta-dev", "newbie", "op"} {
		// Every single change, and all of them together.
		sets := [][]report.Change{all}
		for _, ch := range all {
			sets = append(sets, []report.Change{ch})
		}
		for _, changes := range sets {
			want, err := authority(nil, actor).Check(changes)
			if err != nil {
				t.Fatal(err)
			}
			got, err := authority(scopeOf(changes), actor).Check(changes)
			if err != nil {
				t.Fatal(err)
			}
			found += len(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %v:\nscoped %v\nall    %v", actor, changes, got, want)
			}
		}
	}
	if found == 0 {
		t.Fatal("no change was refused: the comparison shows nothing")
	}
}

func TestACodeOwnersChangeReadsEveryDirectory(t *testing.T) {
	sc := scopeOf([]report.Change{{Path: "publishers/acme/apis/x.cue", Action: report.Modified}, {Path: "CODEOWNERS", Action: report.Modified}})
	if sc != nil {
		t.Errorf("scope %+v, want every directory", sc)
	}
}

func TestScopeCoversTheConsumerOfAGrantsFile(t *testing.T) {
	sc := scopeOf([]report.Change{{Path: "publishers/acme/grants/clinic.cue", Action: report.Modified}})
	if !sc.has("publishers", "acme") || !sc.has("consumers", "clinic") || sc.has("consumers", "acme") || sc.has("publishers", "clinic") {
		t.Errorf("scope %+v", sc)
	}
}
