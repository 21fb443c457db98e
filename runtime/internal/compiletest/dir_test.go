package compiletest

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/sourcecompile"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// compile is the real compiler, as frontdoor serve runs it.
var compile = sourcecompile.Func(nil)

// copyExample copies the example configuration repository into a new
// directory.
func copyExample(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", "examples", "national-health-platform")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no example repository: %v", err)
	}
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// serveDir runs a controller over a dir source of root, compiled by the
// real compiler, until the test ends, and waits for its first snapshot. It
// skips the test if root does not compile.
func serveDir(t *testing.T, root string) *control.Controller {
	t.Helper()
	if out, err := compile(context.Background(), source.CompileInput{FS: os.DirFS(root), Generation: 1}); err != nil || len(out.Bytes) == 0 {
		t.Skipf("the example does not compile yet: %v %v", err, out.Diagnostics)
	}
	v, err := verify.New(verify.Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctrl, err := control.New(control.Options{Store: new(store.Store), Verifier: v, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctrl.Run(ctx, &source.Dir{Root: root, Compile: compile, NextGeneration: func() uint64 { return ctrl.ActiveGeneration() + 1 }, Log: log})
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 30*time.Second, "the first snapshot", ctrl.Ready)
	return ctrl
}

// waitRefusal waits for ctrl to report a refused compile, and checks that
// generation gen stays active; it returns the refusal's errors.
func waitRefusal(t *testing.T, ctrl *control.Controller, within time.Duration, gen uint64) []source.Diagnostic {
	t.Helper()
	waitFor(t, within, "a compile refusal", func() bool {
		a := ctrl.Status().LastAttempt
		return a != nil && a.Reason == verify.ReasonCompile
	})
	if got := ctrl.ActiveGeneration(); got != gen {
		t.Errorf("active generation: got %d, want %d", got, gen)
	}
	return ctrl.Status().LastAttempt.Errors
}

func TestDirSourceWithTheRealCompilerServesEditsAndReportsErrors(t *testing.T) {
	root := copyExample(t)
	ctrl := serveDir(t, root)
	gen := ctrl.ActiveGeneration()

	// Touch a file: a recompile yields the next generation within 1 s.
	var file string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if file == "" && err == nil && strings.HasSuffix(p, ".cue") && strings.Contains(p, "consumers") {
			file = p
		}
		return nil
	})
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, append(b, "\n// edited\n"...), 0o644)
	start := time.Now()
	waitFor(t, time.Second, "the next generation", func() bool { return ctrl.ActiveGeneration() > gen })
	t.Logf("edit served in %v", time.Since(start))
	gen = ctrl.ActiveGeneration()

	// An invalid edit keeps it and reports positioned errors.
	os.WriteFile(file, append(b, "\nthis is { not cue\n"...), 0o644)
	errs := waitRefusal(t, ctrl, 2*time.Second, gen)
	if len(errs) == 0 || errs[0].File == "" || errs[0].Line == 0 {
		t.Errorf("got errors %+v, want positioned ones", errs)
	}
}

// TestDirSourceRefusesLinksToDevicesAndFIFOsAndKeepsServing links an
// ignored name to /dev/zero and makes a FIFO, both referenced by an
// OpenAPI document: the compile refuses them (it neither runs out of
// memory nor blocks) and the active snapshot stays.
func TestDirSourceRefusesLinksToDevicesAndFIFOsAndKeepsServing(t *testing.T) {
	root := copyExample(t)
	ctrl := serveDir(t, root)
	gen := ctrl.ActiveGeneration()

	apis := filepath.Join(root, "publishers", "mhra", "apis")
	if err := os.Symlink("/dev/zero", filepath.Join(apis, "README.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(apis, ".pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(apis, "yellow-card.yaml")
	b, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "{type: string,", `{$ref: "README.yaml", x: {$ref: ".pipe.yaml"},`, 1)
	if s == string(b) {
		t.Fatal("no schema to change")
	}
	if err := os.WriteFile(spec, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, e := range waitRefusal(t, ctrl, 10*time.Second, gen) {
		codes = append(codes, e.Code)
	}
	if !slices.Contains(codes, "FD505") {
		t.Errorf("got codes %v, want FD505", codes)
	}
}
