package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"frontdoor": func() { os.Exit(Main()) },
	})
}

// TestScripts runs the command-line scenarios in testdata/script at the
// repository root. Each script sees $EXAMPLES (the examples directory),
// $SPECS (testdata/specs, the project's own multi-file OpenAPI documents) and
// $SHARED (../shared, or empty when it is absent).
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(root, "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		shared = ""
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join(root, "testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", filepath.Join(root, "examples"))
			env.Setenv("SPECS", filepath.Join(root, "testdata", "specs"))
			env.Setenv("SHARED", shared)
			return nil
		},
		RequireExplicitExec: true,
	})
}
