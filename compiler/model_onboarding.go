package compiler

// The Go form of the digital-onboarding fields: platform policy
// (recipient categories, purposes), an API's requirements and a consumer's
// declarations (schema: #PolicyEntry, #Requirements, #Consumer).

// policyEntry is an entry of frontdoor.cue that an operator owner and a
// department owner approve: a publisher category, a recipient category or
// a purpose.
type policyEntry struct {
	At          at
	Description string `json:"description"`
	ApprovedBy  struct {
		At         at
		Operator   string `json:"operator"`
		Department string `json:"department"`
		Date       string `json:"date"`
	} `json:"approvedBy"`
}

// requirementSet is one set of an API's onboarding requirements; a nil
// slice or pointer is a requirement not stated.
type requirementSet struct {
	At                  at
	DSPT                string   `json:"dspt"`
	Agreements          []string `json:"agreements"`
	ClinicalSafetyCase  *bool    `json:"clinicalSafetyCase"`
	RecipientCategories []string `json:"recipientCategories"`
	Purposes            []string `json:"purposes"`
}

// requirements are an API's onboarding requirements: API-wide, and what
// differs per environment. (The decoder fills named fields only: the
// API-wide set is written out rather than embedded.)
type requirements struct {
	At                  at
	DSPT                string                    `json:"dspt"`
	Agreements          []string                  `json:"agreements"`
	ClinicalSafetyCase  *bool                     `json:"clinicalSafetyCase"`
	RecipientCategories []string                  `json:"recipientCategories"`
	Purposes            []string                  `json:"purposes"`
	Environments        map[string]requirementSet `json:"environments"`
}

// forEnv returns the requirements in environment env: the API-wide ones,
// each replaced by the environment's when it states it.
func (r *requirements) forEnv(env string) requirementSet {
	if r == nil {
		return requirementSet{}
	}
	set := requirementSet{At: r.At, DSPT: r.DSPT, Agreements: r.Agreements, ClinicalSafetyCase: r.ClinicalSafetyCase,
		RecipientCategories: r.RecipientCategories, Purposes: r.Purposes}
	e, ok := r.Environments[env]
	if !ok {
		return set
	}
	set.At = e.At
	if e.DSPT != "" {
		set.DSPT = e.DSPT
	}
	if e.Agreements != nil {
		set.Agreements = e.Agreements
	}
	if e.ClinicalSafetyCase != nil {
		set.ClinicalSafetyCase = e.ClinicalSafetyCase
	}
	if e.RecipientCategories != nil {
		set.RecipientCategories = e.RecipientCategories
	}
	if e.Purposes != nil {
		set.Purposes = e.Purposes
	}
	return set
}

// signedAgreement is an agreement a consumer has signed.
type signedAgreement struct {
	At     at
	Signed string `json:"signed"`
}
