package compiler

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"cuelang.org/go/cue/parser"
)

// TestTheFastPathAcceptsTheExamplePlatform checks that the shapes model
// every field the example platform uses (its onboarding requirements and
// declarations included), so that such files skip CUE's evaluation.
func TestTheFastPathAcceptsTheExamplePlatform(t *testing.T) {
	sh := newShapes()
	root := "../examples/national-health-platform"
	n := 0
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".cue") {
			return err
		}
		lf, code, _, _ := classify(p)
		if code != "" || lf.kind == kindIgnored {
			return nil
		}
		src, err := os.ReadFile(root + "/" + p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(p, src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		nd, plain := plainFile(f)
		if !plain || !sh[lf.kind].accept(nd) {
			t.Errorf("%s: the fast path leaves it to CUE", p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Errorf("checked %d files, want the whole platform", n)
	}
}
