package review

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/report"
)

// exampleFS reads the example platform into a map, to edit a copy of it.
func exampleFS(t *testing.T) fstest.MapFS {
	t.Helper()
	return testutil.ReadTree(t, example)
}

// edited returns a copy of fsys with files replaced ("" deletes one).
func edited(fsys fstest.MapFS, files map[string]string) fstest.MapFS {
	m := maps.Clone(fsys)
	for p, data := range files {
		if data == "" {
			delete(m, p)
		} else {
			m[p] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	return m
}

const emptyDentalDoc = `openapi: 3.0.3
info: {title: Dental Contracts, version: 1.0.0}
paths: {}
`

func codesOf(ds compiler.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	return out
}

func TestALaunchedAPIsDocumentMayNotGoNorComeBackEmpty(t *testing.T) {
	base := exampleFS(t)
	const doc = "publishers/nhsbsa/apis/dental-contracts.yaml"
	const lowIncome = "publishers/nhsbsa/apis/low-income-scheme.yaml" // not launched
	gone := edited(base, map[string]string{doc: ""})
	for _, tc := range []struct {
		name       string
		from, to   fstest.MapFS
		changed    report.Change
		wantCodes  []string
		wantInText string
	}{
		{"launched document removed", base, gone, report.Change{Path: doc, Action: report.Deleted}, []string{compiler.CodeBreaking}, "is removed"},
		{"launched document back without operations", gone, edited(gone, map[string]string{doc: emptyDentalDoc}), report.Change{Path: doc, Action: report.Added}, []string{compiler.CodeBreaking}, "declares no operations"},
		{"launched document back with its operations", gone, base, report.Change{Path: doc, Action: report.Added}, nil, ""},
		{"removed with a new major version", base, edited(gone, map[string]string{
			"publishers/nhsbsa/apis/dental-contracts.cue": strings.Replace(string(base["publishers/nhsbsa/apis/dental-contracts.cue"].Data), `"1.0.0"`, `"2.0.0"`, 1),
		}), report.Change{Path: doc, Action: report.Deleted}, []string{compiler.CodeBreakingMajor}, "is removed"},
		{"unlaunched document removed", base, edited(base, map[string]string{lowIncome: ""}), report.Change{Path: lowIncome, Action: report.Deleted}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, ds, err := CheckBreaking(context.Background(), tc.from, tc.to, []report.Change{tc.changed})
			if err != nil {
				t.Fatal(err)
			}
			if got := codesOf(ds); !slices.Equal(got, tc.wantCodes) {
				t.Fatalf("got codes %v, want %v: %v", got, tc.wantCodes, ds)
			}
			if tc.wantInText != "" && (len(changes) != 1 || !strings.Contains(changes[0].Text, tc.wantInText)) {
				t.Errorf("got %+v, want one change saying %q", changes, tc.wantInText)
			}
		})
	}
}

func TestSpecLinesNameEveryChangedOpenAPIFile(t *testing.T) {
	base := exampleFS(t)
	const components = "publishers/nhsbsa/apis/prescription-exemptions.components.yaml"
	const doc = "publishers/nhsbsa/apis/dental-contracts.yaml"
	const orphan = "publishers/nhsbsa/apis/notes.yaml"
	for _, tc := range []struct {
		name   string
		head   fstest.MapFS
		change report.Change
		want   string
	}{
		{"a referenced file", edited(base, map[string]string{components: string(base[components].Data) + "\n# more\n"}), report.Change{Path: components, Action: report.Modified},
			"API nhsbsa/prescription-exemptions's OpenAPI document changes: referenced file " + components + " modified"},
		{"a document", edited(base, map[string]string{doc: string(base[doc].Data) + "\n# more\n"}), report.Change{Path: doc, Action: report.Modified},
			"API nhsbsa/dental-contracts's OpenAPI document changes (" + doc + ")"},
		{"a document removed", edited(base, map[string]string{doc: ""}), report.Change{Path: doc, Action: report.Deleted},
			"API nhsbsa/dental-contracts's OpenAPI document " + doc + " is removed"},
		{"a file no document reads", edited(base, map[string]string{orphan: "x: 1\n"}), report.Change{Path: orphan, Action: report.Added},
			"OpenAPI file " + orphan + ", which no API's document reads, is added"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := specLines(context.Background(), base, tc.head, []report.Change{tc.change}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got["nhsbsa"], []string{tc.want}) || len(got) != 1 {
				t.Errorf("got %q, want nhsbsa: [%q]", got, tc.want)
			}
		})
	}
}

func TestOnlyNewGrantsToADeprecatedAPIAreRefused(t *testing.T) {
	const api = "publishers/nhsbsa/apis/dental-contracts.cue"
	const grants = "publishers/nhsbsa/grants/northshire-icb.cue"
	base := exampleFS(t)
	deprecated := edited(base, map[string]string{api: strings.Replace(string(base[api].Data), `status:       "beta"`, `status:       "deprecated"`, 1)})
	if string(deprecated[api].Data) == string(base[api].Data) {
		t.Fatal("the API was not deprecated")
	}
	newGrant := `grants: [{app: "population-health", api: "dental-contracts", environment: "integration", accessMode: "app-level0", approvedBy: "nhsbsa-api-team", date: "2026-10-12"}]` + "\n"
	oldGrants := string(base[grants].Data)
	for _, tc := range []struct {
		name string
		head string
		want int
	}{
		{"a new grant", strings.Replace(oldGrants, "grants: [", "grants: [{app: \"population-health\", api: \"dental-contracts\", environment: \"integration\", accessMode: \"app-level0\", approvedBy: \"nhsbsa-api-team\", date: \"2026-10-12\"},", 1), 1},
		{"the file replaced by a new grant only", newGrant, 1},
		{"an existing grant's quota changed", strings.Replace(oldGrants, "limit: 1200", "limit: 600", 1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := edited(deprecated, map[string]string{grants: tc.head})
			if string(head[grants].Data) == oldGrants {
				t.Fatal("the grants did not change")
			}
			ds, err := DeprecatedGrants(deprecated, head, []report.Change{{Path: grants, Action: report.Modified}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != tc.want || tc.want > 0 && ds[0].Code != compiler.CodeDeprecatedGrant {
				t.Errorf("got %v, want %d FD607", ds, tc.want)
			}
		})
	}
}
