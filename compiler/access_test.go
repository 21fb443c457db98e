package compiler

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// withFile returns the base with one file replaced, its text edited by
// replacing old with new (appending new when old is "").
func withFile(t *testing.T, name, old, new string) fstest.MapFS {
	t.Helper()
	m := baseFS(t)
	f := *m[name]
	s := string(f.Data)
	if old == "" {
		s += new
	} else if !strings.Contains(s, old) {
		t.Fatalf("%s has no %q", name, old)
	} else {
		s = strings.Replace(s, old, new, 1)
	}
	f.Data = []byte(s)
	m[name] = &f
	return m
}

func TestAccessNamesEveryReasonACallWouldBeRefused(t *testing.T) {
	const (
		api      = "publishers/acme/apis/patients.cue"
		consumer = "consumers/clinic/consumer.cue"
	)
	for _, tc := range []struct {
		name    string
		fsys    fstest.MapFS
		now     time.Time
		q       AccessQuery
		allowed bool
		want    []string // reasons, in order
		wantReq string   // the kind of the requirement unmet, if any
	}{
		{name: "a grant, a key and no requirement allow it", fsys: baseFS(t),
			q: AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}, allowed: true},
		{name: "a mode other than the one granted", fsys: baseFS(t),
			q: AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production", Mode: "app-level3"}, want: []string{RefusedModeNotGranted}},
		{name: "a mode the API does not offer", fsys: baseFS(t),
			q: AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production", Mode: "nhs-cis2-aal3"}, want: []string{RefusedModeNotOffered, RefusedModeNotGranted}},
		{name: "the grant expired", fsys: baseFS(t), now: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
			q: AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}, want: []string{RefusedExpired}},
		{name: "no grant in an environment the API is not deployed to", fsys: baseFS(t),
			q: AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "integration"}, want: []string{RefusedNotDeployed, RefusedNoGrant}},
		{name: "an open API needs nothing, not even a known app", fsys: baseFS(t),
			q: AccessQuery{App: "nobody/none", API: "acme/opendata", Env: "sandbox"}, allowed: true},
		{name: "an unknown API", fsys: baseFS(t),
			q: AccessQuery{App: "clinic/portal", API: "acme/nothing", Env: "sandbox"}, want: []string{RefusedUnknownAPI}},
		{name: "no key bound to the environment",
			fsys: withFile(t, consumer, `environments: ["sandbox", "production"]`, `environments: ["sandbox"]`),
			q:    AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production", Mode: "app-level0"}, want: []string{RefusedKeyEnv}},
		{name: "a requirement unmet, in a configuration that does not compile",
			fsys: withFile(t, api, "", `requirements: purposes: ["research"]`+"\n"),
			q:    AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}, want: []string{RefusedRequirement}, wantReq: ReqPurpose},
		{name: "a DSPT status below the one personal data needs",
			fsys: withFile(t, consumer, `dspt: "standards-met"`, `dspt: "approaching-standards"`),
			q:    AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}, want: []string{RefusedRequirement}, wantReq: ReqDSPT},
		{name: "a deprecated API accepts no new grant",
			fsys: withFile(t, api, `status:       "stable"`, `status:       "deprecated"`),
			q:    AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "integration"}, want: []string{RefusedNotDeployed, RefusedNoGrant, RefusedDeprecated}},
		{name: "a retired API serves nobody",
			fsys: withFile(t, api, `status:       "stable"`, `status:       "retired"`),
			q:    AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}, want: []string{RefusedRetired}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.KeepModel = true
			if !tc.now.IsZero() {
				opts.Now = tc.now
			}
			res := mustCompile(t, tc.fsys, opts)
			ans, err := res.Access(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range ans.Refusals {
				got = append(got, r.Reason)
				if r.Rule == "" || r.File == "" || r.Approver == "" || r.Message == "" {
					t.Errorf("refusal %s lacks its rule, file, approver or message: %+v", r.Reason, r)
				}
				if r.Reason == RefusedRequirement && r.Requirement != tc.wantReq {
					t.Errorf("requirement: got %q, want %q", r.Requirement, tc.wantReq)
				}
			}
			if ans.Allowed != tc.allowed || !slices.Equal(got, tc.want) {
				t.Errorf("got allowed %v, refusals %q; want allowed %v, refusals %q", ans.Allowed, got, tc.allowed, tc.want)
			}
		})
	}
}

func TestCallableListsOnlyWhatTheAppMayCall(t *testing.T) {
	opts := testOptions()
	opts.KeepModel = true
	res := mustCompile(t, baseFS(t), opts)
	list, err := res.Callable("clinic/portal")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.API+" "+a.Environment)
	}
	want := []string{"acme/opendata sandbox", "acme/patients production", "acme/patients sandbox"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAccessNeedsTheKeptModel(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	if _, err := res.Access(AccessQuery{App: "clinic/portal", API: "acme/patients", Env: "production"}); err == nil {
		t.Error("got an answer from a compile without KeepModel")
	}
}
