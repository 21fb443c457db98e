package compiler

import (
	"strings"
	"testing"
	"testing/fstest"
)

// withFiles returns the base configuration with files replaced or added.
func withFiles(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	m := baseFS(t)
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	return m
}

const clinicHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func consumerWith(org, owner, apps string) string {
	return `name: "Org ` + org + `"
dspt: "standards-met"
contact: {name: "Sam Example", email: "sam@example.test"}
owners: ["` + owner + `"]
apps: {
` + apps + `
}
`
}

func TestACopiedCredentialNamesTheFirstRegistration(t *testing.T) {
	for _, tc := range []struct {
		name, apps, want string
	}{
		{"api key of another org", `tool: {name: "Tool", apiKeys: copied: {sha256: "` + clinicHash + `", environments: ["sandbox"]}}`,
			"api key copied of app tool has the same hash as api key primary of app portal at consumers/clinic/consumer.cue:10:"},
		{"public key of another org under another kid", `tool: {name: "Tool", jwks: [{kid: "other", kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`,
			`JWK "other" of app tool is the same public key as JWK "k1" of app portal at consumers/clinic/consumer.cue:11:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustCompile(t, withFiles(t, map[string]string{"consumers/zed/consumer.cue": consumerWith("zed", "zed-dev", tc.apps)}), testOptions())
			var got []Diagnostic
			for _, d := range res.Diagnostics {
				if d.Code == codeSharedCredential {
					got = append(got, d)
				}
			}
			if len(got) != 1 || got[0].File != "consumers/zed/consumer.cue" || !strings.Contains(got[0].Message, tc.want) {
				t.Errorf("got %v, want one FD319 in consumers/zed/consumer.cue containing %q", got, tc.want)
			}
			if res.Snapshot != nil {
				t.Error("got a snapshot")
			}
		})
	}
}

func TestDistinctCredentialsOfTwoOrgsAreAccepted(t *testing.T) {
	apps := `tool: {name: "Tool", apiKeys: k: {sha256: "` + strings.Repeat("0", 63) + `1", environments: ["sandbox"]}` + `, jwks: [{kid: "k1", kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "AAFEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`
	res := mustCompile(t, withFiles(t, map[string]string{"consumers/zed/consumer.cue": consumerWith("zed", "zed-dev", apps)}), testOptions())
	if res.Diagnostics.HasErrors() {
		t.Errorf("got\n%s", renderDiags(res.Diagnostics))
	}
}

const grantTemplate = `grants: [{
	app:         "portal"
	api:         "patients"
	environment: "production"
	accessMode:  "app-level0"
	approvedBy:  "APPROVER"
	date:        "DATE"
	expires:     "2026-06-01"
}]
`

func TestGrantApprovalRules(t *testing.T) {
	for _, tc := range []struct {
		name, approver, date, owners string
		want                         []string // codes, sorted
	}{
		{"dated today by a publisher owner", "acme-dev", "2026-01-15", `["acme-dev"]`, nil},
		{"approver in another case", "ACME-DEV", "2026-01-15", `["acme-dev"]`, nil},
		{"dated tomorrow", "acme-dev", "2026-01-16", `["acme-dev"]`, []string{codeFutureGrant}},
		{"dated in another century", "acme-dev", "2099-01-01", `["acme-dev"]`, []string{codeFutureGrant}},
		{"approved by the consumer's owner", "clinic-dev", "2025-06-01", `["acme-dev"]`, []string{codeGrantApprover, codeSelfApproval}},
		{"approved by an owner of both", "clinic-dev", "2025-06-01", `["acme-dev", "clinic-dev"]`, []string{codeSelfApproval}},
		{"approved by nobody's owner", "someone", "2025-06-01", `["acme-dev"]`, []string{codeGrantApprover}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub := strings.Replace(string(baseFS(t)["publishers/acme/publisher.cue"].Data), `owners: ["acme-dev"]`, "owners: "+tc.owners, 1)
			g := strings.NewReplacer("APPROVER", tc.approver, "DATE", tc.date).Replace(grantTemplate)
			res := mustCompile(t, withFiles(t, map[string]string{"publishers/acme/publisher.cue": pub, "publishers/acme/grants/clinic.cue": g}), testOptions())
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, d.Code)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got codes %v, want %v\n%s", got, tc.want, renderDiags(res.Diagnostics))
			}
		})
	}
}

func TestSpecialCategoryAPIsArePersonalDataInTheSnapshot(t *testing.T) {
	api := strings.Replace(string(baseFS(t)["publishers/acme/apis/patients.cue"].Data), "personalData: true", "personalData: false\nspecialCategory: true\ndpia: \"DPIA-1\"", 1)
	g := strings.NewReplacer("APPROVER", "acme-dev", "DATE", "2025-06-01").Replace(grantTemplate)
	res := mustCompile(t, withFiles(t, map[string]string{"publishers/acme/apis/patients.cue": api, "publishers/acme/grants/clinic.cue": g}), testOptions())
	if res.Snapshot == nil {
		t.Fatalf("got no snapshot:\n%s", renderDiags(res.Diagnostics))
	}
	a, ok := res.Snapshot.API("acme/patients")
	if !ok || !a.PersonalData {
		t.Errorf("got %+v, want personalData true", a)
	}
}

func TestIdentityHeadersOfTheirOwnAreAccepted(t *testing.T) {
	api := string(baseFS(t)["publishers/acme/apis/patients.cue"].Data) + `identityHeaders: {app: "X-Caller-App", org: "X-Caller-Org", user: "X-Frontdoor-User", level: "NHSD-Identity-Level"}
`
	res := mustCompile(t, withFiles(t, map[string]string{"publishers/acme/apis/patients.cue": api}), testOptions())
	if res.Diagnostics.HasErrors() {
		t.Errorf("got\n%s", renderDiags(res.Diagnostics))
	}
}
