package review

import (
	"fmt"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// What a pull request changes in digital onboarding, in plain English:
// the platform's recipient categories and purposes, an API's requirements,
// a consumer's recipient category.

// policyTermLines lists the recipient categories and purposes added to or
// removed from the platform.
func policyTermLines(b, h *snapshot.Platform) []string {
	var ls []string
	for _, t := range []struct {
		what        string
		base, head  []snapshot.PolicyTerm
		added, gone string
	}{
		{"recipient category", b.RecipientCategories, h.RecipientCategories, "is accepted", "is no longer accepted"},
		{"purpose", b.Purposes, h.Purposes, "is allowed", "is no longer allowed"},
	} {
		keys, bm, hm := pair(t.base, t.head, func(p snapshot.PolicyTerm) string { return p.ID })
		for _, k := range keys {
			switch x, y := bm[k], hm[k]; {
			case x == nil:
				ls = append(ls, fmt.Sprintf("%s %s %s (%s)", t.what, k, t.added, y.Description))
			case y == nil:
				ls = append(ls, fmt.Sprintf("%s %s %s", t.what, k, t.gone))
			case x.Description != y.Description:
				ls = append(ls, changed(t.what+" "+k+"'s description", x.Description, y.Description))
			}
		}
	}
	return ls
}

// requirementLines lists the environments whose onboarding requirements
// an API changes.
func requirementLines(x, y *snapshot.API) []string {
	keys, bm, hm := pair(x.Requirements, y.Requirements, func(r snapshot.Requirements) string { return r.Environment })
	var ls []string
	for _, k := range keys {
		a, b := describeRequirements(bm[k]), describeRequirements(hm[k])
		if a != b {
			ls = append(ls, changed(fmt.Sprintf("API %s's onboarding requirements in %s", apiName(y), k), a, b))
		}
	}
	return ls
}

// describeRequirements says what a set of requirements asks, "none" for
// none.
func describeRequirements(r *snapshot.Requirements) string {
	if r == nil {
		return "none"
	}
	var parts []string
	if r.DSPT != "" {
		parts = append(parts, "DSPT "+r.DSPT)
	}
	if len(r.Agreements) > 0 {
		parts = append(parts, "agreements "+strings.Join(r.Agreements, ", "))
	}
	if r.ClinicalSafetyCase {
		parts = append(parts, "a clinical safety case")
	}
	if len(r.RecipientCategories) > 0 {
		parts = append(parts, "recipients "+strings.Join(r.RecipientCategories, ", "))
	}
	if len(r.Purposes) > 0 {
		parts = append(parts, "purposes "+strings.Join(r.Purposes, ", "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
