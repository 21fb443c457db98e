package compiler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestEveryProblemOfAFileIsReportedInOneRun writes files with several
// problems each, of every kind of file: schema problems hiding each other
// (a field not allowed beside an invalid value) and schema problems beside
// the rules' problems (a bad date beside an unknown API). One compile
// reports each of them, and nothing else: no rule reports what only
// follows from a field the schema refused, and no file that names one that
// failed reports it unknown.
func TestEveryProblemOfAFileIsReportedInOneRun(t *testing.T) {
	for _, tc := range []struct {
		name, file, src string
		want            []string          // "line:CODE" in file
		others          []string          // "path:line:CODE" in other files
		extra           map[string]string // more files: path -> source
	}{
		{name: "api: a misspelt field and an invalid enum", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
statuss:      "beta"
serviceLevel: "diamond"
environments: sandbox: upstream: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"1:FD103", "4:FD101", "5:FD104"}},
		{name: "api: an invalid enum, a wrong type and an unknown nested field", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "gamma"
serviceLevel: 3
environments: sandbox: upstreem: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"4:FD104", "5:FD102", "6:FD101", "6:FD103"}},
		{name: "grants: a bad date, a wrong environment and an unknown API", file: "publishers/acme/grants/clinic.cue", src: `grants: [{
	app:         "portal"
	api:         "nosuch"
	environment: "prod"
	accessMode:  "app-level0"
	approvedBy:  "acme-dev"
	date:        "2025-13-45"
}]
`, want: []string{"3:FD202", "4:FD205", "7:FD104"}},
		{name: "grants: problems in two grants of one file", file: "publishers/acme/grants/clinic.cue", src: `grants: [{
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
`, want: []string{"7:FD104", "8:FD101", "10:FD204"}},
		{name: "consumer: a wrong DSPT value and a misspelt app field", file: "consumers/clinic/consumer.cue", src: `name: "Riverside Clinic"
dspt: "met"
contact: {
	name:  "Pat Example"
	email: "pat@clinic.test"
}
owners: ["clinic-dev"]
apps: portal: {
	nam: "Patient portal"
	apiKeys: primary: {sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", environments: ["sandbox"]}
}
`, want: []string{"2:FD104", "8:FD103", "9:FD101"}},
		{name: "publisher: an unknown field, a wrong type and an invalid owner", file: "publishers/acme/publisher.cue", src: `name:     "Acme Health Trust"
category: "public-body"
contact: email: "api-team@acme.test"
legalBasis:     "Health and Social Care Act 2012, s.254"
dataController: "yes"
owners: ["acme dev"]
website: "https://acme.test"
colour: "blue"
`, want: []string{"5:FD102", "6:FD104", "8:FD101"}},
		{name: "platform: a misspelt field and an invalid base URL", file: "frontdoor.cue", src: `name: "Test Health API Platform"
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
`, want: []string{"11:FD104", "29:FD101"}},
		// Rules run on what is left of an API that fails its schema.
		{name: "api: an unknown field beside a special-category API without a DPIA", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "beta"
serviceLevel: "gold"
environments: sandbox: upstream: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
specialCategory: true
rateLimits: proxy: {limit: 10, per: "second"}
colour: "blue"
`, want: []string{"9:FD315", "11:FD101"}},
		{name: "api: a wrong type beside an unknown environment and a wrong base path", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "beta"
serviceLevel: "gold"
basePath:     "/acme/opendata/v1"
environments: staging: upstream: "https://staging.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
personalData: "no"
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"6:FD313", "7:FD205", "10:FD102"}},
		{name: "api: an invalid status deployed to production reports no missing launch", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "gamma"
serviceLevel: "gold"
environments: production: upstream: "https://acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"4:FD104"}},
		{name: "api: an invalid version reports no wrong base path", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "two"
status:       "beta"
serviceLevel: "gold"
basePath:     "/acme/opendata/v2"
environments: sandbox: upstream: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"3:FD104"}},
		{name: "api: an empty DPIA of a special-category API is reported once", file: "publishers/acme/apis/opendata.cue", src: `title:        "Open data"
summary:      "Open statistics."
version:      "2.0.0"
status:       "beta"
serviceLevel: "gold"
environments: sandbox: upstream: "https://sandbox.acme.test/opendata"
accessModes: ["open"]
dataCategories: []
specialCategory: true
dpia: ""
rateLimits: proxy: {limit: 10, per: "second"}
`, want: []string{"10:FD104"}},
		{name: "api: a schema problem in an API that grants and a launch name hides none of their problems", file: "publishers/acme/apis/patients.cue", src: `title:        "Patients"
summary:      "Look up patients."
version:      "1.2.0"
status:       "stable"
serviceLevel: "gold"
environments: {
	sandbox: upstream:    "https://sandbox.acme.test/patients"
	production: upstream: "https://acme.test/patients"
}
accessModes: ["app-level0", "app-level3", "nhs-login-p9"]
dataCategories: ["demographics"]
personalData: true
specialCategory: true
rateLimits: proxy: {limit: 100, per: "second"}
colour: "blue"
`, want: []string{"13:FD315", "15:FD101"}},
		{name: "api: a schema problem hides none of its document's problems", file: "publishers/acme/apis/patients.cue", src: `title:        "Patients"
summary:      "Look up patients."
version:      "1.2.0"
status:       "stable"
serviceLevel: "gold"
environments: {
	sandbox: upstream:    "https://sandbox.acme.test/patients"
	production: upstream: "https://acme.test/patients"
}
accessModes: ["app-level0", "app-level3", "nhs-login-p9"]
dataCategories: ["demographics"]
personalData: true
rateLimits: proxy: {limit: 100, per: "second"}
colour: "blue"
`, want: []string{"14:FD101"}, others: []string{"publishers/acme/apis/patients.yaml:4:FD407"}, extra: map[string]string{
			"publishers/acme/apis/patients.yaml": specV2}},
		{name: "api: an invalid version reports nothing of its document's version", file: "publishers/acme/apis/patients.cue", src: `title:        "Patients"
summary:      "Look up patients."
version:      "one"
status:       "stable"
serviceLevel: "gold"
environments: {
	sandbox: upstream:    "https://sandbox.acme.test/patients"
	production: upstream: "https://acme.test/patients"
}
accessModes: ["app-level0", "app-level3", "nhs-login-p9"]
dataCategories: ["demographics"]
personalData: true
rateLimits: proxy: {limit: 100, per: "second"}
`, want: []string{"3:FD104"}, extra: map[string]string{
			"publishers/acme/apis/patients.yaml": specV2}},
		{name: "publisher: an unknown field beside a publisher that is not the data controller", file: "publishers/acme/publisher.cue", src: `name:     "Acme Health Trust"
category: "public-body"
contact: email: "api-team@acme.test"
legalBasis:     "Health and Social Care Act 2012, s.254"
dataController: false
owners: ["acme-dev"]
colour: "blue"
`, want: []string{"5:FD303", "7:FD101"}},
		{name: "publisher: a wrong type beside an unknown category and no legal basis", file: "publishers/acme/publisher.cue", src: `name:     3
category: "charity"
contact: email: "api-team@acme.test"
dataController: true
owners: ["acme-dev"]
`, want: []string{"1:FD102", "1:FD302", "2:FD304"}},
		{name: "publisher: a wrongly typed dataController reports no data controller rule", file: "publishers/acme/publisher.cue", src: `name:     "Acme Health Trust"
category: "public-body"
contact: email: "api-team@acme.test"
legalBasis:     "Health and Social Care Act 2012, s.254"
dataController: "yes"
owners: ["acme-dev"]
`, want: []string{"5:FD102"}},
		{name: "publisher: an invalid category is reported once", file: "publishers/acme/publisher.cue", src: `name:     "Acme Health Trust"
category: "Public Body"
contact: email: "api-team@acme.test"
legalBasis:     "Health and Social Care Act 2012, s.254"
dataController: true
owners: ["acme-dev"]
`, want: []string{"2:FD104"}},
		{name: "consumer: an invalid contact email beside a plaintext API key", file: "consumers/clinic/consumer.cue", src: `name: "Riverside Clinic"
dspt: "standards-met"
contact: {
	name:  "Pat Example"
	email: "pat"
}
owners: ["clinic-dev"]
apps: portal: {
	name: "Patient portal"
	apiKeys: primary: {sha256: "hunter2", environments: ["sandbox", "production"]}
}
`, want: []string{"5:FD104", "10:FD321"}},
		{name: "consumer: a misspelt field beside a copied API key", file: "consumers/zeta/consumer.cue", src: `name: "Zeta Surgery"
dspt: "standards-met"
contact: {
	name:  "Sam Example"
	email: "sam@zeta.test"
}
owners: ["zeta-dev"]
apps: "zeta-app": {
	nam: "Zeta app"
	apiKeys: copied: {sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", environments: ["sandbox"]}
}
`, want: []string{"8:FD103", "9:FD101", "10:FD319"}},
		{name: "consumer: a copied API key of a file that fails its schema is the first registration", file: "consumers/alpha/consumer.cue", src: `name: "Alpha Surgery"
dspt: "unknown"
contact: {
	name:  "Sam Example"
	email: "sam@alpha.test"
}
owners: ["alpha-dev"]
apps: "alpha-app": {
	name: "Alpha app"
	apiKeys: first: {sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", environments: ["staging"]}
}
`, want: []string{"2:FD104", "10:FD104"}, others: []string{"consumers/clinic/consumer.cue:10:FD319"}},
		{name: "consumer: an API key hash of the wrong type is reported once", file: "consumers/clinic/consumer.cue", src: `name: "Riverside Clinic"
dspt: "standards-met"
contact: {
	name:  "Pat Example"
	email: "pat@clinic.test"
}
owners: ["clinic-dev"]
apps: portal: {
	name: "Patient portal"
	apiKeys: primary: {sha256: 42, environments: ["sandbox", "production"]}
}
`, want: []string{"10:FD102"}},
		{name: "consumer: an invalid DSPT beside two JWKs with one kid", file: "consumers/clinic/consumer.cue", src: `name: "Riverside Clinic"
dspt: "met"
contact: {
	name:  "Pat Example"
	email: "pat@clinic.test"
}
owners: ["clinic-dev"]
apps: portal: {
	name: "Patient portal"
	apiKeys: primary: {sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", environments: ["sandbox", "production"]}
	jwks: [{kid: "k1", kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
		{kid: "k1", kty: "EC", crv: "P-256", x: "g83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]
}
`, want: []string{"2:FD104", "12:FD209"}},
		{name: "platform: a misspelt field beside a category approved by a non-operator", file: "frontdoor.cue", src: `name: "Test Health API Platform"
operator: {
	name:   "Test Operator"
	owners: ["op-alice", "op-bob"]
}
department: {
	name:   "Department of Tests"
	owners: ["dept-carol"]
}
environments: {
	sandbox: baseURL:     "https://sandbox.api.test"
	integration: baseURL: "https://int.api.test"
	production: baseURL:  "https://api.test"
}
publisherCategories: {
	"public-body": {
		description: "Public bodies of the health system"
		approvedBy: {operator: "op-zed", department: "dept-carol", date: "2025-01-10"}
	}
}
identityProviders: {}
retention: 90
`, want: []string{"18:FD305", "22:FD101"}},
		{name: "platform: an invalid operator owner reports no category approval", file: "frontdoor.cue", src: `name: "Test Health API Platform"
operator: {
	name:   "Test Operator"
	owners: ["op alice", "op-bob"]
}
department: {
	name:   "Department of Tests"
	owners: ["dept-carol"]
}
environments: {
	sandbox: baseURL:     "https://sandbox.api.test"
	integration: baseURL: "https://int.api.test"
	production: baseURL:  "https://api.test"
}
publisherCategories: {
	"public-body": {
		description: "Public bodies of the health system"
		approvedBy: {operator: "op-alice", department: "dept-carol", date: "2025-01-10"}
	}
}
identityProviders: {}
`, want: []string{"4:FD104"}},
		{name: "onboarding: a misspelt field beside an approver who is not an operator and a date that does not exist", file: "approvals/onboarding/acme.cue", src: `approvedBy: "acme-dev"
date:       "2025-02-30"
agreement: {
	reference: "PA-2025-001"
	signed:    "2025-01-28"
}
colour: "blue"
`, want: []string{"1:FD306", "2:FD104", "7:FD101"}},
		{name: "onboarding: a file that fails its schema hides none of its publisher's problems", file: "approvals/onboarding/acme.cue", src: `approvedBy: "op-alice"
date:       "2025-02-01"
agreement: {
	reference: "PA-2025-001"
	signed:    "2025-01-28"
}
colour: "blue"
`, want: []string{"7:FD101"}, others: []string{"publishers/acme/publisher.cue:4:FD303"}, extra: map[string]string{
			"publishers/acme/publisher.cue": `name:     "Acme Health Trust"
category: "public-body"
contact: email: "api-team@acme.test"
dataController: false
legalBasis:     "Health and Social Care Act 2012, s.254"
owners: ["acme-dev"]
`}},
		{name: "onboarding: an invalid approver is reported once", file: "approvals/onboarding/acme.cue", src: `approvedBy: "op alice"
date:       "2025-02-01"
agreement: {
	reference: "PA-2025-001"
	signed:    "2025-01-28"
}
`, want: []string{"1:FD104"}},
		{name: "launch: a misspelt field beside a major version approved twice", file: "approvals/launch/acme.patients.cue", src: `approvals: [{
	approvedBy:  "op-bob"
	date:        "2025-03-01"
	major:       1
	environment: "production"
}, {
	approvedBy:  "acme-dev"
	date:        "2025-03-02"
	major:       1
	environment: "production"
	colour:      "blue"
}]
`, want: []string{"7:FD306", "9:FD318", "11:FD101"}},
		{name: "launch: a wrongly typed major reports no duplicate", file: "approvals/launch/acme.patients.cue", src: `approvals: [{
	approvedBy:  "op-bob"
	date:        "2025-03-01"
	major:       "one"
	environment: "production"
}, {
	approvedBy:  "op-bob"
	date:        "2025-03-02"
	major:       1
	environment: "production"
}]
`, want: []string{"4:FD102"}},
		{name: "grants: a missing environment beside an approver who is not an owner", file: "publishers/acme/grants/clinic.cue", src: `grants: [{
	app:        "portal"
	api:        "patients"
	accessMode: "app-level0"
	approvedBy: "op-bob"
	date:       "2025-06-01"
}]
`, want: []string{"1:FD103", "5:FD331"}},
		{name: "grants: a missing approver reports no approval rule", file: "publishers/acme/grants/clinic.cue", src: `grants: [{
	app:         "portal"
	api:         "patients"
	environment: "sandbox"
	accessMode:  "app-level0"
	date:        "2025-06-01"
}]
`, want: []string{"1:FD103"}},
		{name: "grants: a missing app beside an approver who is not an owner", file: "publishers/acme/grants/clinic.cue", src: `grants: [{
	api:         "patients"
	environment: "sandbox"
	accessMode:  "app-level0"
	approvedBy:  "op-bob"
	date:        "2025-06-01"
}]
`, want: []string{"1:FD103", "5:FD331"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := baseFS(t)
			m[tc.file] = &fstest.MapFile{Data: []byte(tc.src)}
			for p, src := range tc.extra {
				m[p] = &fstest.MapFile{Data: []byte(src)}
			}
			res := mustCompile(t, m, testOptions())
			var got []string
			for _, d := range res.Diagnostics {
				if d.File == tc.file {
					got = append(got, fmt.Sprintf("%d:%s", d.Line, d.Code))
				} else {
					got = append(got, fmt.Sprintf("%s:%d:%s", d.File, d.Line, d.Code))
				}
				// The schema's messages quote the literals refused.
				if strings.Contains(d.Message, "  ") || (!strings.HasPrefix(d.Code, "FD1") && strings.Contains(d.Message, `""`)) {
					t.Errorf("message names something empty: %s", d.Message)
				}
			}
			want := append(slices.Clone(tc.want), tc.others...)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q; diagnostics:\n%s", got, want, renderDiags(res.Diagnostics))
			}
			if res.Snapshot != nil {
				t.Errorf("a file that fails its schema gave a snapshot")
			}
		})
	}
}

// specV2 is the OpenAPI document of patients at version 2.0.0, while the
// API is at 1.2.0.
const specV2 = `openapi: 3.0.3
info:
  title: Patients
  version: 2.0.0
servers:
  - url: https://api.test/acme/patients/v1
paths:
  /Patient/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: A patient.
components:
  securitySchemes:
    apiKey:
      type: apiKey
      in: header
      name: apikey
    bearer:
      type: http
      scheme: bearer
`
