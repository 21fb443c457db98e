package snapshot

import (
	"strings"
	"testing"
)

// rsaN is a base64url RSA modulus (its first byte is 0xc6).
const rsaN = "xmZK0o7uKQKmT-vwolL81Z0bfDzut7ejaR3URgwzuc4EBtx0Iy35uxkEVoE7xNhWdt5WiZc"

// withSecondApp returns the sample with a second app in another org.
func withSecondApp(edit func(first, second *App)) *Snapshot {
	s := sample()
	s.Consumers = append(s.Consumers, Consumer{ID: "zeta", Name: "Zeta", DSPT: "standards-met", Apps: []App{{
		ID: "zeta/tool", Org: "zeta", Name: "Tool",
		APIKeys: []APIKey{{ID: "k1", SHA256: strings.Repeat("cd", 32), Environments: []string{EnvSandbox}}},
	}}})
	edit(&s.Consumers[0].Apps[0], &s.Consumers[1].Apps[0])
	return s
}

func TestConsistentRefusesACredentialHeldTwice(t *testing.T) {
	ec := JWK{Kid: "a", Kty: "EC", Crv: "P-256", X: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", Y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
	for _, tc := range []struct {
		name string
		edit func(first, second *App)
		want string
	}{
		{"an api-key hash of another app", func(a, b *App) { b.APIKeys[0].SHA256 = a.APIKeys[0].SHA256 }, "has the hash of api key k1 of app acme/finder"},
		{"an api-key hash listed twice by one app", func(a, _ *App) {
			a.APIKeys = append(a.APIKeys, APIKey{ID: "k2", SHA256: a.APIKeys[0].SHA256, Environments: []string{EnvSandbox}})
		}, "api key k2 has the hash of api key k1 of app acme/finder"},
		{"an rsa key of another app under another kid", func(a, b *App) {
			a.JWKs = []JWK{{Kid: "mine", Kty: "RSA", N: rsaN, E: "AQAB"}}
			b.JWKs = []JWK{{Kid: "theirs", Kty: "RSA", Alg: "RS512", N: rsaN, E: "AQAB"}}
		}, `jwk "theirs" is the public key of jwk mine of app acme/finder`},
		{"an rsa key spelt with padding and a leading zero byte", func(a, b *App) {
			a.JWKs = []JWK{{Kid: "mine", Kty: "RSA", N: rsaN, E: "AQAB"}}
			b.JWKs = []JWK{{Kid: "theirs", Kty: "RSA", N: "AMZmStKO7ikCpk_r8KJS_NWdG3w87re3o2kd1EYMM7nOBAbcdCMt-bsZBFaBO8TYVnbeVomX", E: "AQAB=="}}
		}, "is the public key of"},
		{"an ec key of another app", func(a, b *App) {
			a.JWKs = []JWK{ec}
			other := ec
			other.Kid = "b"
			b.JWKs = []JWK{other}
		}, "is the public key of"},
		{"an ec key listed twice by one app", func(a, _ *App) {
			other := ec
			other.Kid = "b"
			a.JWKs = []JWK{ec, other}
		}, `app acme/finder: jwk "b" is the public key of jwk a of app acme/finder`},
		{"an okp key of another app", func(a, b *App) {
			a.JWKs = []JWK{{Kid: "a", Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}
			b.JWKs = []JWK{{Kid: "b", Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}}
		}, "is the public key of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := withSecondApp(tc.edit).Consistent()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConsistentAcceptsDistinctKeysOfOneShape(t *testing.T) {
	s := withSecondApp(func(a, b *App) {
		a.JWKs = []JWK{{Kid: "k", Kty: "RSA", N: rsaN, E: "AQAB"}}
		// Same modulus, another exponent: another key.
		b.JWKs = []JWK{{Kid: "k", Kty: "RSA", N: rsaN, E: "AQAD"}}
	})
	if err := s.Consistent(); err != nil {
		t.Fatal(err)
	}
}

func TestConsistentRefusesReservedOrRepeatedIdentityHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    IdentityHeaders
		want string
	}{
		{"a framing header", IdentityHeaders{Level: "Content-Type"}, `"Content-Type" frames the message`},
		{"transfer-encoding in lower case", IdentityHeaders{App: "transfer-encoding"}, "frames the message"},
		{"host", IdentityHeaders{Org: "Host"}, "routes the request"},
		{"authorization", IdentityHeaders{User: "AUTHORIZATION"}, "carries credentials"},
		{"cookie", IdentityHeaders{User: "Cookie"}, "carries credentials"},
		{"a hop-by-hop header", IdentityHeaders{App: "Connection"}, "hop-by-hop"},
		{"a forwarding header", IdentityHeaders{App: "X-Forwarded-For"}, "forwarding"},
		{"forwarded", IdentityHeaders{App: "Forwarded"}, "forwarding"},
		{"a forwarding header with underscores", IdentityHeaders{App: "X_Forwarded_Host"}, "forwarding"},
		{"the gateway's request id", IdentityHeaders{App: "X-Request-Id"}, "gateway's own"},
		{"the gateway's generation header", IdentityHeaders{App: "X-Frontdoor-Generation"}, "gateway's own"},
		{"not a token", IdentityHeaders{App: "X App"}, "not a valid header name"},
		{"a name with a colon", IdentityHeaders{App: ":authority"}, "not a valid header name"},
		{"one name twice", IdentityHeaders{App: "X-Caller", Org: "x-caller"}, `"x-caller" is declared twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sample()
			s.APIs[0].IdentityHeaders = tc.h
			err := s.Consistent()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestIdentityHeaderProblemAcceptsOrdinaryNames(t *testing.T) {
	for _, n := range append([]string{"X-App", "X-Caller-Org", "NHSD-Session-URID", "X-Content"}, DefaultIdentityHeaders...) {
		if why := IdentityHeaderProblem(n); why != "" {
			t.Errorf("%s: got %q, want no problem", n, why)
		}
	}
}
