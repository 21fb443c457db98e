package catalog

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	s.Consumers[0].Name = "Pharmacy Co (contact Jane Consumer, jane.consumer@pharmacy-co.example)"
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
		// consumers, their apps and credentials
		"pharmacy-co", "FX123", "Till App", snap.Consumers[0].Apps[0].APIKeys[0].SHA256,
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
	files := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, f := range forbidden {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(f))) {
				t.Errorf("%s contains %q", p, f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
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
