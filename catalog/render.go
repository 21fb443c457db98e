package catalog

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
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
)

// pageTemplates holds one parsed template set per kind of page, each made of
// the shared layout and partials plus the page's own "content".
type pageTemplates struct {
	byName map[string]*template.Template
}

// apiListData is what the "apiItems" template needs.
type apiListData struct {
	Root string
	APIs []*apiView
}

func parseTemplates() (*pageTemplates, error) {
	funcs := template.FuncMap{
		"lower":   strings.ToLower,
		"apiList": func(root string, apis []*apiView) apiListData { return apiListData{Root: root, APIs: apis} },
	}
	pt := &pageTemplates{byName: make(map[string]*template.Template)}
	for _, name := range []string{tmplList, tmplAPI, tmplPublisher, tmplPublishers} {
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/spec.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		pt.byName[name] = t
	}
	return pt, nil
}

// renderPage executes the page template name with data into file.
func (b *Builder) renderPage(site *Site, file, name string, data any) error {
	var buf bytes.Buffer
	if err := b.pages.byName[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("rendering %s: %w", file, err)
	}
	site.add(file, buf.Bytes())
	return nil
}
