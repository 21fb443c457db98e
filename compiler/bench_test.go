package compiler

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/corpus"
)

// BenchmarkCompileCorpus compiles a generated corpus from a directory:
// size S by default, or FRONTDOOR_BENCH_SIZE (S, M or L; L is the
// 1,000-publisher, 100,000-grant target of DESIGN.md).
func BenchmarkCompileCorpus(b *testing.B) {
	name := os.Getenv("FRONTDOOR_BENCH_SIZE")
	if name == "" {
		name = "S"
	}
	size, err := corpus.ParseSize(name)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := corpus.Write(dir, size); err != nil {
		b.Fatal(err)
	}
	fsys, err := OpenDir(dir) // as the CLI reads a directory
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Compile(context.Background(), fsys, opts)
		if err != nil {
			b.Fatal(err)
		}
		if res.Diagnostics.HasErrors() {
			b.Fatalf("got diagnostics:\n%s", renderDiags(res.Diagnostics))
		}
	}
}
