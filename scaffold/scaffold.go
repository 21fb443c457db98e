package scaffold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/review"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// The patterns below agree with the schema's #Handle and #Date (IDs are
// snapshot.IsID's).
var (
	handlePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`)
	datePattern   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	limitPattern  = regexp.MustCompile(`^([1-9][0-9]*)/(second|minute|hour)$`)
)

func checkID(what, id string) error {
	if !snapshot.IsID(id) {
		return fmt.Errorf("%s %q is not a valid ID (lowercase letters, digits and inner hyphens)", what, id)
	}
	return nil
}

// checkOrg checks a new organisation's ID and its owners' handles.
func checkOrg(what, id string, owners []string) error {
	if err := checkID(what, id); err != nil {
		return err
	}
	return checkHandles("owner", owners)
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
	// IdentityProviders are the OIDC issuers of user-restricted access
	// modes (see ParseIdentityProvider).
	IdentityProviders []IdentityProvider
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
// nhs-login-*){{if not .IdentityProviders}}; none yet: an API offering one of these modes
// needs its provider here (frontdoor explain FD208){{end}}.
identityProviders: {
{{- range .IdentityProviders}}
	{{q .Name}}: {
		issuer:  {{q .Issuer}}
		jwksURL: {{q .JWKSURL}}
{{- if .Audience}}
		audience: {{q .Audience}}
{{- end}}
		levelClaim: {{q .LevelClaim}}
		levels: {
{{- range .Levels}}
			{{q .Value}}: {{q .Mode}}
{{- end}}
		}
	}
{{- end}}
}

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

CODEOWNERS is generated from the owners lists (` + "`frontdoor new`" + ` keeps it up to
date): run ` + "`frontdoor codeowners`" + ` after changing one by hand. The pre-commit
hook in .githooks validates what is staged; ` + "`frontdoor init`" + ` turns it on when it
creates the git repository, otherwise run ` + "`git config core.hooksPath .githooks`" + `.
Build output (` + "`frontdoor build . -o out`" + `) goes in out/, which .gitignore keeps
out of git and frontdoor keeps out of the configuration.
`

// GitIgnore is the .gitignore that init writes: build output and tools are
// not configuration (the compiler skips what .gitignore ignores).
const GitIgnore = `# Build output (frontdoor build . -o out) and local tools: never configuration.
/out/
/bin/
`

// Result is what a scaffold operation did.
type Result struct {
	// Files are the repository-relative files written or changed.
	Files []string
	// Elsewhere are errors in other files of the repository: not the new
	// files' fault, so they did not stop the operation.
	Elsewhere compiler.Diagnostics
	// GitInit is true when Init created the git repository (with the
	// pre-commit hook turned on).
	GitInit bool
}

// InvalidError is returned when what an operation wrote does not validate;
// everything it wrote has been undone.
type InvalidError struct {
	Diagnostics compiler.Diagnostics
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("the new files do not validate (%s)", compiler.Count(e.Diagnostics.Errors(), "error"))
}

// finish validates what t wrote as of now (zero: today) and undoes it all
// when it does not validate. With all set, every error of the repository
// counts, not only those in the files written.
func (t *txn) finish(ctx context.Context, files []string, all bool, now time.Time) (*Result, error) {
	mine, others, err := Validate(ctx, t.dir, files, now)
	if err != nil {
		t.rollback()
		return nil, err
	}
	if all {
		mine, others = append(mine, others...), nil
	}
	if mine.HasErrors() {
		t.rollback()
		return nil, &InvalidError{Diagnostics: mine}
	}
	var elsewhere compiler.Diagnostics
	for _, d := range others {
		if d.Severity == compiler.SeverityError {
			elsewhere = append(elsewhere, d)
		}
	}
	return &Result{Files: files, Elsewhere: elsewhere}, nil
}

// Init writes a new configuration repository into dir, which must not hold
// a frontdoor.cue yet: the platform policy, CODEOWNERS, a GitHub Actions
// workflow, a pre-commit hook, a .gitignore and a README. Unless dir is
// already inside a git repository, it runs git init (branch main, as the
// workflow expects) and turns the pre-commit hook on. The result validates.
func Init(ctx context.Context, dir string, o InitOptions) (*Result, error) {
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
		{".gitignore", []byte(GitIgnore), 0o644},
		{".github/workflows/frontdoor.yml", []byte(GitHubWorkflow), 0o644},
		{".githooks/pre-commit", []byte(PreCommitHook), 0o755},
	}
	t := newTxn(dir)
	if err := t.mkdirAll(dir); err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		if _, err := os.Lstat(t.path(f.name)); err == nil {
			t.rollback()
			return nil, fmt.Errorf("%s already exists", f.name)
		}
		if err := t.write(f.name, f.data, f.mode); err != nil {
			t.rollback()
			return nil, err
		}
		written = append(written, f.name)
	}
	if _, err := t.writeCodeOwners(); err != nil {
		t.rollback()
		return nil, err
	}
	written = append(written, "CODEOWNERS")
	gitInit, err := t.gitInit()
	if err != nil {
		t.rollback()
		return nil, err
	}
	res, err := t.finish(ctx, written, true, time.Time{})
	if err != nil {
		return nil, err
	}
	res.GitInit = gitInit
	return res, nil
}

// gitInit creates a git repository in t.dir, on branch main with the
// pre-commit hook turned on, unless t.dir is already inside one.
func (t *txn) gitInit() (bool, error) {
	_, err := git.PlainOpenWithOptions(t.dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return false, fmt.Errorf("opening the git repository of %s: %w", t.dir, err)
	}
	t.trees = append(t.trees, filepath.Join(t.dir, ".git"))
	repo, err := git.PlainInitWithOptions(t.dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		return false, fmt.Errorf("git init: %w", err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return false, fmt.Errorf("git init: %w", err)
	}
	cfg.Raw.Section("core").SetOption("hooksPath", ".githooks")
	if err := repo.SetConfig(cfg); err != nil {
		return false, fmt.Errorf("turning the pre-commit hook on: %w", err)
	}
	return true, nil
}

// writeCodeOwners regenerates CODEOWNERS from the owners lists, when
// frontdoor.cue evaluates, and reports whether it changed the file.
func (t *txn) writeCodeOwners() (bool, error) {
	g, err := review.ReadGovernance(os.DirFS(t.dir))
	if err != nil || !g.Platform {
		return false, err
	}
	want := []byte(review.CodeOwners(g))
	if got, err := os.ReadFile(t.path("CODEOWNERS")); err == nil && bytes.Equal(got, want) {
		return false, nil
	}
	return true, t.write("CODEOWNERS", want, 0o644)
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
