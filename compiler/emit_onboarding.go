package compiler

import (
	"slices"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// policyTerms returns the platform's recipient categories or purposes,
// sorted by ID. Their approvers stay in the repository.
func policyTerms(entries map[string]policyEntry) []snapshot.PolicyTerm {
	var out []snapshot.PolicyTerm
	for _, id := range sortedKeys(entries) {
		out = append(out, snapshot.PolicyTerm{ID: id, Description: entries[id].Description})
	}
	return out
}

// snapshotRequirements resolves an API's requirements for each
// environment it is deployed to; nil when it states none.
func snapshotRequirements(a *apiFile) []snapshot.Requirements {
	if a.Requirements == nil {
		return nil
	}
	sorted := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		return slices.Compact(slices.Sorted(slices.Values(l)))
	}
	var out []snapshot.Requirements
	for _, env := range sortedKeys(a.Environments) {
		set := a.Requirements.forEnv(env)
		dspt, _ := requiredDSPT(a, set)
		out = append(out, snapshot.Requirements{
			Environment:         env,
			DSPT:                dspt,
			Agreements:          sorted(set.Agreements),
			ClinicalSafetyCase:  set.ClinicalSafetyCase != nil && *set.ClinicalSafetyCase,
			RecipientCategories: sorted(set.RecipientCategories),
			Purposes:            sorted(set.Purposes),
		})
	}
	return out
}
