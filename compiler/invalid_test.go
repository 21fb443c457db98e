package compiler

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// updateGolden rewrites goldens (and the want lines of the invalid corpus)
// from the current output when FRONTDOOR_UPDATE_GOLDEN=1.
func updateGolden() bool { return os.Getenv("FRONTDOOR_UPDATE_GOLDEN") == "1" }

// TestInvalidCorpusCasesReportTheirProblem compiles every case of
// testdata/invalid: the base configuration with one problem. Each case
// asserts its diagnostics with "want: file:line:col: CODE" lines, exactly;
// its name starts with the code of the problem it is about. A case with
// several problems asserts that one run reports each of them, and nothing
// that only follows from another.
func TestInvalidCorpusCasesReportTheirProblem(t *testing.T) {
	base := baseFS(t)
	for _, file := range caseFiles(t, 100, "invalid") {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, _ := readCase(t, file)
			opts := testOptions()
			caseLimits(t, a.Comment, &opts)
			res := mustCompile(t, overlay(t, base, a), opts)
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Code))
				// The schema's messages quote the literals refused.
				if strings.Contains(d.Message, "  ") || (!strings.HasPrefix(d.Code, "FD1") && strings.Contains(d.Message, `""`)) {
					t.Errorf("message names something empty: %s", d.Message)
				}
			}
			got = slices.Compact(got)
			var want, rest []string
			for _, line := range strings.Split(strings.TrimRight(string(a.Comment), "\n"), "\n") {
				if w, ok := strings.CutPrefix(line, "want: "); ok {
					want = append(want, strings.TrimSpace(w))
				} else {
					rest = append(rest, line)
				}
			}
			code := strings.ToUpper(strings.SplitN(name, "-", 2)[0])
			if !slices.ContainsFunc(got, func(g string) bool { return strings.HasSuffix(g, ": "+code) }) {
				t.Errorf("got no %s; diagnostics:\n%s", code, renderDiags(res.Diagnostics))
			}
			if res.Diagnostics.HasErrors() != (res.Snapshot == nil) {
				t.Errorf("got snapshot %v with errors %v", res.Snapshot != nil, res.Diagnostics.HasErrors())
			}
			if updateGolden() {
				var b bytes.Buffer
				for _, l := range rest {
					b.WriteString(l + "\n")
				}
				for _, g := range got {
					b.WriteString("want: " + g + "\n")
				}
				a.Comment = b.Bytes()
				if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !slices.Equal(got, want) {
				t.Errorf("got diagnostics\n%s\nwant\n%s\nfull:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), renderDiags(res.Diagnostics))
			}
		})
	}
}
