package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/review"
)

func newInitCmd() *cobra.Command {
	var o review.InitOptions
	c := &cobra.Command{
		Use:   "init DIR",
		Short: "Start a new configuration repository",
		Long: `init writes a new configuration repository into DIR: frontdoor.cue (the
platform policy, with one publisher category approved by the first operator
and department owners), CODEOWNERS generated from the owners, a GitHub Actions
workflow (.github/workflows/frontdoor.yml: validate, check-pr, diff as a pull
request comment, SARIF, build on main), a pre-commit hook (.githooks/pre-commit)
and a README. The result validates.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			files, err := review.Init(c.Context(), args[0], o)
			if err != nil {
				return ioErr(err)
			}
			if err := validateNew(c, args[0], nil); err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintf(c.OutOrStdout(), "wrote %s\n", filepath.Join(args[0], f))
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
	return c
}

// validateNew compiles dir and fails (exit 1) on errors in the given files,
// or in any file when files is nil.
func validateNew(c *cobra.Command, dir string, files []string) error {
	return validateNewAt(c, dir, files, time.Time{})
}

// validateNewAt is validateNew with grant expiry checked as of now.
func validateNewAt(c *cobra.Command, dir string, files []string, now time.Time) error {
	mine, others, err := review.Validate(c.Context(), dir, files, now)
	if err != nil {
		return ioErr(err)
	}
	if files == nil {
		mine = append(mine, others...)
		others = nil
	}
	if mine.HasErrors() {
		_ = mine.WriteText(c.ErrOrStderr())
		return invalid("the new files do not validate")
	}
	if others.HasErrors() {
		fmt.Fprintf(c.ErrOrStderr(), "note: %s elsewhere in %s (frontdoor validate %s)\n", compiler.Count(others.Errors(), "error"), dir, dir)
	}
	return nil
}

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
OpenAPI document) or consumer organisation (consumers/ORG/consumer.cue), then
validates them.`,
	}
	c.PersistentFlags().StringVarP(&dir, "dir", "C", ".", "configuration repository")

	var po review.PublisherOptions
	pub := &cobra.Command{
		Use:   "publisher ID --name NAME --category CAT --email EMAIL --owner HANDLE...",
		Short: "Write a new publisher",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			files, err := review.NewPublisher(dir, args[0], po)
			return finishNew(c, dir, files, err)
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

	var ao review.APIOptions
	api := &cobra.Command{
		Use:   "api PUB/API --title TITLE --summary SUMMARY [--mode MODE]...",
		Short: "Write a new API and a starter OpenAPI document",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, a, ok := cutSlash(args[0])
			if !ok {
				return usageErr("want PUB/API, got %q", args[0])
			}
			files, err := review.NewAPI(dir, p, a, ao)
			return finishNew(c, dir, files, err)
		},
	}
	api.Flags().StringVar(&ao.Title, "title", "", "catalogue title")
	api.Flags().StringVar(&ao.Summary, "summary", "", "one-line summary")
	api.Flags().StringArrayVar(&ao.Modes, "mode", nil, "access mode (repeatable; default app-level0)")

	var co review.ConsumerOptions
	con := &cobra.Command{
		Use:   "consumer ORG --name NAME --owner HANDLE... --contact-name NAME --contact-email EMAIL",
		Short: "Write a new consumer organisation",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			files, err := review.NewConsumer(dir, args[0], co)
			return finishNew(c, dir, files, err)
		},
	}
	con.Flags().StringVar(&co.Name, "name", "", "organisation name")
	con.Flags().StringVar(&co.DSPT, "dspt", "", "DSPT status (default not-met)")
	con.Flags().StringVar(&co.ContactName, "contact-name", "", "contact for the operator (never published)")
	con.Flags().StringVar(&co.ContactEmail, "contact-email", "", "contact email")
	con.Flags().StringArrayVar(&co.Owners, "owner", nil, "forge handle of an owner (repeatable)")
	con.Flags().StringVar(&co.App, "app", "", "register one app with this ID")
	con.Flags().StringVar(&co.AppName, "app-name", "", "the app's display name")

	c.AddCommand(pub, api, con)
	return c
}

func cutSlash(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

// finishNew validates new files; when they do not validate they are
// removed again, so that the repository is left as it was.
func finishNew(c *cobra.Command, dir string, files []string, err error) error {
	if err != nil {
		return usageErr("%v", err)
	}
	if verr := validateNew(c, dir, files); verr != nil {
		for _, f := range files {
			_ = os.Remove(filepath.Join(dir, filepath.FromSlash(f)))
		}
		return verr
	}
	for _, f := range files {
		fmt.Fprintf(c.OutOrStdout(), "wrote %s\n", filepath.Join(dir, f))
	}
	return nil
}

func newGrantCmd() *cobra.Command {
	var g review.Grant
	var dir, date, now string
	c := &cobra.Command{
		Use:   "grant --api PUB/API --app ORG/APP --env ENV --approver HANDLE [--mode MODE] [--limit 10/second] [--expires YYYY-MM-DD]",
		Short: "Grant a consumer app access to an API",
		Long: `grant appends a grant to publishers/PUB/grants/ORG.cue (creating it if
needed), formats the file and validates it. When the grant does not validate
the file is restored and the errors are shown. The mode defaults to the API's
only access mode that needs a grant; the approver defaults to $GITHUB_ACTOR.`,
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
			if date != "" {
				t, err := time.Parse(time.DateOnly, date)
				if err != nil {
					return usageErr("--date: want YYYY-MM-DD, got %q", date)
				}
				g.Date = t
			}
			var day time.Time
			if now != "" {
				t, err := time.Parse(time.DateOnly, now)
				if err != nil {
					return usageErr("--now: want YYYY-MM-DD, got %q", now)
				}
				day = t
			}
			return addGrant(c, dir, g, day)
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

func addGrant(c *cobra.Command, dir string, g review.Grant, now time.Time) error {
	pub, _, _ := cutSlash(g.API)
	org, _, _ := cutSlash(g.App)
	p := filepath.Join(dir, "publishers", pub, "grants", org+".cue")
	old, readErr := os.ReadFile(p)
	rel, err := review.AddGrant(dir, g)
	if err != nil {
		return usageErr("%v", err)
	}
	if verr := validateNewAt(c, dir, []string{rel}, now); verr != nil {
		if readErr == nil {
			_ = atomicfile.Write(p, old, 0o644)
		} else {
			_ = os.Remove(p)
		}
		return verr
	}
	fmt.Fprintf(c.OutOrStdout(), "granted %s access to %s in %s: %s\n", g.App, g.API, g.Environment, rel)
	return nil
}
