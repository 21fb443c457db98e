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
// and sanitised with bluemonday, every page is rendered by html/template from
// templates/*.html, and the site carries no inline script, so it can be served with a strict Content
// Security Policy (see Handler). The site shows only what the snapshot says
// about publishers and APIs: never consumers, approvers' names, upstream URLs
// or credential names.
//
// Building is deterministic: the same snapshot, specs and options give a
// byte-identical site. Nothing reads the clock.
//
// Build makes a site in memory; BuildDir writes it straight into a directory
// as its pages are rendered, rewriting only the files that changed, so that
// the catalogue of a platform of 10,000 APIs needs no more memory than a few
// pages. List pages stay small however many publishers there are: a filter
// group with more than Options.FacetLimit values lists the biggest and links
// to a page of all of them.
package catalog

import (
	"context"
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

	"github.com/frontdoor-dev/frontdoor/schema"
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"github.com/frontdoor-dev/frontdoor/usage"
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
	// Workers bounds parallel page rendering (default twice GOMAXPROCS, so
	// that the CPUs keep rendering while some workers wait for the disk).
	Workers int
	// Context, if set, ends a build early when it is done: the build
	// returns its error, and BuildDir changes no file.
	Context context.Context
	// Prepared, if set, holds the endpoints of API pages rendered ahead
	// from OpenAPI documents parsed already (see PreparedSpecs); an API
	// whose document is not in it, or differs, has it parsed as usual.
	Prepared *PreparedSpecs
	// FacetLimit is the most values a filter group lists on each list page
	// (default DefaultFacetLimit). A group with more, such as the publishers
	// of a large platform, lists the values with the most APIs (and the
	// current one) and links to a page of all its values, so that list pages
	// stay small whatever the number of publishers.
	FacetLimit int
	// Usage, if set, is the public usage dataset (see usage.Publish): the
	// site publishes it as usage.json, with a usage page for the platform
	// and a usage section on each API's and publisher's page.
	Usage *usage.Dataset
	// Integrated, if set, lists by API ID the consumer organisations
	// granted access to it (see IntegratedOrgs), for a snapshot given
	// without its entitlements; nil: read from the snapshot's entitlements.
	// Only the organisations' names and recipient categories are shown.
	Integrated map[string][]string
}

// DefaultFacetLimit is the default of Options.FacetLimit.
const DefaultFacetLimit = 25

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

// Builder renders sites. It holds the parsed templates, the Markdown
// renderer, a pool of page buffers and the endpoints sections it has
// rendered, by their document's digest, which later builds reuse. It is
// safe for concurrent use; keep one to rebuild a site.
type Builder struct {
	pages *pageTemplates
	md    *markdown
	bufs  sync.Pool // of *bytes.Buffer
	specs specCache
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

// sink receives a site's files as they are made. put is called concurrently
// and must not retain data.
type sink interface {
	put(name string, data []byte) error
}

// Build renders the site of snap in memory. It does not modify snap or
// specs.
func (b *Builder) Build(snap *snapshot.Snapshot, specs map[string][]byte, opts Options) (*Site, error) {
	site := newSite()
	notices, err := b.generate(snap, specs, opts, site)
	if err != nil {
		return nil, err
	}
	site.finish()
	site.Notices = notices
	return site, nil
}

// Written reports what BuildDir did.
type Written struct {
	// Files is the number of files the site has; Written the number of them
	// that were written, the others being unchanged on disk.
	Files, Written int
	// Notices are as Site.Notices.
	Notices []string
}

// LeakError is BuildDir's error when forbidden strings appear in the site.
type LeakError struct {
	// Leaks are "file: string" for every forbidden string found, sorted.
	Leaks []string
}

func (e *LeakError) Error() string {
	return fmt.Sprintf("the catalogue shows %d forbidden %s; nothing was written", len(e.Leaks), plural(len(e.Leaks), "string", "strings"))
}

// BuildDir renders the site of snap, as Build does, into dir, writing each
// file as soon as it is rendered, so that memory does not grow with the
// size of the site. Files whose bytes are unchanged on disk
// are not rewritten; files an earlier write made that the site no longer has
// are removed; nothing else in dir is touched.
//
// Changed files are written beside their old version and moved into place
// at the end (files in directories the build makes are written in place
// and removed again on failure), so if a file of the site contains one of
// forbidden (compared case-insensitively), rendering
// fails or opts.Context ends before the files are moved into place, no file
// in dir changes and the error is a *LeakError, the rendering error or the
// context's error.
func (b *Builder) BuildDir(dir string, snap *snapshot.Snapshot, specs map[string][]byte, opts Options, forbidden []string) (*Written, error) {
	w, err := newDirWriter(dir, forbidden)
	if err != nil {
		return nil, err
	}
	notices, err := b.generate(snap, specs, opts, w)
	if err == nil && len(w.leaks) > 0 {
		slices.Sort(w.leaks)
		err = &LeakError{Leaks: w.leaks}
	}
	if err != nil {
		w.abort()
		return nil, err
	}
	written, err := w.commit()
	if err != nil {
		return nil, err
	}
	return &Written{Files: len(w.names), Written: written, Notices: notices}, nil
}

// generate renders every file of the site of snap into out and returns the
// notices.
func (b *Builder) generate(snap *snapshot.Snapshot, specs map[string][]byte, opts Options, out sink) ([]string, error) {
	if snap == nil {
		return nil, errors.New("building catalogue: no snapshot")
	}
	base, err := normalizeBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	opts.BaseURL = base
	if opts.FacetLimit <= 0 {
		opts.FacetLimit = DefaultFacetLimit
	}
	if err := checkIDs(snap); err != nil {
		return nil, err
	}
	m := newModel(snap, specs, opts, b.md)

	// Static assets and machine-readable files.
	jobs := []func() error{
		func() error { return out.put("style.css", []byte(styleCSS)) },
		func() error { return out.put("search.js", []byte(searchJS)) },
		func() error { return b.putJSON(out, "catalogue.json", m.catalogueJSON()) },
		func() error { return b.putJSON(out, "search-index.json", m.searchIndex()) },
		func() error { return b.putJSON(out, "api-metadata.json", m.apiMetadata()) },
		func() error { return out.put("catalogue.schema.json", schema.CatalogueJSONSchema) },
		func() error { return b.putFeed(out, m) },
	}
	if m.usage != nil {
		jobs = append(jobs,
			func() error { return b.putJSON(out, "usage.json", opts.Usage) },
			func() error { return out.put("usage.schema.json", usage.Schema) },
			func() error { p := m.usagePage(); return b.renderPage(out, p.file, tmplUsage, p) },
		)
	}

	// Pages. Their data is made by the job that renders them, so that only
	// the pages being rendered are in memory.
	groups := m.facets()
	for _, spec := range m.listSpecs(groups) {
		jobs = append(jobs, func() error {
			p := m.listPage(spec, groups)
			var err error
			if p.Items, err = b.listItems(p.Root, p.APIs); err != nil {
				return err
			}
			return b.renderPage(out, p.file, tmplList, p)
		})
	}
	for _, g := range groups {
		if len(g.Values) > opts.FacetLimit {
			jobs = append(jobs, func() error {
				p := m.facetIndexPage(g)
				return b.renderPage(out, p.file, tmplFacets, p)
			})
		}
	}
	jobs = append(jobs, func() error {
		p := m.publishersPage()
		return b.renderPage(out, p.file, tmplPublishers, p)
	})
	for _, pv := range m.publishers {
		jobs = append(jobs, func() error {
			p := m.publisherPage(pv)
			var err error
			if p.Items, err = b.listItems(p.Root, pv.APIs); err != nil {
				return err
			}
			return b.renderPage(out, p.file, tmplPublisher, p)
		})
	}
	for _, av := range m.apis {
		jobs = append(jobs, func() error {
			p := m.apiPage(av)
			if av.specFile != "" {
				r, err := b.endpoints(m, av)
				if err != nil {
					return err
				}
				p.Spec, p.SpecAbout = r.html, r.about
				download := av.specBytes
				if r.bundle != nil {
					// A document of several files is published as one.
					download, p.SpecDigest = r.bundle, snapshot.Digest(r.bundle)
				}
				if err := out.put(av.specFile, download); err != nil {
					return err
				}
			}
			return b.renderPage(out, p.file, tmplAPI, p)
		})
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if err := runAll(ctx, jobs, workers); err != nil {
		return nil, err
	}
	return m.notices(), nil
}

// runAll runs jobs on at most workers goroutines and returns the context's
// error if it is done by the end (no job starts once it is), else the jobs'
// errors in job order.
func runAll(ctx context.Context, jobs []func() error, workers int) error {
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
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
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
