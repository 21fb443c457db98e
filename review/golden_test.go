package review

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/report"
)

// updateGolden rewrites golden files instead of comparing with them.
func updateGolden() bool { return os.Getenv("FRONTDOOR_UPDATE_GOLDEN") == "1" }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if updateGolden() {
		testutil.WriteFile(t, p, got)
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (FRONTDOOR_UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s\n(FRONTDOOR_UPDATE_GOLDEN=1 rewrites it)", p, got, want)
	}
}

// newGrant is a grants file of nhsbsa for northgate-gp-systems: one
// production grant.
const newGrant = `grants: [{
	app:         "clinical-system"
	api:         "prescription-exemptions"
	environment: "production"
	accessMode:  "app-level3"
	expires:     "2027-06-30"
	approvedBy:  "nhsbsa-api-team"
	date:        "2026-07-01"
}]
`

// busyPullRequest is a pull request that changes a bit of everything.
func busyPullRequest(t *testing.T) (*testRepo, string, string) {
	t.Helper()
	r := newTestRepo(t)
	r.copyTree(example)
	base := r.Commit("the platform", nil)
	r.branch("busy")
	// A grant added, one changed, a file of grants removed.
	r.Write("publishers/nhsbsa/grants/northgate-gp-systems.cue", newGrant)
	r.replace("publishers/nhsbsa/grants/northshire-icb.cue", `limit: 1200, per: "minute"`, `limit: 2400, per: "minute"`)
	if err := os.Remove(filepath.Join(r.Dir, "publishers/nice/grants/healthy-apps.cue")); err != nil {
		t.Fatal(err)
	}
	// An API goes stable, another's upstream moves, a document breaks.
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.replace("publishers/nhsbsa/apis/prescription-exemptions.cue",
		`"https://exemptions.int.nhsbsa.internal.example/api"`, `"https://exemptions.int2.nhsbsa.internal.example/api"`)
	r.replace("publishers/nhsbsa/apis/dental-contracts.yaml", "  /contracts/{contractNumber}/activity:", "  /contracts/{contractNumber}/deliveries:")
	// A key rotated, an organisation registers.
	r.replace("consumers/riverside-pharmacy/consumer.cue",
		`"d2b9ba67aa760a551f8b935aa49a9422719a42eff73ced859517a0547b55eddd"`,
		`"1111111111111111111111111111111111111111111111111111111111111111"`)
	r.Write("consumers/west-clinic/consumer.cue", `name: "West Clinic"
dspt: "standards-met"
contact: {name: "Ada Example", email: "ada@west.example"}
owners: ["west-dev"]
apps: portal: {name: "West Clinic portal", apiKeys: k1: {sha256: "2222222222222222222222222222222222222222222222222222222222222222", environments: ["sandbox"]}}
`)
	// Platform policy: a category, shorter log retention.
	r.replace("frontdoor.cue", "retentionDays:          90", "retentionDays:          60")
	r.Write("frontdoor.cue", r.read("frontdoor.cue")+`
publisherCategories: "private-provider": {
	description: "Independent sector providers of NHS-funded care."
	approvedBy: {operator: "nhse-platform-lead", department: "dhsc-digital-policy", date: "2026-11-20"}
}
`)
	head := r.Commit("a bit of everything", nil)
	return r, base, head
}

var goldenNow = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func TestDiffTextAndCommentMatchTheGoldenFiles(t *testing.T) {
	r, base, head := busyPullRequest(t)
	out, err := DiffGit(context.Background(), PullRequest{Repo: r.Dir, Base: base, Head: head}, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	out.Base, out.Head = "main", "busy" // hashes change with every run
	var text bytes.Buffer
	if err := report.Write(&text, report.FormatText, out); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.txt", text.Bytes())
	golden(t, "diff.md", []byte(report.Markdown(out, report.MaxCommentSize)))
}

func TestDiffNamesWhoGainsAccessInPlainEnglish(t *testing.T) {
	r, base, head := busyPullRequest(t)
	out, err := DiffGit(context.Background(), PullRequest{Repo: r.Dir, Base: base, Head: head}, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	want := "app clinical-system of org northgate-gp-systems gains production access to nhsbsa/prescription-exemptions v1 (app-level3, 10/second) — granted by nhsbsa, expires 2027-06-30"
	for _, g := range out.Summary.Groups {
		for _, l := range g.Lines {
			if l == want {
				if g.ID != "nhsbsa" {
					t.Errorf("got the line under %s, want it under nhsbsa", g.Title())
				}
				return
			}
		}
	}
	var b strings.Builder
	_ = report.Write(&b, report.FormatText, out)
	t.Errorf("got\n%s\nwant a line %q", b.String(), want)
}

func TestDiffIsDeterministic(t *testing.T) {
	r, base, head := busyPullRequest(t)
	var outs []string
	for range 3 {
		out, err := DiffGit(context.Background(), PullRequest{Repo: r.Dir, Base: base, Head: head}, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := report.Write(&b, report.FormatJSON, out); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.String())
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Errorf("got different outputs for the same revisions:\n%s\n---\n%s", outs[0], outs[1])
	}
}
