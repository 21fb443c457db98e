package scaffold

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// IdentityProvider is an OIDC issuer of user-restricted access modes, as
// frontdoor.cue's identityProviders holds it.
type IdentityProvider struct {
	// Name is the family of access modes it serves: nhs-cis2 or nhs-login.
	Name            string
	Issuer, JWKSURL string
	Audience        string
	// LevelClaim and Levels follow from the family.
	LevelClaim string
	Levels     []Level
}

// Level maps a value of the level claim to the access mode it satisfies.
type Level struct{ Value, Mode string }

// levelClaims are the claims that carry each family's level, and how a
// level's rank is written in it.
var levelClaims = map[string]struct {
	claim  string
	prefix string
}{
	"nhs-cis2":  {"authentication_assurance_level", ""},
	"nhs-login": {"identity_proofing_level", "P"},
}

// ParseIdentityProvider reads the --identity-provider flag of init:
// NAME,issuer=URL,jwks=URL[,audience=AUD], where NAME is nhs-cis2 or
// nhs-login. The claim and levels are those of the family: nhs-cis2's
// authentication_assurance_level 1 and 3, nhs-login's
// identity_proofing_level P0, P5 and P9.
func ParseIdentityProvider(s string) (IdentityProvider, error) {
	parts := strings.Split(s, ",")
	p := IdentityProvider{Name: parts[0]}
	lc, ok := levelClaims[p.Name]
	if !ok {
		return p, fmt.Errorf("--identity-provider %q: want nhs-cis2 or nhs-login first, then issuer=URL,jwks=URL[,audience=AUD]", s)
	}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "issuer":
			p.Issuer = v
		case "jwks":
			p.JWKSURL = v
		case "audience":
			p.Audience = v
		default:
			return p, fmt.Errorf("--identity-provider %s: unknown %q (want issuer=, jwks= or audience=)", p.Name, k)
		}
	}
	for _, u := range []struct{ name, v string }{{"issuer", p.Issuer}, {"jwks", p.JWKSURL}} {
		if pu, err := url.Parse(u.v); err != nil || pu.Scheme != "https" || pu.Host == "" {
			return p, fmt.Errorf("--identity-provider %s: %s= must be an https URL", p.Name, u.name)
		}
	}
	p.LevelClaim = lc.claim
	for _, m := range snapshot.UserModes {
		if fam, rank := snapshot.UserLevel(m); fam == p.Name {
			p.Levels = append(p.Levels, Level{Value: lc.prefix + strconv.Itoa(rank), Mode: m})
		}
	}
	return p, nil
}
