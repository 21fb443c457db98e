package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

// contactRE finds the contact block of a consumer.cue: its person's name
// and email.
var contactRE = regexp.MustCompile(`(?s)contact:\s*\{\s*name:\s*"([^"]+)"\s*email:\s*"([^"]+)"`)

func TestTheExamplePlatformsBuildShowsNoConsumerContact(t *testing.T) {
	root := "../../examples/national-health-platform"
	files, err := filepath.Glob(filepath.Join(root, "consumers", "*", "consumer.cue"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no consumers in %s: %v", root, err)
	}
	var contacts []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := contactRE.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no contact block", f)
		}
		contacts = append(contacts, string(m[1]), string(m[2]))
	}
	out := t.TempDir()
	if code := run([]string{"build", root, "-o", out, "--no-cache"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatalf("build: exit %d", code)
	}
	leaks, n := testutil.FindInTree(t, out, contacts)
	for _, l := range leaks {
		t.Errorf("a consumer contact is shown: %s", l)
	}
	// The snapshot, catalogue.json and the site's pages were all looked at.
	for _, want := range []string{"snapshot.json", "catalog/catalogue.json", "catalog/index.html"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("the build wrote no %s", want)
		}
	}
	if n < 20 {
		t.Errorf("got %d files, want the whole site", n)
	}
}
