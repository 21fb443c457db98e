package compiler

import (
	"fmt"
	"slices"
	"strings"
)

// Digital onboarding (rule 5): an API's requirements, checked against the
// consumer's declarations for each grant; the platform's recipient
// categories and purposes, each approved by an operator owner and a
// department owner (rule 3's "significant change").

// Requirement kinds, as `frontdoor access` names them.
const (
	ReqDSPT               = "dspt"
	ReqAgreement          = "agreement"
	ReqClinicalSafetyCase = "clinical-safety-case"
	ReqRecipientCategory  = "recipient-category"
	ReqPurpose            = "purpose"
)

// unmetReq is one requirement of an API a consumer does not meet: what
// is missing, the file where it is declared and who approves that change.
type unmetReq struct {
	kind     string
	what     string
	file     string
	approver string
}

// orNone returns s, or "none" when s is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// dsptRank orders DSPT statuses; a requirement is met by its rank or more.
var dsptRank = map[string]int{"not-met": 0, "approaching-standards": 1, "standards-met": 2, "standards-exceeded": 3}

// requiredDSPT is the DSPT status an API needs in env: what its
// requirements state, raised to standards-met for personal data; ""
// when none. implied says whether the requirements state none, so that
// the status comes from personal data alone (FD311's rule).
func requiredDSPT(a *apiFile, set requirementSet) (status string, implied bool) {
	status = set.DSPT
	if status == "none" {
		status = ""
	}
	if a.personal() && dsptRank[status] < dsptRank["standards-met"] {
		return "standards-met", set.DSPT == ""
	}
	return status, false
}

// unmetRequirements lists the requirements of API a in env that consumer
// org (cf) and its app appID do not meet on day today. withImplied adds
// the DSPT status that personal data implies when the requirements state
// none (the compiler reports that one as FD311).
func unmetRequirements(a *apiFile, env, org string, cf *consumerFile, appID string, ap *app, today string, withImplied bool) []unmetReq {
	set := a.Requirements.forEnv(env)
	file := consumerPath(org)
	owner := "an owner of consumer " + org
	var out []unmetReq
	add := func(kind, format string, args ...any) {
		out = append(out, unmetReq{kind, fmt.Sprintf(format, args...), file, owner})
	}
	if status, implied := requiredDSPT(a, set); status != "" && (withImplied || !implied) && dsptRank[cf.DSPT] < dsptRank[status] {
		add(ReqDSPT, "DSPT %s (%s: %s)", status, org, cf.DSPT)
	}
	for _, ref := range dedupe(set.Agreements) {
		sa, ok := cf.Agreements[ref]
		switch {
		case !ok:
			add(ReqAgreement, "agreement %q signed (agreements)", ref)
		case sa.Signed > today:
			add(ReqAgreement, "agreement %q signed by %s (signed %s)", ref, today, sa.Signed)
		}
	}
	if set.ClinicalSafetyCase != nil && *set.ClinicalSafetyCase && (ap == nil || ap.ClinicalSafetyCase == "") {
		add(ReqClinicalSafetyCase, "clinicalSafetyCase of app %s (direct care)", appID)
	}
	if len(set.RecipientCategories) > 0 && !slices.Contains(set.RecipientCategories, cf.RecipientCategory) {
		add(ReqRecipientCategory, "recipientCategory %s (%s: %s)", strings.Join(set.RecipientCategories, " or "), org, orNone(cf.RecipientCategory))
	}
	if len(set.Purposes) > 0 && (ap == nil || !slices.ContainsFunc(ap.Purposes, func(p string) bool { return slices.Contains(set.Purposes, p) })) {
		var has []string
		if ap != nil {
			has = ap.Purposes
		}
		add(ReqPurpose, "purposes of app %s include %s (has: %s)", appID, strings.Join(set.Purposes, " or "), orNone(strings.Join(has, ", ")))
	}
	return out
}

// requirementsRule reports, in one diagnostic at the grant, every
// requirement of the granted API that the consumer does not meet.
func (gc grantCheck) requirementsRule(a *apiFile, ap *app) {
	g, consumer := gc.g, gc.consumer
	if consumer == nil || ap == nil || g.Environment == "" || g.App == "" {
		return
	}
	unmet := unmetRequirements(a, g.Environment, gc.ge.org, consumer, g.App, ap, gc.today, false)
	if len(unmet) == 0 {
		return
	}
	items := make([]string, len(unmet))
	for i, u := range unmet {
		items[i] = u.what
	}
	// Every requirement is met by a declaration of the consumer: one file,
	// one approver.
	gc.s.add(gc.file, g.At.self, codeRequirementsUnmet,
		"declare them in "+unmet[0].file+", approved by "+unmet[0].approver+"; or an owner of "+gc.ge.pub+" changes requirements in "+apiPath(gc.ge.pub, g.API),
		"%s in %s: consumer %s lacks %d requirement(s) of %s: %s",
		g.name(), g.Environment, gc.ge.org, len(unmet), gc.ge.pub+"/"+g.API, strings.Join(items, "; "))
}

// checkOnboardingPolicy checks the platform's recipient categories and
// purposes (each approved by an operator owner and a department owner),
// the APIs' requirements and the consumers' declarations against them.
func checkOnboardingPolicy(s *diagSink, m *model, today string) {
	p := m.platform
	gs := m.gaps[platformPath()]
	for _, pol := range []struct {
		field, what string
		entries     map[string]policyEntry
	}{{"recipientCategories", "recipient category", p.RecipientCategories}, {"purposes", "purpose", p.Purposes}} {
		for _, name := range sortedKeys(pol.entries) {
			ab := pol.entries[name].ApprovedBy
			if !gs.lacks(pol.field, name, "approvedBy", "operator") && !slices.Contains(p.Operator.Owners, ab.Operator) {
				s.add(platformPath(), ab.At.of("operator"), codePolicyApproval, "approvedBy.operator must be one of operator.owners",
					"%s %s: %q is not an operator owner", pol.what, name, ab.Operator)
			}
			if !gs.lacks(pol.field, name, "approvedBy", "department") && !slices.Contains(p.Department.Owners, ab.Department) {
				s.add(platformPath(), ab.At.of("department"), codePolicyApproval, "approvedBy.department must be one of department.owners",
					"%s %s: %q is not a department owner", pol.what, name, ab.Department)
			}
			if !gs.lacks(pol.field, name, "approvedBy", "date") {
				checkDate(s, platformPath(), ab.At.of("date"), ab.Date)
			}
		}
	}
	apis := both(m.apis, m.partial.apis)
	for _, id := range sortedKeys(apis) {
		r := apis[id].Requirements
		if r == nil {
			continue
		}
		pub, name, _ := strings.Cut(id, "/")
		file := apiPath(pub, name)
		checkRequirementSet(s, p, file, requirementSet{At: r.At, RecipientCategories: r.RecipientCategories, Purposes: r.Purposes})
		for _, env := range sortedKeys(r.Environments) {
			e := r.Environments[env]
			if _, ok := p.Environments[env]; !ok {
				s.add(file, e.At.self, codeUnknownEnv, "use one of "+strings.Join(sortedKeys(p.Environments), ", "), "requirements of unknown environment %q", env)
			}
			checkRequirementSet(s, p, file, e)
		}
	}
	consumers := both(m.consumers, m.partial.consumers)
	for _, org := range sortedKeys(consumers) {
		checkDeclarations(s, p, consumerPath(org), consumers[org], today)
	}
}

// checkRequirementSet reports the recipient categories and purposes of
// one set of requirements that the platform does not know.
func checkRequirementSet(s *diagSink, p *platformFile, file string, set requirementSet) {
	for _, c := range set.RecipientCategories {
		if _, ok := p.RecipientCategories[c]; !ok {
			s.add(file, set.At.of("recipientCategories"), codeUnknownRecipient, knownHint(p.RecipientCategories, "recipientCategories"),
				"recipient category %q is not one of the platform's", c)
		}
	}
	for _, pu := range set.Purposes {
		if _, ok := p.Purposes[pu]; !ok {
			s.add(file, set.At.of("purposes"), codeUnknownPurpose, knownHint(p.Purposes, "purposes"), "purpose %q is not one of the platform's", pu)
		}
	}
}

// checkDeclarations checks a consumer's declarations: a known recipient
// category and purposes, agreements signed no later than today.
func checkDeclarations(s *diagSink, p *platformFile, file string, cf *consumerFile, today string) {
	if c := cf.RecipientCategory; c != "" {
		if _, ok := p.RecipientCategories[c]; !ok {
			s.add(file, cf.At.of("recipientCategory"), codeUnknownRecipient, knownHint(p.RecipientCategories, "recipientCategories"),
				"recipient category %q is not one of the platform's", c)
		}
	}
	for _, ref := range sortedKeys(cf.Agreements) {
		sa := cf.Agreements[ref]
		if sa.Signed == "" || !checkDate(s, file, sa.At.of("signed"), sa.Signed) {
			continue
		}
		if today != "" && sa.Signed > today {
			s.add(file, sa.At.of("signed"), codeFutureAgreement, "signed is the day it was signed, "+today+" or earlier",
				"agreement %q is signed on %s, after today (%s)", ref, sa.Signed, today)
		}
	}
	for _, appID := range sortedKeys(cf.Apps) {
		ap := cf.Apps[appID]
		for _, pu := range ap.Purposes {
			if _, ok := p.Purposes[pu]; !ok {
				s.add(file, ap.At.of("purposes"), codeUnknownPurpose, knownHint(p.Purposes, "purposes"),
					"app %s: purpose %q is not one of the platform's", appID, pu)
			}
		}
	}
}

// knownHint lists the platform's entries of a policy field.
func knownHint(entries map[string]policyEntry, field string) string {
	if len(entries) == 0 {
		return "frontdoor.cue declares no " + field + " yet: the operator and the department add them"
	}
	return "use one of " + strings.Join(sortedKeys(entries), ", ") + " (frontdoor.cue " + field + ")"
}
