package snapshot

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Consistent checks the snapshot's internal invariants: the schema version,
// canonical order and uniqueness of every list, and that every reference
// (route → API, entitlement → app, API, environment, access mode) resolves;
// that no two apps (nor one app twice) hold the same API-key hash, public
// key or client certificate fingerprint; that a route requires mutual TLS
// exactly where its API does, never with open access; and that identity
// header names are neither reserved nor repeated within an API. It returns every problem found, joined.
func (s *Snapshot) Consistent() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if s.SchemaVersion != SchemaVersion {
		bad("schema version %q, want %q", s.SchemaVersion, SchemaVersion)
	}
	envs := map[string]bool{}
	for i, e := range s.Platform.Environments {
		if i > 0 && s.Platform.Environments[i-1].Name >= e.Name {
			bad("environments not sorted or duplicated at %q", e.Name)
		}
		envs[e.Name] = true
	}
	checkSorted(&errs, "publishers", s.Publishers, func(p Publisher) string { return p.ID })
	checkSorted(&errs, "apis", s.APIs, func(a API) string { return a.ID })
	checkSorted(&errs, "consumers", s.Consumers, func(c Consumer) string { return c.ID })
	checkSortedFunc(&errs, "routes", s.Routes, func(a, b Route) int {
		return cmpChain(a.Environment, b.Environment, a.BasePath, b.BasePath)
	}, func(r Route) string { return r.Environment + " " + r.BasePath })

	s.consistentAPIs(envs, bad)
	s.consistentRoutes(envs, bad)
	s.consistentConsumers(&errs, envs, bad)
	s.consistentURLs(bad)
	errs = append(errs, s.consistentEntitlements(envs)...)
	return errors.Join(errs...)
}

// consistentAPIs checks each API's publisher, ID, environments and
// identity header names.
func (s *Snapshot) consistentAPIs(envs map[string]bool, bad func(string, ...any)) {
	for _, a := range s.APIs {
		if _, ok := s.Publisher(a.Publisher); !ok {
			bad("api %s: unknown publisher %q", a.ID, a.Publisher)
		}
		if a.ID != a.Publisher+"/"+a.Name {
			bad("api %s: id is not publisher/name", a.ID)
		}
		for _, e := range a.Environments {
			if !envs[e.Name] {
				bad("api %s: unknown environment %q", a.ID, e.Name)
			}
		}
		for i := range a.Diagnosis {
			if why := a.Diagnosis[i].problem(&a); why != "" {
				bad("api %s: diagnosis window %d %s", a.ID, i, why)
			}
		}
		names := a.IdentityHeaders.Names()
		for i, n := range names {
			if why := IdentityHeaderProblem(n); why != "" {
				bad("api %s: identity header %q %s", a.ID, n, why)
			}
			for _, m := range names[:i] {
				if SameHeaderName(n, m) {
					bad("api %s: identity header %q is declared twice", a.ID, n)
				}
			}
		}
	}
}

// consistentRoutes checks that routes name live APIs at their base paths in
// known environments, and that base paths never overlap within one.
func (s *Snapshot) consistentRoutes(envs map[string]bool, bad func(string, ...any)) {
	for _, r := range s.Routes {
		a, ok := s.API(r.API)
		switch {
		case !ok:
			bad("route %s %s: unknown api %q", r.Environment, r.BasePath, r.API)
		case a.Status == StatusRetired:
			bad("route %s %s: api %s is retired", r.Environment, r.BasePath, r.API)
		case a.BasePath != r.BasePath:
			bad("route %s %s: api %s has base path %s", r.Environment, r.BasePath, r.API, a.BasePath)
		}
		if !envs[r.Environment] {
			bad("route %s %s: unknown environment", r.Environment, r.BasePath)
		}
		if ok && r.MutualTLS != a.MutualTLS(r.Environment) {
			bad("route %s %s: mutualTLS differs from api %s in %s", r.Environment, r.BasePath, r.API, r.Environment)
		}
		if r.MutualTLS && slices.Contains(r.AccessModes, ModeOpen) {
			bad("route %s %s: requires mutual TLS but accepts open access, which names no app", r.Environment, r.BasePath)
		}
	}
	// Base paths never overlap within an environment (one is a prefix of another).
	for i := 1; i < len(s.Routes); i++ {
		p, r := s.Routes[i-1], s.Routes[i]
		if p.Environment == r.Environment && (r.BasePath == p.BasePath || strings.HasPrefix(r.BasePath, p.BasePath+"/")) {
			bad("routes %s: base paths %s and %s overlap", r.Environment, p.BasePath, r.BasePath)
		}
	}
}

// consistentConsumers checks apps and their credentials.
func (s *Snapshot) consistentConsumers(errs *[]error, envs map[string]bool, bad func(string, ...any)) {
	// Two apps never share a credential: the gateway could not tell whose
	// it is, and a copied hash or public key would lock its owner out.
	keyOwner := map[string]string{} // key identity -> "app key"
	jwkOwner := map[string]string{}
	certOwner := map[string]string{}
	for _, c := range s.Consumers {
		checkSorted(errs, "apps of "+c.ID, c.Apps, func(a App) string { return a.ID })
		for _, app := range c.Apps {
			if app.Org != c.ID || !strings.HasPrefix(app.ID, c.ID+"/") {
				bad("app %s: not in org %s", app.ID, c.ID)
			}
			for _, k := range app.APIKeys {
				if !IsSHA256Hex(k.SHA256) {
					bad("app %s: api key %s is not a lowercase hex sha-256", app.ID, k.ID)
				}
				if len(k.Environments) == 0 {
					bad("app %s: api key %s is bound to no environment", app.ID, k.ID)
				}
				for _, e := range k.Environments {
					if !envs[e] {
						bad("app %s: api key %s: unknown environment %q", app.ID, k.ID, e)
					}
				}
				id := APIKeyIdentity(k.SHA256)
				if prev, ok := keyOwner[id]; ok {
					bad("app %s: api key %s has the hash of %s", app.ID, k.ID, prev)
				} else {
					keyOwner[id] = "api key " + k.ID + " of app " + app.ID
				}
			}
			for _, j := range app.JWKs {
				id := j.KeyMaterial()
				if prev, ok := jwkOwner[id]; ok {
					bad("app %s: jwk %q is the public key of %s", app.ID, j.Kid, prev)
				} else {
					jwkOwner[id] = "jwk " + j.Kid + " of app " + app.ID
				}
			}
			for _, c := range app.ClientCertificates {
				if !IsSHA256Hex(c.SHA256) {
					bad("app %s: client certificate %s is not a lowercase hex sha-256", app.ID, c.ID)
				}
				if prev, ok := certOwner[c.SHA256]; ok {
					bad("app %s: client certificate %s has the fingerprint of %s", app.ID, c.ID, prev)
				} else {
					certOwner[c.SHA256] = "client certificate " + c.ID + " of app " + app.ID
				}
			}
		}
	}
}

// consistentURLs refuses credentials in any URL of the snapshot, so that a
// snapshot made by hand cannot carry one to the gateway, the catalogue or
// a diff. The messages never quote the URL.
func (s *Snapshot) consistentURLs(bad func(string, ...any)) {
	// what names the URL in a message, built only for a URL refused; a
	// URL without '@', '?' or '#' carries neither user information nor
	// parameters, and is not parsed.
	check := func(raw string, what ...string) {
		if !strings.ContainsAny(raw, "@?#") {
			return
		}
		if c := URLCredential(raw); c != "" {
			bad("%s: URL carries %s", strings.Join(what, " "), c)
		}
	}
	for _, e := range s.Platform.Environments {
		check(e.BaseURL, "environment", e.Name, "baseURL")
	}
	for _, p := range s.Platform.IdentityProviders {
		check(p.JWKSURL, "identity provider", p.ID, "jwksURL")
		check(p.Issuer, "identity provider", p.ID, "issuer")
	}
	for _, p := range s.Publishers {
		check(p.Website, "publisher", p.ID, "website")
		check(p.Contact.URL, "publisher", p.ID, "contact url")
	}
	for _, a := range s.APIs {
		check(a.Contact.URL, "api", a.ID, "contact url")
		for _, e := range a.Environments {
			check(e.Upstream, "api", a.ID, "environment", e.Name, "upstream")
		}
	}
	for _, r := range s.Routes {
		check(r.Upstream, "route", r.Environment, r.BasePath, "upstream")
	}
	for _, c := range s.Consumers {
		for _, app := range c.Apps {
			check(app.JWKSURL, "app", app.ID, "jwksURL")
		}
	}
}

// ConsistentEntitlements checks what Consistent checks of the entitlements
// alone: their order and uniqueness, and their references. It is enough
// for a snapshot that differs from a consistent one in its entitlements
// only.
func (s *Snapshot) ConsistentEntitlements() error {
	envs := map[string]bool{}
	for _, e := range s.Platform.Environments {
		envs[e.Name] = true
	}
	return errors.Join(s.consistentEntitlements(envs)...)
}

func (s *Snapshot) consistentEntitlements(envs map[string]bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	checkSortedFunc(&errs, "entitlements", s.Entitlements, func(a, b Entitlement) int {
		return cmpChain(a.App, b.App, a.API, b.API, a.Environment, b.Environment, a.AccessMode, b.AccessMode)
	}, Entitlement.Key)
	// Entitlements come sorted by app: look each app up once.
	var (
		lastApp string
		appOK   bool
	)
	// A swap that changed a few grants checks those alone (see the
	// runtime's store): a binary search each then costs less than a map of
	// every API.
	api := s.API
	if len(s.Entitlements) > len(s.APIs)/8 {
		apis := make(map[string]*API, len(s.APIs))
		for i := range s.APIs {
			apis[s.APIs[i].ID] = &s.APIs[i]
		}
		api = func(id string) (*API, bool) { a, ok := apis[id]; return a, ok }
	}
	for i := range s.Entitlements {
		e := &s.Entitlements[i]
		a, ok := api(e.API)
		if !ok {
			bad("entitlement %s: unknown api", e.Key())
			continue
		}
		if i == 0 || e.App != lastApp {
			_, appOK = s.App(e.App)
			lastApp = e.App
		}
		if !appOK {
			bad("entitlement %s: unknown app", e.Key())
		}
		if !envs[e.Environment] {
			bad("entitlement %s: unknown environment", e.Key())
		}
		if !slices.Contains(a.AccessModes, e.AccessMode) {
			bad("entitlement %s: api does not offer access mode %s", e.Key(), e.AccessMode)
		}
		if e.GrantedBy != a.Publisher {
			bad("entitlement %s: granted by %q, not the api's publisher", e.Key(), e.GrantedBy)
		}
	}
	return errs
}

// IsSHA256Hex reports whether s is a SHA-256 digest in lowercase hex.
func IsSHA256Hex(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// cmpChain compares pairs of strings in turn: (a1, b1), then (a2, b2), ...
func cmpChain(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// checkSortedFunc is checkSorted with a comparison instead of a key, which
// builds no string per element; name names an element in messages.
func checkSortedFunc[T any](errs *[]error, what string, list []T, cmp func(a, b T) int, name func(T) string) {
	for i := 1; i < len(list); i++ {
		if cmp(list[i-1], list[i]) >= 0 {
			*errs = append(*errs, fmt.Errorf("%s not sorted or duplicated at %q", what, name(list[i])))
		}
	}
}

func checkSorted[T any](errs *[]error, what string, list []T, key func(T) string) {
	checkSortedFunc(errs, what, list, func(a, b T) int { return strings.Compare(key(a), key(b)) }, key)
}

// problem says what is wrong with a capture window of api, or "".
func (d *Diagnosis) problem(api *API) string {
	start, end, err := d.Window()
	switch {
	case err != nil:
		return "has a start or end that is not RFC 3339"
	case !end.After(start):
		return "ends before it starts"
	case end.Sub(start) > MaxDiagnosisWindow:
		return "is longer than 24 hours"
	case d.CaptureBodies && api.SpecialCategory:
		return "captures bodies of a special-category API"
	case !slices.ContainsFunc(api.Environments, func(e APIEnvironment) bool { return e.Name == d.Environment }):
		return "names an environment the API is not deployed to"
	case d.Recipient == "" || d.MaxBytes <= 0:
		return "has no recipient or size cap"
	}
	return ""
}
