package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func newAccessCmd() *cobra.Command {
	var src sourceFlags
	var q compiler.AccessQuery
	var format string
	c := &cobra.Command{
		Use:   "access [DIR | --git REPO --ref REF] --app ORG/APP [--api PUB/API --env ENV [--mode MODE]]",
		Short: "Explain whether an app may call an API, and why not",
		Long: `access answers from the configuration, compiled as validate compiles it,
whether app ORG/APP may call API PUB/API in environment ENV (with access
mode MODE, or any mode it is granted), and if not, every reason: no grant,
a grant expired, the mode not granted, no key valid in that environment, a
requirement of the API unmet, the API deprecated or retired. Each reason
names the rule, the file to change and who approves the change.

Without --api it lists every API the app may call (in ENV, with --env).
--now checks expiry as of another day.

Exit codes: 0 allowed (or listed), 1 refused, 2 usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("-o: want text or json, got %q", format)
			}
			if !snapshot.IsQualifiedID(q.App) {
				return usageErr("--app: want ORG/APP, got %q", q.App)
			}
			if q.API != "" && !snapshot.IsQualifiedID(q.API) {
				return usageErr("--api: want PUB/API, got %q", q.API)
			}
			if q.API != "" && q.Env == "" {
				return usageErr("--api needs --env")
			}
			if q.Mode != "" && q.API == "" {
				return usageErr("--mode needs --api")
			}
			l, err := src.load(args)
			if err != nil {
				return err
			}
			l.opts.KeepModel = true
			res, err := l.compile(c.Context(), c.ErrOrStderr())
			if err != nil {
				return err
			}
			if n := res.Diagnostics.Errors(); n > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "warning: %s has %s (frontdoor validate): answering from the files that evaluated\n", l.name, compiler.Count(n, "error"))
			}
			w := c.OutOrStdout()
			if q.API == "" {
				list, err := res.Callable(q.App)
				if err != nil {
					return invalid("%v", err)
				}
				if q.Env != "" {
					list = filterEnv(list, q.Env)
				}
				return ioErrOrNil(writeCallable(w, format, q.App, list))
			}
			ans, err := res.Access(q)
			if err != nil {
				return invalid("%v", err)
			}
			if err := writeAccess(w, format, ans); err != nil {
				return ioErr(err)
			}
			if !ans.Allowed {
				return invalid("access refused")
			}
			return nil
		},
	}
	src.register(c)
	c.Flags().StringVar(&q.App, "app", "", "the calling app, ORG/APP (required)")
	c.Flags().StringVar(&q.API, "api", "", "the API called, PUB/API")
	c.Flags().StringVar(&q.Env, "env", "", "the environment: sandbox, integration, production")
	c.Flags().StringVar(&q.Mode, "mode", "", "the access mode used (default: any mode granted)")
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	_ = c.MarkFlagRequired("app")
	return c
}

func ioErrOrNil(err error) error {
	if err != nil {
		return ioErr(err)
	}
	return nil
}

func filterEnv(list []compiler.AccessAnswer, env string) []compiler.AccessAnswer {
	out := list[:0:0]
	for _, a := range list {
		if a.Environment == env {
			out = append(out, a)
		}
	}
	return out
}

// writeAccess prints one answer.
func writeAccess(w io.Writer, format string, a compiler.AccessAnswer) error {
	if format == "json" {
		return writeJSON(w, a)
	}
	var b strings.Builder
	verdict := "refused"
	if a.Allowed {
		verdict = "allowed"
	}
	fmt.Fprintf(&b, "%s: %s -> %s in %s", verdict, a.App, a.API, a.Environment)
	if a.Mode != "" {
		fmt.Fprintf(&b, " (%s)", a.Mode)
	}
	b.WriteString("\n")
	if a.Open {
		b.WriteString("  open access: no credential and no grant needed\n")
	}
	for _, g := range a.Grants {
		fmt.Fprintf(&b, "  %s granted in %s, approved by %s on %s", g.Mode, g.File, g.ApprovedBy, g.Date)
		if g.Expires != "" {
			fmt.Fprintf(&b, ", expires %s", g.Expires)
		}
		b.WriteString("\n")
	}
	for _, r := range a.Refusals {
		fmt.Fprintf(&b, "  %s: %s\n    rule:     %s\n    change:   %s\n    approver: %s\n", r.Reason, r.Message, r.Rule, r.File, r.Approver)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCallable prints what an app may call.
func writeCallable(w io.Writer, format, app string, list []compiler.AccessAnswer) error {
	if format == "json" {
		if list == nil {
			list = []compiler.AccessAnswer{}
		}
		return writeJSON(w, list)
	}
	var b strings.Builder
	if len(list) == 0 {
		fmt.Fprintf(&b, "%s may call no API\n", app)
	} else {
		fmt.Fprintf(&b, "%s may call:\n", app)
	}
	for _, a := range list {
		var modes []string
		expires := ""
		for _, g := range a.Grants {
			modes = append(modes, g.Mode)
			if g.Expires != "" && (expires == "" || g.Expires < expires) {
				expires = g.Expires
			}
		}
		if a.Open {
			modes = append(modes, "open")
		}
		fmt.Fprintf(&b, "  %s in %s: %s", a.API, a.Environment, strings.Join(modes, ", "))
		if expires != "" {
			fmt.Fprintf(&b, " (until %s)", expires)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
