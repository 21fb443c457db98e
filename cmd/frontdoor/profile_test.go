package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileFlagsWriteProfilesAndStayHidden(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--cpuprofile", cpu, "--memprofile", mem, "version"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("got exit code %d (%s), want 0", code, stderr.String())
	}
	for _, p := range []string{cpu, mem} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: got %v, want a profile", filepath.Base(p), err)
		}
	}
	stdout.Reset()
	run([]string{"--help"}, nil, &stdout, &stderr)
	if strings.Contains(stdout.String(), "profile") {
		t.Errorf("the profile flags show in --help:\n%s", stdout.String())
	}
}
