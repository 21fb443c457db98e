package catalog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/usage"
)

// testUsage is a dataset of three months: nhsbsa/exemptions busy from 12
// organisations, nhsbsa/hello used a few times, trust-a/beds busy from 3.
func testUsage(t *testing.T) *usage.Dataset {
	t.Helper()
	s := usage.NewSet()
	for i, date := range []string{"2026-09-14", "2026-10-02", "2026-11-20"} {
		a := &usage.Aggregate{Replica: "gw-1", Date: date}
		for org := range 12 {
			a.Groups = append(a.Groups, usage.NewGroup("production", "nhsbsa/exemptions",
				fmt.Sprintf("secret-org-%d/app", org), 200, usage.Hist{usage.BucketOf(uint64(2000 + 100*i)): uint64(50 + i)}))
		}
		a.Groups = append(a.Groups,
			usage.NewGroup("production", "nhsbsa/exemptions", "secret-org-0/app", 503, usage.Hist{usage.BucketOf(9000): 3}),
			usage.NewGroup("production", "nhsbsa/hello", "secret-org-1/app", 200, usage.Hist{usage.BucketOf(800): 4}),
			usage.NewGroup("production", "trust-a/beds", "secret-org-2/app", 200, usage.Hist{usage.BucketOf(1200): 400}),
			usage.NewGroup("production", "trust-a/beds", "secret-org-3/app", 200, usage.Hist{usage.BucketOf(1200): 20}),
			usage.NewGroup("production", "trust-a/beds", "secret-org-4/app", 200, usage.Hist{usage.BucketOf(1200): 20}),
		)
		usage.SortGroups(a.Groups)
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	return usage.Publish(s)
}

func usageSite(t *testing.T) *Site {
	t.Helper()
	opts := testOptions()
	opts.Usage = testUsage(t)
	site, err := Build(testSnapshot(), testSpecs(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return site
}

func TestUsageIsPublishedOnTheAPIPublisherAndPlatformPages(t *testing.T) {
	site := usageSite(t)
	for _, c := range []struct{ page, want string }{
		{"apis/nhsbsa/exemptions/index.html", `<h2 id="usage">Usage</h2>`},
		{"apis/nhsbsa/exemptions/index.html", "<td>615</td>"}, // 12 × 51 + 3 in October
		{"apis/nhsbsa/exemptions/index.html", "<td>12</td>"},
		{"apis/nhsbsa/hello/index.html", "<td>fewer than 10</td>"},
		{"apis/trust-a/beds/index.html", "<td>fewer than 10</td>"}, // 3 organisations
		// hello's 4 requests are left out of nhsbsa's total: 615, not 619.
		{"publishers/nhsbsa/index.html", "<td>615 (leaves out 1 figure too small to publish)</td>"},
		{"usage/index.html", `<svg role="img"`},
		{"usage/index.html", "<caption>Usage per month in production</caption>"},
		{"index.html", `href="./usage/"`},
	} {
		b, ok := site.File(c.page)
		if !ok {
			t.Fatalf("no %s", c.page)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s lacks %q", c.page, c.want)
		}
	}
	for _, f := range []string{"usage.json", "usage.schema.json"} {
		if _, ok := site.File(f); !ok {
			t.Errorf("the site has no %s", f)
		}
	}
}

func TestUsageNamesNoOrganisationOrReplica(t *testing.T) {
	if leaks := usageSite(t).Leaks([]string{"secret-org", "gw-1"}); len(leaks) > 0 {
		t.Fatalf("the site names consumers or replicas: %v", leaks)
	}
}

func TestASiteWithoutUsageHasNoUsagePages(t *testing.T) {
	site, err := Build(testSnapshot(), testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range site.Files() {
		if strings.HasPrefix(f, "usage") {
			t.Errorf("site has %s without a usage dataset", f)
		}
	}
	if b, _ := site.File("apis/nhsbsa/exemptions/index.html"); strings.Contains(string(b), `id="usage"`) {
		t.Error("API page has a usage section without a usage dataset")
	}
}
