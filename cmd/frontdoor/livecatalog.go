package main

import (
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/frontdoor-dev/frontdoor/catalog"
	"github.com/frontdoor-dev/frontdoor/compiler"
)

// liveCatalog serves the public catalogue of the last configuration the
// gateway compiled (dev, and serve with a compiling source). Each compile
// that yields a snapshot builds a new site in memory, off the snapshot
// pipeline (a catalogue build never delays a swap), latest compile wins;
// the site is published with an atomic pointer swap, and a request is
// served wholly by one site.
type liveCatalog struct {
	baseURL string
	log     *slog.Logger
	site    atomic.Pointer[http.Handler]

	mu       sync.Mutex // guards next and building
	next     *compiled  // the latest compile not built yet
	building bool       // a build goroutine is running
}

// compiled is a compile result and the tree it came from.
type compiled struct {
	res  *compiler.Result
	fsys fs.FS
}

func (l *liveCatalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.site.Load()
	if h == nil {
		http.Error(w, "the catalogue is not built yet: the configuration has not compiled", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// update asks for the site of a successful compile of fsys to be built.
// Compiles that arrive while a build runs coalesce: only the latest is
// built next.
func (l *liveCatalog) update(res *compiler.Result, fsys fs.FS) {
	l.mu.Lock()
	l.next = &compiled{res: res, fsys: fsys}
	start := !l.building
	l.building = true
	l.mu.Unlock()
	if start {
		go l.buildPending()
	}
}

func (l *liveCatalog) buildPending() {
	for {
		l.mu.Lock()
		c := l.next
		l.next = nil
		if c == nil {
			l.building = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		l.build(c.res, c.fsys)
	}
}

// build builds and publishes the site of one compile.
func (l *liveCatalog) build(res *compiler.Result, fsys fs.FS) {
	site, err := catalog.Build(res.Snapshot, res.Specs, catalog.Options{BaseURL: l.baseURL, SpecFS: fsys})
	if err != nil {
		l.log.Warn("catalogue not rebuilt", "err", err)
		return
	}
	h := catalog.Handler(site.FS())
	l.site.Store(&h)
	l.log.Info("catalogue rebuilt", "files", len(site.Files()), "generation", res.Snapshot.Generation)
}
