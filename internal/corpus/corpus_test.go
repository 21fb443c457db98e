package corpus_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/corpus"
)

// now is the day the corpus's grant dates and expiries are chosen around.
var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestSmallCorpusCompilesWithoutDiagnostics(t *testing.T) {
	dir := t.TempDir()
	if err := corpus.Write(dir, corpus.S); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), os.DirFS(dir), compiler.Options{Now: now})
	if err != nil && strings.Contains(err.Error(), "not built yet") {
		t.Skipf("compiler.Compile: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatalf("got %d diagnostics, want none:\n%v", len(res.Diagnostics), res.Diagnostics)
	}
	s := res.Snapshot
	if got, want := len(s.Publishers), corpus.S.Publishers; got != want {
		t.Errorf("got %d publishers, want %d", got, want)
	}
	if got, want := len(s.APIs), corpus.S.Publishers*corpus.S.APIsPerPublisher; got != want {
		t.Errorf("got %d APIs, want %d", got, want)
	}
	if got, want := len(s.Entitlements), corpus.S.Grants; got != want {
		t.Errorf("got %d entitlements, want %d", got, want)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	size := corpus.Size{Publishers: 7, APIsPerPublisher: 6, Consumers: 9, AppsPerConsumer: 3, Grants: 200}
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := corpus.Write(dir, size); err != nil {
			t.Fatal(err)
		}
	}
	ha, hb := treeDigest(t, a), treeDigest(t, b)
	if ha != hb {
		t.Errorf("got tree digests %s and %s, want equal", ha, hb)
	}
}

func TestWriteWritesTheRequestedNumberOfGrants(t *testing.T) {
	for _, size := range []corpus.Size{
		corpus.S,
		{Publishers: 3, APIsPerPublisher: 2, Consumers: 2, AppsPerConsumer: 1, Grants: 17},
		{Publishers: 1, APIsPerPublisher: 1, Consumers: 1, AppsPerConsumer: 1, Grants: 3},
	} {
		t.Run(size.String(), func(t *testing.T) {
			dir := t.TempDir()
			if err := corpus.Write(dir, size); err != nil {
				t.Fatal(err)
			}
			got := 0
			files, _ := filepath.Glob(filepath.Join(dir, "publishers", "*", "grants", "*.cue"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				got += strings.Count(string(b), "{app: ")
			}
			if got != size.Grants {
				t.Errorf("got %d grants, want %d", got, size.Grants)
			}
		})
	}
}

func TestWriteRefusesANonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := corpus.Write(dir, corpus.S); err == nil {
		t.Error("got no error, want one")
	}
}

func TestWriteRefusesMoreGrantsThanAppsAllow(t *testing.T) {
	size := corpus.Size{Publishers: 1, APIsPerPublisher: 1, Consumers: 1, AppsPerConsumer: 1, Grants: 4}
	if err := corpus.Write(t.TempDir(), size); err == nil {
		t.Error("got no error, want one")
	}
}

// treeDigest hashes every path and content under dir, in walk order.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		h.Write([]byte(p + "\x00"))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func BenchmarkWriteM(b *testing.B) {
	for b.Loop() {
		if err := corpus.Write(b.TempDir(), corpus.M); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile compiles the corpus in directory FRONTDOOR_CORPUS_DIR, or
// else one of the size named by FRONTDOOR_CORPUS (S, M or L; default S),
// written once outside the timed loop.
func BenchmarkCompile(b *testing.B) {
	dir := os.Getenv("FRONTDOOR_CORPUS_DIR")
	if dir == "" {
		name := os.Getenv("FRONTDOOR_CORPUS")
		if name == "" {
			name = "S"
		}
		size, err := corpus.ParseSize(name)
		if err != nil {
			b.Fatal(err)
		}
		dir = b.TempDir()
		if err := corpus.Write(dir, size); err != nil {
			b.Fatal(err)
		}
	}
	fsys, err := compiler.OpenDir(dir) // as the CLI reads a directory
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := compiler.Compile(context.Background(), fsys, compiler.Options{Now: now})
		if err != nil {
			b.Skipf("compiler.Compile: %v", err)
		}
		if len(res.Diagnostics) > 0 {
			b.Fatalf("got %d diagnostics, want none", len(res.Diagnostics))
		}
	}
}
