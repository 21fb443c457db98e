package snapshot

import "strings"

// IsID reports whether s is an ID as the schema's #ID writes one: 1 to 64
// lowercase letters, digits and hyphens, neither first nor last a hyphen.
// Publishers, APIs, consumers, apps and environments are named by IDs.
func IsID(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// IsQualifiedID reports whether s is two IDs joined by a slash: an API's
// "<publisher>/<api>" or an app's "<org>/<app>".
func IsQualifiedID(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && IsID(owner) && IsID(name)
}
