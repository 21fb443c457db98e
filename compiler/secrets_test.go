package compiler

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"cuelang.org/go/cue/parser"
	"filippo.io/age"

	"github.com/frontdoor-dev/frontdoor/internal/redact"
)

// testKeys are private keys made for the test run, so that none is
// committed: PEM blocks of each kind and the base64 DER of each.
type testKeys struct {
	rsaPKCS1, rsaPKCS8, ec, ed25519 []byte // PEM
	derPKCS8, derEC                 string // base64 DER, no armour
	age                             string // an age X25519 identity
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(rk)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	ed8, err := x509.MarshalPKCS8PrivateKey(edk)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	return testKeys{
		rsaPKCS1: enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)),
		rsaPKCS8: enc("PRIVATE KEY", p8),
		ec:       enc("EC PRIVATE KEY", sec1),
		ed25519:  enc("PRIVATE KEY", ed8),
		derPKCS8: base64.StdEncoding.EncodeToString(p8),
		derEC:    base64.StdEncoding.EncodeToString(sec1),
		age:      ageIdentity(t),
	}
}

func ageIdentity(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// compileBoth compiles the base configuration with files added, from a
// directory (with its .git) and from the commit of the same tree, checks
// that both report the same diagnostics, and returns them.
func compileBoth(t *testing.T, files map[string]string) Diagnostics {
	t.Helper()
	fsys := baseFS(t)
	for p, data := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	dir := t.TempDir()
	commit := gitRepo(t, dir, fsys, 0)
	fromDir := mustCompile(t, os.DirFS(dir), testOptions())
	gfs, _, _, err := OpenGit(dir, commit)
	if err != nil {
		t.Fatal(err)
	}
	fromGit := mustCompile(t, gfs, testOptions())
	if !slices.Equal(fromDir.Diagnostics, fromGit.Diagnostics) {
		t.Fatalf("directory and git disagree:\ndirectory:\n%sgit:\n%s", renderDiags(fromDir.Diagnostics), renderDiags(fromGit.Diagnostics))
	}
	if fromDir.Snapshot != nil {
		t.Errorf("got a snapshot despite the secret")
	}
	return fromDir.Diagnostics
}

// wantDiag fails unless ds has a diagnostic of code at file:line:col.
func wantDiag(t *testing.T, ds Diagnostics, at, code string) {
	t.Helper()
	if !slices.ContainsFunc(ds, func(d Diagnostic) bool {
		return d.Code == code && fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col) == at
	}) {
		t.Errorf("got no %s at %s; diagnostics:\n%s", code, at, renderDiags(ds))
	}
}

// wantNoSecretPrinted fails if a diagnostic quotes any of the secrets.
func wantNoSecretPrinted(t *testing.T, ds Diagnostics, secrets ...string) {
	t.Helper()
	for _, d := range ds {
		s := d.String()
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				t.Errorf("diagnostic quotes a secret: %s", s)
			}
		}
		if len(findKeys(s)) > 0 {
			t.Errorf("diagnostic holds key material: %s", s)
		}
	}
}

// body returns a line of a PEM block's base64 body.
func body(p []byte) string { return strings.Split(string(p), "\n")[1] }

func TestPrivateKeysInAnyFileAreRefusedInDirectoryAndGitMode(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name, file, data, at string
	}{
		{"PKCS#1 key in README.md", "README.md", "# Platform\n\n" + string(k.rsaPKCS1), "README.md:3:1"},
		{"PKCS#8 key in LICENSE", "LICENSE", "MIT\n" + string(k.rsaPKCS8), "LICENSE:2:1"},
		{"EC key in publishers/<pub>/README.key", "publishers/acme/README.key", string(k.ec), "publishers/acme/README.key:1:1"},
		{"Ed25519 key under .github", ".github/deploy.pem", string(k.ed25519), ".github/deploy.pem:1:1"},
		{"key in a dot-directory's nested file", ".deploy/keys/prod", "\n\n" + string(k.rsaPKCS1), ".deploy/keys/prod:3:1"},
		{"key in a file outside the layout", "notes/keys.txt", string(k.ec), "notes/keys.txt:1:1"},
		{"base64 DER of a PKCS#8 key without armour", "CONTRIBUTING.md", "key = " + k.derPKCS8 + "\n", "CONTRIBUTING.md:1:7"},
		{"base64 DER of an EC key in a dot-file", ".env", "DEPLOY_KEY=" + k.derEC + "\n", ".env:1:12"},
		{"key in a spec's sibling document", "publishers/acme/apis/common.yaml", "x-note: |\n  " + strings.ReplaceAll(string(k.ec), "\n", "\n  "), "publishers/acme/apis/common.yaml:2:3"},
		{"age secret key in a notes file", "docs/diagnosis.md", "# Keys\nrecipient key: " + k.age + "\n", "docs/diagnosis.md:2:16"},
		{"age secret key in lower case in a dot-file", ".age/key.txt", strings.ToLower(k.age), ".age/key.txt:1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := compileBoth(t, map[string]string{tc.file: tc.data})
			wantDiag(t, ds, tc.at, codePEM)
			wantNoSecretPrinted(t, ds, body(k.rsaPKCS1), body(k.ec), k.derPKCS8[20:60], k.derEC[20:60], k.age[20:60])
		})
	}
}

func TestPrivateKeysInDecodedValuesAreRefusedInDirectoryAndGitMode(t *testing.T) {
	k := newTestKeys(t)
	api := func(extra string) string { return baseFile(t, "publishers/acme/apis/patients.cue") + extra }
	cueEscaped := strings.NewReplacer(" ", `\u0020`, "\n", `\n`).Replace(string(k.rsaPKCS1))
	yamlEscaped := strings.NewReplacer(" ", `\x20`, "\n", `\n`).Replace(string(k.ec))
	jsonEscaped := strings.NewReplacer(" ", `\u0020`, "\n", `\n`).Replace(string(k.ed25519))
	spec := func(desc string) string {
		return strings.Replace(baseFile(t, "publishers/acme/apis/patients.yaml"), "  version: 1.2.0\n", "  version: 1.2.0\n  description: "+desc+"\n", 1)
	}
	tests := []struct {
		name, file, data, at string
	}{
		{"CUE string with \\u0020 escapes", "publishers/acme/apis/patients.cue", api(`description: "` + cueEscaped + `"` + "\n"), "publishers/acme/apis/patients.cue:14:1"},
		{"CUE concatenation", "publishers/acme/apis/patients.cue", api(`description: "-----BEGIN EC PRIV" + "ATE KEY-----\n` + body(k.ec) + `"` + "\n"), "publishers/acme/apis/patients.cue:14:1"},
		{"CUE interpolation", "publishers/acme/apis/patients.cue", api("_p: \"PRIVATE\"\ndescription: \"-----BEGIN RSA \\(_p) KEY-----\"\n"), "publishers/acme/apis/patients.cue:15:1"},
		{"CUE base64 DER in a string", "publishers/acme/apis/patients.cue", api(`description: "` + k.derPKCS8 + `"` + "\n"), "publishers/acme/apis/patients.cue:14:15"},
		{"YAML string with \\x20 escapes", "publishers/acme/apis/patients.yaml", spec(`"` + yamlEscaped + `"`), "publishers/acme/apis/patients.yaml:5:16"},
		{"YAML plain scalar folded into a marker", "publishers/acme/apis/shared.yaml", "x-key: -----BEGIN RSA\n  PRIVATE KEY-----\n", "publishers/acme/apis/shared.yaml:1:8"},
		{"YAML escapes in a document no API names", "publishers/acme/apis/shared.yaml", "components:\n  x: \"" + yamlEscaped + "\"\n", "publishers/acme/apis/shared.yaml:2:6"},
		{"JSON string with \\u0020 escapes under a dot-directory", ".vault/key.json", `{"key": "` + jsonEscaped + `"}`, ".vault/key.json:1:9"},
		{"CUE string with escapes in an ignored CUE file", ".drafts/old.cue", `key: "` + cueEscaped + `"` + "\n", ".drafts/old.cue:1:6"},
		{"escaped key in a CUE file that fails its schema", "publishers/acme/apis/patients.cue", api(`descriptio: "` + cueEscaped + `"` + "\n"), "publishers/acme/apis/patients.cue:14:13"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := compileBoth(t, map[string]string{tc.file: tc.data})
			wantDiag(t, ds, tc.at, codePEM)
			wantNoSecretPrinted(t, ds, body(k.rsaPKCS1), body(k.ec), body(k.ed25519), k.derPKCS8[20:60])
			n := 0
			for _, d := range ds {
				if d.Code == codePEM {
					n++
				}
			}
			if n != 1 {
				t.Errorf("got %d reports of one key, want 1:\n%s", n, renderDiags(ds))
			}
		})
	}
}

func TestPrivateJWKMembersAreRefusedWhereverAJWKAppears(t *testing.T) {
	spec := baseFile(t, "publishers/acme/apis/patients.yaml")
	tests := []struct {
		name, file, data, at string
	}{
		{"RSA private exponent in an OpenAPI example", "publishers/acme/apis/patients.yaml",
			spec + "  examples:\n    key:\n      value: {kty: RSA, n: sXch, e: AQAB, p: x1, q: x2}\n", "publishers/acme/apis/patients.yaml:30:43"},
		{"JWK in an unknown field of a CUE file", "publishers/acme/publisher.cue",
			"name: \"Acme\"\nkey: {kty: \"EC\", crv: \"P-256\", d: \"jpsQ\"}\n", "publishers/acme/publisher.cue:2:32"},
		{"JWK as the whole of an ignored CUE file", ".keys/signing.cue", "kty: \"RSA\"\nn: \"sXch\"\ne: \"AQAB\"\nqi: \"x\"\n", ".keys/signing.cue:4:1"},
		{"symmetric key in a JSON file under .github", ".github/jwk.json", `{"keys": [{"kty": "oct", "k": "GawgguFyGrWKav7AX4VKUg"}]}`, ".github/jwk.json:1:26"},
		{"CRT parameters in a JSON string of an OpenAPI description", "publishers/acme/apis/patients.yaml",
			strings.Replace(spec, "  version: 1.2.0\n", "  version: 1.2.0\n  description: 'Key: {\"kty\": \"RSA\", \"dp\": \"x\", \"dq\": \"y\", \"qi\": \"z\"}'\n", 1), "publishers/acme/apis/patients.yaml:5:16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantDiag(t, compileBoth(t, map[string]string{tc.file: tc.data}), tc.at, codePrivateJWK)
		})
	}
}

func TestCredentialsInURLsAreRefusedInEveryURLField(t *testing.T) {
	platform, publisher, api, spec := baseFile(t, "frontdoor.cue"), baseFile(t, "publishers/acme/publisher.cue"), baseFile(t, "publishers/acme/apis/patients.cue"), baseFile(t, "publishers/acme/apis/patients.yaml")
	tests := []struct {
		name, file, data, at, secret string
	}{
		{"base URL with a token as user", "frontdoor.cue", strings.Replace(platform, "https://int.api.test", "https://tok3n@int.api.test", 1), "frontdoor.cue:13:15", "tok3n"},
		{"identity provider issuer with a password", "frontdoor.cue", strings.Replace(platform, `"https://login.test"`, `"https://u:s3cret@login.test"`, 1), "frontdoor.cue:24:3", "s3cret"},
		{"publisher website with a signature", "publishers/acme/publisher.cue", publisher + "website: \"https://acme.test/?sig=s3cret\"\n", "publishers/acme/publisher.cue:7:1", "s3cret"},
		{"publisher contact URL with a password parameter", "publishers/acme/publisher.cue", strings.Replace(publisher, `contact: email: "api-team@acme.test"`, `contact: {email: "api-team@acme.test", url: "https://acme.test/c?Password=s3cret"}`, 1), "publishers/acme/publisher.cue:3:40", "s3cret"},
		{"upstream with an access token", "publishers/acme/apis/patients.cue", strings.Replace(api, "https://acme.test/patients", "https://acme.test/patients?access_token=s3cret", 1), "publishers/acme/apis/patients.cue:8:14", "s3cret"},
		{"upstream with a percent-encoded api key name", "publishers/acme/apis/patients.cue", strings.Replace(api, "https://acme.test/patients", "https://acme.test/patients?API%5fKEY=s3cret", 1), "publishers/acme/apis/patients.cue:8:14", "s3cret"},
		{"OpenAPI server with a user only", "publishers/acme/apis/patients.yaml", strings.Replace(spec, "https://api.test", "https://s3cret@api.test", 1), "publishers/acme/apis/patients.yaml:6:10", "s3cret"},
		{"OpenAPI license URL with a key", "publishers/acme/apis/patients.yaml", strings.Replace(spec, "  version: 1.2.0\n", "  version: 1.2.0\n  license: {name: MIT, url: 'https://l.test/?key=s3cret'}\n", 1), "publishers/acme/apis/patients.yaml:5:29", "s3cret"},
		{"OpenID Connect URL with a secret in its fragment", "publishers/acme/apis/patients.yaml", spec + "    oidc:\n      type: openIdConnect\n      openIdConnectUrl: https://id.test/.well-known/openid-configuration#client_secret=s3cret\n", "publishers/acme/apis/patients.yaml:30:25", "s3cret"},
		{"README with a password URL", "README.md", "# Platform\n\nClone https://ci:s3cret@git.test/platform.git first.\n", "README.md:3:7", "s3cret"},
		{"dot-env file with a database URL", ".env", "DATABASE_URL=postgres://app:s3cret@db.test/app\n", ".env:1:14", "s3cret"},
		{"workflow under .github with a password URL", ".github/workflows/deploy.yml", "on: push\njobs:\n  deploy:\n    env:\n      MIRROR: https://ci:s3cret@mirror.test/repo.git\n", ".github/workflows/deploy.yml:5:15", "s3cret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := compileBoth(t, map[string]string{tc.file: tc.data})
			wantDiag(t, ds, tc.at, codeURLUserinfo)
			wantNoSecretPrinted(t, ds, tc.secret)
		})
	}
}

func TestURLsWithoutCredentialsAreAccepted(t *testing.T) {
	api := baseFile(t, "publishers/acme/apis/patients.cue")
	for _, u := range []string{
		"https://acme.test/patients?format=fhir",
		"https://acme.test/patients?pageToken=2",
		"https://acme.test/patients?apikey={apikey}",
		"https://acme.test/patients#section",
	} {
		t.Run(u, func(t *testing.T) {
			fsys := baseFS(t)
			fsys["publishers/acme/apis/patients.cue"] = &fstest.MapFile{Data: []byte(strings.Replace(api, "https://acme.test/patients", u, 1))}
			res := mustCompile(t, fsys, testOptions())
			if len(res.Diagnostics) > 0 {
				t.Errorf("got diagnostics:\n%s", renderDiags(res.Diagnostics))
			}
		})
	}
}

func TestFileScanDoesNotReportAnArmouredKeyTwice(t *testing.T) {
	k := newTestKeys(t)
	for _, p := range [][]byte{k.rsaPKCS1, k.rsaPKCS8, k.ec, k.ed25519} {
		if got := findKeys(p); len(got) != 1 {
			t.Errorf("got %d finds in one key, want 1: %v", len(got), got)
		}
	}
}

func TestFindKeysIgnoresPublicKeysAndOrdinaryBase64(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		base64.StdEncoding.EncodeToString(pub),
		base64.StdEncoding.EncodeToString([]byte(strings.Repeat("MIIE not a key at all ", 8))),
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	} {
		if got := findKeys(s); len(got) > 0 {
			t.Errorf("got %v in %.40q, want none", got, s)
		}
	}
}

func TestRedactHidesKeysAndCredentialsAndCutsLongValues(t *testing.T) {
	k := newTestKeys(t)
	long := strings.Repeat("x", 500)
	tests := []struct {
		name, in  string
		mustNot   []string
		mustHave  string
		maxLength int
	}{
		{"PEM key in a quoted value", `invalid value "` + string(k.rsaPKCS1) + `" (too long)`, []string{body(k.rsaPKCS1)}, "[private key redacted]", maxMessage + 1},
		{"base64 DER", "got " + k.derEC, []string{k.derEC[:40]}, "[private key redacted]", maxMessage + 1},
		{"URL with a password", `upstream "https://u:s3cret@up.test/x" refused`, []string{"s3cret"}, redact.Mask, maxMessage + 1},
		{"URL with an api key", `see https://up.test/x?api_key=s3cret`, []string{"s3cret"}, "https://up.test/x", maxMessage + 1},
		{"long quoted value", `invalid value "` + long + `"`, []string{long[:maxQuoted+1]}, "…", maxQuoted + 40},
		{"long message", long, []string{long[:maxMessage+1]}, "…", maxMessage + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			for _, s := range tc.mustNot {
				if strings.Contains(got, s) {
					t.Errorf("got %q, which keeps %.20q…", got, s)
				}
			}
			if !strings.Contains(got, tc.mustHave) {
				t.Errorf("got %q, want it to contain %q", got, tc.mustHave)
			}
			if n := len([]rune(got)); n > tc.maxLength {
				t.Errorf("got %d runes, want at most %d", n, tc.maxLength)
			}
		})
	}
}

func TestRedactIsIdempotent(t *testing.T) {
	k := newTestKeys(t)
	for _, s := range []string{
		`invalid value "` + strings.Repeat("y", 300) + `"`,
		strings.Repeat("z", 1000),
		"x " + string(k.ec) + " https://u:p@h.test/",
	} {
		once := Redact(s)
		if twice := Redact(once); twice != once {
			t.Errorf("got %q, then %q", once, twice)
		}
	}
}

func TestRedactKeepsOrdinaryMessages(t *testing.T) {
	for _, s := range []string{
		`statuss: field not allowed`,
		`invalid value "beta-2" (one of "beta", "stable")`,
		`server https://api.test/acme/patients/v1 does not end with the base path /acme/x/v1`,
	} {
		if got := Redact(s); got != s {
			t.Errorf("got %q, want %q", got, s)
		}
	}
}

func TestDiagnosticOfALongInvalidValueIsCut(t *testing.T) {
	k := newTestKeys(t)
	api := baseFile(t, "publishers/acme/apis/opendata.cue")
	// A PEM in a field that must be short: FD104 quotes the value.
	src := strings.Replace(api, `"Open statistics."`, "\"\"\"\n"+string(k.rsaPKCS1)+"\"\"\"", 1)
	ds := compileBoth(t, map[string]string{"publishers/acme/apis/opendata.cue": src})
	wantDiag(t, ds, "publishers/acme/apis/opendata.cue:2:15", codeInvalidValue)
	wantNoSecretPrinted(t, ds, body(k.rsaPKCS1))
	for _, d := range ds {
		if n := len([]rune(d.Message)); n > maxMessage+1 {
			t.Errorf("got a message of %d runes: %s", n, d)
		}
	}
}

func TestIntegersBeyondRangeAreRefusedNotSaturated(t *testing.T) {
	api, launch := baseFile(t, "publishers/acme/apis/opendata.cue"), baseFile(t, "approvals/launch/acme.patients.cue")
	tests := []struct {
		name, file, data, at string
	}{
		{"rate limit", "publishers/acme/apis/opendata.cue", strings.Replace(api, "limit: 10,", "limit: 99999999999999999999,", 1), "publishers/acme/apis/opendata.cue:9:21"},
		{"launch major", "approvals/launch/acme.patients.cue", strings.Replace(launch, "major:       1", "major:       18446744073709551617", 1), "approvals/launch/acme.patients.cue:4:2"},
		{"version major", "publishers/acme/apis/opendata.cue", strings.Replace(api, `"2.0.0"`, `"99999999999999999999.0.0"`, 1), "publishers/acme/apis/opendata.cue:3:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantDiag(t, compileBoth(t, map[string]string{tc.file: tc.data}), tc.at, codeInvalidValue)
		})
	}
}

func TestCountPluralises(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 errors"}, {1, "1 error"}, {2, "2 errors"}} {
		if got := Count(tc.n, "error"); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		`invalid value "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj3\n-----END RSA PRIVATE KEY-----"`,
		"see https://u:p@h.test/x?api_key=1#token=2 and PuTTY-User-Key-File-3: x",
		`"` + strings.Repeat("é", 100) + `" "` + strings.Repeat(`\"`, 50) + `"`,
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Redact(s)
		if again := Redact(got); again != got {
			t.Errorf("Redact is not idempotent: %q, then %q", got, again)
		}
		if n := len([]rune(got)); n > maxMessage+1 {
			t.Errorf("got %d runes, want at most %d", n, maxMessage+1)
		}
		if hits := findKeys(got); len(hits) > 0 {
			t.Errorf("got key material %v in %q", hits, got)
		}
		for _, u := range urlInText.FindAllString(got, -1) {
			if redact.URL(u) != u {
				t.Errorf("got a URL with an unmasked credential in %q", got)
			}
		}
	})
}

// scanValues scans a file's bytes and its decoded values as the compile
// does (a plain CUE file's nodes, another CUE file's literals, a YAML or
// JSON file's scalars); rescanAll scans every value again.
func scanValues(t *testing.T, file string, src []byte, rescanAll bool) Diagnostics {
	t.Helper()
	var sink diagSink
	sc := scanBytes(file, src, &sink)
	sc.rescanAll = rescanAll
	if strings.HasSuffix(file, ".cue") {
		f, err := parser.ParseFile(file, src)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if n, ok := plainFile(f); ok {
			sc.node(n, "", n.pos)
		} else {
			sc.cueLiterals(f)
		}
	} else {
		sc.yamlDocs(src)
	}
	return sink.list.Sort()
}

func TestValuesStandingInTheBytesAreReportedAsIfScannedAgain(t *testing.T) {
	k := newTestKeys(t)
	pemLines := func(p []byte, indent string) string {
		return indent + strings.ReplaceAll(strings.TrimSuffix(string(p), "\n"), "\n", "\n"+indent)
	}
	cueEscaped := strings.NewReplacer(" ", `\u0020`, "\n", `\n`).Replace(string(k.rsaPKCS1))
	tests := []struct{ name, file, data string }{
		{"CUE string with escapes", "a.cue", `description: "` + cueEscaped + `"` + "\n"},
		{"CUE string as written", "a.cue", `description: "` + k.derPKCS8 + `"` + "\n"},
		{"CUE string on the line after its key", "a.cue", "description:\n\t\"" + k.derEC + "\"\n"},
		{"CUE string two lines after its key", "a.cue", "description:\n\n\t\"" + k.derEC + "\"\n"},
		{"CUE string in a list", "a.cue", `keys: ["x", "` + k.derPKCS8 + `"]` + "\n"},
		{"CUE multi-line string", "a.cue", "description: \"\"\"\n" + pemLines(k.ec, "\t\t") + "\n\t\t\"\"\"\n"},
		{"CUE multi-line string with a carriage return in its marker", "a.cue",
			"description: \"\"\"\n\t-----BEGIN RSA PRIV\rATE KEY-----\n\t\"\"\"\n"},
		{"CUE string after multi-byte text", "a.cue", `"dé": "é", key: "` + k.derEC + `"` + "\n"},
		{"CUE literal of a file that is not plain data", "a.cue", "x: 1 + 1\nkey: \"" + k.derPKCS8 + "\"\n"},
		{"YAML plain scalar", "a.yaml", "key: " + k.derPKCS8 + "\n"},
		{"YAML plain scalar after multi-byte text", "a.yaml", "clé: é\nnoté: " + k.derEC + "\n"},
		{"YAML plain scalar folded into a marker", "a.yaml", "key: -----BEGIN RSA\n  PRIVATE KEY-----\n"},
		{"YAML double-quoted scalar with escapes", "a.yaml", `key: "` + strings.NewReplacer(" ", `\x20`, "\n", `\n`).Replace(string(k.ec)) + `"` + "\n"},
		{"YAML double-quoted scalar joined by an escaped line break", "a.yaml",
			"key: \"" + k.derPKCS8[:40] + "\\\n  " + k.derPKCS8[40:] + "\"\n"},
		{"YAML single-quoted scalar", "a.yaml", "key: '" + k.derEC + "'\n"},
		{"YAML flow sequence", "a.yaml", "keys: [x, " + k.derEC + ", y]\n"},
		{"YAML literal block", "a.yaml", "key: |\n" + pemLines(k.rsaPKCS8, "  ") + "\n"},
		{"YAML folded block", "a.yaml", "key: >\n" + pemLines(k.rsaPKCS8, "  ") + "\n"},
		{"YAML key that is key material", "a.yaml", k.derEC + ": x\n"},
		{"JSON string with escapes", "a.json", `{"key": "` + strings.NewReplacer(" ", `\u0020`, "\n", `\n`).Replace(string(k.ed25519)) + `"}`},
		{"JSON string as written", "a.json", `{"keys": ["` + k.derPKCS8 + `"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanValues(t, tc.file, []byte(tc.data), false)
			want := scanValues(t, tc.file, []byte(tc.data), true)
			if !slices.ContainsFunc(want, func(d Diagnostic) bool { return d.Code == codePEM }) {
				t.Fatalf("the case holds no key found:\n%s", renderDiags(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got\n%swant (every value scanned again)\n%s", renderDiags(got), renderDiags(want))
			}
		})
	}
}

func TestAValueStandsInTheBytesOnlyBetweenBytesThatAreNotBase64(t *testing.T) {
	const v = "QUJDRA"
	tests := []struct {
		name, src string
		at        pos
		want      bool
	}{
		{"plain", "k: QUJDRA\n", pos{1, 4}, true},
		{"quoted", `k: "QUJDRA"`, pos{1, 4}, true},
		{"after a multi-byte character, columns in characters", "é: QUJDRA", pos{1, 4}, true},
		{"after a multi-byte character, columns in bytes", "é: QUJDRA", pos{1, 5}, true},
		{"on the next line of the report", "k:\n  QUJDRA\n", pos{2, 3}, true},
		{"part of a longer run before", "k: xQUJDRA\n", pos{1, 5}, false},
		{"part of a longer run after", "k: QUJDRAx\n", pos{1, 4}, false},
		{"different bytes", "k: QUJDRB\n", pos{1, 4}, false},
		{"past the end of the file", "k: QUJ", pos{1, 4}, false},
		{"line past the end", "k: x\n", pos{3, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := secretScan{src: []byte(tc.src)}
			if got := sc.inBytes(pos{1, 1}, v, tc.at); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// baseFile returns the file p of the base configuration (testdata/base).
func baseFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/base/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
