package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/review"
	"github.com/frontdoor-dev/frontdoor/scaffold"
)

func newInitCmd() *cobra.Command {
	var o scaffold.InitOptions
	var idps []string
	c := &cobra.Command{
		Use:   "init DIR",
		Short: "Start a new configuration repository",
		Long: `init writes a new configuration repository into DIR: frontdoor.cue (the
platform policy, with one publisher category approved by the first operator
and department owners, and the identity providers given), CODEOWNERS generated
from the owners, a GitHub Actions workflow (.github/workflows/frontdoor.yml:
validate, check-pr, diff as a pull request comment, SARIF, build on main), a
pre-commit hook (.githooks/pre-commit), a .gitignore (build output in out/)
and a README. Unless DIR is inside a git repository already, it runs git init
(branch main) and turns the pre-commit hook on. The result validates.

--identity-provider NAME,issuer=URL,jwks=URL[,audience=AUD] trusts an OIDC
issuer for user-restricted access modes: NAME nhs-cis2 (nhs-cis2-aal1,
nhs-cis2-aal3) or nhs-login (nhs-login-p0, -p5, -p9).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			for _, s := range idps {
				p, err := scaffold.ParseIdentityProvider(s)
				if err != nil {
					return usageErr("%v", err)
				}
				o.IdentityProviders = append(o.IdentityProviders, p)
			}
			res, err := scaffold.Init(c.Context(), args[0], o)
			if err := scaffoldDone(c, args[0], res, err, ioErr); err != nil {
				return err
			}
			if res.GitInit {
				fmt.Fprintf(c.OutOrStdout(), "initialised a git repository in %s (branch main, pre-commit hook on)\n", args[0])
			} else if hooks, err := filepath.Abs(filepath.Join(args[0], ".githooks")); err == nil {
				fmt.Fprintf(c.OutOrStdout(), "%s is inside a git repository already: turn the pre-commit hook on with git config core.hooksPath %s\n", args[0], hooks)
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.Name, "name", "", "platform name")
	c.Flags().StringVar(&o.Operator, "operator", "", "operating organisation's name")
	c.Flags().StringArrayVar(&o.OperatorOwners, "operator-owner", nil, "forge handle of an operator owner (repeatable)")
	c.Flags().StringVar(&o.Department, "department", "", "department's name (second approver of significant changes)")
	c.Flags().StringArrayVar(&o.DepartmentOwners, "department-owner", nil, "forge handle of a department owner (repeatable)")
	c.Flags().StringVar(&o.Domain, "domain", "", "DNS domain of the environments' base URLs (default example.org)")
	c.Flags().StringArrayVar(&idps, "identity-provider", nil, "OIDC issuer for user-restricted modes: NAME,issuer=URL,jwks=URL[,audience=AUD] (repeatable)")
	return c
}

// scaffoldDone reports a scaffold operation: the files written, a note on
// errors elsewhere, or the diagnostics of files that did not validate
// (exit 1; nothing was left written). Other errors go through fail.
func scaffoldDone(c *cobra.Command, dir string, res *scaffold.Result, err error, fail func(error) error) error {
	var inv *scaffold.InvalidError
	if errors.As(err, &inv) {
		_ = inv.Diagnostics.WriteText(c.ErrOrStderr())
		fmt.Fprintf(c.ErrOrStderr(), "%s: %v: nothing was written\n", c.CommandPath(), err)
		return invalid("%v", err)
	}
	if err != nil {
		return fail(err)
	}
	for _, f := range res.Files {
		fmt.Fprintf(c.OutOrStdout(), "wrote %s\n", filepath.Join(dir, f))
	}
	if n := res.Elsewhere.Errors(); n > 0 {
		fmt.Fprintf(c.ErrOrStderr(), "note: %s elsewhere in %s (frontdoor validate %s)\n", compiler.Count(n, "error"), dir, dir)
	}
	return nil
}

// usageFail classifies an error of new and grant as a usage error.
func usageFail(err error) error { return usageErr("%v", err) }

func newCodeownersCmd() *cobra.Command {
	var check bool
	c := &cobra.Command{
		Use:   "codeowners [DIR]",
		Short: "Regenerate CODEOWNERS from the owners lists",
		Long: `codeowners writes DIR/CODEOWNERS from the owners in frontdoor.cue,
publishers/*/publisher.cue and consumers/*/consumer.cue, in the order GitHub
reads it (last match wins). With --check it writes nothing and exits 1 when
the file is out of date.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			g, err := review.ReadGovernance(os.DirFS(dir))
			if err != nil {
				return ioErr(err)
			}
			if !g.Platform {
				return ioErr(fmt.Errorf("%s: frontdoor.cue is missing or does not evaluate", dir))
			}
			want := []byte(review.CodeOwners(g))
			p := filepath.Join(dir, "CODEOWNERS")
			if check {
				got, _ := os.ReadFile(p)
				if !bytes.Equal(got, want) {
					fmt.Fprintf(c.ErrOrStderr(), "%s is out of date: run frontdoor codeowners %s\n", p, dir)
					return invalid("CODEOWNERS out of date")
				}
				return nil
			}
			if err := atomicfile.Write(p, want, 0o644); err != nil {
				return ioErr(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %s\n", p)
			return nil
		},
	}
	c.Flags().BoolVar(&check, "check", false, "exit 1 if CODEOWNERS is out of date instead of writing it")
	return c
}

func newNewCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "new publisher|api|consumer NAME",
		Short: "Write a new publisher, API or consumer organisation in its place",
		Long: `new writes correctly placed, formatted files for a new publisher
(publishers/ID/publisher.cue, and with --onboarded-by the operator's
approvals/onboarding/ID.cue), API (publishers/PUB/apis/API.cue and a starter
OpenAPI document) or consumer organisation (consumers/ORG/consumer.cue),
brings CODEOWNERS up to date, then validates them. When they do not
validate, nothing is left written.`,
	}
	c.PersistentFlags().StringVarP(&dir, "dir", "C", ".", "configuration repository")

	var po scaffold.PublisherOptions
	pub := &cobra.Command{
		Use:   "publisher ID --name NAME --category CAT --email EMAIL --owner HANDLE...",
		Short: "Write a new publisher",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := scaffold.NewPublisher(c.Context(), dir, args[0], po)
			return scaffoldDone(c, dir, res, err, usageFail)
		},
	}
	pub.Flags().StringVar(&po.Name, "name", "", "organisation name")
	pub.Flags().StringVar(&po.Category, "category", "", "publisher category (one of frontdoor.cue publisherCategories)")
	pub.Flags().StringVar(&po.Email, "email", "", "public team mailbox")
	pub.Flags().StringVar(&po.Website, "website", "", "organisation website")
	pub.Flags().StringVar(&po.LegalBasis, "legal-basis", "", "legal basis for processing (written with dataController: true; both are needed to serve traffic)")
	pub.Flags().StringArrayVar(&po.Owners, "owner", nil, "forge handle of an owner (repeatable)")
	pub.Flags().StringVar(&po.OnboardedBy, "onboarded-by", "", "operator owner approving the onboarding (writes approvals/onboarding/ID.cue)")
	pub.Flags().StringVar(&po.Agreement, "agreement", "", "platform agreement reference (with --onboarded-by)")

	var ao scaffold.APIOptions
	api := &cobra.Command{
		Use:   "api PUB/API --title TITLE --summary SUMMARY [--mode MODE]...",
		Short: "Write a new API and a starter OpenAPI document",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, a, ok := cutSlash(args[0])
			if !ok {
				return usageErr("want PUB/API, got %q", args[0])
			}
			res, err := scaffold.NewAPI(c.Context(), dir, p, a, ao)
			return scaffoldDone(c, dir, res, err, usageFail)
		},
	}
	api.Flags().StringVar(&ao.Title, "title", "", "catalogue title")
	api.Flags().StringVar(&ao.Summary, "summary", "", "one-line summary")
	api.Flags().StringArrayVar(&ao.Modes, "mode", nil, "access mode (repeatable; default app-level0)")

	var co scaffold.ConsumerOptions
	con := &cobra.Command{
		Use:   "consumer ORG --name NAME --owner HANDLE... --contact-name NAME --contact-email EMAIL [--app APP [--jwks-url URL] [--api-key-sha256 HEX [--api-key-env ENV]...] [--client-cert-fingerprint HEX]]",
		Short: "Write a new consumer organisation",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := scaffold.NewConsumer(c.Context(), dir, args[0], co)
			return scaffoldDone(c, dir, res, err, usageFail)
		},
	}
	con.Flags().StringVar(&co.Name, "name", "", "organisation name")
	con.Flags().StringVar(&co.DSPT, "dspt", "", "DSPT status (default not-met)")
	con.Flags().StringVar(&co.ContactName, "contact-name", "", "contact for the operator (never published)")
	con.Flags().StringVar(&co.ContactEmail, "contact-email", "", "contact email")
	con.Flags().StringArrayVar(&co.Owners, "owner", nil, "forge handle of an owner (repeatable)")
	con.Flags().StringVar(&co.App, "app", "", "register one app with this ID")
	con.Flags().StringVar(&co.AppName, "app-name", "", "the app's display name")
	con.Flags().StringVar(&co.JWKSURL, "jwks-url", "", "the app's public JWKS URL, for signed-JWT authentication (app-level3)")
	con.Flags().StringVar(&co.APIKeySHA256, "api-key-sha256", "", "hex SHA-256 of the app's API key (printf %s KEY | sha256sum), never the key")
	con.Flags().StringArrayVar(&co.APIKeyEnvironments, "api-key-env", nil, "environment the API key is accepted in (repeatable; default sandbox)")
	con.Flags().StringVar(&co.ClientCertFingerprint, "client-cert-fingerprint", "", "hex SHA-256 of the app's TLS client certificate (openssl x509 -in app.crt -outform der | sha256sum), for APIs that require mutual TLS")

	c.AddCommand(pub, api, con)
	return c
}

// cutSlash splits "a/b" into two non-empty parts.
func cutSlash(s string) (string, string, bool) {
	a, b, ok := strings.Cut(s, "/")
	return a, b, ok && a != "" && b != ""
}

func newGrantCmd() *cobra.Command {
	var g scaffold.Grant
	var dir, date, now string
	c := &cobra.Command{
		Use:   "grant --api PUB/API --app ORG/APP --env ENV --approver HANDLE [--mode MODE] [--limit 10/second] [--expires YYYY-MM-DD]",
		Short: "Grant a consumer app access to an API",
		Long: `grant appends a grant to publishers/PUB/grants/ORG.cue (creating it if
needed), formats the file and validates it. When the grant does not validate
(an approver who does not own the publisher among the reasons) the
repository is left as it was and the errors are shown. The mode defaults to
the API's only access mode that needs a grant; the approver defaults to
$GITHUB_ACTOR.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if g.API == "" || g.App == "" || g.Environment == "" {
				return usageErr("--api, --app and --env are required")
			}
			if g.Approver == "" {
				g.Approver = os.Getenv("GITHUB_ACTOR")
			}
			if g.Approver == "" {
				return usageErr("missing --approver HANDLE (the publisher's approving owner)")
			}
			for _, d := range []struct {
				flag, v string
				into    *time.Time
			}{{"--date", date, &g.Date}, {"--now", now, &g.Now}} {
				if d.v == "" {
					continue
				}
				t, err := time.Parse(time.DateOnly, d.v)
				if err != nil {
					return usageErr("%s: want YYYY-MM-DD, got %q", d.flag, d.v)
				}
				*d.into = t
			}
			res, err := scaffold.AddGrant(c.Context(), dir, g)
			if err := scaffoldDone(c, dir, res, err, usageFail); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "granted %s access to %s in %s\n", g.App, g.API, g.Environment)
			return nil
		},
	}
	c.Flags().StringVarP(&dir, "dir", "C", ".", "configuration repository")
	c.Flags().StringVar(&g.API, "api", "", "API as PUB/API")
	c.Flags().StringVar(&g.App, "app", "", "consumer app as ORG/APP")
	c.Flags().StringVar(&g.Environment, "env", "", "environment: sandbox, integration or production")
	c.Flags().StringVar(&g.Mode, "mode", "", "access mode (default: the API's only mode that needs a grant)")
	c.Flags().StringVar(&g.Limit, "limit", "", "per-app rate limit override, e.g. 10/second")
	c.Flags().StringVar(&g.Expires, "expires", "", "last day of access, YYYY-MM-DD")
	c.Flags().StringVar(&g.Approver, "approver", "", "the publisher's approving owner (default $GITHUB_ACTOR)")
	c.Flags().StringVar(&date, "date", "", "day of the grant, YYYY-MM-DD (default today)")
	c.Flags().StringVar(&now, "now", "", "validate grant expiry as of this day, YYYY-MM-DD (default today)")
	return c
}
