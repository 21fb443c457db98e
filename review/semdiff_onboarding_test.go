package review

import (
	"slices"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestDiffSaysWhatChangesInOnboarding(t *testing.T) {
	api := func(reqs ...snapshot.Requirements) snapshot.API {
		return snapshot.API{ID: "pub/x", Publisher: "pub", Name: "x", Major: 1, Requirements: reqs}
	}
	snap := func(terms []snapshot.PolicyTerm, category string, a snapshot.API) *snapshot.Snapshot {
		return &snapshot.Snapshot{
			Platform:   snapshot.Platform{Name: "P", RecipientCategories: terms},
			Publishers: []snapshot.Publisher{{ID: "pub", Name: "Pub"}},
			APIs:       []snapshot.API{a},
			Consumers:  []snapshot.Consumer{{ID: "org", Name: "Org", DSPT: "standards-met", RecipientCategory: category}},
		}
	}
	gp := []snapshot.PolicyTerm{{ID: "gp-practice", Description: "GP practices"}}
	prod := snapshot.Requirements{Environment: "production", Agreements: []string{"DSA-1"}}
	for _, tc := range []struct {
		name       string
		base, head *snapshot.Snapshot
		want       string
	}{
		{"a recipient category added", snap(nil, "", api()), snap(gp, "", api()), "recipient category gp-practice is accepted (GP practices)"},
		{"a recipient category removed", snap(gp, "", api()), snap(nil, "", api()), "recipient category gp-practice is no longer accepted"},
		{"requirements stated", snap(nil, "", api()), snap(nil, "", api(prod)),
			"API pub/x v1's onboarding requirements in production changes from none to agreements DSA-1"},
		{"an agreement added", snap(nil, "", api(prod)), snap(nil, "", api(snapshot.Requirements{Environment: "production", Agreements: []string{"DSA-1", "DSA-2"}, ClinicalSafetyCase: true})),
			"API pub/x v1's onboarding requirements in production changes from agreements DSA-1 to agreements DSA-1, DSA-2; a clinical safety case"},
		{"a consumer's category declared", snap(gp, "", api()), snap(gp, "gp-practice", api()), "the recipient category is set to gp-practice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			for _, g := range Compare(tc.base, tc.head).Groups {
				lines = append(lines, g.Lines...)
			}
			if !slices.Contains(lines, tc.want) {
				t.Errorf("got %q, want a line %q", lines, tc.want)
			}
		})
	}
}
