package review

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Compare describes what changes from base to head. Either may be nil (an
// empty platform).
func Compare(base, head *snapshot.Snapshot) *report.Summary {
	if base == nil {
		base = &snapshot.Snapshot{}
	}
	if head == nil {
		head = &snapshot.Snapshot{}
	}
	r := &report.Summary{}
	if ls := platformLines(&base.Platform, &head.Platform); len(ls) > 0 {
		r.Groups = append(r.Groups, report.Group{Kind: "platform", Name: cmp.Or(head.Platform.Name, base.Platform.Name), Lines: ls})
	}
	r.Groups = append(r.Groups, publisherGroups(base, head)...)
	if !same(base.Consumers, head.Consumers) {
		r.Groups = append(r.Groups, consumerGroups(base, head)...)
	}
	return r
}

// same reports whether a and b are one list: a section of a snapshot that
// another shares (as a diff's head shares its base's, see
// compiler.Options.Prior), equal without a look at its items.
func same[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// changedGrantors returns the grantors whose entitlements differ between
// two lists sorted as snapshots keep them. An entitlement paired with an
// equal one is the same on both sides; any other names its grantor, so a
// grantor with the same entitlements on both sides is never named.
func changedGrantors(a, b []snapshot.Entitlement) map[string]bool {
	out := map[string]bool{}
	for i, j := 0, 0; i < len(a) || j < len(b); {
		switch {
		case i == len(a):
			out[b[j].GrantedBy] = true
			j++
		case j == len(b):
			out[a[i].GrantedBy] = true
			i++
		case sameEntitlement(&a[i], &b[j]):
			i, j = i+1, j+1
		case snapshot.CompareEntitlements(a[i], b[j]) <= 0:
			out[a[i].GrantedBy] = true
			i++
		default:
			out[b[j].GrantedBy] = true
			j++
		}
	}
	return out
}

func sameEntitlement(x, y *snapshot.Entitlement) bool {
	if (x.RateLimit == nil) != (y.RateLimit == nil) || x.RateLimit != nil && *x.RateLimit != *y.RateLimit {
		return false
	}
	return x.App == y.App && x.API == y.API && x.Environment == y.Environment && x.AccessMode == y.AccessMode &&
		x.Expires == y.Expires && x.GrantedBy == y.GrantedBy && x.Approval == y.Approval
}

// pair joins two lists by key into sorted keys and lookups.
func pair[T any](a, b []T, key func(T) string) ([]string, map[string]*T, map[string]*T) {
	am, bm := map[string]*T{}, map[string]*T{}
	for i := range a {
		am[key(a[i])] = &a[i]
	}
	for i := range b {
		bm[key(b[i])] = &b[i]
	}
	keys := slices.Collect(maps.Keys(am))
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, am, bm
}

func changed(what, from, to string) string {
	switch {
	case from == "":
		return fmt.Sprintf("%s is set to %s", what, to)
	case to == "":
		return fmt.Sprintf("%s (%s) is removed", what, from)
	}
	return fmt.Sprintf("%s changes from %s to %s", what, from, to)
}

func platformLines(b, h *snapshot.Platform) []string {
	var ls []string
	if b.Name != h.Name && b.Name != "" {
		ls = append(ls, changed("the platform's name", b.Name, h.Name))
	}
	if b.Operator != h.Operator && b.Operator != "" {
		ls = append(ls, changed("the operator", b.Operator, h.Operator))
	}
	keys, be, he := pair(b.Environments, h.Environments, func(e snapshot.Environment) string { return e.Name })
	for _, k := range keys {
		switch x, y := be[k], he[k]; {
		case x == nil:
			ls = append(ls, fmt.Sprintf("environment %s is added at %s", k, y.BaseURL))
		case y == nil:
			ls = append(ls, fmt.Sprintf("environment %s is removed: every API loses its %s routes", k, k))
		case x.BaseURL != y.BaseURL:
			ls = append(ls, changed("environment "+k+"'s base URL", x.BaseURL, y.BaseURL))
		}
	}
	for _, c := range h.PublisherCategories {
		if !slices.Contains(b.PublisherCategories, c) {
			ls = append(ls, fmt.Sprintf("publisher category %s is accepted", c))
		}
	}
	for _, c := range b.PublisherCategories {
		if !slices.Contains(h.PublisherCategories, c) {
			ls = append(ls, fmt.Sprintf("publisher category %s is no longer accepted", c))
		}
	}
	ls = append(ls, policyTermLines(b, h)...)
	keys2, bi, hi := pair(b.IdentityProviders, h.IdentityProviders, func(p snapshot.IdentityProvider) string { return p.ID })
	for _, k := range keys2 {
		x, y := bi[k], hi[k]
		switch {
		case x == nil:
			ls = append(ls, fmt.Sprintf("identity provider %s (%s) is trusted for %s", k, y.Issuer, strings.Join(levelModes(y.Levels), ", ")))
		case y == nil:
			ls = append(ls, fmt.Sprintf("identity provider %s is no longer trusted: its users' tokens are refused", k))
		default:
			if x.Issuer != y.Issuer {
				ls = append(ls, changed("identity provider "+k+"'s issuer", x.Issuer, y.Issuer))
			}
			if x.JWKSURL != y.JWKSURL {
				ls = append(ls, changed("identity provider "+k+"'s JWKS URL", x.JWKSURL, y.JWKSURL))
			}
			if x.Audience != y.Audience {
				ls = append(ls, changed("identity provider "+k+"'s audience", x.Audience, y.Audience))
			}
			if x.LevelClaim != y.LevelClaim {
				ls = append(ls, changed("identity provider "+k+"'s level claim", x.LevelClaim, y.LevelClaim))
			}
			if !maps.Equal(x.Levels, y.Levels) {
				ls = append(ls, changed("identity provider "+k+"'s levels", levelsString(x.Levels), levelsString(y.Levels)))
			}
		}
	}
	if b.AppRateLimit != h.AppRateLimit && !b.AppRateLimit.IsZero() {
		ls = append(ls, changed("the default per-app rate limit", b.AppRateLimit.String(), h.AppRateLimit.String()))
	}
	if b.LogRetentionDays != h.LogRetentionDays && b.LogRetentionDays != 0 {
		ls = append(ls, fmt.Sprintf("access logs are kept %s instead of %d", compiler.Count(h.LogRetentionDays, "day"), b.LogRetentionDays))
	}
	if b.AggregateRetentionDays != h.AggregateRetentionDays && b.AggregateRetentionDays != 0 {
		ls = append(ls, fmt.Sprintf("anonymised daily aggregates are kept %s instead of %d", compiler.Count(h.AggregateRetentionDays, "day"), b.AggregateRetentionDays))
	}
	return ls
}

func levelModes(levels map[string]string) []string {
	var out []string
	for _, m := range levels {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

func levelsString(levels map[string]string) string {
	keys := slices.Sorted(maps.Keys(levels))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "→" + levels[k]
	}
	return strings.Join(parts, ", ")
}

// apiName renders an API as "nhsbsa/prescription-exemptions v1".
func apiName(a *snapshot.API) string {
	return fmt.Sprintf("%s v%d", a.ID, a.Major)
}

func publisherGroups(base, head *snapshot.Snapshot) []report.Group {
	ids := map[string]bool{}
	var bs, hs *side
	if same(base.Publishers, head.Publishers) && same(base.APIs, head.APIs) {
		// Only entitlements may differ: only their grantors are compared.
		if same(base.Entitlements, head.Entitlements) {
			return nil
		}
		ids = changedGrantors(base.Entitlements, head.Entitlements)
		bs, hs = newSide(base, ids), newSide(head, ids)
	} else {
		for _, s := range []*snapshot.Snapshot{base, head} {
			for _, p := range s.Publishers {
				ids[p.ID] = true
			}
			for _, a := range s.APIs {
				ids[a.Publisher] = true
			}
			for _, e := range s.Entitlements {
				ids[e.GrantedBy] = true
			}
		}
		bs, hs = newSide(base, nil), newSide(head, nil)
	}
	bp := index(base.Publishers, func(p snapshot.Publisher) string { return p.ID })
	hp := index(head.Publishers, func(p snapshot.Publisher) string { return p.ID })
	var out []report.Group
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		x, y := bp[id], hp[id]
		var ls []string
		switch {
		case x == nil && y != nil:
			ls = append(ls, fmt.Sprintf("publisher %s joins the platform as %s (onboarded by %s on %s, agreement %s)", id, y.Category, y.Onboarded.By, y.Onboarded.Date, y.Agreement.Reference))
		case x != nil && y == nil:
			ls = append(ls, fmt.Sprintf("publisher %s leaves the platform: its APIs and grants are removed", id))
		case x != nil && y != nil:
			ls = append(ls, publisherLines(x, y)...)
		}
		ls = append(ls, apiLines(bs.apis[id], hs.apis[id])...)
		ls = append(ls, grantLines(bs, hs, id)...)
		if len(ls) == 0 {
			continue
		}
		name := id
		if y != nil {
			name = y.Name
		} else if x != nil {
			name = x.Name
		}
		out = append(out, report.Group{Kind: "publisher", ID: id, Name: name, Lines: ls})
	}
	return out
}

// setLines says, with the formats added and dropped (of the API's name n
// and an item), which items y has that x has not, then the reverse.
func setLines(n string, x, y []string, added, dropped string) []string {
	var ls []string
	for _, v := range y {
		if !slices.Contains(x, v) {
			ls = append(ls, fmt.Sprintf(added, n, v))
		}
	}
	for _, v := range x {
		if !slices.Contains(y, v) {
			ls = append(ls, fmt.Sprintf(dropped, n, v))
		}
	}
	return ls
}

// side indexes one snapshot for publisherGroups once, so that each
// publisher's comparison reads only its own APIs and grants.
type side struct {
	apis    map[string][]snapshot.API         // by publisher
	grants  map[string][]snapshot.Entitlement // by grantor
	apiByID map[string]*snapshot.API
}

// newSide indexes s for the publishers of only (nil: every publisher).
func newSide(s *snapshot.Snapshot, only map[string]bool) *side {
	return &side{
		apis:    groupBy(s.APIs, only, func(a *snapshot.API) string { return a.Publisher }),
		grants:  groupBy(s.Entitlements, only, func(e *snapshot.Entitlement) string { return e.GrantedBy }),
		apiByID: index(s.APIs, func(a snapshot.API) string { return a.ID }),
	}
}

// groupBy returns the items of s by what owner says owns them, in the
// order of s, for the owners of only (nil: every owner).
func groupBy[T any](s []T, only map[string]bool, owner func(*T) string) map[string][]T {
	out := map[string][]T{}
	for i := range s {
		if o := owner(&s[i]); only == nil || only[o] {
			out[o] = append(out[o], s[i])
		}
	}
	return out
}

func index[T any](s []T, key func(T) string) map[string]*T {
	m := make(map[string]*T, len(s))
	for i := range s {
		m[key(s[i])] = &s[i]
	}
	return m
}

func publisherLines(x, y *snapshot.Publisher) []string {
	var ls []string
	add := func(what, a, b string) {
		if a != b {
			ls = append(ls, changed(what, a, b))
		}
	}
	add("the name", x.Name, y.Name)
	add("the category", x.Category, y.Category)
	add("the ODS code", x.ODSCode, y.ODSCode)
	add("the website", x.Website, y.Website)
	add("the contact email", x.Contact.Email, y.Contact.Email)
	add("the contact page", x.Contact.URL, y.Contact.URL)
	add("the legal basis", x.LegalBasis, y.LegalBasis)
	add("the platform agreement", x.Agreement.Reference, y.Agreement.Reference)
	if x.Onboarded != y.Onboarded && x.Onboarded.By != "" {
		ls = append(ls, fmt.Sprintf("the onboarding approval is renewed by %s on %s", y.Onboarded.By, y.Onboarded.Date))
	}
	return ls
}

// apiLines compares one publisher's APIs.
func apiLines(ba, ha []snapshot.API) []string {
	keys, bm, hm := pair(ba, ha, func(a snapshot.API) string { return a.ID })
	var ls []string
	for _, k := range keys {
		x, y := bm[k], hm[k]
		switch {
		case x == nil:
			ls = append(ls, fmt.Sprintf("API %s (%q) is added, %s, accepting %s, deployed to %s", apiName(y), y.Title, y.Status, strings.Join(y.AccessModes, ", "), envList(y)))
			for _, e := range y.Environments {
				if e.Launch != nil {
					ls = append(ls, launchLine(y, e.Name, e.Launch))
				}
			}
		case y == nil:
			ls = append(ls, fmt.Sprintf("API %s is removed: its routes and grants go", apiName(x)))
		default:
			ls = append(ls, oneAPILines(x, y)...)
		}
	}
	return ls
}

func envList(a *snapshot.API) string {
	if len(a.Environments) == 0 {
		return "no environment"
	}
	names := make([]string, len(a.Environments))
	for i, e := range a.Environments {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

func launchLine(a *snapshot.API, env string, l *snapshot.Approval) string {
	s := fmt.Sprintf("API %s launches in %s (approved by %s on %s", apiName(a), env, l.By, l.Date)
	if l.Reference != "" {
		s += ", " + l.Reference
	}
	return s + ")"
}

func oneAPILines(x, y *snapshot.API) []string {
	var ls []string
	n := apiName(y)
	if x.Status != y.Status {
		s := fmt.Sprintf("API %s goes from %s to %s", n, x.Status, y.Status)
		switch y.Status {
		case snapshot.StatusDeprecated:
			s += ": it accepts no new grants"
		case snapshot.StatusRetired:
			s += ": its routes are removed"
		}
		ls = append(ls, s)
	}
	if x.Version != y.Version {
		ls = append(ls, fmt.Sprintf("API %s's version changes from %s to %s", n, x.Version, y.Version))
	}
	if x.BasePath != y.BasePath {
		ls = append(ls, changed("API "+n+"'s base path", x.BasePath, y.BasePath))
	}
	add := func(what, a, b string) {
		if a != b {
			ls = append(ls, changed("API "+n+"'s "+what, a, b))
		}
	}
	add("title", x.Title, y.Title)
	add("service level", x.ServiceLevel, y.ServiceLevel)
	add("network", x.Network, y.Network)
	add("DPIA", x.DPIA, y.DPIA)
	add("legal basis", x.LegalBasis, y.LegalBasis)
	if x.RateLimit != y.RateLimit {
		add("whole-API rate limit", x.RateLimit.String(), y.RateLimit.String())
	}
	if x.AppRateLimit != y.AppRateLimit {
		add("default per-app rate limit", x.AppRateLimit.String(), y.AppRateLimit.String())
	}
	if x.PersonalData != y.PersonalData {
		ls = append(ls, fmt.Sprintf("API %s %s personal data", n, carries(y.PersonalData)))
	}
	if x.SpecialCategory != y.SpecialCategory {
		ls = append(ls, fmt.Sprintf("API %s %s special-category data", n, carries(y.SpecialCategory)))
	}
	ls = append(ls, setLines(n, x.AccessModes, y.AccessModes, "API %s now accepts %s", "API %s no longer accepts %s")...)
	ls = append(ls, setLines(n, x.DataCategories, y.DataCategories, "API %s now carries %s data", "API %s no longer carries %s data")...)
	ls = append(ls, requirementLines(x, y)...)
	keys, be, he := pair(x.Environments, y.Environments, func(e snapshot.APIEnvironment) string { return e.Name })
	for _, k := range keys {
		a, b := be[k], he[k]
		switch {
		case a == nil && b.Launch != nil:
			ls = append(ls, launchLine(y, k, b.Launch))
		case a == nil:
			ls = append(ls, fmt.Sprintf("API %s is deployed to %s (upstream %s)", n, k, b.Upstream))
		case b == nil:
			ls = append(ls, fmt.Sprintf("API %s is withdrawn from %s", n, k))
		default:
			if a.Upstream != b.Upstream {
				ls = append(ls, changed(fmt.Sprintf("API %s's %s upstream", n, k), a.Upstream, b.Upstream))
			}
			if a.UpstreamCredential != b.UpstreamCredential {
				ls = append(ls, changed(fmt.Sprintf("API %s's %s upstream credential", n, k), a.UpstreamCredential, b.UpstreamCredential))
			}
			if a.Launch == nil && b.Launch != nil {
				ls = append(ls, launchLine(y, k, b.Launch))
			}
		}
	}
	return ls
}

func carries(b bool) string {
	if b {
		return "now carries"
	}
	return "no longer carries"
}

// appName renders an app ID "<org>/<app>" as "app <app> of org <org>".
func appName(id string) string {
	org, app, ok := strings.Cut(id, "/")
	if !ok {
		return "app " + id
	}
	return fmt.Sprintf("app %s of org %s", app, org)
}

// grantLines compares the grants of publisher pub.
func grantLines(base, head *side, pub string) []string {
	be, he := base.grants[pub], head.grants[pub]
	bAPIs, hAPIs := base.apiByID, head.apiByID
	keys, bm, hm := pair(be, he, snapshot.Entitlement.Key)
	var ls []string
	for _, k := range keys {
		x, y := bm[k], hm[k]
		switch {
		case x == nil:
			a := hAPIs[y.API]
			expiry := "no expiry"
			if y.Expires != "" {
				expiry = "expires " + y.Expires
			}
			ls = append(ls, fmt.Sprintf("%s gains %s access to %s (%s, %s) — granted by %s, %s",
				appName(y.App), y.Environment, apiLabel(a, y.API), y.AccessMode, quota(y, a), y.GrantedBy, expiry))
		case y == nil:
			ls = append(ls, fmt.Sprintf("%s loses %s access to %s (%s)", appName(x.App), x.Environment, apiLabel(bAPIs[x.API], x.API), x.AccessMode))
		default:
			what := fmt.Sprintf("%s's %s access to %s (%s)", appName(y.App), y.Environment, apiLabel(hAPIs[y.API], y.API), y.AccessMode)
			if q1, q2 := quota(x, bAPIs[x.API]), quota(y, hAPIs[y.API]); q1 != q2 {
				ls = append(ls, fmt.Sprintf("%s: rate limit changes from %s to %s", what, q1, q2))
			}
			if x.Expires != y.Expires {
				switch {
				case y.Expires == "":
					ls = append(ls, fmt.Sprintf("%s no longer expires (was %s)", what, x.Expires))
				case x.Expires == "":
					ls = append(ls, fmt.Sprintf("%s now expires %s", what, y.Expires))
				default:
					ls = append(ls, fmt.Sprintf("%s: expiry changes from %s to %s", what, x.Expires, y.Expires))
				}
			}
			if x.Approval != y.Approval && x.Expires == y.Expires {
				ls = append(ls, fmt.Sprintf("%s is re-approved by %s on %s", what, y.Approval.By, y.Approval.Date))
			}
		}
	}
	return ls
}

func apiLabel(a *snapshot.API, id string) string {
	if a == nil {
		return id
	}
	return apiName(a)
}

// quota is the effective per-app rate limit of an entitlement.
func quota(e *snapshot.Entitlement, a *snapshot.API) string {
	if e.RateLimit != nil {
		return e.RateLimit.String()
	}
	if a != nil && !a.AppRateLimit.IsZero() {
		return a.AppRateLimit.String()
	}
	return "platform default rate"
}

func consumerGroups(base, head *snapshot.Snapshot) []report.Group {
	keys, bm, hm := pair(base.Consumers, head.Consumers, func(c snapshot.Consumer) string { return c.ID })
	var out []report.Group
	for _, k := range keys {
		x, y := bm[k], hm[k]
		var ls []string
		name := ""
		switch {
		case x == nil:
			name = y.Name
			ls = append(ls, fmt.Sprintf("consumer organisation %s registers (DSPT %s)", k, y.DSPT))
			for _, a := range y.Apps {
				ls = append(ls, appAdded(&a))
			}
		case y == nil:
			name = x.Name
			ls = append(ls, fmt.Sprintf("consumer organisation %s is removed with its %s: every grant to them stops working", k, compiler.Count(len(x.Apps), "app")))
		default:
			name = y.Name
			if x.Name != y.Name {
				ls = append(ls, changed("the name", x.Name, y.Name))
			}
			if x.ODSCode != y.ODSCode {
				ls = append(ls, changed("the ODS code", x.ODSCode, y.ODSCode))
			}
			if x.DSPT != y.DSPT {
				ls = append(ls, changed("the DSPT status", x.DSPT, y.DSPT))
			}
			if x.RecipientCategory != y.RecipientCategory {
				ls = append(ls, changed("the recipient category", x.RecipientCategory, y.RecipientCategory))
			}
			ls = append(ls, appLines(x, y)...)
		}
		if len(ls) > 0 {
			out = append(out, report.Group{Kind: "consumer", ID: k, Name: name, Lines: ls})
		}
	}
	return out
}

func appAdded(a *snapshot.App) string {
	var creds []string
	for _, k := range a.APIKeys {
		creds = append(creds, "API key "+k.ID)
	}
	if a.JWKSURL != "" {
		creds = append(creds, "JWKS "+a.JWKSURL)
	}
	for _, j := range a.JWKs {
		creds = append(creds, "public key "+j.Kid)
	}
	c := "no credential"
	if len(creds) > 0 {
		c = strings.Join(creds, ", ")
	}
	return fmt.Sprintf("%s (%q) is registered with %s", appName(a.ID), a.Name, c)
}

func appLines(x, y *snapshot.Consumer) []string {
	keys, bm, hm := pair(x.Apps, y.Apps, func(a snapshot.App) string { return a.ID })
	var ls []string
	for _, k := range keys {
		a, b := bm[k], hm[k]
		switch {
		case a == nil:
			ls = append(ls, appAdded(b))
		case b == nil:
			ls = append(ls, fmt.Sprintf("%s is removed: its credentials stop working", appName(k)))
		default:
			n := appName(k)
			if a.Name != b.Name {
				ls = append(ls, changed(n+"'s name", a.Name, b.Name))
			}
			kk, ka, kb := pair(a.APIKeys, b.APIKeys, func(k snapshot.APIKey) string { return k.ID })
			for _, id := range kk {
				p, q := ka[id], kb[id]
				switch {
				case p == nil:
					s := fmt.Sprintf("%s adds API key %s for %s", n, id, strings.Join(q.Environments, ", "))
					if q.Expires != "" {
						s += ", valid until " + q.Expires
					}
					ls = append(ls, s)
				case q == nil:
					ls = append(ls, fmt.Sprintf("%s revokes API key %s", n, id))
				case p.SHA256 != q.SHA256:
					ls = append(ls, fmt.Sprintf("%s rotates API key %s", n, id))
				case p.Expires != q.Expires:
					ls = append(ls, changed(n+"'s API key "+id+" expiry", p.Expires, q.Expires))
				case !slices.Equal(p.Environments, q.Environments):
					ls = append(ls, changed(n+"'s API key "+id+" environments", strings.Join(p.Environments, ", "), strings.Join(q.Environments, ", ")))
				}
			}
			if a.JWKSURL != b.JWKSURL {
				ls = append(ls, changed(n+"'s JWKS URL", a.JWKSURL, b.JWKSURL))
			}
			jk, ja, jb := pair(a.JWKs, b.JWKs, func(j snapshot.JWK) string { return j.Kid })
			for _, kid := range jk {
				p, q := ja[kid], jb[kid]
				switch {
				case p == nil:
					ls = append(ls, fmt.Sprintf("%s adds public key %s", n, kid))
				case q == nil:
					ls = append(ls, fmt.Sprintf("%s removes public key %s", n, kid))
				case !sameKeyMaterial(*p, *q):
					ls = append(ls, fmt.Sprintf("%s rotates public key %s", n, kid))
				case !slices.Equal(p.Environments, q.Environments):
					ls = append(ls, changed(n+"'s public key "+kid+" environments", strings.Join(p.Environments, ", "), strings.Join(q.Environments, ", ")))
				}
			}
		}
	}
	return ls
}

// sameKeyMaterial reports whether two JWKs are the same key, whatever the
// environments they are bound to.
func sameKeyMaterial(a, b snapshot.JWK) bool {
	return a.Kty == b.Kty && a.Alg == b.Alg && a.Use == b.Use && a.N == b.N && a.E == b.E &&
		a.Crv == b.Crv && a.X == b.X && a.Y == b.Y
}
