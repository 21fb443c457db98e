package snapshot

import (
	"regexp"
	"strings"
	"testing"
)

// The schema's #ID pattern and the "owner/name" pattern made of two.
var (
	schemaID          = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	schemaQualifiedID = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?/[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
)

var idCases = []string{
	"", "a", "0", "-", "a-", "-a", "a-b", "a--b", "nhsbsa", "Nhsbsa", "a_b", "a.b", "a b", "é",
	"a\n", "\na", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a", 63) + "-",
	"a/b", "a/", "/b", "a/b/c", "a//b", "-a/b", "a/b-", strings.Repeat("a", 64) + "/" + strings.Repeat("b", 64),
	strings.Repeat("a", 65) + "/b",
}

func TestIsIDAgreesWithTheSchemasPattern(t *testing.T) {
	for _, s := range idCases {
		if got, want := IsID(s), schemaID.MatchString(s); got != want {
			t.Errorf("IsID(%q): got %v, want %v", s, got, want)
		}
	}
}

func TestIsQualifiedIDAgreesWithTheOwnerNamePattern(t *testing.T) {
	for _, s := range idCases {
		if got, want := IsQualifiedID(s), schemaQualifiedID.MatchString(s); got != want {
			t.Errorf("IsQualifiedID(%q): got %v, want %v", s, got, want)
		}
	}
}

func FuzzIsIDAgreesWithTheSchemasPattern(f *testing.F) {
	for _, s := range idCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsID(s), schemaID.MatchString(s); got != want {
			t.Errorf("IsID(%q): got %v, want %v", s, got, want)
		}
		if got, want := IsQualifiedID(s), schemaQualifiedID.MatchString(s); got != want {
			t.Errorf("IsQualifiedID(%q): got %v, want %v", s, got, want)
		}
	})
}
