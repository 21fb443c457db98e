package catalog

import "strings"

// This file writes an API page's endpoints, byte for byte what the "spec"
// template of templates/spec.html writes (TestEndpointsMatchTemplate
// compares them on real, hostile and random documents): every API page has
// one, and html/template took four times as long. Each function below is
// the template of the same name; change both together.

// writeSpec is the "spec" template.
func writeSpec(w htmlWriter, v *specView) {
	w.with(v.Notice, "\n<div class=\"notice\" role=\"note\"><p>", "</p></div>")
	switch {
	case len(v.Operations) > 0:
		w.WriteString("\n<table class=\"operations\">\n<caption>Operations")
		if v.Title != "" {
			w.WriteString(" of ")
			w.text(v.Title)
		}
		if v.Version != "" {
			w.WriteString(", version ")
			w.text(v.Version)
		}
		w.WriteString("</caption>\n<thead>\n<tr><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">Summary</th></tr>\n</thead>\n<tbody>")
		for _, op := range v.Operations {
			w.WriteString("\n<tr>\n<td><span class=\"method method-")
			w.text(strings.ToLower(op.Method))
			w.WriteString("\">")
			w.text(op.Method)
			w.WriteString("</span></td>\n<th scope=\"row\"><a href=\"#")
			w.urlPart(op.Anchor)
			w.WriteString("\"><code class=\"path\">")
			w.text(op.Path)
			w.WriteString("</code></a></th>\n<td>")
			w.text(op.Summary)
			w.WriteString("</td>\n</tr>")
		}
		w.WriteString("\n</tbody>\n</table>")
		for _, op := range v.Operations {
			w.WriteString("\n")
			writeOperation(w, op)
		}
	case v.Notice == "":
		w.WriteString("\n<p>The OpenAPI document describes no operations.</p>")
	}
	w.WriteString("\n")
}

// writeOperation is the "operation" template.
func writeOperation(w htmlWriter, o *opView) {
	w.WriteString("\n<section class=\"operation\" aria-labelledby=\"")
	w.text(o.Anchor)
	w.WriteString("\">\n<h3 id=\"")
	w.text(o.Anchor)
	w.WriteString("\"><span class=\"method method-")
	w.text(strings.ToLower(o.Method))
	w.WriteString("\">")
	w.text(o.Method)
	w.WriteString("</span> <code class=\"path\">")
	w.text(o.Path)
	w.WriteString("</code></h3>")
	w.with(o.Summary, "\n<p class=\"op-summary\">", "</p>")
	if o.Deprecated {
		w.WriteString("\n<p><span class=\"tag tag-deprecated\">Deprecated</span> This operation is deprecated.</p>")
	}
	if len(o.Security) > 0 {
		w.WriteString("\n<p>Security schemes: ")
		w.list(o.Security, ", ", "<code>", "</code>")
		w.WriteString("</p>")
	}
	if o.Description != "" {
		w.WriteString("\n<details class=\"op-description\">\n<summary>Description</summary>\n<div class=\"prose\">")
		w.html(o.Description)
		w.WriteString("</div>\n</details>")
	}
	if len(o.Params) > 0 {
		w.WriteString("\n<h4>Parameters</h4>\n")
		writeParams(w, o.Params)
	}
	if b := o.Body; b != nil {
		w.WriteString("\n<h4>Request body")
		if b.Required {
			w.WriteString(" (required)")
		}
		w.WriteString("</h4>\n")
		w.html(b.Description)
		for _, m := range b.Media {
			writeMedia(w, m)
		}
	}
	if len(o.Responses) > 0 {
		w.WriteString("\n<h4>Responses</h4>")
		for _, r := range o.Responses {
			w.WriteString("\n<h5 id=\"")
			w.text(r.Anchor)
			w.WriteString("\" class=\"response-code\">")
			w.text(r.Code)
			w.WriteString("</h5>\n")
			w.html(r.Description)
			if len(r.Headers) > 0 {
				w.WriteString("\n<p>Headers:</p>\n")
				writeParams(w, r.Headers)
			}
			for _, m := range r.Media {
				writeMedia(w, m)
			}
		}
	}
	w.WriteString("\n</section>\n")
}

// writeParams is the "params" template.
func writeParams(w htmlWriter, params []*paramView) {
	w.WriteString("\n<table class=\"params\">\n<caption class=\"visually-hidden\">Parameters</caption>\n<thead>\n" +
		"<tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr>\n" +
		"</thead>\n<tbody>")
	for _, p := range params {
		w.WriteString("\n<tr>\n<th scope=\"row\"><code>")
		w.text(p.Name)
		w.WriteString("</code>")
		if p.Deprecated {
			w.WriteString(" (deprecated)")
		}
		w.WriteString("</th>\n<td>")
		w.text(p.In)
		w.WriteString("</td>\n<td>")
		w.text(p.Type)
		w.WriteString("</td>\n<td>")
		if p.Required {
			w.WriteString("Yes")
		} else {
			w.WriteString("No")
		}
		w.WriteString("</td>\n<td>")
		w.html(p.Description)
		w.with(p.Example, "<p>Example: <code>", "</code></p>")
		w.WriteString("</td>\n</tr>")
	}
	w.WriteString("\n</tbody>\n</table>\n")
}

// writeMedia is the "media" template.
func writeMedia(w htmlWriter, m *mediaView) {
	w.WriteString("\n<div class=\"media\" id=\"")
	w.text(m.Anchor)
	w.WriteString("\">\n<p class=\"media-type\">Content type <code>")
	w.text(m.Type)
	w.WriteString("</code></p>")
	switch {
	case m.SameAs != "":
		w.WriteString("\n<p>Schema: <a href=\"#")
		w.urlPart(m.SameAs)
		w.WriteString("\">")
		w.text(m.SameName)
		w.WriteString("</a>, as above.</p>")
	case m.Omitted:
		w.WriteString("\n<p>Schema not shown here: download the specification.</p>")
	case m.Schema != nil:
		w.WriteString("\n<details class=\"schema\">\n<summary>Schema: ")
		w.text(m.Schema.Type)
		w.WriteString("</summary>\n")
		writeSchemaBody(w, m.Schema)
		w.WriteString("\n</details>")
	}
	for _, ex := range m.Examples {
		w.WriteString("\n<details class=\"example\">\n<summary>Example: ")
		w.text(ex.Name)
		w.WriteString("</summary>\n<pre><code>")
		w.text(ex.Value)
		w.WriteString("</code></pre>")
		if ex.Truncated {
			w.WriteString("\n<p>Example shortened: download the specification for all of it.</p>")
		}
		w.WriteString("\n</details>")
	}
	w.WriteString("\n</div>\n")
}

// writeSchemaBody is the "schemaBody" template.
func writeSchemaBody(w htmlWriter, n *schemaNode) {
	w.with(n.Note, "<p class=\"note\">", "</p>")
	w.html(n.Description)
	writeSchemaFacts(w, n)
	if len(n.Children) > 0 {
		writeProps(w, n.Children)
	}
}

// writeSchemaFacts is the "schemaFacts" template.
func writeSchemaFacts(w htmlWriter, n *schemaNode) {
	if len(n.Constraints) > 0 {
		w.WriteString("<p class=\"facts\">")
		w.list(n.Constraints, "; ", "", "")
		w.WriteString("</p>")
	}
	if len(n.Enum) > 0 {
		w.WriteString("<p class=\"facts\">Allowed: ")
		w.list(n.Enum, ", ", "<code>", "</code>")
		if n.MoreEnum != 0 {
			w.WriteString(" and ")
			w.int(n.MoreEnum)
			w.WriteString(" more")
		}
		w.WriteString("</p>")
	}
}

// writeProps is the "props" template.
func writeProps(w htmlWriter, nodes []*schemaNode) {
	w.WriteString("\n<ul class=\"props\">")
	for _, n := range nodes {
		w.WriteString("\n<li><code class=\"prop\">")
		w.text(n.Name)
		w.WriteString("</code> <span class=\"type\">")
		w.text(n.Type)
		w.WriteString("</span>")
		if n.Required {
			w.WriteString(" <strong class=\"required\">required</strong>")
		}
		if n.ReadOnly {
			w.WriteString(" <span class=\"flag\">read only</span>")
		}
		if n.WriteOnly {
			w.WriteString(" <span class=\"flag\">write only</span>")
		}
		if n.Deprecated {
			w.WriteString(" <span class=\"flag\">deprecated</span>")
		}
		w.with(n.Note, " <em class=\"note\">(", ")</em>")
		w.html(n.Description)
		writeSchemaFacts(w, n)
		if len(n.Children) > 0 {
			writeProps(w, n.Children)
		}
		w.WriteString("\n</li>")
	}
	w.WriteString("\n</ul>\n")
}
