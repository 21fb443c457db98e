package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// sharedSpecs holds real OpenAPI documents of a national health API platform.
const sharedSpecs = "../../shared/specs"

// realAPIs maps an API of the real-data snapshot to its spec file and an
// operation its page must show.
var realAPIs = []struct {
	id, file, method, path string
}{
	{"nhsd/personal-demographics", "personal-demographics-service-api__personal-demographics.yaml", "GET", "/Patient/{id}"},
	{"nhsd/electronic-prescriptions", "electronic-prescription-service-api__electronic-prescription-service-api.yaml", "POST", "/FHIR/R4/$prepare"},
	{"nhsd/eligibility-signposting", "eligibility-signposting-api-specification__eligibility-signposting-api.yaml", "GET", "/patient-check/{id}"},
	{"nhsd/hello-world", "hello-world-api__hello-world.yaml", "GET", "/hello/world"},
	{"nhsd/proxygen", "proxygen-api-specification__proxygen.yaml", "GET", "/apis"},
	{"nhsd/identity-service", "identity-service-api__identity-service.yaml", "POST", "/token"},
}

// realSite builds a catalogue whose APIs point at the real specs, or skips
// when they are absent.
func realSite(t testing.TB) *Site {
	t.Helper()
	snap := testSnapshot()
	snap.Publishers = append(snap.Publishers, snapshot.Publisher{
		ID: "nhsd", Name: "NHS England", Category: "arms-length-body", LegalBasis: "Public task", DataController: true,
		Contact: snapshot.Contact{URL: "https://digital.nhs.uk/developer/help-and-support"},
	})
	specs := testSpecs()
	for _, r := range realAPIs {
		b, err := os.ReadFile(filepath.Join(sharedSpecs, r.file))
		if err != nil {
			t.Skipf("real specs are not available: %v", err)
		}
		_, name, _ := strings.Cut(r.id, "/")
		snap.APIs = append(snap.APIs, snapshot.API{
			ID: r.id, Publisher: "nhsd", Name: name, Title: name, Summary: "Real specification " + r.file,
			Version: "1.0.0", Major: 1, Status: snapshot.StatusStable, ServiceLevel: "gold", BasePath: "/nhsd/" + name + "/v1",
			AccessModes: []string{snapshot.ModeAppLevel3}, Network: "internet", Spec: "publishers/nhsd/apis/" + name + ".yaml",
			Environments: []snapshot.APIEnvironment{{Name: "sandbox", Upstream: "https://upstream.example"}},
		})
		specs[r.id] = b
	}
	snap.Normalize()
	site, err := Build(snap, specs, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	return site
}

func TestRealSpecsRenderTheirOperations(t *testing.T) {
	site := realSite(t)
	for _, r := range realAPIs {
		t.Run(r.id, func(t *testing.T) {
			page := "apis/" + r.id + "/index.html"
			doc := parseHTML(t, page, mustFile(t, site, page))
			var ops []string
			for _, h := range findAll(doc, byTag("h3")) {
				if c, _ := attr(h.Parent, "class"); c == "operation" {
					ops = append(ops, textOf(h))
				}
			}
			want := r.method + " " + r.path
			found := false
			for _, op := range ops {
				found = found || op == want
			}
			if !found {
				t.Errorf("got operations %q, want %q among them", ops, want)
			}
			for _, problem := range scriptProblems(doc) {
				t.Errorf("%s", problem)
			}
			if b := mustFile(t, site, page); len(b) > 3<<20 {
				t.Errorf("page is %d bytes, want at most 3 MiB", len(b))
			}
		})
	}
}
