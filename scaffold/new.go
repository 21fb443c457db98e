package scaffold

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/frontdoor-dev/frontdoor/review"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// PublisherOptions describe a new publisher.
type PublisherOptions struct {
	Name, Category, Email, Website string
	// LegalBasis, when set, is written with dataController: true (both are
	// needed to serve traffic).
	LegalBasis string
	Owners     []string
	// OnboardedBy, when set, also writes the operator's onboarding approval
	// with Agreement as the platform agreement's reference.
	OnboardedBy, Agreement string
	Today                  time.Time
}

// NewPublisher writes publishers/<id>/publisher.cue (and, with
// OnboardedBy, approvals/onboarding/<id>.cue) and brings CODEOWNERS up to
// date.
func NewPublisher(ctx context.Context, dir, id string, o PublisherOptions) (*Result, error) {
	if err := checkOrg("publisher", id, o.Owners); err != nil {
		return nil, err
	}
	if o.Name == "" || o.Category == "" || o.Email == "" {
		return nil, errors.New("a publisher needs --name, --category and --email")
	}
	today := day(o.Today)
	var src strings.Builder
	fmt.Fprintf(&src, "// %s publishes its APIs on the platform.\n", o.Name)
	fmt.Fprintf(&src, "name: %s\ncategory: %s\n", q(o.Name), q(o.Category))
	if o.Website != "" {
		fmt.Fprintf(&src, "website: %s\n", q(o.Website))
	}
	fmt.Fprintf(&src, "contact: email: %s\n", q(o.Email))
	src.WriteString("// Required to serve traffic: the legal basis for processing the data the\n// APIs carry, and acceptance of the data controller role.\n")
	if o.LegalBasis != "" {
		fmt.Fprintf(&src, "legalBasis: %s\ndataController: true\n", q(o.LegalBasis))
	} else {
		src.WriteString("// legalBasis: \"...\"\n// dataController: true\n")
	}
	fmt.Fprintf(&src, "owners: %s\n", qs(o.Owners))
	files := map[string]string{path.Join("publishers", id, "publisher.cue"): src.String()}
	if o.OnboardedBy != "" {
		if o.Agreement == "" {
			return nil, errors.New("onboarding needs --agreement, the platform agreement's reference")
		}
		files[path.Join("approvals", "onboarding", id+".cue")] = fmt.Sprintf(
			"// The operator onboards %s.\napprovedBy: %s\ndate: %s\nagreement: {\n\treference: %s\n\tsigned: %s\n}\n",
			o.Name, q(o.OnboardedBy), q(today), q(o.Agreement), q(today))
	}
	return writeNew(ctx, dir, files)
}

// APIOptions describe a new API.
type APIOptions struct {
	Title, Summary string
	// Modes are its access modes (default app-level0).
	Modes []string
}

// NewAPI writes publishers/<pub>/apis/<api>.cue and a starter OpenAPI
// document <api>.yaml. The API is in development; it is deployed to sandbox
// when the publisher is onboarded (a publisher that is not may not deploy).
func NewAPI(ctx context.Context, dir, pub, api string, o APIOptions) (*Result, error) {
	if err := checkID("publisher", pub); err != nil {
		return nil, err
	}
	if err := checkID("API", api); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "publishers", pub, "publisher.cue")); err != nil {
		return nil, fmt.Errorf("publisher %s does not exist (frontdoor new publisher first)", pub)
	}
	if o.Title == "" || o.Summary == "" {
		return nil, errors.New("an API needs --title and --summary")
	}
	if len(o.Modes) == 0 {
		o.Modes = []string{"app-level0"}
	}
	envs := "// Deploy to environments once the publisher may serve traffic (onboarded,\n// with a legal basis, as data controller).\nenvironments: {}\n"
	if ready, err := canServe(dir, pub); err != nil {
		return nil, err
	} else if ready {
		envs = fmt.Sprintf("environments: sandbox: upstream: %s\n", q("https://"+api+"."+pub+".example/sandbox"))
	}
	var src strings.Builder
	fmt.Fprintf(&src, "title: %s\nsummary: %s\nversion: \"0.1.0\"\nstatus: \"in-development\"\nserviceLevel: \"bronze\"\n", q(o.Title), q(o.Summary))
	src.WriteString(envs)
	fmt.Fprintf(&src, "accessModes: %s\ndataCategories: []\nrateLimits: proxy: {limit: 100, per: \"second\"}\n", qs(o.Modes))
	spec := starterSpec(pub, api, o)
	return writeNew(ctx, dir, map[string]string{
		path.Join("publishers", pub, "apis", api+".cue"):  src.String(),
		path.Join("publishers", pub, "apis", api+".yaml"): spec,
	})
}

// canServe reports whether a publisher may serve traffic: onboarded, with a
// legal basis, as data controller.
func canServe(dir, pub string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, "approvals", "onboarding", pub+".cue")); err != nil {
		return false, nil
	}
	v, ok, err := review.ReadValue(os.DirFS(dir), path.Join("publishers", pub, "publisher.cue"))
	if err != nil || !ok {
		return false, err
	}
	dc, _ := v.LookupPath(cue.ParsePath("dataController")).Bool()
	legal, _ := v.LookupPath(cue.ParsePath("legalBasis")).String()
	return legal != "" && dc, nil
}

// starterSpec is a minimal OpenAPI 3.0 document whose security schemes agree
// with the access modes.
func starterSpec(pub, api string, o APIOptions) string {
	var schemes, security []string
	for _, m := range o.Modes {
		switch {
		case m == "app-level0":
			schemes = append(schemes, "    apiKey:\n      type: apiKey\n      in: header\n      name: apikey\n")
			security = append(security, "  - apiKey: []\n")
		case m != "open":
			if !slices.Contains(schemes, "    bearer:\n      type: http\n      scheme: bearer\n") {
				schemes = append(schemes, "    bearer:\n      type: http\n      scheme: bearer\n")
				security = append(security, "  - bearer: []\n")
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "openapi: 3.0.3\ninfo:\n  title: %s\n  version: 0.1.0\n  description: %s\n", yamlQuote(o.Title), yamlQuote(o.Summary))
	fmt.Fprintf(&b, "paths:\n  /status:\n    get:\n      operationId: get-status\n      summary: Report that the API is up\n      responses:\n        '200':\n          description: The API is up.\n")
	if len(schemes) > 0 {
		b.WriteString("components:\n  securitySchemes:\n")
		for _, s := range schemes {
			b.WriteString(s)
		}
		b.WriteString("security:\n")
		for _, s := range security {
			b.WriteString(s)
		}
	}
	return b.String()
}

func yamlQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, "'", "''"), "\n", " ") + "'"
}

// ConsumerOptions describe a new consumer organisation.
type ConsumerOptions struct {
	Name, DSPT, ContactName, ContactEmail string
	Owners                                []string
	// App, when set, registers one app with that ID (and AppName).
	App, AppName string
	// JWKSURL is the app's public JWKS for signed-JWT authentication
	// (app-level3).
	JWKSURL string
	// APIKeySHA256 is the hex SHA-256 of the app's API key, accepted in
	// APIKeyEnvironments (default sandbox).
	APIKeySHA256       string
	APIKeyEnvironments []string
	// ClientCertFingerprint is the hex SHA-256 of the app's TLS client
	// certificate (DER), for APIs that require mutual TLS.
	ClientCertFingerprint string
}

// sha256Pattern is a lowercase hex SHA-256.
var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// NewConsumer writes consumers/<org>/consumer.cue and brings CODEOWNERS up
// to date.
func NewConsumer(ctx context.Context, dir, org string, o ConsumerOptions) (*Result, error) {
	if err := checkOrg("consumer organisation", org, o.Owners); err != nil {
		return nil, err
	}
	if o.Name == "" || o.ContactName == "" || o.ContactEmail == "" {
		return nil, errors.New("a consumer needs --name, --contact-name and --contact-email")
	}
	if o.DSPT == "" {
		o.DSPT = "not-met"
	}
	var src strings.Builder
	fmt.Fprintf(&src, "// %s consumes APIs of the platform.\nname: %s\ndspt: %s\n", o.Name, q(o.Name), q(o.DSPT))
	fmt.Fprintf(&src, "// The operator's contact; never published.\ncontact: {\n\tname: %s\n\temail: %s\n}\n", q(o.ContactName), q(o.ContactEmail))
	fmt.Fprintf(&src, "owners: %s\n", qs(o.Owners))
	src.WriteString("// Apps and their public credentials: API keys only as SHA-256 hashes\n// (printf %s KEY | sha256sum), signing keys only as public JWKs.\n")
	if o.App != "" {
		if err := checkID("app", o.App); err != nil {
			return nil, err
		}
		app, err := appSource(o)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&src, "apps: %s: %s\n", q(o.App), app)
	} else {
		if o.JWKSURL != "" || o.APIKeySHA256 != "" || o.ClientCertFingerprint != "" {
			return nil, errors.New("--jwks-url, --api-key-sha256 and --client-cert-fingerprint register an app's credentials: pass --app too")
		}
		src.WriteString("apps: {}\n")
	}
	return writeNew(ctx, dir, map[string]string{path.Join("consumers", org, "consumer.cue"): src.String()})
}

// appSource is a new app's CUE value: its name and the public credentials
// given. A key that is not a SHA-256 hash is refused without being echoed.
func appSource(o ConsumerOptions) (string, error) {
	fields := []string{"name: " + q(cmp.Or(o.AppName, o.App))}
	if o.APIKeySHA256 != "" {
		if !sha256Pattern.MatchString(o.APIKeySHA256) {
			return "", errors.New("--api-key-sha256: want the key's SHA-256 as 64 lowercase hex digits (printf %s KEY | sha256sum), never the key")
		}
		envs := o.APIKeyEnvironments
		if len(envs) == 0 {
			envs = []string{"sandbox"}
		}
		for _, e := range envs {
			if err := checkID("environment", e); err != nil {
				return "", err
			}
		}
		fields = append(fields, fmt.Sprintf("apiKeys: key1: {sha256: %s, environments: %s}", q(o.APIKeySHA256), qs(envs)))
	} else if len(o.APIKeyEnvironments) > 0 {
		return "", errors.New("--api-key-env needs --api-key-sha256")
	}
	if o.JWKSURL != "" {
		fields = append(fields, "jwksURL: "+q(o.JWKSURL))
	}
	if o.ClientCertFingerprint != "" {
		if !sha256Pattern.MatchString(o.ClientCertFingerprint) {
			return "", errors.New("--client-cert-fingerprint: want the certificate's SHA-256 as 64 lowercase hex digits (openssl x509 -in app.crt -outform der | sha256sum)")
		}
		fields = append(fields, "clientCertificates: cert1: sha256: "+q(o.ClientCertFingerprint))
	}
	return "{\n" + strings.Join(fields, "\n") + "\n}", nil
}

// writeNew formats and writes new files, none of which may exist yet,
// brings CODEOWNERS up to date and validates the result.
func writeNew(ctx context.Context, dir string, files map[string]string) (*Result, error) {
	names := slices.Sorted(maps.Keys(files))
	out := map[string][]byte{}
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
			return nil, fmt.Errorf("%s already exists", n)
		}
		b := []byte(files[n])
		if strings.HasSuffix(n, ".cue") {
			var err error
			if b, err = formatCUE(n, files[n]); err != nil {
				return nil, err
			}
		}
		out[n] = b
	}
	t := newTxn(dir)
	for _, n := range names {
		if err := t.write(n, out[n], 0o644); err != nil {
			t.rollback()
			return nil, err
		}
	}
	// The owners lists may have changed.
	if changed, err := t.writeCodeOwners(); err != nil {
		t.rollback()
		return nil, err
	} else if changed {
		names = append(names, "CODEOWNERS")
	}
	return t.finish(ctx, names, false, time.Time{})
}

// Grant is a grant to add with AddGrant.
type Grant struct {
	// API is "<pub>/<api>"; App is "<org>/<app>".
	API, App string
	// Environment and Mode (the access mode; default: the API's only
	// non-open mode).
	Environment, Mode string
	// Limit overrides the per-app quota: "10/second".
	Limit string
	// Expires is the last day of access (YYYY-MM-DD).
	Expires string
	// Approver is the publisher's approving owner.
	Approver string
	// Date of the grant (default today).
	Date time.Time
	// Now is the day the grant's expiry is validated against (default
	// today).
	Now time.Time
}

// AddGrant appends a grant to publishers/<pub>/grants/<org>.cue (creating
// it if needed), formatted, and validates it.
func AddGrant(ctx context.Context, dir string, g Grant) (*Result, error) {
	pub, api, ok := strings.Cut(g.API, "/")
	if !ok {
		return nil, fmt.Errorf("--api %q: want PUB/API", g.API)
	}
	org, app, ok := strings.Cut(g.App, "/")
	if !ok {
		return nil, fmt.Errorf("--app %q: want ORG/APP", g.App)
	}
	for _, c := range [][2]string{{"publisher", pub}, {"API", api}, {"consumer organisation", org}, {"app", app}, {"environment", g.Environment}} {
		if err := checkID(c[0], c[1]); err != nil {
			return nil, err
		}
	}
	if err := checkHandles("approver", []string{g.Approver}); err != nil {
		return nil, err
	}
	mode := g.Mode
	if mode == "" {
		m, err := onlyMode(dir, pub, api)
		if err != nil {
			return nil, err
		}
		mode = m
	}
	fields := []string{
		"app: " + q(app), "api: " + q(api), "environment: " + q(g.Environment), "accessMode: " + q(mode),
	}
	if g.Limit != "" {
		m := limitPattern.FindStringSubmatch(g.Limit)
		if m == nil {
			return nil, fmt.Errorf("--limit %q: want N/second, N/minute or N/hour", g.Limit)
		}
		fields = append(fields, fmt.Sprintf("rateLimit: {limit: %s, per: %s}", m[1], q(m[2])))
	}
	if g.Expires != "" {
		if !datePattern.MatchString(g.Expires) {
			return nil, fmt.Errorf("--expires %q: want YYYY-MM-DD", g.Expires)
		}
		fields = append(fields, "expires: "+q(g.Expires))
	}
	fields = append(fields, "approvedBy: "+q(g.Approver), "date: "+q(day(g.Date)))
	elem := "{\n" + strings.Join(fields, "\n") + "\n}"
	rel := path.Join("publishers", pub, "grants", org+".cue")
	src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		src = fmt.Appendf(nil, "// %s's grants to the apps of %s.\ngrants: [\n]\n", pub, org)
	} else if err != nil {
		return nil, err
	}
	out, err := appendGrant(rel, src, elem)
	if err != nil {
		return nil, err
	}
	t := newTxn(dir)
	if err := t.write(rel, out, 0o644); err != nil {
		t.rollback()
		return nil, err
	}
	return t.finish(ctx, []string{rel}, false, g.Now)
}

// appendGrant appends elem to the grants list of a grants file. The file is
// edited as text, so that the existing grants and comments stay byte for
// byte as they were, then formatted (cue fmt's layout).
func appendGrant(rel string, src []byte, elem string) ([]byte, error) {
	f, err := parser.ParseFile(rel, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	var list *ast.ListLit
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(fd.Label); name == "grants" {
				list, _ = fd.Value.(*ast.ListLit)
			}
		}
	}
	if list == nil {
		return nil, fmt.Errorf("%s has no grants: [...] list to append to", rel)
	}
	e, err := parser.ParseExpr("grant", elem)
	if err != nil {
		return nil, fmt.Errorf("building the grant: %w", err)
	}
	eb, err := format.Node(e)
	if err != nil {
		return nil, fmt.Errorf("formatting the grant: %w", err)
	}
	rb := list.Rbrack.Offset()
	var b bytes.Buffer
	if n := len(list.Elts); n > 0 {
		end := list.Elts[n-1].End().Offset()
		b.Write(src[:end])
		if !bytes.Contains(src[end:rb], []byte(",")) {
			b.WriteByte(',')
		}
		b.Write(src[end:rb])
	} else {
		b.Write(src[:rb])
	}
	// The new element goes on its own lines, before the closing bracket.
	lineStart := bytes.LastIndexByte(b.Bytes(), '\n') + 1
	onOwnLine := len(bytes.TrimSpace(b.Bytes()[lineStart:])) == 0
	if onOwnLine {
		b.Truncate(lineStart)
	} else {
		b.WriteByte('\n')
	}
	b.WriteString("\t" + strings.ReplaceAll(string(eb), "\n", "\n\t") + ",\n")
	b.Write(src[rb:])
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", rel, err)
	}
	return out, nil
}

// onlyMode returns the API's access mode when it has exactly one that needs
// a grant (everything but open).
func onlyMode(dir, pub, api string) (string, error) {
	rel := path.Join("publishers", pub, "apis", api+".cue")
	v, ok, err := review.ReadValue(os.DirFS(dir), rel)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s does not exist or does not evaluate; pass --mode", rel)
	}
	var all, modes []string
	_ = v.LookupPath(cue.ParsePath("accessModes")).Decode(&all)
	for _, m := range all {
		if m != snapshot.ModeOpen {
			modes = append(modes, m)
		}
	}
	if len(modes) != 1 {
		return "", fmt.Errorf("%s/%s accepts %s: pass --mode", pub, api, cmp.Or(strings.Join(modes, ", "), "no mode that needs a grant"))
	}
	return modes[0], nil
}

func day(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Format(time.DateOnly)
}
