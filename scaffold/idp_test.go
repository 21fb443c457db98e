package scaffold

import (
	"slices"
	"strings"
	"testing"
)

func TestIdentityProviderFlagsNameAFamilyAndItsLevels(t *testing.T) {
	for _, tc := range []struct {
		name, flag string
		wantClaim  string
		wantLevels []Level
		wantErr    string
	}{
		{"nhs-cis2", "nhs-cis2,issuer=https://cis2.example,jwks=https://cis2.example/jwks", "authentication_assurance_level",
			[]Level{{"1", "nhs-cis2-aal1"}, {"3", "nhs-cis2-aal3"}}, ""},
		{"nhs-login with an audience", "nhs-login,issuer=https://login.example,jwks=https://login.example/jwks,audience=platform", "identity_proofing_level",
			[]Level{{"P0", "nhs-login-p0"}, {"P5", "nhs-login-p5"}, {"P9", "nhs-login-p9"}}, ""},
		{"an unknown family", "okta,issuer=https://okta.example,jwks=https://okta.example/jwks", "", nil, "want nhs-cis2 or nhs-login"},
		{"a plain-text issuer", "nhs-cis2,issuer=http://cis2.example,jwks=https://cis2.example/jwks", "", nil, "issuer= must be an https URL"},
		{"no JWKS URL", "nhs-cis2,issuer=https://cis2.example", "", nil, "jwks= must be an https URL"},
		{"an unknown setting", "nhs-cis2,issuer=https://cis2.example,jwks=https://cis2.example/jwks,scope=x", "", nil, `unknown "scope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseIdentityProvider(tc.flag)
			if errorWanted(t, err, tc.wantErr) {
				return
			}
			if p.LevelClaim != tc.wantClaim || !slices.Equal(p.Levels, tc.wantLevels) {
				t.Errorf("got claim %q levels %v, want %q %v", p.LevelClaim, p.Levels, tc.wantClaim, tc.wantLevels)
			}
		})
	}
}

// errorWanted fails t unless err is nil or, when want is set, an error
// saying want; it reports whether an error was wanted.
func errorWanted(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error with %q", err, want)
	}
	return true
}
