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
	tmplUsage      = "usage.html"
)

// pageTemplates holds one parsed template set per kind of page, each made of
// the shared layout and partials plus the page's own "content", and the
// fragments rendered on their own: an API's list entry and the endpoints
// section of an API page. Parsed once by NewBuilder; html/template makes
// them safe for concurrent execution.
type pageTemplates struct {
	byName map[string]*template.Template
	item   *template.Template // "apiItem", data apiItemData
	spec   *template.Template // "spec", data *specView
}

func parseTemplates() (*pageTemplates, error) {
	funcs := template.FuncMap{
		"lower": strings.ToLower,
	}
	pt := &pageTemplates{byName: make(map[string]*template.Template)}
	for _, name := range []string{tmplList, tmplAPI, tmplPublisher, tmplPublishers, tmplFacets, tmplUsage} {
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/spec.html", "templates/usagefigures.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		pt.byName[name] = t
	}
	pt.item = pt.byName[tmplList].Lookup("apiItem")
	pt.spec = pt.byName[tmplAPI].Lookup("spec")
	if pt.item == nil || pt.spec == nil {
		return nil, fmt.Errorf("parsing templates: no apiItem or spec template")
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

// renderFragment executes t with data and returns the HTML it wrote.
func (b *Builder) renderFragment(t *template.Template, data any) (template.HTML, error) {
	buf := b.getBuffer()
	defer b.putBuffer(buf)
	if err := t.Execute(buf, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // written by html/template
}

// listItem is an API's entry in the lists of pages at one depth, rendered
// once: an API is listed on the index, on its publisher's page and on
// several filter pages.
type listItem struct {
	once sync.Once
	html template.HTML
	err  error
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

// apiItemData is what the "apiItem" template shows: an API, linked from a
// page whose root is Root.
type apiItemData struct {
	Root string
	A    *apiView
}

// listItems returns the list entries of apis, one after another, for a
// page whose root is root.
func (b *Builder) listItems(root string, apis []*apiView) (template.HTML, error) {
	items := make([]template.HTML, len(apis))
	size := 0
	for i, a := range apis {
		var err error
		if d := itemDepth(root); d >= 0 {
			it := &a.items[d]
			it.once.Do(func() { it.html, it.err = b.renderFragment(b.pages.item, apiItemData{root, a}) })
			items[i], err = it.html, it.err
		} else {
			items[i], err = b.renderFragment(b.pages.item, apiItemData{root, a})
		}
		if err != nil {
			return "", err
		}
		size += len(items[i])
	}
	var sb strings.Builder
	sb.Grow(size)
	for _, html := range items {
		sb.WriteString(string(html))
	}
	return template.HTML(sb.String()), nil //nolint:gosec // entries written by html/template
}
