package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
	"github.com/frontdoor-dev/frontdoor/review"
)

// prFlags are the flags check-pr and diff share.
type prFlags struct {
	repo      string
	actor     string
	approvers []string
	format    string
	maxShown  int
	cache     cacheFlags
}

func (f *prFlags) register(c *cobra.Command, actorHelp string) {
	c.Flags().StringVar(&f.repo, "repo", "", "git repository (default: the current directory)")
	c.Flags().StringVar(&f.actor, "actor", "", actorHelp)
	c.Flags().StringArrayVar(&f.approvers, "approver", nil, "handle of a reviewer who approved the pull request (repeatable; comma-separated lists accepted)")
	c.Flags().StringVarP(&f.format, "output", "o", "text", "output format: "+strings.Join(report.Formats(), ", "))
	c.Flags().IntVar(&f.maxShown, "max-diagnostics", report.DefaultMaxPrinted, "most diagnostics the text, github, sarif and markdown formats show (json shows all)")
}

// write writes out, stamped with this version, in the chosen format.
func (f *prFlags) write(c *cobra.Command, out *report.Output) error {
	out.Version, out.MaxPrinted = version(), f.maxShown
	if err := report.Write(c.OutOrStdout(), f.format, out); err != nil {
		return ioErr(err)
	}
	return nil
}

// approverList splits comma-separated --approver values.
func (f *prFlags) approverList() []string {
	var out []string
	for _, a := range f.approvers {
		for _, s := range strings.Split(a, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func newCheckPRCmd() *cobra.Command {
	var f prFlags
	var base, head string
	var strict bool
	c := &cobra.Command{
		Use:   "check-pr --base REF [--head REF] [--repo DIR] [--actor ID] [--approver ID]... [--strict]",
		Short: "Check that a pull request's changes come from the owners of what they touch",
		Long: `check-pr reads the base and head revisions of a pull request from git and
checks each changed path against the owners recorded in the base revision
(governance rule 8; see 'frontdoor explain FD601'):

  publishers/<pub>/**    that publisher's owners (a new publisher: the operator)
  consumers/<org>/**     that organisation's owners (a new one: anyone)
  frontdoor.cue, approvals/**, everything else   the operator's owners

A publisher category added or changed also needs its department approver
among the pull request's approving reviewers (--approver). The changes are
those since the head branched from the base (git diff BASE...HEAD).

With --strict, every commit must be signed (OpenPGP or SSH) by a key listed in
frontdoor.cue signingKeys for an owner of what the commit touches.

OpenAPI documents that change incompatibly without a major version bump are
errors too (FD621).

The actor is --actor, else $GITHUB_ACTOR.

Exit codes: 0 allowed, 1 refused, 2 usage or I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := report.CheckFormat(f.format); err != nil {
				return usageErr("%v", err)
			}
			if base == "" {
				return usageErr("missing --base REF")
			}
			actor := f.actor
			if actor == "" {
				actor = os.Getenv("GITHUB_ACTOR")
			}
			if actor == "" {
				return usageErr("no actor: pass --actor or set GITHUB_ACTOR")
			}
			out, err := review.CheckPR(c.Context(), review.PullRequest{
				Repo: repoDir(f.repo), Base: base, Head: head, Actor: actor, Approvers: f.approverList(), Strict: strict,
			})
			if err != nil {
				return ioErr(err)
			}
			if err := f.write(c, out); err != nil {
				return err
			}
			if out.Diagnostics.HasErrors() {
				if f.format == report.FormatText {
					fmt.Fprintf(c.ErrOrStderr(), "check-pr: %s in %s, checked as %s\n", compiler.Count(out.Diagnostics.Errors(), "error"), compiler.Count(len(out.Changes), "changed path"), actor)
				}
				return invalid("pull request refused")
			}
			if f.format == report.FormatText {
				fmt.Fprintf(c.ErrOrStderr(), "check-pr: %s allowed for %s\n", compiler.Count(len(out.Changes), "changed path"), actor)
			}
			return nil
		},
	}
	f.register(c, "forge handle of the pull request's author (default: $GITHUB_ACTOR)")
	c.Flags().StringVar(&base, "base", "", "base revision (the target branch)")
	c.Flags().StringVar(&head, "head", "HEAD", "head revision (the pull request)")
	c.Flags().BoolVar(&strict, "strict", false, "require every commit signed by an owner's key from frontdoor.cue signingKeys")
	return c
}

func repoDir(d string) string {
	if d == "" {
		return "."
	}
	return d
}

func newDiffCmd() *cobra.Command {
	var f prFlags
	var now string
	c := &cobra.Command{
		Use:   "diff BASE HEAD",
		Short: "Say in plain English what a change does, for whom",
		Long: `diff compiles two configurations and says, grouped by publisher and consumer
organisation, what changes for whom: APIs added or removed, status changes,
production launches, grants added, removed or changed, apps and credentials,
upstreams, platform policy. It also reports breaking OpenAPI changes (oasdiff)
and, with --actor, authority violations as check-pr does.

BASE and HEAD are two directories, or two git revisions of --repo (default:
the current directory). With revisions, diff shows what HEAD changes since it
branched from BASE (git diff BASE...HEAD), as a pull request shows.

-o markdown writes a pull-request comment (at most 65,000 characters).

Exit codes: 0 no errors, 1 errors found (a side does not compile, a breaking
change without a major version bump, an authority violation), 2 usage or I/O
error.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if err := report.CheckFormat(f.format); err != nil {
				return usageErr("%v", err)
			}
			var day time.Time
			if now != "" {
				t, err := time.Parse(time.DateOnly, now)
				if err != nil {
					return usageErr("--now: want YYYY-MM-DD, got %q", now)
				}
				day = t
			}
			cache, err := f.cache.open()
			if err != nil {
				return err
			}
			// What the base evaluates, the head reads back from the
			// directory: memory holds neither.
			cache.DiskOnly()
			var out *report.Output
			if f.repo == "" && isDir(args[0]) && isDir(args[1]) {
				if f.actor != "" {
					return usageErr("--actor needs git revisions (authority is judged on a git history)")
				}
				limitCompileMemory(fullDiffMemoryLimit)
				base, berr := compiler.OpenDir(args[0])
				if berr != nil {
					return ioErr(berr)
				}
				head, herr := compiler.OpenDir(args[1])
				if herr != nil {
					return ioErr(herr)
				}
				out, err = review.Diff(c.Context(),
					review.Side{FS: base, Name: args[0]},
					review.Side{FS: head, Name: args[1]},
					review.DiffOptions{Now: day, Cache: cache})
			} else {
				out, err = review.DiffGit(c.Context(), review.PullRequest{
					Repo: repoDir(f.repo), Base: args[0], Head: args[1], Actor: f.actor, Approvers: f.approverList(), Cache: cache,
					Sized: func(grantsOnly bool) {
						limit := int64(fullDiffMemoryLimit)
						if grantsOnly {
							limit = diffMemoryLimit
						}
						limitCompileMemory(limit)
					},
				}, day)
			}
			_ = cache.Close() // a cache that cannot be trimmed fails nothing
			if err != nil {
				return ioErr(err)
			}
			if err := f.write(c, out); err != nil {
				return err
			}
			if out.Diagnostics.HasErrors() {
				return invalid("errors found")
			}
			return nil
		},
	}
	f.register(c, "also check authority as this forge handle (git revisions only)")
	f.cache.register(c)
	c.Flags().StringVar(&now, "now", "", "check grant expiry as of this day, YYYY-MM-DD (default: today)")
	return c
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
