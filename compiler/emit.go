package compiler

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// emit builds the snapshot from a model without errors. Consumers' contact
// details and every owners list stay out: the snapshot is public.
func (c *compilation) emit(m *model, ents []snapshot.Entitlement, res *Result) error {
	p := m.platform
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Generation:    c.opts.Generation,
		Commit:        c.opts.Commit,
		Publishers:    make([]snapshot.Publisher, 0, len(m.publishers)),
		APIs:          make([]snapshot.API, 0, len(m.apis)),
		Routes:        make([]snapshot.Route, 0, len(m.apis)*3),
		Consumers:     make([]snapshot.Consumer, 0, len(m.consumers)),
		Entitlements:  ents,
	}
	s.Platform = snapshot.Platform{
		Name:                   p.Name,
		Operator:               p.Operator.Name,
		Environments:           []snapshot.Environment{},
		PublisherCategories:    sortedKeys(p.PublisherCategories),
		IdentityProviders:      []snapshot.IdentityProvider{},
		AppRateLimit:           snapshot.RateLimit(p.RateLimits.App),
		LogRetentionDays:       p.Logs.RetentionDays,
		AggregateRetentionDays: p.Logs.AggregateRetentionDays,
		RecipientCategories:    policyTerms(p.RecipientCategories),
		Purposes:               policyTerms(p.Purposes),
	}
	for _, name := range sortedKeys(p.Environments) {
		base := p.Environments[name].BaseURL
		u, err := url.Parse(base)
		if err != nil {
			return fmt.Errorf("internal: environment %s base URL %q: %w", name, base, err)
		}
		s.Platform.Environments = append(s.Platform.Environments, snapshot.Environment{Name: name, BaseURL: base, Host: u.Hostname()})
	}
	for _, id := range sortedKeys(p.IdentityProviders) {
		idp := p.IdentityProviders[id]
		levels := map[string]string{}
		for k, v := range idp.Levels {
			levels[k] = v
		}
		s.Platform.IdentityProviders = append(s.Platform.IdentityProviders, snapshot.IdentityProvider{
			ID: id, Issuer: idp.Issuer, JWKSURL: idp.JWKSURL, Audience: idp.Audience, LevelClaim: idp.LevelClaim, Levels: levels,
		})
	}
	for _, pub := range sortedKeys(m.publishers) {
		if !m.ready[pub] {
			continue
		}
		pf, o := m.publishers[pub], m.onboarding[pub]
		s.Publishers = append(s.Publishers, snapshot.Publisher{
			ID: pub, Name: pf.Name, Category: pf.Category, ODSCode: pf.ODSCode, Website: pf.Website,
			Contact:        snapshot.Contact(pf.Contact),
			LegalBasis:     pf.LegalBasis,
			DataController: true,
			Agreement:      snapshot.Agreement{Reference: o.Agreement.Reference, Signed: o.Agreement.Signed},
			Onboarded:      snapshot.Approval{By: o.ApprovedBy, Date: o.Date, Reference: o.Reference},
		})
	}
	res.Specs = map[string][]byte{}
	for _, id := range sortedKeys(m.apis) {
		pub, name, _ := strings.Cut(id, "/")
		if !m.ready[pub] {
			continue
		}
		a := m.apis[id]
		major := m.major[id]
		ih := a.IdentityHeaders
		sa := snapshot.API{
			ID: id, Publisher: pub, Name: name,
			Title: a.Title, Summary: a.Summary, Description: a.Description,
			Version: a.Version, Major: major, Status: a.Status, ServiceLevel: a.ServiceLevel,
			BasePath:        fmt.Sprintf("/%s/%s/v%d", pub, name, major),
			AccessModes:     dedupe(a.AccessModes),
			DataCategories:  dedupe(a.DataCategories),
			PersonalData:    a.personal(),
			SpecialCategory: a.SpecialCategory,
			DPIA:            a.DPIA,
			RateLimit:       snapshot.RateLimit(a.RateLimits.Proxy),
			AppRateLimit:    snapshot.RateLimit(p.RateLimits.App),
			IdentityHeaders: snapshot.IdentityHeaders{App: ih.App, Org: ih.Org, AccessMode: ih.AccessMode, User: ih.User, Level: ih.Level},
			Environments:    []snapshot.APIEnvironment{},
			LegalBasis:      a.LegalBasis,
			UseCase:         a.UseCase,
			Network:         a.Network,
			WebSocket:       a.WebSocket,
			Contact:         snapshot.Contact(m.publishers[pub].Contact),
			Related:         dedupe(a.Related),
			Tags:            dedupe(a.Tags),
			Requirements:    snapshotRequirements(a),
		}
		if a.RateLimits.App != nil {
			sa.AppRateLimit = snapshot.RateLimit(*a.RateLimits.App)
		}
		if a.Contact != nil {
			sa.Contact = snapshot.Contact(*a.Contact)
		}
		if len(sa.Related) == 0 {
			sa.Related = nil
		}
		if len(sa.Tags) == 0 {
			sa.Tags = nil
		}
		sa.Diagnosis = diagnosisWindows(m, id)
		if sr, ok := m.specs[id]; ok {
			sa.Spec = sr.path
			sa.SpecDigest = sr.digest
			if sr.bytes != nil {
				res.Specs[id] = sr.bytes
			}
		}
		for _, env := range sortedKeys(a.Environments) {
			e := a.Environments[env]
			ae := snapshot.APIEnvironment{Name: env, Upstream: e.Upstream, UpstreamCredential: e.UpstreamCredential, MutualTLS: e.MutualTLS}
			if env == snapshot.EnvProduction {
				if l := m.launches[id]; l != nil {
					for _, la := range l.Approvals {
						if la.Major == major {
							ae.Launch = &snapshot.Approval{By: la.ApprovedBy, Date: la.Date, Reference: la.Reference}
						}
					}
				}
			}
			sa.Environments = append(sa.Environments, ae)
			if a.Status != snapshot.StatusRetired {
				s.Routes = append(s.Routes, snapshot.Route{
					Environment: env, BasePath: sa.BasePath, API: id, Upstream: e.Upstream,
					UpstreamCredential: e.UpstreamCredential, MutualTLS: e.MutualTLS, AccessModes: dedupe(a.AccessModes),
				})
			}
		}
		s.APIs = append(s.APIs, sa)
	}
	for _, org := range sortedKeys(m.consumers) {
		cf := m.consumers[org]
		sc := snapshot.Consumer{ID: org, Name: cf.Name, ODSCode: cf.ODSCode, DSPT: cf.DSPT, RecipientCategory: cf.RecipientCategory, Apps: []snapshot.App{}}
		for _, appID := range sortedKeys(cf.Apps) {
			ap := cf.Apps[appID]
			sap := snapshot.App{ID: org + "/" + appID, Org: org, Name: ap.Name, JWKSURL: ap.JWKSURL}
			for _, kid := range sortedKeys(ap.APIKeys) {
				k := ap.APIKeys[kid]
				envs := slices.Compact(slices.Sorted(slices.Values(k.Environments)))
				sap.APIKeys = append(sap.APIKeys, snapshot.APIKey{ID: kid, SHA256: k.SHA256, Expires: k.Expires, Environments: envs})
			}
			for _, j := range ap.JWKs {
				var envs []string
				if len(j.Environments) > 0 {
					envs = slices.Compact(slices.Sorted(slices.Values(j.Environments)))
				}
				sap.JWKs = append(sap.JWKs, snapshot.JWK{Kid: j.Kid, Kty: j.Kty, Alg: j.Alg, Use: j.Use, N: j.N, E: j.E, Crv: j.Crv, X: j.X, Y: j.Y, Environments: envs})
			}
			for _, cid := range sortedKeys(ap.ClientCertificates) {
				sap.ClientCertificates = append(sap.ClientCertificates, snapshot.ClientCertificate{ID: cid, SHA256: ap.ClientCertificates[cid].SHA256})
			}
			sc.Apps = append(sc.Apps, sap)
		}
		s.Consumers = append(s.Consumers, sc)
	}
	c.presort(s)
	s.Normalize()
	if err := s.Consistent(); err != nil {
		return fmt.Errorf("internal: compiled snapshot is inconsistent: %w", err)
	}
	if c.opts.Built != nil {
		c.opts.Built(s, res.Specs)
	}
	if c.opts.NoEncode {
		res.Snapshot = s
		return nil
	}
	b, err := c.encode(s)
	if err != nil {
		return fmt.Errorf("internal: %w", err)
	}
	res.Snapshot, res.Bytes, res.Digest = s, b, snapshot.Digest(b)
	return nil
}

// dedupe returns the distinct values of list, in order.
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
