package compiler

import (
	"fmt"
	"slices"
	"testing"
	"testing/fstest"
)

// TestEveryProblemOfAFileIsReportedInOneRun writes files with several
// problems each, of every kind of file: schema problems hiding each other
// (a field not allowed beside an invalid value) and schema problems beside
// the rules' problems (a bad date beside an unknown API). One compile
// reports each of them.
func TestEveryProblemOfAFileIsReportedInOneRun(t *testing.T) {
	for _, tc := range []struct {
		name, file, src string
		want            []string // "line:CODE"
	}{
		{"api: a misspelt field and an invalid enum", "publishers/acme/apis/opendata.cue", `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
statuss:      "beta"
serviceLevel: "diamond"
environments: sandbox: upstream: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, []string{"4:FD101", "5:FD104"}},
		{"api: an invalid enum, a wrong type and an unknown nested field", "publishers/acme/apis/opendata.cue", `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "gamma"
serviceLevel: 3
environments: sandbox: upstreem: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, []string{"4:FD104", "5:FD102", "6:FD101"}},
		{"grants: a bad date, a wrong environment and an unknown API", "publishers/acme/grants/clinic.cue", `grants: [{
	app:         "portal"
	api:         "nosuch"
	environment: "prod"
	accessMode:  "app-level0"
	approvedBy:  "acme-dev"
	date:        "2025-13-45"
}]
`, []string{"3:FD202", "4:FD205", "7:FD104"}},
		{"grants: problems in two grants of one file", "publishers/acme/grants/clinic.cue", `grants: [{
	app:         "portal"
	api:         "patients"
	environment: "sandbox"
	accessMode:  "app-level0"
	approvedBy:  "acme-dev"
	date:        "yesterday"
	colour:      "blue"
}, {
	app:         "nosuch"
	api:         "patients"
	environment: "sandbox"
	accessMode:  "app-level3"
	approvedBy:  "acme-dev"
	date:        "2025-06-01"
}]
`, []string{"7:FD104", "8:FD101", "10:FD204"}},
		{"consumer: a wrong DSPT value and a misspelt app field", "consumers/clinic/consumer.cue", `name: "Riverside Clinic"
dspt: "met"
contact: {
	name:  "Pat Example"
	email: "pat@clinic.test"
}
owners: ["clinic-dev"]
apps: portal: {
	nam: "Patient portal"
	apiKeys: primary: sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}
`, []string{"2:FD104", "9:FD101"}},
		{"publisher: an unknown field, a wrong type and an invalid owner", "publishers/acme/publisher.cue", `name:     "Acme Health Trust"
category: "public-body"
contact: email: "api-team@acme.test"
legalBasis:     "Health and Social Care Act 2012, s.254"
dataController: "yes"
owners: ["acme dev"]
website: "https://acme.test"
colour: "blue"
`, []string{"5:FD102", "6:FD104", "8:FD101"}},
		{"platform: a misspelt field and an invalid base URL", "frontdoor.cue", `name: "Test Health API Platform"
operator: {
	name:   "Test Operator"
	owners: ["op-alice", "op-bob"]
}
department: {
	name:   "Department of Tests"
	owners: ["dept-carol"]
}
environments: {
	sandbox: baseURL:     "not a url"
	integration: baseURL: "https://int.api.test"
	production: baseURL:  "https://api.test"
}
publisherCategories: {
	"public-body": {
		description: "Public bodies of the health system"
		approvedBy: {operator: "op-alice", department: "dept-carol", date: "2025-01-10"}
	}
}
identityProviders: {
	"nhs-login": {
		issuer:     "https://login.test"
		jwksURL:    "https://login.test/jwks"
		levelClaim: "identity_proofing_level"
		levels: {P9: "nhs-login-p9", P5: "nhs-login-p5"}
	}
}
retention: 90
`, []string{"11:FD104", "29:FD101"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseFS(t)
			m[tc.file] = &fstest.MapFile{Data: []byte(tc.src)}
			res := mustCompile(t, m, testOptions())
			var got []string
			for _, d := range res.Diagnostics {
				if d.File == tc.file {
					got = append(got, fmt.Sprintf("%d:%s", d.Line, d.Code))
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("got no %s; diagnostics:\n%s", w, renderDiags(res.Diagnostics))
				}
			}
		})
	}
}
