package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/catalog"
	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// catalogFlags are the catalogue's options, shared by catalog and build.
type catalogFlags struct {
	baseURL, title, updated, forbidFile string
	usageFile                           string
	feedLimit                           int
}

func (f *catalogFlags) register(c *cobra.Command, baseURLHelp string) {
	c.Flags().StringVar(&f.baseURL, "base-url", "", baseURLHelp)
	c.Flags().StringVar(&f.title, "title", "", `catalogue title (default "<platform name> API catalogue")`)
	c.Flags().StringVar(&f.updated, "updated", "", "catalogue generation time, YYYY-MM-DD or RFC 3339 (default: the commit's time)")
	c.Flags().IntVar(&f.feedLimit, "feed-limit", 50, "most changes in the Atom feed")
	c.Flags().StringVar(&f.forbidFile, "forbid", "", "file of strings (one a line) that must not appear in the catalogue")
	c.Flags().StringVar(&f.usageFile, "usage", "", "public usage dataset (usage.json, made by frontdoor usage) to publish in the catalogue")
}

// catalogPlan is a catalogue to build from a compile: it starts as soon as
// the compiler has built the snapshot (compiler.Options.Built), while the
// compile encodes it and the snapshot is written, and takes the endpoints
// of the APIs' pages from the OpenAPI documents the compiler loads
// (compiler.Options.SpecLoaded), which are then not parsed twice.
type catalogPlan struct {
	b         *catalog.Builder
	opts      catalog.Options
	forbidden []string
	out       string
	cancel    context.CancelFunc

	done    chan struct{} // closed when the build started by start ends
	written *catalog.Written
	err     error
}

// plan prepares the catalogue of l into out before compiling: it reads the
// forbidden strings and, when the configuration lives in git, its history
// for the feed and the generation time, and hooks the catalogue to the
// compile. The caller must call wait once the compile has returned.
func (f *catalogFlags) plan(ctx context.Context, src *sourceFlags, l *loaded, args []string, out string) (*catalogPlan, error) {
	opts, forbidden, err := f.options(src, l, args)
	if err != nil {
		return nil, err
	}
	b, err := catalog.NewBuilder()
	if err != nil {
		return nil, ioErr(err)
	}
	p := &catalogPlan{b: b, opts: opts, forbidden: forbidden, out: out}
	p.opts.Context, p.cancel = context.WithCancel(ctx)
	p.opts.Prepared = b.PrepareSpecs()
	l.opts.SpecLoaded = p.opts.Prepared.Add
	l.opts.Built = p.start
	l.memoryLimit = catalogMemoryLimit
	return p, nil
}

// start builds the catalogue of s in the background. It builds from a
// copy of s without the consumers, routes and entitlements, which the
// catalogue never shows, so that they can be freed once the snapshot is
// written: the compile's soft memory limit stays in force.
func (p *catalogPlan) start(s *snapshot.Snapshot, specs map[string][]byte) {
	shown := *s
	opts := p.opts
	// Of the consumers, only organisations' names and recipient
	// categories, and which APIs they use ("integrated organisations").
	opts.Integrated = catalog.IntegratedOrgs(s)
	shown.Consumers = catalog.OrganisationsOnly(s.Consumers)
	shown.Routes, shown.Entitlements = nil, nil
	if opts.BaseURL == "" {
		opts.BaseURL = defaultCatalogURL(s)
	}
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		p.written, p.err = p.b.BuildDir(p.out, &shown, specs, opts, p.forbidden)
	}()
}

// abandon ends the catalogue's build, if it started, leaving no file of
// its directory changed, and waits for it: for when the command fails
// after the compile.
func (p *catalogPlan) abandon() {
	p.cancel()
	if p.done != nil {
		<-p.done
	}
}

// wait waits for the catalogue, then reports it, refusing (exit 1, nothing
// written) when a forbidden string appears in it. A compile that found
// errors starts no catalogue.
func (p *catalogPlan) wait(c *cobra.Command) error {
	defer p.cancel()
	if p.done == nil {
		return errors.New("internal: the compile built no snapshot for the catalogue")
	}
	<-p.done
	w, err := p.written, p.err
	if leaks, ok := errors.AsType[*catalog.LeakError](err); ok {
		for _, leak := range leaks.Leaks {
			fmt.Fprintf(c.ErrOrStderr(), "forbidden string in %s\n", leak)
		}
		return invalid("the catalogue shows %s; nothing was written", compiler.Count(len(leaks.Leaks), "forbidden string"))
	}
	if err != nil {
		return ioErr(err)
	}
	for _, n := range w.Notices {
		fmt.Fprintf(c.ErrOrStderr(), "notice: %s\n", n)
	}
	fmt.Fprintf(c.ErrOrStderr(), "catalogue %s: %s, %d written\n", p.out, compiler.Count(w.Files, "file"), w.Written)
	return nil
}

// options makes catalog.Options and reads the forbidden strings (see plan).
func (f *catalogFlags) options(src *sourceFlags, l *loaded, args []string) (catalog.Options, []string, error) {
	var forbidden []string
	if f.forbidFile != "" {
		var err error
		if forbidden, err = readLines(f.forbidFile); err != nil {
			return catalog.Options{}, nil, ioErr(err)
		}
	}
	opts := catalog.Options{BaseURL: f.baseURL, Title: f.title, SpecFS: l.fsys}
	if f.usageFile != "" {
		d, err := readUsage(f.usageFile)
		if err != nil {
			return catalog.Options{}, nil, err
		}
		opts.Usage = d
	}
	repo, ref := src.gitRepo, src.ref
	if repo == "" {
		repo, ref = ".", "HEAD"
		if len(args) > 0 {
			repo = args[0]
		}
	}
	if t, err := catalog.CommitTime(repo, ref); err == nil {
		opts.Updated = t
		if opts.Changes, err = catalog.ChangesFromGit(repo, ref, f.feedLimit); err != nil {
			return catalog.Options{}, nil, ioErr(err)
		}
	} else if src.gitRepo != "" {
		return catalog.Options{}, nil, ioErr(err)
	}
	if f.updated != "" {
		t, err := parseTime(f.updated)
		if err != nil {
			return catalog.Options{}, nil, usageErr("--updated: want YYYY-MM-DD or RFC 3339, got %q", f.updated)
		}
		opts.Updated = t
	}
	return opts, forbidden, nil
}

// defaultCatalogURL is where the catalogue is assumed to be published when
// --base-url is not given: /catalogue/ under the production base URL (or the
// first environment's).
func defaultCatalogURL(s *snapshot.Snapshot) string {
	envs := s.Platform.Environments
	if e, ok := s.Platform.Environment(snapshot.EnvProduction); ok {
		return strings.TrimSuffix(e.BaseURL, "/") + "/catalogue/"
	}
	if len(envs) > 0 {
		return strings.TrimSuffix(envs[0].BaseURL, "/") + "/catalogue/"
	}
	return ""
}

func newCatalogCmd() *cobra.Command {
	var src sourceFlags
	var cat catalogFlags
	var out, format string
	c := &cobra.Command{
		Use:   "catalog [DIR | --git REPO --ref REF] -o OUTDIR",
		Short: "Build the static public API catalogue website",
		Long: `catalog compiles the configuration and writes the public API catalogue into
OUTDIR: an index with filter pages that work without JavaScript, a page per
API (with endpoints rendered from its OpenAPI document) and per publisher,
catalogue.json with its JSON Schema, an Atom feed of changes (from git
history) and an export in the cross-government api-metadata format.

Files whose content is unchanged are not rewritten; files a previous run
wrote that the catalogue no longer has are removed; nothing else in OUTDIR is
touched. The same input always gives the same site: the generation time is
the compiled commit's time (or --updated), never the clock.

With --forbid FILE (one string per line, e.g. consumers' contact names and
email addresses), the catalogue is checked for each string before anything is
written, and the command fails if one appears.

Exit codes: 0 written, 1 invalid configuration or a forbidden string found,
2 usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(out, format); err != nil {
				return err
			}
			l, err := src.load(args)
			if err != nil {
				return err
			}
			plan, err := cat.plan(c.Context(), &src, l, args, out)
			if err != nil {
				return err
			}
			if _, err := l.compileValid(c, format); err != nil {
				plan.abandon()
				return err
			}
			return plan.wait(c)
		},
	}
	src.register(c)
	cat.register(c, "absolute URL the catalogue is published at (default: /catalogue/ under the production base URL)")
	c.Flags().StringVarP(&out, "out", "o", "", "output directory")
	c.Flags().StringVar(&format, "format", "text", "diagnostics format: text or json")
	return c
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// readLines returns the non-blank lines of a file, trimmed.
func readLines(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
