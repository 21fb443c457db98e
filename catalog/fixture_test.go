package catalog

import (
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

const testBaseURL = "https://catalogue.example.org/"

// testSnapshot is a small platform: two publishers, five APIs (one retired,
// one deprecated), three environments and one consumer whose contact details
// must never reach the catalogue.
func testSnapshot() *snapshot.Snapshot {
	launch := &snapshot.Approval{By: "Ops Approver Person", Date: "2024-03-01", Reference: "CHG-1001"}
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Generation:    7,
		Commit:        "0123456789abcdef0123456789abcdef01234567",
		Platform: snapshot.Platform{
			Name:     "National Health API Platform",
			Operator: "Platform Operator",
			Environments: []snapshot.Environment{
				{Name: "integration", BaseURL: "https://int.api.example", Host: "int.api.example"},
				{Name: "production", BaseURL: "https://api.example", Host: "api.example"},
				{Name: "sandbox", BaseURL: "https://sandbox.api.example", Host: "sandbox.api.example"},
			},
			PublisherCategories: []string{"arms-length-body", "nhs-trust"},
			AppRateLimit:        snapshot.RateLimit{Limit: 300, Per: "minute"},
			RecipientCategories: []snapshot.PolicyTerm{{ID: "community-pharmacy", Description: "Community pharmacies"}},
			Purposes:            []snapshot.PolicyTerm{{ID: "direct-care", Description: "Care of an individual patient"}},
		},
		Publishers: []snapshot.Publisher{
			{
				ID: "nhsbsa", Name: "NHS Business Services Authority", Category: "arms-length-body", ODSCode: "T1450",
				Website: "https://www.nhsbsa.nhs.uk", Contact: snapshot.Contact{Email: "api-team@nhsbsa.example", URL: "https://www.nhsbsa.nhs.uk/contact"},
				LegalBasis: "Public task: NHS Act 2006 section 7", DataController: true,
				Agreement: snapshot.Agreement{Reference: "PA-2024-001", Signed: "2024-01-15"},
				Onboarded: snapshot.Approval{By: "Onboarding Approver Person", Date: "2024-01-20"},
			},
			{
				ID: "trust-a", Name: "Example Hospital NHS Trust", Category: "nhs-trust",
				Contact:    snapshot.Contact{URL: "https://trust-a.example/contact"},
				LegalBasis: "Public task", DataController: true,
				Agreement: snapshot.Agreement{Reference: "PA-2024-002", Signed: "2024-02-01"},
				Onboarded: snapshot.Approval{By: "Onboarding Approver Person", Date: "2024-02-02"},
			},
		},
		APIs: []snapshot.API{
			{
				ID: "nhsbsa/exemptions", Publisher: "nhsbsa", Name: "exemptions",
				Title: "Prescription Exemptions", Summary: "Check whether a patient has a valid prescription exemption.",
				Description: "Use this API to **check** exemptions.\n\n# Who it is for\n\nPharmacies.\n\n- one\n- two\n",
				Version:     "1.2.0", Major: 1, Status: snapshot.StatusStable, ServiceLevel: "gold",
				BasePath: "/nhsbsa/exemptions/v1", AccessModes: []string{snapshot.ModeAppLevel3, snapshot.ModeCIS2AAL3},
				DataCategories: []string{"demographics", "health"}, PersonalData: true, SpecialCategory: true, DPIA: "DPIA-77",
				RateLimit: snapshot.RateLimit{Limit: 100, Per: "second"}, AppRateLimit: snapshot.RateLimit{Limit: 10, Per: "second"},
				Environments: []snapshot.APIEnvironment{
					{Name: "integration", Upstream: "https://internal-upstream.example/int", UpstreamCredential: "EXEMPTIONS_INT_SECRET_NAME"},
					{Name: "production", Upstream: "https://internal-upstream.example/prod", Launch: launch},
					{Name: "sandbox", Upstream: "https://internal-upstream.example/sandbox"},
				},
				Spec: "publishers/nhsbsa/apis/exemptions.yaml", SpecDigest: "sha256:" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
				LegalBasis: "Public task: NHS (Charges for Drugs and Appliances) Regulations 2015", UseCase: "Pharmacies check exemptions when dispensing.",
				Network: "internet", Related: []string{"nhsbsa/old-exemptions", "trust-a/beds"}, Tags: []string{"pharmacy", "prescriptions"},
				Requirements: []snapshot.Requirements{
					{Environment: "integration", DSPT: "standards-met", Agreements: []string{"CONNECT-1", "DSA-7"}, ClinicalSafetyCase: true,
						RecipientCategories: []string{"community-pharmacy"}, Purposes: []string{"direct-care"}},
					{Environment: "production", DSPT: "standards-met", Agreements: []string{"CONNECT-1", "DSA-7"}, ClinicalSafetyCase: true,
						RecipientCategories: []string{"community-pharmacy"}, Purposes: []string{"direct-care"}},
					{Environment: "sandbox", DSPT: "standards-met"},
				},
			},
			{
				ID: "nhsbsa/hello", Publisher: "nhsbsa", Name: "hello", Title: "Hello World", Summary: "A first API to try the platform.",
				Version: "0.1.0", Status: snapshot.StatusBeta, ServiceLevel: "bronze", BasePath: "/nhsbsa/hello/v0",
				AccessModes: []string{snapshot.ModeOpen, snapshot.ModeAppLevel0}, Network: "internet",
				Environments: []snapshot.APIEnvironment{{Name: "sandbox", Upstream: "https://internal-upstream.example/hello"}},
			},
			{
				ID: "nhsbsa/old-exemptions", Publisher: "nhsbsa", Name: "old-exemptions", Title: "Prescription Exemptions (old)", Summary: "The old exemptions API.",
				Version: "0.9.0", Status: snapshot.StatusDeprecated, ServiceLevel: "silver", BasePath: "/nhsbsa/old-exemptions/v0",
				AccessModes: []string{snapshot.ModeAppLevel0}, Network: "hscn",
				Environments: []snapshot.APIEnvironment{{Name: "production", Upstream: "https://internal-upstream.example/old", Launch: launch}},
			},
			{
				ID: "nhsbsa/retired-api", Publisher: "nhsbsa", Name: "retired-api", Title: "Long Gone Service", Summary: "No longer available.",
				Version: "1.0.0", Status: snapshot.StatusRetired, ServiceLevel: "bronze", BasePath: "/nhsbsa/retired-api/v1",
				AccessModes: []string{snapshot.ModeAppLevel0}, Network: "internet",
			},
			{
				ID: "trust-a/beds", Publisher: "trust-a", Name: "beds", Title: "Bed Availability", Summary: "Live bed availability by ward.",
				Version: "2.0.0", Major: 2, Status: snapshot.StatusPrivateBeta, ServiceLevel: "silver-plus", BasePath: "/trust-a/beds/v2",
				AccessModes: []string{snapshot.ModeNHSLoginP9, snapshot.ModeCIS2AAL1}, Network: "hscn",
				Environments: []snapshot.APIEnvironment{
					{Name: "integration", Upstream: "https://internal-upstream.example/beds"},
					{Name: "sandbox", Upstream: "https://internal-upstream.example/beds-sb"},
				},
				Spec: "publishers/trust-a/apis/beds.json",
			},
		},
		Consumers: []snapshot.Consumer{{
			ID: "pharmacy-co", Name: "Pharmacy Co Consumer Org", ODSCode: "FX123", DSPT: "standards-met",
			Apps: []snapshot.App{{ID: "pharmacy-co/till", Org: "pharmacy-co", Name: "Till App Consumer",
				APIKeys: []snapshot.APIKey{{ID: "k1", SHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", Environments: []string{"production"}}}}},
		}},
		Entitlements: []snapshot.Entitlement{{
			App: "pharmacy-co/till", API: "nhsbsa/exemptions", Environment: "production", AccessMode: snapshot.ModeAppLevel3,
			GrantedBy: "nhsbsa", Approval: snapshot.Approval{By: "Grant Approver Person", Date: "2024-04-01"},
		}},
	}
	s.Normalize()
	return s
}

const testSpecYAML = `openapi: 3.0.3
info:
  title: Prescription Exemptions
  version: 1.2.0
paths:
  /exemptions/{nhsNumber}:
    parameters:
      - $ref: '#/components/parameters/NHSNumber'
    get:
      summary: Get a patient's exemptions
      description: |
        Returns the **exemptions** of a patient.

        # Errors
        See below.
      operationId: getExemptions
      parameters:
        - name: X-Request-ID
          in: header
          required: true
          description: A UUID for the request.
          schema:
            type: string
            format: uuid
          example: 60E0B220-8136-4CA5-AE46-1D97EF59D068
        - name: date
          in: query
          schema:
            type: string
            format: date
      responses:
        200:
          description: The exemptions.
          headers:
            X-Correlation-ID:
              description: Echoed back.
              schema:
                type: string
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Exemptions'
              examples:
                one:
                  summary: One exemption
                  value:
                    nhsNumber: "9000000009"
                    exemptions:
                      - type: maternity
                        expires: "2025-01-01"
        '404':
          description: Not found.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
        default:
          description: Unexpected error.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
  /exemptions:
    post:
      summary: Record an exemption
      requestBody:
        required: true
        content:
          application/json:
            schema:
              allOf:
                - $ref: '#/components/schemas/Exemption'
                - type: object
                  required: [nhsNumber]
                  properties:
                    nhsNumber:
                      type: string
                      pattern: '^[0-9]{10}$'
            example:
              nhsNumber: "9000000009"
              type: maternity
      responses:
        '201':
          description: Created.
components:
  parameters:
    NHSNumber:
      name: nhsNumber
      in: path
      required: true
      description: The patient's NHS number.
      schema:
        type: string
  schemas:
    Exemptions:
      type: object
      required: [nhsNumber]
      properties:
        nhsNumber:
          type: string
          description: The patient's NHS number.
        exemptions:
          type: array
          items:
            $ref: '#/components/schemas/Exemption'
        evidence:
          $ref: 'components/evidence.yaml'
    Exemption:
      type: object
      properties:
        type:
          type: string
          enum: [maternity, medical, age]
        expires:
          type: string
          format: date
        previous:
          $ref: '#/components/schemas/Exemption'
    Error:
      type: object
      properties:
        code:
          type: string
`

// testSpecs gives nhsbsa/exemptions its spec and trust-a/beds a broken one.
func testSpecs() map[string][]byte {
	return map[string][]byte{
		"nhsbsa/exemptions": []byte(testSpecYAML),
		"trust-a/beds":      []byte(`{"openapi": "3.1.0", "info": {"title": "Beds", "version": "2"}, "paths": {"/beds": {"get": {"summary": "List beds", "responses": {"200": {"description": "Beds", "content": {"application/json": {"schema": {"type": ["array", "null"], "items": {"type": "object", "properties": {"ward": {"type": "string"}, "free": {"type": "integer", "minimum": 0}}}}}}}}}}}}`),
	}
}

func testOptions() Options {
	return Options{
		BaseURL: testBaseURL,
		Changes: []Change{
			{Date: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC), Commit: "feedface00000000000000000000000000000000", APIID: "nhsbsa/exemptions", PublisherID: "nhsbsa", Title: "API nhsbsa/exemptions updated", Summary: "The specification changed."},
			{Date: time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC), Commit: "beefcafe00000000000000000000000000000000", PublisherID: "trust-a", Title: "Publisher trust-a added"},
		},
	}
}

// buildTestSite builds the fixture's site or fails the test.
func buildTestSite(t testing.TB) *Site {
	t.Helper()
	site, err := Build(testSnapshot(), testSpecs(), testOptions())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return site
}

// testSites are the fixture's site and, to show every filter group as too
// long to list, the same site with a facet limit of 1.
func testSites(t testing.TB) map[string]*Site {
	t.Helper()
	opts := testOptions()
	opts.FacetLimit = 1
	limited, err := Build(testSnapshot(), testSpecs(), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return map[string]*Site{"fixture": buildTestSite(t), "facet-limit-1": limited}
}
