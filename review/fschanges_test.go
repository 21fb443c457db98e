package review

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/report"
)

func TestADirectoryDiffLeavesOutWhatGitignoreIgnores(t *testing.T) {
	base := fstest.MapFS{
		".gitignore":                    {Data: []byte("/out/\n*.log\n")},
		"frontdoor.cue":                 {Data: []byte("name: \"a\"\n")},
		"publishers/acme/publisher.cue": {Data: []byte("name: \"Acme\"\n")},
		"out/snapshot.json":             {Data: []byte("{}")},
	}
	head := fstest.MapFS{
		".gitignore":                    {Data: []byte("/out/\n*.log\n")},
		"frontdoor.cue":                 {Data: []byte("name: \"a\"\n")},
		"publishers/acme/publisher.cue": {Data: []byte("name: \"Acme Health\"\n")},
		"out/catalog/index.html":        {Data: []byte("<html>")},
		"publishers/acme/build.log":     {Data: []byte("x")},
		"consumers/clinic/consumer.cue": {Data: []byte("name: \"Clinic\"\n")},
	}
	got, err := fsChanges(base, head)
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Change{
		{Path: "consumers/clinic/consumer.cue", Action: report.Added},
		{Path: "publishers/acme/publisher.cue", Action: report.Modified},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
