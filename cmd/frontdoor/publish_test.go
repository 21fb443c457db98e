package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestPublishReadsTheDigestFileAsTheFileSourceDoes(t *testing.T) {
	s := &snapshot.Snapshot{SchemaVersion: snapshot.SchemaVersion, Generation: 3, Commit: "c3"}
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d := snapshot.Digest(b)
	hex := strings.TrimPrefix(d, "sha256:")
	tests := []struct {
		name, file string // file is "" for no digest file
		err        string // substring of the error; "" for none
	}{
		{"no digest file", "", ""},
		{"as frontdoor build writes it", d + "\n", ""},
		{"sha256sum output", hex + "  snapshot.json\n", ""},
		{"upper case", strings.ToUpper(hex) + "  snapshot.json\r\n", ""},
		{"another snapshot's", snapshot.Digest([]byte("x")) + "\n", "the digest file says " + snapshot.Digest([]byte("x"))},
		{"empty", "\n", digestFile + ": empty digest"},
		{"truncated", d[:70], digestFile + ": digest has 63 hex digits, want 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, snapshotFile), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, digestFile), []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			a, err := readBuild(dir)
			if tc.err == "" {
				if err != nil || a.Generation != 3 || a.Commit != "c3" {
					t.Errorf("got generation %d, commit %q, error %v; want 3, c3 and no error", a.Generation, a.Commit, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
