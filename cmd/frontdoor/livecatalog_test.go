package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLiveCatalogueServesTheLatestCompileOnceBuilt(t *testing.T) {
	res, fsys := compileExample(t)
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
