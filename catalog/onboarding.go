package catalog

import (
	"slices"
	"strconv"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Digital onboarding in the catalogue: each API's requirements, the
// organisations that use it (names and recipient categories only: never
// people, apps, credentials or contact data), and what each publisher
// serves.

// termView is a recipient category or a purpose, with its description.
type termView struct {
	ID, Description string
}

// reqGroup is one set of requirements and the environments it applies in.
type reqGroup struct {
	Envs                string // e.g. "Sandbox" or "Integration test, Production"
	DSPT                string
	Agreements          []string
	ClinicalSafetyCase  bool
	RecipientCategories []termView
	Purposes            []termView
}

// orgView is an organisation that uses an API.
type orgView struct {
	Name     string
	Category string // the recipient category's description, if declared
}

// onboardingIndex is what the onboarding views need, computed once per
// model: the organisations each API is granted to.
type onboardingIndex struct {
	orgsByAPI map[string][]string // API ID → consumer IDs, sorted
	consumers map[string]*snapshot.Consumer
	terms     map[string]string // "r:<id>" and "p:<id>" → description
}

// IntegratedOrgs lists, by API ID, the consumer organisations the
// snapshot's entitlements grant access to it, sorted (Options.Integrated).
func IntegratedOrgs(s *snapshot.Snapshot) map[string][]string {
	out := map[string][]string{}
	seen := map[[2]string]bool{}
	for _, e := range s.Entitlements {
		org, _, _ := strings.Cut(e.App, "/")
		if k := [2]string{e.API, org}; !seen[k] {
			seen[k] = true
			out[e.API] = append(out[e.API], org)
		}
	}
	for _, orgs := range out {
		slices.Sort(orgs)
	}
	return out
}

// OrganisationsOnly returns the consumers as the catalogue may show them:
// the organisations' IDs, names and recipient categories, nothing else.
func OrganisationsOnly(cs []snapshot.Consumer) []snapshot.Consumer {
	out := make([]snapshot.Consumer, len(cs))
	for i, c := range cs {
		out[i] = snapshot.Consumer{ID: c.ID, Name: c.Name, RecipientCategory: c.RecipientCategory}
	}
	return out
}

func newOnboardingIndex(s *snapshot.Snapshot, integrated map[string][]string) onboardingIndex {
	ix := onboardingIndex{orgsByAPI: integrated, consumers: map[string]*snapshot.Consumer{}, terms: map[string]string{}}
	if ix.orgsByAPI == nil {
		ix.orgsByAPI = IntegratedOrgs(s)
	}
	for i := range s.Consumers {
		ix.consumers[s.Consumers[i].ID] = &s.Consumers[i]
	}
	for _, t := range s.Platform.RecipientCategories {
		ix.terms["r:"+t.ID] = t.Description
	}
	for _, t := range s.Platform.Purposes {
		ix.terms["p:"+t.ID] = t.Description
	}
	return ix
}

func (ix onboardingIndex) termViews(prefix string, ids []string) []termView {
	out := make([]termView, 0, len(ids))
	for _, id := range ids {
		out = append(out, termView{ID: id, Description: ix.terms[prefix+id]})
	}
	return out
}

// requirements groups an API's requirements by the environments that
// share them, in the order of the API's environments.
func (ix onboardingIndex) requirements(a *snapshot.API) []reqGroup {
	var groups []reqGroup
	var keys []string
	for _, r := range a.Requirements {
		key := strings.Join([]string{r.DSPT, strings.Join(r.Agreements, ","), strconv.FormatBool(r.ClinicalSafetyCase),
			strings.Join(r.RecipientCategories, ","), strings.Join(r.Purposes, ",")}, "|")
		if i := slices.Index(keys, key); i >= 0 {
			groups[i].Envs += ", " + describe(envLabels, r.Environment).Label
			continue
		}
		keys = append(keys, key)
		groups = append(groups, reqGroup{
			Envs: describe(envLabels, r.Environment).Label, DSPT: describe(dsptLabels, r.DSPT).Label, Agreements: r.Agreements, ClinicalSafetyCase: r.ClinicalSafetyCase,
			RecipientCategories: ix.termViews("r:", r.RecipientCategories), Purposes: ix.termViews("p:", r.Purposes),
		})
	}
	return groups
}

// integrated lists the organisations granted access to the API, by name.
func (ix onboardingIndex) integrated(apiID string) []orgView {
	var out []orgView
	for _, org := range ix.orgsByAPI[apiID] {
		c := ix.consumers[org]
		if c == nil {
			continue
		}
		ov := orgView{Name: c.Name}
		if c.RecipientCategory != "" {
			ov.Category = strings.TrimSuffix(ix.terms["r:"+c.RecipientCategory], ".")
			if ov.Category == "" {
				ov.Category = c.RecipientCategory
			}
		}
		out = append(out, ov)
	}
	slices.SortFunc(out, func(a, b orgView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// organisations lists the organisations granted access to the API for
// catalogue.json: names and recipient categories.
func (ix onboardingIndex) organisations(apiID string) []CatalogueOrganisation {
	var out []CatalogueOrganisation
	for _, org := range ix.orgsByAPI[apiID] {
		if c := ix.consumers[org]; c != nil {
			out = append(out, CatalogueOrganisation{Name: c.Name, RecipientCategory: c.RecipientCategory})
		}
	}
	slices.SortFunc(out, func(a, b CatalogueOrganisation) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// served is what a publisher's live APIs serve together: the recipient
// categories and purposes they name, and whether one of them serves any.
func (ix onboardingIndex) served(pv *pubView) (cats, purposes []termView, anyCat, anyPurpose bool) {
	var cs, ps []string
	for _, av := range pv.APIs {
		if len(av.a.Requirements) == 0 {
			anyCat, anyPurpose = true, true
		}
		for _, r := range av.a.Requirements {
			anyCat = anyCat || len(r.RecipientCategories) == 0
			anyPurpose = anyPurpose || len(r.Purposes) == 0
			cs = append(cs, r.RecipientCategories...)
			ps = append(ps, r.Purposes...)
		}
	}
	slices.Sort(cs)
	slices.Sort(ps)
	return ix.termViews("r:", slices.Compact(cs)), ix.termViews("p:", slices.Compact(ps)), anyCat, anyPurpose
}

// dsptLabels name DSPT statuses for people.
var dsptLabels = map[string]labelled{
	"standards-met":      {Label: "Standards met"},
	"standards-exceeded": {Label: "Standards exceeded"},
}
