package main

import (
	"os"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

func TestReadmeListsEveryDiagnosticCodeWithItsTitle(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, ci := range compiler.Codes() {
		if want := ci.Code + " " + ci.Title; !strings.Contains(readme, want) {
			t.Errorf("README.md does not list %q", want)
		}
	}
}

func TestReadmeOpensWithTheDemoAndTestCommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(strings.SplitN(string(b), "\n", 12)[:11], "\n")
	for _, want := range []string{"make demo", "make test"} {
		if !strings.Contains(head, want) {
			t.Errorf("the first lines of README.md lack %q", want)
		}
	}
}
