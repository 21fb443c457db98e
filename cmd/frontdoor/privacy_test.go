package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	n := 0
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, c := range contacts {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(c))) {
				t.Errorf("%s shows the consumer contact %q", strings.TrimPrefix(p, out), c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
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
