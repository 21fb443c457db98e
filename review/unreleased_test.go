package review

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

// placeholderSpec is what frontdoor new api writes; realSpec replaces it.
const (
	placeholderSpec = `openapi: 3.0.3
info: {title: Patients, version: VERSION}
paths:
  /status:
    get:
      operationId: get-status
      responses: {'200': {description: up}}
`
	realSpec = `openapi: 3.0.3
info: {title: Patients, version: VERSION}
paths:
  /patients/{id}:
    get:
      operationId: get-patient
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: the patient}}
`
)

func apiRevision(status, version, spec string) fstest.MapFS {
	return fstest.MapFS{
		"publishers/acme/apis/patients.cue":  {Data: []byte("status: \"" + status + "\"\nversion: \"" + version + "\"\n")},
		"publishers/acme/apis/patients.yaml": {Data: []byte(strings.ReplaceAll(spec, "VERSION", version))},
	}
}

func TestReplacingTheDocumentOfAnUnreleasedAPIIsNotBreaking(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		baseStatus, baseVersion string
		headStatus, headVersion string
		want                    []string
	}{
		{"v0 in development", "in-development", "0.1.0", "in-development", "0.2.0", nil},
		{"v0 in development, going to beta with it", "in-development", "0.1.0", "beta", "0.1.0", nil},
		{"v0 in development, released as 1.0.0", "in-development", "0.1.0", "stable", "1.0.0", nil},
		{"v0 in beta", "beta", "0.1.0", "beta", "0.2.0", []string{compiler.CodeBreaking}},
		{"v1 in development", "in-development", "1.0.0", "in-development", "1.1.0", []string{compiler.CodeBreaking}},
		{"v1 stable", "stable", "1.0.0", "stable", "1.1.0", []string{compiler.CodeBreaking}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := apiRevision(tc.baseStatus, tc.baseVersion, placeholderSpec)
			head := apiRevision(tc.headStatus, tc.headVersion, realSpec)
			_, ds, err := CheckBreaking(context.Background(), base, head, []report.Change{
				{Path: "publishers/acme/apis/patients.cue", Action: report.Modified},
				{Path: "publishers/acme/apis/patients.yaml", Action: report.Modified},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Compact(codesOf(ds))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v (%v), want %v", got, ds, tc.want)
			}
		})
	}
}
