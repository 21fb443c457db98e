// Package catalog is the catalogue stage of the pipeline: it turns a compiled
// snapshot and the OpenAPI documents it points at into a static, public API
// catalogue website (snapshot → site).
//
// The site has an index with filters that work without JavaScript
// (pre-rendered facet pages) and a search box that progressively enhances over
// a generated search index; one page per API in the real catalogue's section
// order, with endpoints rendered on the server from the OpenAPI document; one
// page per publisher; and machine-readable files: catalogue.json (described by
// schema/catalogue.schema.json), an Atom feed of changes and an export in the
// cross-government api-metadata format.
//
// Everything publishers write is untrusted: Markdown is rendered with goldmark
// and sanitised with bluemonday, every page is produced by html/template, and
// the site carries no inline script, so it can be served with a strict Content
// Security Policy (see Handler). The site shows only what the snapshot says
// about publishers and APIs: never consumers, approvers' names, upstream URLs
// or credential names.
//
// Building is deterministic: the same snapshot, specs and options give a
// byte-identical site. Nothing reads the clock.
package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Options tune a build. BaseURL is required.
type Options struct {
	// BaseURL is the absolute URL the site is published at, ending in a slash
	// (one is added if missing), e.g. https://catalogue.example.org/. It is used
	// where absolute URLs are needed: the feed, the exports, canonical links.
	BaseURL string
	// Title of the site; default "<platform name> API catalogue".
	Title string
	// Changes feed the Atom feed, newest first (see ChangesFromGit). At most
	// MaxFeedEntries are used.
	Changes []Change
	// Updated is the site's generation time, shown in the footer and used as
	// the feed's updated time. Take it from the commit compiled, never from the
	// clock. Default: the newest of the changes' dates and the snapshot's
	// approval dates.
	Updated time.Time
	// SpecFS, if set, is the configuration repository the snapshot was
	// compiled from: references from an API's OpenAPI document to other
	// files (relative to API.Spec) are resolved in it. References to URLs or
	// outside SpecFS are never followed.
	SpecFS fs.FS
	// Workers bounds parallel page rendering (default GOMAXPROCS).
	Workers int
}

// MaxFeedEntries bounds the number of entries in feed.atom.
const MaxFeedEntries = 100

// Change is one entry of the feed: something that changed about an API or a
// publisher. The caller derives them, e.g. from git history.
type Change struct {
	// Date of the change (the commit time).
	Date time.Time
	// Commit is the git commit that made the change, if known.
	Commit string
	// APIID is the API changed ("<publisher>/<api>"), if the change is about an
	// API.
	APIID string
	// PublisherID is the publisher changed (or the API's publisher).
	PublisherID string
	// Title is a one-line, plain-text title.
	Title string
	// Summary is a plain-text summary.
	Summary string
}

// Builder renders sites. It holds the parsed templates and the Markdown
// renderer; it is immutable after NewBuilder and safe for concurrent use.
type Builder struct {
	pages *pageTemplates
	md    *markdown
}

// NewBuilder parses the templates once.
func NewBuilder() (*Builder, error) {
	pt, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Builder{pages: pt, md: newMarkdown()}, nil
}

// Build renders the site of snap with a new Builder. specs maps an API ID to
// its OpenAPI document's bytes (YAML or JSON; multi-file documents should be
// bundled by the caller, unresolved references are shown as such).
func Build(snap *snapshot.Snapshot, specs map[string][]byte, opts Options) (*Site, error) {
	b, err := NewBuilder()
	if err != nil {
		return nil, err
	}
	return b.Build(snap, specs, opts)
}

// segment is what an ID may look like to become a path segment of the site.
var segment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Build renders the site of snap. It does not modify snap or specs.
func (b *Builder) Build(snap *snapshot.Snapshot, specs map[string][]byte, opts Options) (*Site, error) {
	if snap == nil {
		return nil, errors.New("building catalogue: no snapshot")
	}
	base, err := normalizeBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	opts.BaseURL = base
	if err := checkIDs(snap); err != nil {
		return nil, err
	}
	m := newModel(snap, specs, opts, b.md)
	site := newSite()

	// Static assets and machine-readable files.
	site.add("style.css", []byte(styleCSS))
	site.add("search.js", []byte(searchJS))
	jobs := []func() error{
		func() error { return addJSON(site, "catalogue.json", m.catalogueJSON()) },
		func() error { return addJSON(site, "search-index.json", m.searchIndex()) },
		func() error { return addJSON(site, "api-metadata.json", m.apiMetadata()) },
		func() error { return addSchema(site) },
		func() error { return addFeed(site, m) },
	}

	// Pages.
	for _, p := range m.listPages() {
		jobs = append(jobs, func() error { return b.renderPage(site, p.file, tmplList, p) })
	}
	jobs = append(jobs, func() error {
		p := m.publishersPage()
		return b.renderPage(site, p.file, tmplPublishers, p)
	})
	for _, pv := range m.publishers {
		jobs = append(jobs, func() error {
			p := m.publisherPage(pv)
			return b.renderPage(site, p.file, tmplPublisher, p)
		})
	}
	for _, av := range m.apis {
		jobs = append(jobs, func() error {
			p := m.apiPage(av)
			if av.specFile != "" {
				site.add(av.specFile, av.specBytes)
			}
			return b.renderPage(site, p.file, tmplAPI, p)
		})
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := runAll(jobs, workers); err != nil {
		return nil, err
	}
	site.finish()
	site.Notices = m.notices()
	return site, nil
}

// runAll runs jobs on at most workers goroutines and returns the first error
// in job order.
func runAll(jobs []func() error, workers int) error {
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = jobs[i]()
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

func normalizeBaseURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("building catalogue: base URL is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("building catalogue: base URL %q: %w", s, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("building catalogue: base URL %q is not an absolute http(s) URL without query", s)
	}
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// checkIDs makes sure every ID that becomes a path of the site is a plain
// path segment, so that no page can be written outside the site.
func checkIDs(snap *snapshot.Snapshot) error {
	var errs []error
	for _, p := range snap.Publishers {
		if !segment.MatchString(p.ID) {
			errs = append(errs, fmt.Errorf("publisher ID %q is not a plain path segment", p.ID))
		}
	}
	for _, a := range snap.APIs {
		if !segment.MatchString(a.Publisher) || !segment.MatchString(a.Name) || a.ID != a.Publisher+"/"+a.Name {
			errs = append(errs, fmt.Errorf("API ID %q is not <publisher>/<name> with plain path segments", a.ID))
		}
	}
	for _, e := range snap.Platform.Environments {
		if !segment.MatchString(e.Name) {
			errs = append(errs, fmt.Errorf("environment %q is not a plain path segment", e.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("building catalogue: %w", err)
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
