package compiler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestGoldenOutputsAreUnchanged compiles each testdata/golden case (the
// base configuration plus the case's files) and compares the sections
// out/snapshot.json (indented) and out/diagnostics.txt with the output.
// FRONTDOOR_UPDATE_GOLDEN=1 rewrites them.
func TestGoldenOutputsAreUnchanged(t *testing.T) {
	base := baseFS(t)
	for _, file := range caseFiles(t, 1, "golden") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, in := readCase(t, file)
			res := mustCompile(t, overlay(t, base, in), testOptions())
			got := map[string][]byte{"out/diagnostics.txt": []byte(renderDiags(res.Diagnostics))}
			if res.Bytes != nil {
				var b bytes.Buffer
				if err := json.Indent(&b, res.Bytes, "", "  "); err != nil {
					t.Fatal(err)
				}
				got["out/snapshot.json"] = b.Bytes()
			}
			changed := false
			for i, f := range a.Files {
				if !strings.HasPrefix(f.Name, "out/") {
					continue
				}
				if !bytes.Equal(f.Data, got[f.Name]) {
					if updateGolden() {
						a.Files[i].Data, changed = got[f.Name], true
						continue
					}
					t.Errorf("%s: got\n%s\nwant\n%s", f.Name, got[f.Name], f.Data)
				}
			}
			if len(in.Files) == len(a.Files) {
				t.Error("case has no out/ section")
			}
			if changed {
				if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
