package catalog

import (
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestAPIPageSaysWhereItRequiresMutualTLS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		envs     map[string]bool // environment -> mutual TLS
		want     []string
		wantNone []string
	}{
		{"production only", map[string]bool{snapshot.EnvProduction: true},
			[]string{"Mutual TLS", "Required", "Not required", "requires mutual TLS", "fingerprint of its TLS client certificate"}, nil},
		{"no environment", nil, nil, []string{"Mutual TLS", "mutual TLS", "client certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSnapshot()
			for i := range s.APIs {
				if s.APIs[i].ID == "nhsbsa/exemptions" {
					for j := range s.APIs[i].Environments {
						s.APIs[i].Environments[j].MutualTLS = tc.envs[s.APIs[i].Environments[j].Name]
					}
				}
			}
			site, err := Build(s, testSpecs(), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			page := textOf(parseHTML(t, "api page", mustFile(t, site, "apis/nhsbsa/exemptions/index.html")))
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("API page lacks %q", w)
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(page, w) {
					t.Errorf("API page shows %q", w)
				}
			}
		})
	}
}
