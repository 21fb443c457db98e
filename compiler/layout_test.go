package compiler

import (
	"path"
	"strings"
	"testing"
)

// ignoredNameBySplitting is ignoredName as first written: it splits the
// path and compares the upper case of its base name.
func ignoredNameBySplitting(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	base := strings.ToUpper(path.Base(p))
	if base == "CODEOWNERS" {
		return true
	}
	for _, prefix := range []string{"README", "LICENSE", "LICENCE", "NOTICE", "CONTRIBUTING"} {
		if strings.HasPrefix(base, prefix) {
			return true
		}
	}
	return false
}

func TestIgnoredNamesAreTheSameAsComparingUpperCase(t *testing.T) {
	for _, p := range []string{
		"frontdoor.cue", ".github/workflows/ci.yaml", "publishers/a/.hidden/x.cue", "publishers/a/x.cue.",
		"README.md", "readme", "ReadMe.txt", "publishers/a/Readme.md", "READM", "codeowners", "CODEOWNERS.md",
		"docs/CodeOwners", "license", "LICENCE-2", "notice.txt", "Contributing.md", "contribut",
		"LICENſE", "licenſe.md", "ſ", "README\u212a", "\u212aodeowners", "NOTİCE", "nötice", "a/b/c.d/e",
		"publishers/a..b/x.cue", "x/.", "./x",
	} {
		if got, want := ignoredName(p), ignoredNameBySplitting(p); got != want {
			t.Errorf("ignoredName(%q) = %v, want %v", p, got, want)
		}
	}
}
