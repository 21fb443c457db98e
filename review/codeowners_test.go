package review

import (
	"os"
	"strings"
	"testing"
)

func TestCodeOwnersListsEveryOwnedDirectoryAfterTheDefaults(t *testing.T) {
	g, err := ReadGovernance(os.DirFS(example))
	if err != nil {
		t.Fatal(err)
	}
	co := CodeOwners(g)
	lines := strings.Split(co, "\n")
	idx := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix+" ") || l == prefix {
				return i
			}
		}
		return -1
	}
	if idx("*") < 0 || idx("*") > idx("/publishers/nhsbsa/") {
		t.Errorf("got\n%s\nwant the default line before the publishers'", co)
	}
	if !strings.Contains(co, "/publishers/nhsbsa/") || !strings.Contains(lines[idx("/publishers/nhsbsa/")], "@nhsbsa-api-team @nhsbsa-digital-lead") {
		t.Errorf("got\n%s\nwant nhsbsa's owners on its line", co)
	}
	if got := lines[idx("/consumers/")]; got != "/consumers/" {
		t.Errorf("got %q, want /consumers/ without owners (anyone registers)", got)
	}
}
