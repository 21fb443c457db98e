package review

import (
	"bytes"
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
	"text/template"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// Scaffolding writes new files in their place in a configuration repository
// and checks that the result compiles. The patterns below agree with the
// schema's #ID and #Handle.
var (
	idPattern     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	handlePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`)
	datePattern   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	limitPattern  = regexp.MustCompile(`^([1-9][0-9]*)/(second|minute|hour)$`)
)

func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%s %q is not a valid ID (lowercase letters, digits and inner hyphens)", what, id)
	}
	return nil
}

func checkHandles(what string, hs []string) error {
	if len(hs) == 0 {
		return fmt.Errorf("at least one %s is needed", what)
	}
	for _, h := range hs {
		if !handlePattern.MatchString(h) {
			return fmt.Errorf("%s %q is not a valid forge handle", what, h)
		}
	}
	return nil
}

// q quotes a string as a CUE string literal.
func q(s string) string { return literal.String.Quote(s) }

// qs quotes a list of strings as a CUE list.
func qs(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = q(s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// formatCUE formats generated CUE source; it fails on invalid syntax.
func formatCUE(name, src string) ([]byte, error) {
	b, err := format.Source([]byte(src), format.Simplify())
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", name, err)
	}
	return b, nil
}

// InitOptions describe a new platform.
type InitOptions struct {
	// Name of the platform.
	Name string
	// Operator and Department name the two governing organisations; their
	// owners are forge handles.
	Operator, Department             string
	OperatorOwners, DepartmentOwners []string
	// Domain is the platform's DNS domain (environments get
	// sandbox.api.<domain>, int.api.<domain>, api.<domain>).
	Domain string
	// Today dates the first category's approval (default today).
	Today time.Time
}

func (o *InitOptions) defaults() {
	if o.Name == "" {
		o.Name = "Example API Platform"
	}
	if o.Operator == "" {
		o.Operator = "Example Platform Operator"
	}
	if o.Department == "" {
		o.Department = "Example Department"
	}
	if len(o.OperatorOwners) == 0 {
		o.OperatorOwners = []string{"platform-admin"}
	}
	if len(o.DepartmentOwners) == 0 {
		o.DepartmentOwners = []string{"department-approver"}
	}
	if o.Domain == "" {
		o.Domain = "example.org"
	}
	if o.Today.IsZero() {
		o.Today = time.Now()
	}
}

const platformTemplate = `// Platform policy of {{.Name}}. Operator-owned: only operator.owners may
// change this file and approvals/**; adding a publisher category also needs
// a department owner's approval (frontdoor check-pr enforces both).

name: {{q .Name}}

operator: {
	name:   {{q .Operator}}
	owners: {{qs .OperatorOwners}}
}

department: {
	name:   {{q .Department}}
	owners: {{qs .DepartmentOwners}}
}

environments: {
	sandbox: baseURL:     {{q (print "https://sandbox.api." .Domain)}}
	integration: baseURL: {{q (print "https://int.api." .Domain)}}
	production: baseURL:  {{q (print "https://api." .Domain)}}
}

// Categories of organisation that may publish. Each is approved by an
// operator owner and a department owner.
publisherCategories: {
	"public-body": {
		description: "Public bodies publishing their own services."
		approvedBy: {
			operator:   {{q (index .OperatorOwners 0)}}
			department: {{q (index .DepartmentOwners 0)}}
			date:       {{q (.Today.Format "2006-01-02")}}
		}
	}
}

// OIDC issuers trusted for user-restricted access modes (nhs-cis2-*,
// nhs-login-*); none yet.
identityProviders: {}

// Default per-app quota when an API states none: 5/second applied as
// 300/minute.
rateLimits: app: {limit: 300, per: "minute"}

logs: {
	retentionDays:          90
	aggregateRetentionDays: 730
}

// Public keys trusted to sign commits (frontdoor check-pr --strict), by
// handle: armored OpenPGP public keys or SSH authorized-key lines.
signingKeys: {}
`

const readmeTemplate = `# {{.Name}} configuration

This repository is the configuration of {{.Name}}, compiled by
[frontdoor](https://github.com/frontdoor-dev/frontdoor).

| path | what | owned by |
|---|---|---|
| frontdoor.cue | platform policy | the operator |
| approvals/onboarding/<pub>.cue | publisher onboarding | the operator |
| approvals/launch/<pub>.<api>.cue | production launch approvals | the operator |
| publishers/<pub>/** | a publisher, its APIs and grants | the publisher's owners |
| consumers/<org>/** | a consumer organisation and its apps | the organisation's owners |

Useful commands:

    frontdoor validate .
    frontdoor new publisher ID --name NAME --category public-body --owner HANDLE --email EMAIL
    frontdoor new api PUB/API --title TITLE --summary SUMMARY
    frontdoor new consumer ORG --name NAME --owner HANDLE --contact-name NAME --contact-email EMAIL
    frontdoor grant --api PUB/API --app ORG/APP --env sandbox --approver HANDLE
    frontdoor diff main HEAD
    frontdoor codeowners .

CODEOWNERS is generated from the owners lists: run ` + "`frontdoor codeowners`" + ` after
changing one. Install the pre-commit hook with ` + "`git config core.hooksPath .githooks`" + `.
`

// Init writes a new configuration repository into dir, which must not hold
// a frontdoor.cue yet: the platform policy, CODEOWNERS, a GitHub Actions
// workflow, a pre-commit hook and a README. The result validates.
func Init(ctx context.Context, dir string, o InitOptions) ([]string, error) {
	o.defaults()
	if err := checkHandles("operator owner", o.OperatorOwners); err != nil {
		return nil, err
	}
	if err := checkHandles("department owner", o.DepartmentOwners); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "frontdoor.cue")); err == nil {
		return nil, fmt.Errorf("%s already holds frontdoor.cue", dir)
	}
	funcs := template.FuncMap{"q": q, "qs": qs}
	render := func(name, text string) ([]byte, error) {
		t, err := template.New(name).Funcs(funcs).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, o); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", name, err)
		}
		return b.Bytes(), nil
	}
	platform, err := render("frontdoor.cue", platformTemplate)
	if err != nil {
		return nil, err
	}
	if platform, err = formatCUE("frontdoor.cue", string(platform)); err != nil {
		return nil, err
	}
	readme, err := render("README.md", readmeTemplate)
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"frontdoor.cue", platform, 0o644},
		{"README.md", readme, 0o644},
		{".github/workflows/frontdoor.yml", []byte(GitHubWorkflow), 0o644},
		{".githooks/pre-commit", []byte(PreCommitHook), 0o755},
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if _, err := os.Stat(p); err == nil {
			return written, fmt.Errorf("%s already exists", p)
		}
		if err := writeFile(p, f.data, f.mode); err != nil {
			return written, err
		}
		written = append(written, f.name)
	}
	g, err := ReadGovernance(os.DirFS(dir))
	if err != nil {
		return written, err
	}
	if err := writeFile(filepath.Join(dir, "CODEOWNERS"), []byte(CodeOwners(g)), 0o644); err != nil {
		return written, err
	}
	written = append(written, "CODEOWNERS")
	return written, nil
}

func writeFile(p string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(p, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// CodeOwners renders a GitHub CODEOWNERS file from the owners lists of g.
// GitHub applies the last matching line, so the operator's defaults come
// first. New consumer directories need no owner's review (anyone may
// register an organisation); new publisher directories need the operator.
// Category changes also need a department owner, which CODEOWNERS cannot
// say: check-pr checks it.
func CodeOwners(g *Governance) string {
	at := func(hs []string) string {
		out := make([]string, len(hs))
		for i, h := range hs {
			out[i] = "@" + h
		}
		return strings.Join(out, " ")
	}
	op := at(g.OperatorOwners)
	var b strings.Builder
	b.WriteString(`# Generated by "frontdoor codeowners" from the owners lists in frontdoor.cue,
# publishers/*/publisher.cue and consumers/*/consumer.cue: change those and
# run it again rather than editing this file. frontdoor check-pr enforces the
# same rules (and a department approval for publisher categories).
`)
	rows := [][2]string{
		{"*", op},
		{"/frontdoor.cue", op},
		{"/approvals/", op},
		{"/publishers/", op},
		{"/consumers/", ""},
	}
	for _, id := range slices.Sorted(maps.Keys(g.Publishers)) {
		if o := g.Publishers[id]; o.Readable {
			rows = append(rows, [2]string{"/publishers/" + id + "/", at(o.Owners)})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(g.Consumers)) {
		if o := g.Consumers[id]; o.Readable {
			rows = append(rows, [2]string{"/consumers/" + id + "/", at(o.Owners)})
		}
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		if r[1] == "" {
			fmt.Fprintf(&b, "%s\n", r[0])
			continue
		}
		fmt.Fprintf(&b, "%-*s %s\n", width, r[0], r[1])
	}
	return b.String()
}

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
// OnboardedBy, approvals/onboarding/<id>.cue).
func NewPublisher(dir, id string, o PublisherOptions) ([]string, error) {
	if err := checkID("publisher", id); err != nil {
		return nil, err
	}
	if err := checkHandles("owner", o.Owners); err != nil {
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
	return writeNew(dir, files)
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
func NewAPI(dir, pub, api string, o APIOptions) ([]string, error) {
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
	return writeNew(dir, map[string]string{
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
	r, err := newCueReader()
	if err != nil {
		return false, err
	}
	v, ok, err := r.read(os.DirFS(dir), path.Join("publishers", pub, "publisher.cue"))
	if err != nil || !ok {
		return false, err
	}
	dc, _ := v.LookupPath(cue.ParsePath("dataController")).Bool()
	return str(v, "legalBasis") != "" && dc, nil
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
}

// NewConsumer writes consumers/<org>/consumer.cue.
func NewConsumer(dir, org string, o ConsumerOptions) ([]string, error) {
	if err := checkID("consumer organisation", org); err != nil {
		return nil, err
	}
	if err := checkHandles("owner", o.Owners); err != nil {
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
		fmt.Fprintf(&src, "apps: %s: name: %s\n", q(o.App), q(cmpOr(o.AppName, o.App)))
	} else {
		src.WriteString("apps: {}\n")
	}
	return writeNew(dir, map[string]string{path.Join("consumers", org, "consumer.cue"): src.String()})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeNew formats and writes new files; none may exist yet.
func writeNew(dir string, files map[string]string) ([]string, error) {
	names := slices.Sorted(maps.Keys(files))
	out := map[string][]byte{}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
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
	for _, n := range names {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(n)), out[n], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
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
}

// AddGrant appends a grant to publishers/<pub>/grants/<org>.cue (creating
// it if needed), formatted, and returns the file's path.
func AddGrant(dir string, g Grant) (string, error) {
	pub, api, ok := strings.Cut(g.API, "/")
	if !ok {
		return "", fmt.Errorf("--api %q: want PUB/API", g.API)
	}
	org, app, ok := strings.Cut(g.App, "/")
	if !ok {
		return "", fmt.Errorf("--app %q: want ORG/APP", g.App)
	}
	for _, c := range [][2]string{{"publisher", pub}, {"API", api}, {"consumer organisation", org}, {"app", app}, {"environment", g.Environment}} {
		if err := checkID(c[0], c[1]); err != nil {
			return "", err
		}
	}
	if err := checkHandles("approver", []string{g.Approver}); err != nil {
		return "", err
	}
	mode := g.Mode
	if mode == "" {
		m, err := onlyMode(dir, pub, api)
		if err != nil {
			return "", err
		}
		mode = m
	}
	fields := []string{
		"app: " + q(app), "api: " + q(api), "environment: " + q(g.Environment), "accessMode: " + q(mode),
	}
	if g.Limit != "" {
		m := limitPattern.FindStringSubmatch(g.Limit)
		if m == nil {
			return "", fmt.Errorf("--limit %q: want N/second, N/minute or N/hour", g.Limit)
		}
		fields = append(fields, fmt.Sprintf("rateLimit: {limit: %s, per: %s}", m[1], q(m[2])))
	}
	if g.Expires != "" {
		if !datePattern.MatchString(g.Expires) {
			return "", fmt.Errorf("--expires %q: want YYYY-MM-DD", g.Expires)
		}
		fields = append(fields, "expires: "+q(g.Expires))
	}
	fields = append(fields, "approvedBy: "+q(g.Approver), "date: "+q(day(g.Date)))
	elem := "{\n" + strings.Join(fields, "\n") + "\n}"
	rel := path.Join("publishers", pub, "grants", org+".cue")
	p := filepath.Join(dir, filepath.FromSlash(rel))
	src, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		src = fmt.Appendf(nil, "// %s's grants to the apps of %s.\ngrants: [\n]\n", pub, org)
	} else if err != nil {
		return "", err
	}
	out, err := appendGrant(rel, src, elem)
	if err != nil {
		return "", err
	}
	if err := writeFile(p, out, 0o644); err != nil {
		return "", err
	}
	return rel, nil
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
	r, err := newCueReader()
	if err != nil {
		return "", err
	}
	rel := path.Join("publishers", pub, "apis", api+".cue")
	v, ok, err := r.read(os.DirFS(dir), rel)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s does not exist or does not evaluate; pass --mode", rel)
	}
	var modes []string
	for _, m := range stringList(v, "accessModes") {
		if m != "open" {
			modes = append(modes, m)
		}
	}
	if len(modes) != 1 {
		return "", fmt.Errorf("%s/%s accepts %s: pass --mode", pub, api, list(modes))
	}
	return modes[0], nil
}

func day(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Format(time.DateOnly)
}

// Validate compiles the repository in dir and returns the diagnostics that
// concern the given files (an invalid repository elsewhere is not the new
// files' fault) and the rest.
func Validate(ctx context.Context, dir string, files []string, now time.Time) (mine, others compiler.Diagnostics, err error) {
	res, err := compiler.Compile(ctx, os.DirFS(dir), compiler.Options{Generation: 1, Now: now})
	if err != nil {
		return nil, nil, err
	}
	for _, d := range res.Diagnostics {
		if slices.Contains(files, d.File) {
			mine = append(mine, d)
		} else {
			others = append(others, d)
		}
	}
	return mine, others, nil
}
