package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
)

// startDev runs frontdoor dev on dir and returns its admin URL.
func startDev(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var logs syncBuffer
	c := newDevCmd()
	c.SetArgs([]string{dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--catalog-listen", ""})
	c.SetOut(pw)
	c.SetErr(&logs)
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v; logs:\n%s", err, logs.String())
		}
	})
	return adminURL(t, pr, &logs)
}

// adminURL reads the admin URL a gateway prints on out, then drains out.
func adminURL(t *testing.T, out io.Reader, logs *syncBuffer) string {
	t.Helper()
	admin := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "admin:"); ok {
			admin = strings.TrimSuffix(strings.TrimSpace(rest), "/status")
			break
		}
	}
	go io.Copy(io.Discard, out)
	if admin == "" {
		t.Fatalf("the gateway printed no admin address; logs:\n%s", logs.String())
	}
	return admin
}

// devStatus returns dev's /status.
func devStatus(t *testing.T, admin string) control.Status {
	t.Helper()
	resp, err := http.Get(admin + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s control.Status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitStatus waits until dev's status satisfies ok.
func waitStatus(t *testing.T, admin, what string, ok func(control.Status) bool) control.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := devStatus(t, admin)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s: status %+v", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// coldDigest is the digest of a cold compile of dir at generation gen.
func coldDigest(t *testing.T, dir string, gen uint64) string {
	t.Helper()
	fsys, err := compiler.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(t.Context(), fsys, compiler.Options{Generation: gen})
	if err != nil {
		t.Fatal(err)
	}
	return res.Digest
}

// TestDevServesEachSaveAsAColdCompileWouldAndKeepsServingThroughAnInvalidOne
// edits a tree served by dev: each valid save is served, with the digest a
// cold compile of the tree gives; an invalid one leaves the last good
// snapshot active and shows its positioned errors.
func TestDevServesEachSaveAsAColdCompileWouldAndKeepsServingThroughAnInvalidOne(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "compiler", "testdata", "base"))); err != nil {
		t.Fatal(err)
	}
	// Grants of the base expire; this one is for any day.
	grants := filepath.Join(dir, "publishers", "acme", "grants", "clinic.cue")
	if err := os.Remove(grants); err != nil {
		t.Fatal(err)
	}
	admin := startDev(t, dir)
	s := waitStatus(t, admin, "first snapshot", func(s control.Status) bool { return s.Active != nil })
	if want := coldDigest(t, dir, s.Active.Generation); s.Active.Digest != want {
		t.Fatalf("first snapshot: digest %s, a cold compile's %s", s.Active.Digest, want)
	}
	api := filepath.Join(dir, "publishers", "acme", "apis", "patients.cue")
	orig, err := os.ReadFile(api)
	if err != nil {
		t.Fatal(err)
	}
	save := func(b []byte) {
		t.Helper()
		// As editors save: written aside, renamed over.
		tmp := filepath.Join(filepath.Dir(api), ".patients.cue.swp")
		testutil.WriteFile(t, tmp, b)
		if err := os.Rename(tmp, api); err != nil {
			t.Fatal(err)
		}
	}
	for i, edit := range []struct{ old, new string }{
		{`summary:      "Look up patients."`, `summary:      "Find patients."`},
		{`status:       "stable"`, `status:       "deprecated"`},
		{`summary:      "Find patients."`, `summary:      "Look up patients."`},
	} {
		before := s.Active.Generation
		edited := bytes.Replace(orig, []byte(edit.old), []byte(edit.new), 1)
		if bytes.Equal(edited, orig) {
			t.Fatalf("edit %d changes nothing", i)
		}
		orig = edited
		save(edited)
		s = waitStatus(t, admin, "edit served", func(s control.Status) bool { return s.Active.Generation > before })
		if want := coldDigest(t, dir, s.Active.Generation); s.Active.Digest != want {
			t.Fatalf("edit %d: digest %s, a cold compile's %s", i, s.Active.Digest, want)
		}
	}

	good := s.Active
	save(append(bytes.Clone(orig), "\nstatus: 3\n"...))
	s = waitStatus(t, admin, "refusal", func(s control.Status) bool {
		return s.LastAttempt != nil && s.LastAttempt.Outcome == control.OutcomeRefused
	})
	if s.Active.Digest != good.Digest {
		t.Errorf("an invalid save replaced the active snapshot")
	}
	found := false
	for _, e := range s.LastAttempt.Errors {
		found = found || e.File == "publishers/acme/apis/patients.cue" && e.Line > 0 && e.Code != ""
	}
	if !found {
		t.Errorf("no positioned error in the refused file: %+v", s.LastAttempt.Errors)
	}
	save(orig)
	s = waitStatus(t, admin, "the fixed save served", func(s control.Status) bool { return s.Active.Generation > good.Generation })
	if want := coldDigest(t, dir, s.Active.Generation); s.Active.Digest != want {
		t.Errorf("after the fix: digest %s, a cold compile's %s", s.Active.Digest, want)
	}
}
