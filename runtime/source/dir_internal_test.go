package source

import (
	"path/filepath"
	"testing"
)

func TestInTreeIgnoresHiddenFilesAndOtherDirectories(t *testing.T) {
	root := filepath.FromSlash("/cfg/repo")
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/cfg/repo", true},
		{"/cfg/repo/frontdoor.cue", true},
		{"/cfg/repo/publishers/x/apis/y.cue", true},
		{"/cfg/repo/.git/index", false},
		{"/cfg/repo/publishers/.y.cue.swp", false},
		{"/cfg/repo2/frontdoor.cue", false},
		{"/cfg/other", false},
	} {
		if got := inTree(root, filepath.FromSlash(tc.path)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.path, got, tc.want)
		}
	}
}
