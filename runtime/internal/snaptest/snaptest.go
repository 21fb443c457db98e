// Package snaptest builds valid snapshots by hand for the runtime's tests and
// benchmarks, without the compiler.
package snaptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Hosts of the environments of every built snapshot.
const (
	SandboxHost     = "sandbox.api.test"
	IntegrationHost = "int.api.test"
	ProductionHost  = "api.test"
)

// Options size a snapshot.
type Options struct {
	Generation uint64
	Commit     string
	// Publishers, APIs (spread over the publishers), Apps (one consumer
	// organisation per ten apps) and entitlements per app.
	Publishers, APIs, Apps, GrantsPerApp int
	// Upstream returns the upstream of an API in an environment; the
	// default is http://upstream.invalid/<api>.
	Upstream func(api, env string) string
	// Description, when set, is every API's description (to size it).
	Description string
}

// Small is one publisher with three APIs and one app.
func Small(gen uint64, upstream string) *snapshot.Snapshot {
	return New(Options{Generation: gen, Publishers: 1, APIs: 3, Apps: 1, GrantsPerApp: 2,
		Upstream: func(string, string) string { return upstream }})
}

// Large is the L corpus's shape: 1,000 publishers, 10,000 APIs, 10,000 apps
// and 100,000 entitlements.
func Large(gen uint64) *snapshot.Snapshot {
	return New(Options{Generation: gen, Publishers: 1000, APIs: 10000, Apps: 10000, GrantsPerApp: 10,
		Description: strings.Repeat("An API of the national health platform. ", 12)})
}

// APIKey returns the API key of app number i ("key-<i>").
func APIKey(i int) string { return fmt.Sprintf("key-%d", i) }

// AppID returns the ID of app number i.
func AppID(i int) string { return fmt.Sprintf("org%d/app%d", i/10, i) }

// APIID returns the ID of API number i.
func APIID(i, publishers int) string { return fmt.Sprintf("pub%d/api%d", i%publishers, i) }

// New builds a normalised, consistent snapshot.
func New(o Options) *snapshot.Snapshot {
	if o.Upstream == nil {
		o.Upstream = func(api, env string) string { return "http://upstream.invalid/" + api }
	}
	envs := []snapshot.Environment{
		{Name: snapshot.EnvIntegration, BaseURL: "https://" + IntegrationHost, Host: IntegrationHost},
		{Name: snapshot.EnvProduction, BaseURL: "https://" + ProductionHost, Host: ProductionHost},
		{Name: snapshot.EnvSandbox, BaseURL: "https://" + SandboxHost, Host: SandboxHost},
	}
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Generation:    o.Generation,
		Commit:        o.Commit,
		Platform: snapshot.Platform{
			Name:                   "Test Health API Platform",
			Operator:               "Test Operator",
			Environments:           envs,
			PublisherCategories:    []string{"nhs-body", "public-body"},
			IdentityProviders:      []snapshot.IdentityProvider{},
			AppRateLimit:           snapshot.RateLimit{Limit: 50, Per: "second"},
			LogRetentionDays:       90,
			AggregateRetentionDays: 730,
		},
		Publishers:   []snapshot.Publisher{},
		APIs:         []snapshot.API{},
		Routes:       []snapshot.Route{},
		Consumers:    []snapshot.Consumer{},
		Entitlements: []snapshot.Entitlement{},
	}
	approval := snapshot.Approval{By: "operator", Date: "2025-01-01"}
	for p := 0; p < o.Publishers; p++ {
		s.Publishers = append(s.Publishers, snapshot.Publisher{
			ID: fmt.Sprintf("pub%d", p), Name: fmt.Sprintf("Publisher %d", p), Category: "nhs-body",
			Contact:        snapshot.Contact{Email: fmt.Sprintf("api@pub%d.test", p)},
			LegalBasis:     "Health and Social Care Act 2012",
			DataController: true,
			Agreement:      snapshot.Agreement{Reference: fmt.Sprintf("AGR-%d", p), Signed: "2025-01-01"},
			Onboarded:      approval,
		})
	}
	modes := []string{snapshot.ModeAppLevel0, snapshot.ModeAppLevel3}
	for i := 0; i < o.APIs; i++ {
		pub := fmt.Sprintf("pub%d", i%o.Publishers)
		name := fmt.Sprintf("api%d", i)
		id := pub + "/" + name
		base := "/" + id + "/v1"
		a := snapshot.API{
			ID: id, Publisher: pub, Name: name,
			Title: fmt.Sprintf("API %d", i), Summary: "Look things up.", Description: o.Description,
			Version: "1.0.0", Major: 1, Status: snapshot.StatusStable, ServiceLevel: "silver",
			BasePath: base, AccessModes: modes, DataCategories: []string{"demographics"},
			RateLimit:       snapshot.RateLimit{Limit: 1000, Per: "second"},
			AppRateLimit:    snapshot.RateLimit{Limit: 10, Per: "second"},
			IdentityHeaders: snapshot.IdentityHeaders{App: "X-App", Org: "X-Org"},
			Network:         "internet",
			Tags:            []string{"lookup"},
		}
		for _, e := range envs {
			ae := snapshot.APIEnvironment{Name: e.Name, Upstream: o.Upstream(id, e.Name)}
			if e.Name == snapshot.EnvProduction {
				ae.Launch = &approval
			}
			a.Environments = append(a.Environments, ae)
			s.Routes = append(s.Routes, snapshot.Route{Environment: e.Name, BasePath: base, API: id, Upstream: ae.Upstream, AccessModes: modes})
		}
		s.APIs = append(s.APIs, a)
	}
	for i := 0; i < o.Apps; i++ {
		org := fmt.Sprintf("org%d", i/10)
		if len(s.Consumers) == 0 || s.Consumers[len(s.Consumers)-1].ID != org {
			s.Consumers = append(s.Consumers, snapshot.Consumer{ID: org, Name: "Consumer " + org, DSPT: "standards-met"})
		}
		c := &s.Consumers[len(s.Consumers)-1]
		sum := sha256.Sum256([]byte(APIKey(i)))
		app := snapshot.App{ID: AppID(i), Org: org, Name: fmt.Sprintf("App %d", i),
			APIKeys: []snapshot.APIKey{{ID: "k1", SHA256: hex.EncodeToString(sum[:]),
				Environments: []string{snapshot.EnvIntegration, snapshot.EnvProduction, snapshot.EnvSandbox}}},
			// Not a real point; distinct per app, as Consistent requires.
			JWKs: []snapshot.JWK{{Kid: "kid1", Kty: "EC", Crv: "P-256", X: fmt.Sprintf("x%07d", i), Y: "y"}},
		}
		c.Apps = append(c.Apps, app)
		for j := 0; j < o.GrantsPerApp && o.APIs > 0; j++ {
			ai := (i*o.GrantsPerApp + j) % o.APIs
			s.Entitlements = append(s.Entitlements, snapshot.Entitlement{
				App: app.ID, API: APIID(ai, o.Publishers), Environment: snapshot.EnvProduction, AccessMode: snapshot.ModeAppLevel0,
				GrantedBy: fmt.Sprintf("pub%d", ai%o.Publishers), Approval: approval,
			})
		}
	}
	s.Normalize()
	s.Entitlements = dedupe(s.Entitlements)
	return s
}

func dedupe(es []snapshot.Entitlement) []snapshot.Entitlement {
	out := es[:0]
	for i, e := range es {
		if i > 0 && e.Key() == es[i-1].Key() {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Encode returns the canonical bytes of s.
func Encode(tb testing.TB, s *snapshot.Snapshot) []byte {
	tb.Helper()
	b, err := s.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Copy returns a deep copy of s, through its encoding: to edit into the
// next generation while s stays as it was.
func Copy(tb testing.TB, s *snapshot.Snapshot) *snapshot.Snapshot {
	tb.Helper()
	c, err := snapshot.Decode(Encode(tb, s))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Restate returns doc, a snapshot's JSON changed by hand, with the digests
// of its sections stated anew, as if the compiler had written it.
func Restate(tb testing.TB, doc []byte) []byte {
	tb.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(doc, &members); err != nil {
		tb.Fatal(err)
	}
	sums := map[string]string{}
	for name, raw := range members {
		if name != snapshot.SectionsMember {
			sums[name] = snapshot.Digest(raw)
		}
	}
	var err error
	if members[snapshot.SectionsMember], err = json.Marshal(sums); err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out) // sorted keys, compact members
	enc.SetEscapeHTML(false)
	if err := enc.Encode(members); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}
