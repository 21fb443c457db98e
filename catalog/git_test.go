package catalog

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/frontdoor-dev/frontdoor/internal/testgit"
)

// gitRepo makes a repository in a subdirectory "config" of a work tree with
// one commit per step, an hour apart, and returns the work tree's root.
func gitRepo(t *testing.T, steps []map[string]string) string {
	t.Helper()
	r := testgit.New(t, time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC))
	r.Step = time.Hour
	for _, files := range steps {
		for name, content := range files {
			name = path.Join("config", name)
			if content == "" {
				if err := os.Remove(filepath.Join(r.Dir, filepath.FromSlash(name))); err != nil {
					t.Fatal(err)
				}
				continue
			}
			r.Write(name, content)
		}
		sig := &object.Signature{Name: "Jane Consumer", Email: "jane.consumer@pharmacy-co.example"}
		r.Commit("step for Jane Consumer jane.consumer@pharmacy-co.example", &git.CommitOptions{Author: sig, Committer: sig})
	}
	return r.Dir
}

func TestChangesFromGitListsAPIAndPublisherChangesNewestFirst(t *testing.T) {
	dir := gitRepo(t, []map[string]string{
		{"publishers/nhsbsa/publisher.cue": "a", "approvals/onboarding/nhsbsa.cue": "a", "frontdoor.cue": "a"},
		{"publishers/nhsbsa/apis/exemptions.cue": "a", "publishers/nhsbsa/apis/exemptions.yaml": "a"},
		{"consumers/pharmacy-co/consumer.cue": "a", "publishers/nhsbsa/grants/pharmacy-co.cue": "a"},
		{"approvals/launch/nhsbsa.exemptions.cue": "a", "publishers/nhsbsa/apis/exemptions.yaml": "b"},
		{"publishers/nhsbsa/apis/exemptions.cue": ""},
	})
	changes, err := ChangesFromGit(filepath.Join(dir, "config"), "HEAD", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Date.Format("15:04")+" "+c.Title+" | "+strings.SplitN(c.Summary, " changed ", 2)[1])
	}
	want := []string{
		"13:00 API nhsbsa/exemptions removed | the configuration of api nhsbsa/exemptions.",
		"12:00 API nhsbsa/exemptions updated | the launch approval and specification of api nhsbsa/exemptions.",
		"10:00 API nhsbsa/exemptions added | the configuration and specification of api nhsbsa/exemptions.",
		"09:00 Publisher nhsbsa added | the onboarding approval and publisher details of publisher nhsbsa.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range changes {
		for _, s := range []string{c.Title, c.Summary} {
			if strings.Contains(s, "Jane") || strings.Contains(s, "pharmacy-co") {
				t.Errorf("change %q names a person or a consumer", s)
			}
		}
	}

	limited, err := ChangesFromGit(filepath.Join(dir, "config"), "HEAD~1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(limited) != 2 || limited[0].Date.Hour() != 12 {
		t.Errorf("got %d changes from HEAD~1 with limit 2 (first at %v), want 2 starting at 12:00", len(limited), limited)
	}
	when, err := CommitTime(dir, "HEAD")
	if err != nil || !when.Equal(time.Date(2024, 6, 1, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("got commit time %v (err %v), want 2024-06-01 13:00 UTC", when, err)
	}
}

func TestChangesFromGitFailsOnAMissingRepository(t *testing.T) {
	if _, err := ChangesFromGit(t.TempDir(), "HEAD", 10); err == nil {
		t.Error("got no error for a directory that is not a git repository")
	}
}
