package compiler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// "Why was I denied?": whether an app may call an API in an environment,
// answered from the configuration as compiled (frontdoor access), each
// refusal with the rule, the file to change and who approves the change.

// Reasons an access is refused (AccessRefusal.Reason).
const (
	RefusedUnknownApp       = "unknown-app"
	RefusedUnknownAPI       = "unknown-api"
	RefusedUnknownEnv       = "unknown-environment"
	RefusedNotDeployed      = "not-deployed"
	RefusedPublisherNotLive = "publisher-not-ready"
	RefusedRetired          = "api-retired"
	RefusedDeprecated       = "api-deprecated"
	RefusedModeNotOffered   = "mode-not-offered"
	RefusedNoGrant          = "no-grant"
	RefusedExpired          = "grant-expired"
	RefusedModeNotGranted   = "mode-not-granted"
	RefusedKeyEnv           = "key-not-valid-in-environment"
	RefusedRequirement      = "requirement-unmet"
)

// AccessQuery asks whether App ("org/app") may call API ("pub/api") in Env,
// with Mode if set (else any mode granted), on the compile's day.
type AccessQuery struct {
	App, API, Env, Mode string
}

// AccessRefusal is one reason an access is refused.
type AccessRefusal struct {
	// Reason is one of the Refused* constants.
	Reason string `json:"reason"`
	// Requirement is the kind of requirement unmet (Req*), for
	// requirement-unmet.
	Requirement string `json:"requirement,omitempty"`
	// Rule is the governance rule that refuses it.
	Rule string `json:"rule"`
	// Message says what is wrong.
	Message string `json:"message"`
	// File is the file to change, Approver who approves the change.
	File     string `json:"file"`
	Approver string `json:"approver"`
}

// AccessGrant is a grant that allows the access.
type AccessGrant struct {
	Mode       string `json:"mode"`
	Expires    string `json:"expires,omitempty"`
	ApprovedBy string `json:"approvedBy"`
	Date       string `json:"date"`
	File       string `json:"file"`
}

// AccessAnswer is the answer to an AccessQuery.
type AccessAnswer struct {
	App         string `json:"app"`
	API         string `json:"api"`
	Environment string `json:"environment"`
	Mode        string `json:"mode,omitempty"`
	Allowed     bool   `json:"allowed"`
	// Grants that allow it (for the mode asked, if any); an open API needs
	// none.
	Grants   []AccessGrant   `json:"grants,omitempty"`
	Open     bool            `json:"open,omitempty"`
	Refusals []AccessRefusal `json:"refusals,omitempty"`
}

// accessModel is the configuration as decoded, grants included.
type accessModel struct {
	m      *model
	today  string
	grants map[string][]keptGrant // by app ID "org/app"
}

// keptGrant is a grant with the publisher that gave it.
type keptGrant struct {
	pub string
	g   grant
}

func newAccessModel(m *model, files []layoutFile, grants []*grantsFile, now time.Time) *accessModel {
	am := &accessModel{m: m, today: now.UTC().Format(time.DateOnly), grants: map[string][]keptGrant{}}
	for i, f := range grants {
		if f == nil {
			continue
		}
		lf := files[i]
		for _, g := range f.Grants {
			id := lf.org + "/" + g.App
			am.grants[id] = append(am.grants[id], keptGrant{lf.pub, g})
		}
	}
	return am
}

// Access answers q from a compile with Options.KeepModel. The
// configuration need not be valid: the answer reads what evaluated.
func (r *Result) Access(q AccessQuery) (AccessAnswer, error) {
	if r.access == nil || r.access.m.platform == nil {
		return AccessAnswer{}, fmt.Errorf("no platform to answer from (compile with KeepModel; frontdoor.cue must evaluate)")
	}
	return r.access.answer(q), nil
}

// Callable lists what app may call: every (API, environment) it holds an
// allowing grant for, and every open API, sorted.
func (r *Result) Callable(app string) ([]AccessAnswer, error) {
	if r.access == nil || r.access.m.platform == nil {
		return nil, fmt.Errorf("no platform to answer from (compile with KeepModel; frontdoor.cue must evaluate)")
	}
	am := r.access
	seen := map[[2]string]bool{}
	var out []AccessAnswer
	try := func(api, env string) {
		k := [2]string{api, env}
		if seen[k] {
			return
		}
		seen[k] = true
		if a := am.answer(AccessQuery{App: app, API: api, Env: env}); a.Allowed {
			out = append(out, a)
		}
	}
	for _, kg := range am.grants[app] {
		try(kg.pub+"/"+kg.g.API, kg.g.Environment)
	}
	for _, id := range sortedKeys(am.m.apis) {
		a := am.m.apis[id]
		if slices.Contains(a.AccessModes, snapshot.ModeOpen) {
			for _, env := range sortedKeys(a.Environments) {
				try(id, env)
			}
		}
	}
	slices.SortFunc(out, func(x, y AccessAnswer) int {
		return strings.Compare(x.API+"\x00"+x.Environment, y.API+"\x00"+y.Environment)
	})
	return out, nil
}

// owners names who approves a change of a publisher's or consumer's files.
func ownersText(what, id string, owners []string) string {
	if len(owners) == 0 {
		return "an owner of " + what + " " + id
	}
	return "an owner of " + what + " " + id + " (" + strings.Join(owners, ", ") + ")"
}

func (am *accessModel) operator() string {
	return "an operator owner (" + strings.Join(am.m.platform.Operator.Owners, ", ") + ")"
}

func (am *accessModel) answer(q AccessQuery) AccessAnswer {
	m := am.m
	ans := AccessAnswer{App: q.App, API: q.API, Environment: q.Env, Mode: q.Mode}
	refuse := func(reason, rule, file, approver, format string, args ...any) {
		ans.Refusals = append(ans.Refusals, AccessRefusal{Reason: reason, Rule: rule, File: file, Approver: approver, Message: fmt.Sprintf(format, args...)})
	}
	org, appID, _ := strings.Cut(q.App, "/")
	pub, apiName, _ := strings.Cut(q.API, "/")
	cf := m.consumers[org]
	var ap *app
	if cf != nil {
		if a, ok := cf.Apps[appID]; ok {
			ap = &a
		}
	}
	if ap == nil {
		refuse(RefusedUnknownApp, "rule 1: access is for a registered app", consumerPath(org), "an owner of consumer "+org+" (anyone may register a new organisation)",
			"no app %q is registered in %s", q.App, consumerPath(org))
	}
	a := m.apis[q.API]
	if a == nil {
		refuse(RefusedUnknownAPI, "rule 1: every reference resolves", apiPath(pub, apiName), "an owner of publisher "+pub, "no API %s", q.API)
		return ans
	}
	pf := m.publishers[pub]
	var pubOwners []string
	if pf != nil {
		pubOwners = pf.Owners
	}
	apiFile := apiPath(pub, apiName)
	if _, ok := m.platform.Environments[q.Env]; !ok {
		refuse(RefusedUnknownEnv, "rule 1: every reference resolves", platformPath(), am.operator(),
			"the platform has no environment %q (it has %s)", q.Env, strings.Join(sortedKeys(m.platform.Environments), ", "))
		return ans
	}
	if _, ok := a.Environments[q.Env]; !ok {
		refuse(RefusedNotDeployed, "rule 1: an API serves only the environments it is deployed to", apiFile, ownersText("publisher", pub, pubOwners),
			"%s is not deployed to %s (deployed to: %s)", q.API, q.Env, strings.Join(sortedKeys(a.Environments), ", "))
	}
	if !m.ready[pub] {
		refuse(RefusedPublisherNotLive, "rule 2: a publisher serves traffic only once onboarded, with a legal basis, as data controller", onboardingPath(pub), am.operator(),
			"publisher %s does not serve traffic: it lacks an onboarding approval, a legal basis or dataController: true", pub)
	}
	if a.Status == snapshot.StatusRetired {
		refuse(RefusedRetired, "rule 4: retired APIs get no routes", apiFile, ownersText("publisher", pub, pubOwners), "%s is retired", q.API)
	}
	if q.Mode != "" && !slices.Contains(a.AccessModes, q.Mode) {
		refuse(RefusedModeNotOffered, "rule 1: a grant names an access mode the API offers", apiFile, ownersText("publisher", pub, pubOwners),
			"%s does not offer access mode %s (it offers %s)", q.API, q.Mode, strings.Join(a.AccessModes, ", "))
	}
	open := slices.Contains(a.AccessModes, snapshot.ModeOpen) && (q.Mode == "" || q.Mode == snapshot.ModeOpen)
	if open {
		// Anyone may call an open API: the caller is not even identified.
		ans.Open = true
		ans.Refusals = slices.DeleteFunc(ans.Refusals, func(r AccessRefusal) bool { return r.Reason == RefusedUnknownApp })
		ans.Allowed = len(ans.Refusals) == 0
		return ans
	}
	if ap == nil {
		return ans
	}
	am.grantRules(&ans, q, org, pub, a, pubOwners, refuse)
	if a.Status == snapshot.StatusRetired {
		return ans // nothing else can open it
	}
	am.credentialRules(&ans, q, org, cf, ap, refuse)
	for _, u := range unmetRequirements(a, q.Env, org, cf, appID, ap, am.today, true) {
		ans.Refusals = append(ans.Refusals, AccessRefusal{Reason: RefusedRequirement, Requirement: u.kind,
			Rule: "rule 5: the consumer meets every requirement of the API (" + apiFile + " requirements)", Message: "needs " + u.what,
			File: u.file, Approver: ownersText("consumer", org, cf.Owners)})
	}
	ans.Allowed = len(ans.Refusals) == 0 && len(ans.Grants) > 0
	if !ans.Allowed {
		ans.Grants = nil
	}
	return ans
}

type refuseFunc func(reason, rule, file, approver, format string, args ...any)

// grantRules finds the grants of the access: unexpired, of the mode asked.
func (am *accessModel) grantRules(ans *AccessAnswer, q AccessQuery, org, pub string, a *apiFile, pubOwners []string, refuse refuseFunc) {
	grantsFile := "publishers/" + pub + "/grants/" + org + ".cue"
	approver := ownersText("publisher", pub, pubOwners) + " who does not own " + org
	var granted, expired []string
	for _, kg := range am.grants[q.App] {
		g := kg.g
		if kg.pub != pub || pub+"/"+g.API != q.API || g.Environment != q.Env {
			continue
		}
		if g.Expires != "" && g.Expires < am.today {
			expired = append(expired, g.AccessMode+" expired on "+g.Expires)
			continue
		}
		granted = append(granted, g.AccessMode)
		if q.Mode == "" || g.AccessMode == q.Mode {
			ans.Grants = append(ans.Grants, AccessGrant{Mode: g.AccessMode, Expires: g.Expires, ApprovedBy: g.ApprovedBy, Date: g.Date, File: grantsFile})
		}
	}
	switch {
	case len(ans.Grants) > 0:
		return
	case len(expired) > 0 && len(granted) == 0:
		refuse(RefusedExpired, "rule 5: access exists only through an unexpired grant", grantsFile, approver,
			"the grant of %s to %s in %s has expired (%s)", q.API, q.App, q.Env, strings.Join(expired, "; "))
	case len(granted) > 0:
		refuse(RefusedModeNotGranted, "rule 5: a grant is for one access mode", grantsFile, approver,
			"%s is granted %s in %s with %s, not %s", q.App, q.API, q.Env, strings.Join(granted, ", "), q.Mode)
	default:
		refuse(RefusedNoGrant, "rule 5: access exists only through a grant by the API's own publisher", grantsFile, approver,
			"%s holds no grant of %s in %s", q.App, q.API, q.Env)
	}
	if a.Status == snapshot.StatusDeprecated {
		refuse(RefusedDeprecated, "rule 4: deprecated APIs accept no new grants", apiPath(pub, strings.TrimPrefix(q.API, pub+"/")), ownersText("publisher", pub, pubOwners),
			"%s is deprecated: it accepts no new grants; ask for its successor", q.API)
	}
}

// credentialRules checks that the app holds a credential valid in the
// environment for each mode it would use: the mode asked, else the modes
// of its grants.
func (am *accessModel) credentialRules(ans *AccessAnswer, q AccessQuery, org string, cf *consumerFile, ap *app, refuse refuseFunc) {
	modes := []string{q.Mode}
	if q.Mode == "" {
		modes = nil
		for _, g := range ans.Grants {
			modes = append(modes, g.Mode)
		}
	}
	approver := ownersText("consumer", org, cf.Owners)
	file := consumerPath(org)
	for _, mode := range dedupe(modes) {
		switch {
		case mode == snapshot.ModeAppLevel0 || snapshot.UserRestricted(mode):
			if why := am.keyProblem(ap, q.Env); why != "" {
				refuse(RefusedKeyEnv, "rule 5: an API key is accepted only in the environments it is bound to, until it expires", file, approver,
					"access mode %s needs an API key of %s valid in %s: %s", mode, q.App, q.Env, why)
			}
		case mode == snapshot.ModeAppLevel3:
			if ap.JWKSURL == "" && !slices.ContainsFunc(ap.JWKs, func(j jwk) bool { return len(j.Environments) == 0 || slices.Contains(j.Environments, q.Env) }) {
				refuse(RefusedKeyEnv, "rule 5: a signing key is accepted only in the environments it is bound to", file, approver,
					"access mode app-level3 needs a public signing key of %s usable in %s, and it has none", q.App, q.Env)
			}
		}
	}
}

// keyProblem says why none of the app's API keys is valid in env today,
// or "" when one is.
func (am *accessModel) keyProblem(ap *app, env string) string {
	if len(ap.APIKeys) == 0 {
		return "the app has no API key"
	}
	var expired []string
	for _, id := range sortedKeys(ap.APIKeys) {
		k := ap.APIKeys[id]
		if !slices.Contains(k.Environments, env) {
			continue
		}
		if k.Expires != "" && k.Expires < am.today {
			expired = append(expired, id+" expired on "+k.Expires)
			continue
		}
		return ""
	}
	if len(expired) > 0 {
		return strings.Join(expired, ", ")
	}
	return "none of its keys (" + strings.Join(sortedKeys(ap.APIKeys), ", ") + ") is bound to " + env
}
