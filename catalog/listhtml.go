package catalog

import "html/template"

// This file writes list pages (the index and the filter pages) and the
// APIs' entries in lists, byte for byte what the "layout" template writes
// with the "content" of templates/list.html, and the "apiItem" template of
// templates/partials.html (TestListPagesMatchTemplate): a large platform
// has a thousand list pages of up to 10,000 entries. Each function below is
// the template of the same name; change both together.

// writeListPage is the "layout" template with the list page's "content".
func writeListPage(w htmlWriter, p *listPage) {
	writeLayoutHead(w, &p.pageMeta)
	writeListContent(w, p)
	writeLayoutFoot(w, &p.pageMeta)
}

// writeListContent is the "content" template of templates/list.html.
func writeListContent(w htmlWriter, p *listPage) {
	w.WriteString("\n<h1>")
	w.text(p.Heading)
	w.WriteString("</h1>\n<p class=\"lead\">")
	w.text(p.Lead)
	w.WriteString("</p>\n<div class=\"list-layout\">\n<nav class=\"filters\" aria-labelledby=\"filters-heading\">\n" +
		"<h2 id=\"filters-heading\">Filter APIs</h2>")
	if p.Facet != "" {
		w.WriteString("\n<p><a href=\"")
		w.url(p.Root)
		w.WriteString("\">Show all APIs</a></p>")
	}
	for i := range p.Groups {
		g := &p.Groups[i]
		w.WriteString("\n<h3 id=\"facet-")
		w.text(g.ID)
		w.WriteString("\">")
		w.text(g.Legend)
		w.WriteString("</h3>\n<ul class=\"facet\" aria-labelledby=\"facet-")
		w.text(g.ID)
		w.WriteString("\">")
		for _, v := range g.Values {
			w.WriteString("\n<li><a href=\"")
			w.url(p.Root)
			w.url(v.Path)
			w.WriteString("\"")
			if v.Current {
				w.WriteString(" aria-current=\"page\"")
			}
			w.WriteString(">")
			w.text(v.Label)
			w.WriteString(" <span class=\"count\">(")
			w.int(v.Count)
			w.WriteString(")</span></a></li>")
		}
		w.WriteString("\n</ul>")
		if g.All != "" {
			w.WriteString("\n<p class=\"facet-all\"><a href=\"")
			w.url(p.Root)
			w.url(g.All)
			w.WriteString("\">All ")
			w.int(g.AllCount)
			w.WriteString(" ")
			w.text(g.Noun)
			w.WriteString("</a></p>")
		}
	}
	w.WriteString("\n</nav>\n<div class=\"results\">\n" +
		"<form id=\"search\" class=\"search\" role=\"search\" action=\"\" method=\"get\" data-index=\"")
	w.text(p.Root)
	w.WriteString("search-index.json\" hidden>\n<label for=\"search-q\">Search APIs</label>\n\n" +
		"<p id=\"search-hint\" class=\"hint\">Matches titles, summaries, publishers, tags and descriptions.</p>\n" +
		"<input id=\"search-q\" name=\"q\" type=\"search\" autocomplete=\"off\" aria-describedby=\"search-hint\">\n</form>\n" +
		"<h2 id=\"results-heading\">")
	if p.Facet != "" {
		w.WriteString("Matching APIs")
	} else {
		w.WriteString("All APIs")
	}
	w.WriteString("</h2>\n<p id=\"search-status\" class=\"search-status\" role=\"status\" aria-live=\"polite\"></p>")
	if len(p.APIs) > 0 {
		w.WriteString("\n")
		writeAPIItems(w, p.Items)
	} else {
		w.WriteString("\n<p>No APIs.</p>")
	}
	w.WriteString("\n</div>\n</div>\n")
}

// writeAPIItems is the "apiItems" template.
func writeAPIItems(w htmlWriter, items []template.HTML) {
	w.WriteString("\n<ul id=\"api-list\" class=\"api-list\">")
	for _, it := range items {
		w.html(it)
	}
	w.WriteString("\n</ul>\n")
}

// writeAPIItem is the "apiItem" template.
func writeAPIItem(w htmlWriter, root string, a *apiView) {
	w.WriteString("\n<li data-api=\"")
	w.text(a.ID)
	w.WriteString("\">\n<h3 class=\"api-title\"><a href=\"")
	w.url(root)
	w.url(a.Path)
	w.WriteString("\">")
	w.text(a.Title)
	w.WriteString("</a></h3>")
	w.with(a.Summary, "\n<p>", "</p>")
	w.WriteString("\n<dl class=\"meta\">\n<div><dt>Publisher</dt><dd>")
	w.text(a.Publisher.Name)
	w.WriteString("</dd></div>\n<div><dt>Status</dt><dd>")
	writeStatusTag(w, a.Status)
	w.WriteString("</dd></div>\n<div><dt>Access</dt><dd>")
	writeModeIDs(w, a.Modes, "none")
	w.WriteString("</dd></div>\n</dl>\n</li>")
}
