package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/report"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// sourceFlags selects the configuration to compile: a directory argument, or
// a git repository and ref read straight from the object store.
type sourceFlags struct {
	gitRepo    string
	ref        string
	commit     string
	generation uint64
	now        string
	limits     compiler.Limits
	maxShown   int
	cache      cacheFlags
}

func (f *sourceFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.gitRepo, "git", "", "compile from this git repository (path) instead of a directory")
	c.Flags().StringVar(&f.ref, "ref", "HEAD", "git revision to compile with --git (branch, tag, commit, HEAD~1 ...)")
	c.Flags().StringVar(&f.commit, "commit", "", "commit to record in the snapshot (default: the compiled git commit)")
	c.Flags().Uint64Var(&f.generation, "generation", 0, "generation to record (default: commits on the first-parent chain with --git, else 1)")
	c.Flags().StringVar(&f.now, "now", "", "check grant expiry as of this day, YYYY-MM-DD (default: today)")
	d := compiler.DefaultLimits
	c.Flags().Var(byteSize{&f.limits.ConfigFile}, "max-config-file", "size limit of one .cue file, e.g. 1MiB (default "+sizeText(d.ConfigFile)+")")
	c.Flags().Var(byteSize{&f.limits.SpecFile}, "max-spec-file", "size limit of one OpenAPI document and each file it references (default "+sizeText(d.SpecFile)+")")
	c.Flags().Var(byteSize{&f.limits.Repository}, "max-repository", "size limit of all the repository's files together (default "+sizeText(d.Repository)+")")
	c.Flags().DurationVar(&f.limits.EvalTime, "eval-timeout", d.EvalTime, "time budget of one file's CUE evaluation")
	c.Flags().IntVar(&f.maxShown, "max-diagnostics", report.DefaultMaxPrinted, "most diagnostics the text, github, sarif and markdown formats show (json shows all)")
	c.Flags().Var(byteSize{&f.limits.EvalMemory}, "eval-memory", "memory budget of one file's CUE evaluation (default "+sizeText(d.EvalMemory)+")")
	f.cache.register(c)
}

// byteSize is a flag holding a size in bytes, written as a number with an
// optional unit: KiB, MiB, GiB (or K, M, G), B.
type byteSize struct{ p *int64 }

func (b byteSize) String() string {
	if b.p == nil || *b.p == 0 {
		return ""
	}
	return sizeText(*b.p)
}

func (b byteSize) Type() string { return "size" }

func (b byteSize) Set(s string) error {
	units := []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.n
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return fmt.Errorf("want a positive size such as 512KiB or 8MiB")
	}
	*b.p = n * mult
	return nil
}

func sizeText(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// loaded is a configuration ready to compile.
type loaded struct {
	fsys fs.FS
	name string // what to call it in messages
	opts compiler.Options
	// memoryLimit is the compile's soft memory limit (default
	// compileMemoryLimit).
	memoryLimit int64
	// maxShown bounds the diagnostics printed (see report.Output).
	maxShown int
	// cache selects the cache of files' evaluations.
	cache *cacheFlags
}

func (f *sourceFlags) load(args []string) (*loaded, error) {
	l := &loaded{}
	switch {
	case f.gitRepo != "" && len(args) > 0:
		return nil, usageErr("give either a directory or --git, not both")
	case f.gitRepo != "":
		fsys, commit, gen, err := compiler.OpenGit(f.gitRepo, f.ref)
		if err != nil {
			return nil, ioErr(err)
		}
		l.fsys, l.name = fsys, f.gitRepo+"@"+f.ref
		l.opts.Commit, l.opts.Generation = commit, gen
	default:
		dir := "."
		if len(args) > 0 {
			dir = args[0]
		}
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, ioErr(err)
		}
		if !fi.IsDir() {
			return nil, ioErr(fmt.Errorf("%s is not a directory", dir))
		}
		fsys, err := compiler.OpenDir(dir)
		if err != nil {
			return nil, ioErr(err)
		}
		l.fsys, l.name = fsys, dir
		l.opts.Generation = 1
	}
	l.opts.Limits = f.limits
	l.maxShown = f.maxShown
	l.cache = &f.cache
	if f.commit != "" {
		l.opts.Commit = f.commit
	}
	if f.generation != 0 {
		l.opts.Generation = f.generation
	}
	if f.now != "" {
		t, err := time.Parse(time.DateOnly, f.now)
		if err != nil {
			return nil, usageErr("--now: want YYYY-MM-DD, got %q", f.now)
		}
		l.opts.Now = t
	}
	return l, nil
}

// compile runs the compiler, reporting progress on stderr when stderr is a
// terminal and the compile takes more than a second.
func (l *loaded) compile(ctx context.Context, stderr io.Writer) (*compiler.Result, error) {
	opts := l.opts
	if isTerminal(stderr) {
		start := time.Now()
		shown := false
		opts.Progress = func(done, total int) {
			if time.Since(start) < time.Second {
				return
			}
			shown = true
			fmt.Fprintf(stderr, "\rcompiling %s: %d/%d files", l.name, done, total)
		}
		defer func() {
			if shown {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}()
	}
	limitCompileMemory(cmp.Or(l.memoryLimit, compileMemoryLimit))
	if l.cache != nil {
		cache, err := l.cache.open()
		if err != nil {
			return nil, err
		}
		// One compile: what it evaluates goes to the directory only.
		cache.DiskOnly()
		opts.Cache = cache
	}
	res, err := compiler.Compile(ctx, l.fsys, opts)
	_ = opts.Cache.Close() // a cache that cannot be trimmed fails nothing
	if err != nil {
		return nil, ioErr(err)
	}
	return res, nil
}

// compileValid compiles for a command that writes outputs: diagnostics, if
// any, go to stderr in format, and errors among them make it exit 1.
func (l *loaded) compileValid(c *cobra.Command, format string) (*compiler.Result, error) {
	res, err := l.compile(c.Context(), c.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	if len(res.Diagnostics) > 0 {
		if err := writeDiagnostics(c.ErrOrStderr(), format, res.Diagnostics, l.maxShown); err != nil {
			return nil, ioErr(err)
		}
	}
	if res.Diagnostics.HasErrors() {
		return nil, invalid("configuration is invalid")
	}
	return res, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func ioErr(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
}

// writeDiagnostics renders diagnostics in the chosen format (see
// report.Formats: text, json, github, sarif, markdown).
func writeDiagnostics(w io.Writer, format string, ds compiler.Diagnostics, maxShown int) error {
	if format == report.FormatJSON {
		return report.WriteDiagnostics(w, format, "validate", ds)
	}
	return report.Write(w, format, &report.Output{Command: "validate", Diagnostics: ds, MaxPrinted: maxShown})
}

func checkFormat(format string) error {
	if err := report.CheckFormat(format); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// checkOutput checks the output directory and format of build and catalog.
func checkOutput(out, format string) error {
	if out == "" {
		return usageErr("missing -o OUTDIR")
	}
	return checkFormat(format)
}

// summary describes a compiled snapshot in one line, with its digest
// unless that is "" (not encoded).
func summary(s *snapshot.Snapshot, digest string) string {
	apps := 0
	for _, c := range s.Consumers {
		apps += len(c.Apps)
	}
	out := fmt.Sprintf("%s, %s, %s, %s (%s), %s",
		compiler.Count(len(s.Publishers), "publisher"), compiler.Count(len(s.APIs), "API"), compiler.Count(len(s.Routes), "route"),
		compiler.Count(len(s.Consumers), "consumer"), compiler.Count(apps, "app"), compiler.Count(len(s.Entitlements), "entitlement"))
	if digest != "" {
		out += "; " + digest
	}
	return out
}

func newValidateCmd() *cobra.Command {
	var src sourceFlags
	var format string
	c := &cobra.Command{
		Use:   "validate [DIR | --git REPO --ref REF]",
		Short: "Check a configuration repository and report every problem",
		Long: `validate compiles the configuration and reports every problem at once,
sorted, each as file:line:col: CODE: message (hint). It writes nothing.

Exit codes: 0 valid, 1 invalid, 2 usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			l, err := src.load(args)
			if err != nil {
				return err
			}
			// validate writes nothing: the snapshot is checked, not encoded.
			l.opts.NoEncode = true
			res, err := l.compile(c.Context(), c.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := writeDiagnostics(c.OutOrStdout(), format, res.Diagnostics, l.maxShown); err != nil {
				return ioErr(err)
			}
			if res.Diagnostics.HasErrors() {
				if format == "text" {
					fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", l.name, compiler.Count(res.Diagnostics.Errors(), "error"))
				}
				return invalid("configuration is invalid")
			}
			if format == "text" {
				fmt.Fprintf(c.ErrOrStderr(), "%s: valid: %s\n", l.name, summary(res.Snapshot, res.Digest))
			}
			return nil
		},
	}
	src.register(c)
	c.Flags().StringVarP(&format, "output", "o", "text", "diagnostics format: text, json, github, sarif or markdown")
	return c
}

// Output file names in a build directory.
const (
	snapshotFile = "snapshot.json"
	digestFile   = "snapshot.json.sha256"
)

func newBuildCmd() *cobra.Command {
	var src sourceFlags
	var cat catalogFlags
	var out, format, signKey string
	var noCatalog bool
	c := &cobra.Command{
		Use:   "build [DIR | --git REPO --ref REF] -o OUTDIR",
		Short: "Compile the configuration into a snapshot (digest, signature) and the catalogue",
		Long: `build compiles the configuration into OUTDIR/snapshot.json (canonical JSON),
OUTDIR/snapshot.json.sha256 (its digest) and, with --sign-key,
OUTDIR/snapshot.json.sig (an ed25519 signature), and the public API
catalogue into OUTDIR/catalog/ (see frontdoor catalog; --no-catalog skips
it). Every file is written atomically; an invalid configuration writes
nothing.

Exit codes: 0 built, 1 invalid configuration, 2 usage or I/O error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(out, format); err != nil {
				return err
			}
			var sign func([]byte) []byte
			if signKey != "" {
				pem, err := os.ReadFile(signKey)
				if err != nil {
					return ioErr(err)
				}
				priv, err := snapshot.ParsePrivateKey(pem)
				if err != nil {
					return ioErr(fmt.Errorf("%s: %w", signKey, err))
				}
				sign = func(b []byte) []byte { return snapshot.Sign(priv, b) }
			}
			l, err := src.load(args)
			if err != nil {
				return err
			}
			// The catalogue is built while the snapshot is encoded and
			// written (see catalogPlan); if that fails, it is abandoned.
			var plan *catalogPlan
			if !noCatalog {
				if plan, err = cat.plan(c.Context(), &src, l, args, filepath.Join(out, "catalog")); err != nil {
					return err
				}
			}
			res, err := l.compileValid(c, format)
			if err == nil {
				err = writeSnapshot(out, res, sign)
			}
			if err != nil {
				if plan != nil {
					plan.abandon()
				}
				return err
			}
			// Only the summary is needed from here on: let the collector
			// have the snapshot while the catalogue is built.
			built, digest := summary(res.Snapshot, res.Digest), res.Digest
			res = nil
			if plan != nil {
				if err := plan.wait(c); err != nil {
					return err
				}
			}
			fmt.Fprintf(c.OutOrStdout(), "%s\n", digest)
			fmt.Fprintf(c.ErrOrStderr(), "built %s: %s\n", filepath.Join(out, snapshotFile), built)
			return nil
		},
	}
	src.register(c)
	c.Flags().StringVarP(&out, "out", "o", "", "output directory")
	c.Flags().StringVar(&format, "format", "text", "diagnostics format: text or json")
	c.Flags().BoolVar(&noCatalog, "no-catalog", false, "write only the snapshot, not the catalogue")
	cat.register(c, "absolute URL the catalogue is published at (default: /catalogue/ under the production base URL)")
	c.Flags().StringVar(&signKey, "sign-key", "", "ed25519 private key (PEM, from frontdoor keygen) to sign the snapshot")
	return c
}

// writeSnapshot writes the snapshot of res, its digest and, with sign, its
// signature into out.
func writeSnapshot(out string, res *compiler.Result, sign func([]byte) []byte) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return ioErr(err)
	}
	// The signature and digest go first: a reader that sees the new
	// snapshot also finds its signature (a stale one fails safe).
	if sign != nil {
		if err := atomicfile.Write(filepath.Join(out, snapshotFile+snapshot.SignatureSuffix), sign(res.Bytes), 0o644); err != nil {
			return ioErr(err)
		}
	}
	if err := atomicfile.Write(filepath.Join(out, digestFile), []byte(res.Digest+"\n"), 0o644); err != nil {
		return ioErr(err)
	}
	if err := atomicfile.Write(filepath.Join(out, snapshotFile), res.Bytes, 0o644); err != nil {
		return ioErr(err)
	}
	return nil
}

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [CODE | REASON]",
		Short: "Explain a diagnostic code or a gateway refusal's reason, or list them all",
		Long: `explain documents each diagnostic code (FDnnn) of the compiler and of
check-pr, and each reason code the gateway gives in the problem details of a
refusal (401, 403, 429: the "reason" member, e.g. not_entitled).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			w := c.OutOrStdout()
			if len(args) == 0 {
				for _, ci := range compiler.Codes() {
					fmt.Fprintf(w, "%s  %s\n", ci.Code, ci.Title)
				}
				fmt.Fprintln(w, "\nGateway refusals (the reason member of the problem details):")
				for _, ri := range gateway.Reasons() {
					fmt.Fprintf(w, "%s  %d %s\n", ri.Code, ri.Status, ri.Title)
				}
				return nil
			}
			arg := strings.TrimSpace(args[0])
			if ci, ok := compiler.LookupCode(strings.ToUpper(arg)); ok {
				fmt.Fprintf(w, "%s: %s\n\n%s\n\nHow to fix it:\n%s\n", ci.Code, ci.Title, ci.Explanation, ci.Fix)
				return nil
			}
			if ri, ok := gateway.LookupReason(strings.ToLower(arg)); ok {
				fmt.Fprintf(w, "%s: %s\n\nThe gateway refuses the request with %d %s and \"reason\": %q in the problem details.\n\nHow to fix it:\n%s\n",
					ri.Code, ri.Title, ri.Status, http.StatusText(ri.Status), ri.Code, ri.Fix)
				return nil
			}
			return usageErr("unknown code %q; run 'frontdoor explain' for the list", args[0])
		},
	}
}
