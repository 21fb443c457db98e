package catalog

import (
	"bytes"
	"crypto/sha256"
	"html/template"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// PreparedSpecs holds the endpoints sections of API pages, rendered ahead
// of a build from OpenAPI documents that another stage has parsed already,
// so that the build does not parse them a second time: frontdoor build
// hands over each document the compiler loads and checks (see
// compiler.Options.SpecLoaded), and the compiler's workers render its
// endpoints while they check the next ones. A build uses an entry only for
// the very bytes it was prepared from. Safe for concurrent use.
type PreparedSpecs struct {
	b     *Builder
	mu    sync.Mutex
	byAPI map[string]preparedSpec
}

type preparedSpec struct {
	data  []byte
	html  template.HTML
	about template.HTML
}

// PrepareSpecs returns an empty set of prepared endpoints for builds by b.
func (b *Builder) PrepareSpecs() *PreparedSpecs {
	return &PreparedSpecs{b: b, byAPI: make(map[string]preparedSpec)}
}

// Add renders the endpoints of apiID's OpenAPI document data from doc,
// kin-openapi's model of data with every reference resolved: what its
// Loader makes of data (the compiler hands on only such models). doc is
// neither modified nor retained, nor is data copied: the caller must not
// change it. A document the Builder has rendered before is not rendered
// again.
func (p *PreparedSpecs) Add(apiID string, data []byte, doc *openapi3.T) {
	r, ok := p.b.specs.get(specKey{digest: sha256.Sum256(data)}, nil)
	if !ok || r.notice != "" {
		v := specViewOf(p.b.md, doc, nil, nil)
		var err error
		if r.html, err = p.b.renderFragment(p.b.pages.spec, v); err != nil {
			return // the build renders it itself, and reports the error
		}
		r.about = v.About
	}
	p.mu.Lock()
	p.byAPI[apiID] = preparedSpec{data: data, html: r.html, about: r.about}
	p.mu.Unlock()
}

// get returns the endpoints prepared for apiID from data.
func (p *PreparedSpecs) get(apiID string, data []byte) (preparedSpec, bool) {
	if p == nil {
		return preparedSpec{}, false
	}
	p.mu.Lock()
	ps, ok := p.byAPI[apiID]
	p.mu.Unlock()
	if !ok || !bytes.Equal(ps.data, data) {
		return preparedSpec{}, false
	}
	return ps, true
}

// endpoints returns the endpoints section of av's page, and for a document
// of several files the bundle to publish: prepared, cached from an earlier
// rendering of the same document, or rendered from it.
func (b *Builder) endpoints(m *model, av *apiView) (renderedSpec, error) {
	if ps, ok := m.opts.Prepared.get(av.ID, av.specBytes); ok {
		return renderedSpec{html: ps.html, about: ps.about}, nil // one file: published as it is
	}
	digest := sha256.Sum256(av.specBytes)
	scoped := specKey{digest: digest, scope: "no files"}
	var src *specSource
	if m.opts.SpecFS != nil && av.a.Spec != "" {
		src = &specSource{fsys: m.opts.SpecFS, path: av.a.Spec, deps: &specDeps{}}
		scoped.scope = "file " + av.a.Spec
	}
	for _, key := range []specKey{{digest: digest}, scoped} {
		if r, ok := b.specs.get(key, m.opts.SpecFS); ok {
			m.noteSpec(av, r.notice)
			return r, nil
		}
	}
	doc, unresolved, loadErr := loadSpec(av.specBytes, src)
	v := specViewOf(b.md, doc, unresolved, loadErr)
	m.noteSpec(av, v.Notice)
	html, err := b.renderFragment(b.pages.spec, v)
	if err != nil {
		return renderedSpec{}, err
	}
	r := &renderedSpec{html: html, about: v.About, notice: v.Notice}
	if loadErr == nil && src != nil && src.deps.external {
		// Rendered first: bundling moves the other files' parts into
		// the document's components.
		if data, err := bundle(doc, av.a.Spec); err == nil {
			r.bundle = data
		}
	}
	key := scoped
	switch {
	case src != nil && !src.deps.external:
		// No reference left the document: its bytes alone decide.
		key.scope = ""
	case src != nil:
		r.files = src.deps.files
	// Without a repository, references to other files stay unresolved:
	// a document with none renders the same with or without one.
	case loadErr == nil && !slices.ContainsFunc(unresolved, func(ref string) bool { return !strings.HasPrefix(ref, "#") }):
		key.scope = ""
	}
	b.specs.put(key, r)
	return *r, nil
}

// specKey names a rendered endpoints section: the SHA-256 of the document
// and, for a document that refers to other files, where it was rendered
// from ("file PATH" in a repository, "no files" without one).
type specKey struct {
	digest [sha256.Size]byte
	scope  string
}

// renderedSpec is a cached endpoints section.
type renderedSpec struct {
	html   template.HTML
	about  template.HTML // info.description, for the overview
	notice string
	bundle []byte               // the document as one file, for a document of several
	files  map[string]fileState // other files it was rendered from
}

func (r *renderedSpec) size() int { return len(r.html) + len(r.about) + len(r.bundle) }

// maxCachedSpecBytes bounds the HTML a specCache keeps; past it, the cache
// starts again empty.
const maxCachedSpecBytes = 64 << 20

// specCache holds the endpoints sections a Builder has rendered, so that a
// document seen again (by another API, or in a later build) is neither
// parsed nor rendered again. Safe for concurrent use.
type specCache struct {
	mu    sync.Mutex
	byKey map[specKey]*renderedSpec
	size  int
}

// get returns the section cached under key if the files it was rendered
// from are unchanged in fsys.
func (c *specCache) get(key specKey, fsys fs.FS) (renderedSpec, bool) {
	c.mu.Lock()
	r, ok := c.byKey[key]
	c.mu.Unlock()
	if !ok {
		return renderedSpec{}, false
	}
	for p, st := range r.files {
		if fsys == nil || fileStateOf(fs.ReadFile(fsys, p)) != st {
			return renderedSpec{}, false
		}
	}
	return *r, true
}

func (c *specCache) put(key specKey, r *renderedSpec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil || c.size+r.size() > maxCachedSpecBytes {
		c.byKey, c.size = make(map[specKey]*renderedSpec), 0
	}
	if old, ok := c.byKey[key]; ok {
		c.size -= old.size()
	}
	c.byKey[key] = r
	c.size += r.size()
}
