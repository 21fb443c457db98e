package catalog

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"sync"
)

//go:embed templates/*.html
var templateFS embed.FS

// The hand-written assets, served as files: no inline script or style.
var (
	//go:embed assets/style.css
	styleCSS string
	//go:embed assets/search.js
	searchJS string
)

// Page template names.
const (
	tmplList       = "list.html"
	tmplAPI        = "api.html"
	tmplPublisher  = "publisher.html"
	tmplPublishers = "publishers.html"
	tmplFacets     = "facets.html"
)

// pageTemplates holds one parsed template set per kind of page, each made of
// the shared layout and partials plus the page's own "content". API and
// list pages are written by writeAPIPage and writeListPage; their
// templates are the reference these are tested against.
type pageTemplates struct {
	byName map[string]*template.Template
}

func parseTemplates() (*pageTemplates, error) {
	funcs := template.FuncMap{
		"lower": strings.ToLower,
	}
	pt := &pageTemplates{byName: make(map[string]*template.Template)}
	for _, name := range []string{tmplList, tmplAPI, tmplPublisher, tmplPublishers, tmplFacets} {
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/spec.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		pt.byName[name] = t
	}
	return pt, nil
}

// maxPooledBuffer is the largest buffer kept for reuse: the few bigger
// files (the index of a large platform, catalogue.json) are left to the
// collector.
const maxPooledBuffer = 1 << 20

func (b *Builder) getBuffer() *bytes.Buffer {
	if buf, ok := b.bufs.Get().(*bytes.Buffer); ok {
		return buf
	}
	return new(bytes.Buffer)
}

func (b *Builder) putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		buf.Reset()
		b.bufs.Put(buf)
	}
}

// renderPage executes the page template name with data into file.
func (b *Builder) renderPage(out sink, file, name string, data any) error {
	buf := b.getBuffer()
	defer b.putBuffer(buf)
	if err := b.pages.byName[name].ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("rendering %s: %w", file, err)
	}
	return out.put(file, buf.Bytes())
}

// listItem is an API's entry in the lists of pages at one depth, rendered
// once: an API is listed on the index, on its publisher's page and on
// several filter pages.
type listItem struct {
	once sync.Once
	html template.HTML
}

// itemDepths is the number of page depths whose list entries are kept.
const itemDepths = 2

// itemDepth returns the listItem index of the pages whose root is root:
// the index, and the pages two levels down (filters, publishers) that list
// APIs; -1 for other pages.
func itemDepth(root string) int {
	switch root {
	case "./":
		return 0
	case "../../":
		return 1
	}
	return -1
}

// listItems returns the list entries of apis for a page whose root is root.
func (b *Builder) listItems(root string, apis []*apiView) []template.HTML {
	items := make([]template.HTML, len(apis))
	for i, a := range apis {
		if d := itemDepth(root); d >= 0 {
			it := &a.items[d]
			it.once.Do(func() { it.html = b.renderItem(root, a) })
			items[i] = it.html
		} else {
			items[i] = b.renderItem(root, a)
		}
	}
	return items
}

// renderItem renders the "apiItem" template (see writeAPIItem).
func (b *Builder) renderItem(root string, a *apiView) template.HTML {
	buf := b.getBuffer()
	defer b.putBuffer(buf)
	writeAPIItem(htmlWriter{buf}, root, a)
	return template.HTML(buf.String()) //nolint:gosec // escaped as html/template does
}
