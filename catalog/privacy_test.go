package catalog

import (
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// consumerContacts are consumer contact names and emails as a caller that
// holds them (e.g. from an onboarding system) would pass them: they must
// never appear on the catalogue.
var consumerContacts = []string{"Jane Consumer", "jane.consumer@pharmacy-co.example", "Raj Developer", "raj@pharmacy-co.example"}

// privacySnapshot is the fixture with consumer contacts planted everywhere
// the snapshot has room for consumer-side data.
func privacySnapshot() *snapshot.Snapshot {
	s := testSnapshot()
	// The organisation's name and recipient category are public (its
	// "integrated organisations" entry); its people, apps and credentials
	// are not.
	s.Consumers[0].RecipientCategory = "community-pharmacy"
	s.Consumers[0].Apps[0].Name = "Till App by Raj Developer raj@pharmacy-co.example"
	s.Consumers[0].Apps[0].JWKSURL = "https://pharmacy-co.example/raj@pharmacy-co.example/jwks.json"
	s.Entitlements[0].Approval.By = "Jane Consumer"
	s.Entitlements[0].Approval.Reference = "raj@pharmacy-co.example"
	return s
}

func TestSiteShowsNoConsumerDataApproverOrUpstream(t *testing.T) {
	site, err := Build(privacySnapshot(), testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	snap := privacySnapshot()
	forbidden := append([]string{}, consumerContacts...)
	forbidden = append(forbidden,
		// consumers' IDs and ODS codes, their apps and credentials
		"pharmacy-co", "FX123", "Till App", "pharmacy-co/till", snap.Consumers[0].Apps[0].APIKeys[0].SHA256,
		// people who approved things
		"Ops Approver Person", "Onboarding Approver Person", "Grant Approver Person",
		// the gateway's internals
		"internal-upstream.example", "EXEMPTIONS_INT_SECRET_NAME",
	)
	if leaks := site.Leaks(forbidden); len(leaks) > 0 {
		t.Errorf("the site shows what it must not:\n%s", strings.Join(leaks, "\n"))
	}

	// And the same on the whole tree written to disk.
	dir := t.TempDir()
	if _, err := site.Write(dir); err != nil {
		t.Fatal(err)
	}
	leaks, files := testutil.FindInTree(t, dir, forbidden)
	for _, l := range leaks {
		t.Errorf("on disk: %s", l)
	}
	if files < len(site.Files()) {
		t.Errorf("got %d files on disk, want at least %d", files, len(site.Files()))
	}
}

func TestLeaksFindsAForbiddenString(t *testing.T) {
	site := buildTestSite(t)
	got := site.Leaks([]string{"prescription exemptions", ""})
	if len(got) == 0 || !strings.HasSuffix(got[0], ": prescription exemptions") {
		t.Errorf("got %q, want files that contain the title of an API", got)
	}
}

func TestIntegratedOrganisationsShowOrganisationNamesAndCategoriesOnly(t *testing.T) {
	s := privacySnapshot()
	s.Platform.RecipientCategories = []snapshot.PolicyTerm{{ID: "community-pharmacy", Description: "Community pharmacies"}}
	site, err := Build(s, testSpecs(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := site.File("apis/nhsbsa/exemptions/index.html")
	page := string(b)
	if want := "<li>Pharmacy Co Consumer Org (Community pharmacies)</li>"; !strings.Contains(page, want) {
		t.Errorf("the API page lacks %q", want)
	}
	// Another API, not granted to the organisation, does not list it.
	if other, _ := site.File("apis/trust-a/beds/index.html"); strings.Contains(string(other), "Pharmacy Co") {
		t.Error("an API the organisation has no grant of lists it")
	}
}

func TestIntegratedOrganisationsCanComeWithoutTheEntitlements(t *testing.T) {
	s := privacySnapshot()
	integrated := IntegratedOrgs(s)
	s.Entitlements = nil
	s.Consumers = OrganisationsOnly(s.Consumers)
	opts := testOptions()
	opts.Integrated = integrated
	site, err := Build(s, testSpecs(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if page, _ := site.File("apis/nhsbsa/exemptions/index.html"); !strings.Contains(string(page), "Pharmacy Co Consumer Org") {
		t.Error("the API page does not list the organisation given in Options.Integrated")
	}
	for _, c := range s.Consumers {
		if len(c.Apps) > 0 || c.ODSCode != "" || c.DSPT != "" {
			t.Errorf("OrganisationsOnly kept more than names and categories: %+v", c)
		}
	}
}
