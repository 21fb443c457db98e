package store_test

import (
	"slices"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// TestAGrantRunReadsAsTheListItMakes applies one grant run to a store and
// checks every grant read, by app and in all, against the list the run
// makes, and that the grants the run kept are the base's own rows.
func TestAGrantRunReadsAsTheListItMakes(t *testing.T) {
	s := snaptest.New(snaptest.Options{Generation: 1, Publishers: 1, APIs: 2, Apps: 3, GrantsPerApp: 2})
	ents := s.Entitlements // sorted: two grants each of three apps
	changed := ents[1]
	changed.Expires = "2031-01-01"
	newApp := ents[2]
	newApp.App = ents[2].App + "a" // between the second and the third app
	var apis []string              // sorted, as Grants reads them
	for _, e := range ents {
		apis = append(apis, e.API)
	}
	slices.Sort(apis)
	apis = slices.Compact(apis)
	for _, tc := range []struct {
		name          string
		before, after int // indexes in ents, -1 for none
		items         []snapshot.Entitlement
	}{
		{"a grant changed inside an app", 0, 2, []snapshot.Entitlement{changed}},
		{"an app's grants all gone", 1, 4, nil},
		{"the grants of a new app", 3, 4, []snapshot.Entitlement{newApp}},
		{"grants gone across apps", 0, 5, []snapshot.Entitlement{ents[3]}},
		{"every grant from the start", -1, -1, ents[1:]},
		{"the last app's grants replaced", 3, -1, []snapshot.Entitlement{ents[5]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := build(t, s)
			run := store.Run[snapshot.Entitlement]{Items: tc.items}
			var want []snapshot.Entitlement
			if tc.before >= 0 {
				run.Before = &ents[tc.before]
				want = append(want, ents[:tc.before+1]...)
			}
			want = append(want, tc.items...)
			if tc.after >= 0 {
				run.After = &ents[tc.after]
				want = append(want, ents[tc.after:]...)
			}
			next, err := store.Apply(base, store.Change{Digest: "sha256:next", Doc: s,
				Changed: map[string]bool{store.SectionEntitlements: true}, Edits: store.Edits{Entitlements: []store.Run[snapshot.Entitlement]{run}}})
			if err != nil {
				t.Fatal(err)
			}
			got := next.Read().AllGrants()
			if !slices.EqualFunc(got, want, func(g *store.Grant, e snapshot.Entitlement) bool { return g.Entitlement == e }) {
				t.Fatalf("got %d grants %v, want %d %v", len(got), got, len(want), want)
			}
			kept := map[*store.Grant]bool{}
			for _, g := range base.Read().AllGrants() {
				kept[g] = true
			}
			rd := next.Read()
			for _, e := range ents {
				g, ok := rd.Grant(e.App, e.API, e.Environment, e.AccessMode)
				i := slices.IndexFunc(want, func(w snapshot.Entitlement) bool { return w.Key() == e.Key() })
				switch {
				case (i >= 0) != ok:
					t.Errorf("grant %v: found %v, want %v", e, ok, i >= 0)
				case ok && g.Entitlement != want[i]:
					t.Errorf("grant %v: got %v", want[i], g.Entitlement)
				case ok && want[i] == e && !kept[g]:
					t.Errorf("grant %v: a new row, want the base's", e)
				}
			}
			for _, app := range []string{ents[0].App, ents[2].App, newApp.App, ents[4].App} {
				var gotApp []snapshot.Entitlement
				for _, api := range apis {
					rd.Grants(app, api, ents[0].Environment, func(g *store.Grant) bool {
						gotApp = append(gotApp, g.Entitlement)
						return true
					})
				}
				wantApp := slices.DeleteFunc(slices.Clone(want), func(e snapshot.Entitlement) bool {
					return e.App != app || e.Environment != ents[0].Environment
				})
				if !slices.Equal(gotApp, wantApp) {
					t.Errorf("app %s: got %v, want %v", app, gotApp, wantApp)
				}
			}
		})
	}
}
