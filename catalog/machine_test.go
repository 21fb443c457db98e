package catalog

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/schema"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// sharedData is where the real catalogue data lives, beside the repository.
const sharedData = "../../shared/data"

func compileSchema(t *testing.T, url string, resources map[string][]byte) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	for u, b := range resources {
		if err := c.AddResource(u, bytes.NewReader(b)); err != nil {
			t.Fatalf("adding schema %s: %v", u, err)
		}
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling schema %s: %v", url, err)
	}
	return s
}

func decodeJSON(t *testing.T, name string, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return v
}

func TestCatalogueJSONMatchesItsSchema(t *testing.T) {
	site := buildTestSite(t)
	s := compileSchema(t, "catalogue.schema.json", map[string][]byte{"catalogue.schema.json": schema.CatalogueJSONSchema})
	doc := jsonFile[any](t, site, "catalogue.json")
	if err := s.Validate(doc); err != nil {
		t.Fatalf("catalogue.json does not match its schema: %#v", err)
	}
	if got := mustFile(t, site, "catalogue.schema.json"); !bytes.Equal(got, schema.CatalogueJSONSchema) {
		t.Errorf("the site's catalogue.schema.json differs from the embedded schema")
	}

	// The schema is strict: an unknown field or a missing API list fails.
	m := doc.(map[string]any)
	m["consumers"] = []any{}
	if err := s.Validate(m); err == nil {
		t.Errorf("the schema accepts an unknown field")
	}
	delete(m, "consumers")
	delete(m, "apis")
	if err := s.Validate(m); err == nil {
		t.Errorf("the schema accepts a catalogue without apis")
	}
}

func TestCatalogueJSONListsEveryAPIWithItsEnvironments(t *testing.T) {
	site := buildTestSite(t)
	c := jsonFile[Catalogue](t, site, "catalogue.json")
	var ids []string
	for _, a := range c.APIs {
		ids = append(ids, a.ID)
	}
	if want := []string{"nhsbsa/exemptions", "nhsbsa/hello", "nhsbsa/old-exemptions", "nhsbsa/retired-api", "trust-a/beds"}; !slices.Equal(ids, want) {
		t.Fatalf("got APIs %q, want %q", ids, want)
	}
	ex := c.APIs[0]
	if got, want := ex.Spec, testBaseURL+"apis/nhsbsa/exemptions/openapi.yaml"; got != want {
		t.Errorf("got spec URL %q, want %q", got, want)
	}
	if got := ex.Environments[1]; got.Name != "production" || got.BaseURL != "https://api.example/nhsbsa/exemptions/v1" || got.Launched != "2024-03-01" {
		t.Errorf("got production %+v, want base URL https://api.example/nhsbsa/exemptions/v1 launched 2024-03-01", got)
	}
	if got := c.Publishers[0]; got.Agreement.Reference != "PA-2024-001" || got.Onboarded != "2024-01-20" || !got.DataController {
		t.Errorf("got publisher %+v, want agreement PA-2024-001 onboarded 2024-01-20, data controller", got)
	}
}

func TestAPIMetadataExportMatchesTheCrossGovernmentSchema(t *testing.T) {
	apiSchema, err := os.ReadFile(filepath.Join(sharedData, "co-cddo-federated-api-model__api-metadata.schema.json"))
	if err != nil {
		t.Skipf("the cross-government schema is not available: %v", err)
	}
	site := buildTestSite(t)
	const apiURL = "https://github.com/alphagov/federated-api-model/blob/main/schemas/v1alpha/api-metadata.json"
	resources := map[string][]byte{apiURL: apiSchema}
	one := compileSchema(t, apiURL, resources)
	md := jsonFile[Metadata](t, site, "api-metadata.json")
	if got, want := len(md.APIs), 4; got != want {
		t.Fatalf("got %d APIs in the export, want %d (every API but the retired one)", got, want)
	}
	doc := jsonFile[any](t, site, "api-metadata.json")
	for i, a := range doc.(map[string]any)["apis"].([]any) {
		if err := one.Validate(a); err != nil {
			t.Errorf("API %d does not match the api-metadata schema: %v", i, err)
		}
	}
	if bulk, err := os.ReadFile(filepath.Join(sharedData, "co-cddo-federated-api-model__bulk-metadata-response.schema.json")); err == nil {
		const bulkURL = "https://github.com/alphagov/federated-api-model/blob/main/schemas/v1alpha/bulk-metadata-response.json"
		resources[bulkURL] = bulk
		if err := compileSchema(t, bulkURL, resources).Validate(doc); err != nil {
			t.Errorf("api-metadata.json does not match the bulk response schema: %v", err)
		}
	}
	got := md.APIs[0].Data
	want := MetadataData{
		Name: "Prescription Exemptions", Description: "Check whether a patient has a valid prescription exemption.",
		URL: "https://api.example/nhsbsa/exemptions/v1", Contact: "api-team@nhsbsa.example",
		Organisation: "NHS Business Services Authority", DocumentationURL: testBaseURL + "apis/nhsbsa/exemptions/",
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestFeedIsAtomWithOneEntryPerChange(t *testing.T) {
	site := buildTestSite(t)
	var f struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(mustFile(t, site, "feed.atom"), &f); err != nil {
		t.Fatalf("feed.atom is not Atom: %v", err)
	}
	if f.ID != testBaseURL || f.Updated != "2024-05-02T10:00:00Z" {
		t.Errorf("got feed id %q updated %q, want %q and 2024-05-02T10:00:00Z", f.ID, f.Updated, testBaseURL)
	}
	if len(f.Entries) != 2 {
		t.Fatalf("got %d entries, want 2", len(f.Entries))
	}
	for i, want := range []string{testBaseURL + "apis/nhsbsa/exemptions/", testBaseURL + "publishers/trust-a/"} {
		if got := f.Entries[i].Link.Href; got != want {
			t.Errorf("entry %d: got link %q, want %q", i, got, want)
		}
		if !strings.HasPrefix(f.Entries[i].ID, "tag:catalogue.example.org,") {
			t.Errorf("entry %d: got id %q, want a tag URI", i, f.Entries[i].ID)
		}
	}
}

func TestSearchIndexCoversEveryLiveAPI(t *testing.T) {
	site := buildTestSite(t)
	idx := jsonFile[searchIndex](t, site, "search-index.json")
	var ids []string
	for _, e := range idx.APIs {
		ids = append(ids, e.ID)
	}
	if want := listedAPIs(t, site, "index.html"); !slices.Equal(ids, want) {
		t.Errorf("got %q, want %q", ids, want)
	}
	if !strings.Contains(idx.APIs[0].Text, "pharmacy") {
		t.Errorf("the search text of nhsbsa/exemptions lacks its tag pharmacy: %q", idx.APIs[0].Text)
	}
}

func TestCatalogueJSONCarriesRequirementsAndIntegratedOrganisations(t *testing.T) {
	site := buildTestSite(t)
	c := jsonFile[Catalogue](t, site, "catalogue.json")
	ex := c.APIs[0]
	if len(ex.Requirements) != 3 || ex.Requirements[1].Environment != "production" || !slices.Equal(ex.Requirements[1].Agreements, []string{"CONNECT-1", "DSA-7"}) {
		t.Errorf("got requirements %+v, want three environments, production with agreements CONNECT-1, DSA-7", ex.Requirements)
	}
	if want := []CatalogueOrganisation{{Name: "Pharmacy Co Consumer Org"}}; !slices.Equal(ex.IntegratedOrganisations, want) {
		t.Errorf("got integrated organisations %+v, want %+v", ex.IntegratedOrganisations, want)
	}
	if len(c.Platform.RecipientCategories) != 1 || len(c.Platform.Purposes) != 1 {
		t.Errorf("got platform terms %+v %+v, want one of each", c.Platform.RecipientCategories, c.Platform.Purposes)
	}
}
