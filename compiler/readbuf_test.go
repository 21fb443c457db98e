package compiler

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestADirectoryCompilesAsTheSameFilesInMemory compiles each golden case
// and each invalid case from a directory, whose files one worker reads
// into one buffer after another, and from memory: the outputs are the
// same, so nothing made from a file's bytes keeps them.
func TestADirectoryCompilesAsTheSameFilesInMemory(t *testing.T) {
	files := caseFiles(t, 10, "golden", "invalid")
	base := baseFS(t)
	opts := testOptions()
	opts.Workers = 1
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			_, in := readCase(t, file)
			if strings.Contains(string(in.Comment), "symlink: ") {
				t.Skip("the case has links, which a directory refuses differently")
			}
			mem := overlay(t, base, in)
			dir := t.TempDir()
			writeFS(t, dir, mem)
			fsys, err := OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, want := mustCompile(t, fsys, opts), mustCompile(t, mem, opts)
			if !slices.Equal(got.Bytes, want.Bytes) {
				t.Errorf("got a snapshot of %d bytes from the directory, want the %d bytes compiled from memory", len(got.Bytes), len(want.Bytes))
			}
			if g, w := renderDiags(got.Diagnostics), renderDiags(want.Diagnostics); g != w {
				t.Errorf("got diagnostics\n%s\nfrom the directory, want\n%s", g, w)
			}
		})
	}
}
