package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

func TestEveryFormatPrintsDiagnosticsRedacted(t *testing.T) {
	const body = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"
	ds := compiler.Diagnostics{
		errorAt("a.cue", 1, "FD104", "invalid value \"-----BEGIN RSA PRIVATE KEY-----\n"+body+"\n-----END RSA PRIVATE KEY-----\""),
		errorAt("b.cue", 2, "FD104", "upstream https://svc:hunter2@up.test/x is wrong"),
		errorAt("c.cue", 3, "FD104", "invalid value \""+strings.Repeat("long", 200)+"\""),
	}
	for _, format := range []string{FormatText, FormatJSON, FormatGitHub, FormatSARIF, FormatMarkdown} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, &Output{Command: "validate", Diagnostics: ds}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, secret := range []string{body, "hunter2", strings.Repeat("long", 30)} {
				if strings.Contains(out, secret) {
					t.Errorf("got %.30q… in the %s output", secret, format)
				}
			}
		})
	}
}

func TestValidateJSONPrintsDiagnosticsRedacted(t *testing.T) {
	var b bytes.Buffer
	ds := compiler.Diagnostics{errorAt("a.cue", 1, "FD104", "see https://x.test/?api_key=hunter2")}
	if err := WriteDiagnostics(&b, FormatJSON, "validate", ds); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "hunter2") {
		t.Errorf("got %s, which quotes the credential", b.String())
	}
}
