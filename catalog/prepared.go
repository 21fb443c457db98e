package catalog

import (
	"bytes"
	"html/template"
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
	data []byte
	html template.HTML
}

// PrepareSpecs returns an empty set of prepared endpoints for builds by b.
func (b *Builder) PrepareSpecs() *PreparedSpecs {
	return &PreparedSpecs{b: b, byAPI: make(map[string]preparedSpec)}
}

// Add renders the endpoints of apiID's OpenAPI document data from doc,
// kin-openapi's model of data with every reference resolved: what its
// Loader makes of data (the compiler hands on only such models). doc is
// neither modified nor retained, nor is data copied: the caller must not
// change it.
func (p *PreparedSpecs) Add(apiID string, data []byte, doc *openapi3.T) {
	html := p.b.renderSpec(specViewOf(p.b.md, doc, nil, nil))
	p.mu.Lock()
	p.byAPI[apiID] = preparedSpec{data: data, html: html}
	p.mu.Unlock()
}

// Len returns the number of APIs whose endpoints are prepared.
func (p *PreparedSpecs) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byAPI)
}

// get returns the endpoints prepared for apiID from data.
func (p *PreparedSpecs) get(apiID string, data []byte) (template.HTML, bool) {
	if p == nil {
		return "", false
	}
	p.mu.Lock()
	ps, ok := p.byAPI[apiID]
	p.mu.Unlock()
	if !ok || !bytes.Equal(ps.data, data) {
		return "", false
	}
	return ps.html, true
}

// endpoints renders the endpoints section of av's page from its OpenAPI
// document, or takes it from Options.Prepared.
func (b *Builder) endpoints(m *model, av *apiView) template.HTML {
	if html, ok := m.opts.Prepared.get(av.ID, av.specBytes); ok {
		return html
	}
	return b.renderSpec(m.specView(av))
}

// renderSpec renders the endpoints section of an API page from v, as the
// "spec" template does (see writeSpec).
func (b *Builder) renderSpec(v *specView) template.HTML {
	buf := b.getBuffer()
	defer b.putBuffer(buf)
	writeSpec(htmlWriter{buf}, v)
	return template.HTML(buf.String()) //nolint:gosec // escaped as html/template does
}
