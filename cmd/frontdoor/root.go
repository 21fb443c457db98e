package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0 // success; the configuration is valid
	exitInvalid = 1 // the configuration is invalid
	exitUsage   = 2 // usage, I/O or internal error
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// invalid reports that the configuration is invalid (exit 1). The
// diagnostics have already been printed.
func invalid(format string, args ...any) error {
	return &exitError{code: exitInvalid, err: fmt.Errorf(format, args...)}
}

// Main runs the frontdoor command line and returns its exit code.
func Main() int {
	return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	var prof profileFlags
	prof.register(root)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if perr := prof.stop(); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code != exitInvalid {
			fmt.Fprintf(stderr, "frontdoor: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "frontdoor: %v\n", err)
	return exitUsage
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "frontdoor",
		Short: "Compile a git repository of API platform config into a signed snapshot and catalogue; run the gateway",
		Long: `frontdoor turns a git repository of CUE files (publishers, APIs, consumers,
grants and approvals) into an immutable, signed routing and entitlement
snapshot and a static public API catalogue, and runs the gateway that serves
them with hot swaps.

Exit codes: 0 ok, 1 invalid configuration, 2 usage or I/O error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	// Each command lives in its own file; add new ones here, one per line.
	root.AddCommand(
		newVersionCmd(),
		newValidateCmd(),
		newBuildCmd(),
		newExplainCmd(),
		newServeCmd(),
		newKeygenCmd(),
		newDevCmd(),
		newCatalogCmd(),
		newCheckPRCmd(),
		newDiffCmd(),
		newInitCmd(),
		newCodeownersCmd(),
		newNewCmd(),
		newGrantCmd(),
		newPublishCmd(),
		newUsageCmd(),
		newAccessCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of frontdoor",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), "frontdoor", version())
			return nil
		},
	}
}

// version returns the module version and VCS revision baked in at build time.
func version() string {
	v := "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + bi.GoVersion
}
