package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

func TestLiveCatalogueServesTheLatestCompileOnceBuilt(t *testing.T) {
	fsys := os.DirFS("../../examples/national-health-platform")
	res, err := compiler.Compile(context.Background(), fsys, compiler.Options{Generation: 1})
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatalf("compiling the example: %v %v", err, res.Diagnostics)
	}
	l := &liveCatalog{baseURL: "http://catalogue.test/", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	get := func() int {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		return rec.Code
	}
	if got := get(); got != http.StatusServiceUnavailable {
		t.Fatalf("before any compile: got %d, want 503", got)
	}
	l.update(res, fsys)
	l.update(res, fsys) // coalesces with the first while it builds
	deadline := time.Now().Add(10 * time.Second)
	for get() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the catalogue was not served within 10 s of a compile")
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}
