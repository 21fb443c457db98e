package catalog

// This file writes API pages, byte for byte what the "layout" template
// (templates/layout.html) writes with the "content" of templates/api.html
// (TestAPIPagesMatchTemplate compares them on the fixtures, hostile input
// and random pages): a platform has a page per API, and html/template
// spent more time on them than on all the rest of the site. Each function
// below is the template of the same name; change both together.

// writeAPIPage is the "layout" template with the API page's "content".
func writeAPIPage(w htmlWriter, p *apiPage) {
	writeLayoutHead(w, &p.pageMeta)
	writeAPIContent(w, p)
	writeLayoutFoot(w, &p.pageMeta)
}

// writeLayoutHead is the "layout" template up to its "content".
func writeLayoutHead(w htmlWriter, m *pageMeta) {
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	w.text(m.Title)
	w.WriteString("</title>\n<link rel=\"stylesheet\" href=\"")
	w.url(m.Root)
	w.WriteString("style.css\">\n<link rel=\"canonical\" href=\"")
	w.url(m.Canonical)
	w.WriteString("\">\n<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Changes to ")
	w.text(m.SiteTitle)
	w.WriteString("\" href=\"")
	w.url(m.Feed)
	w.WriteString("\">")
	if m.Search {
		w.WriteString("\n<script src=\"")
		w.url(m.Root)
		w.WriteString("search.js\" defer></script>")
	}
	w.WriteString("\n</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">Skip to main content</a>\n" +
		"<header class=\"site-header\">\n<div class=\"width\">\n<a class=\"site-name\" href=\"")
	w.url(m.Root)
	w.WriteString("\">")
	w.text(m.SiteTitle)
	w.WriteString("</a>\n<nav class=\"site-nav\" aria-label=\"Site\">\n<ul>\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("\"")
	if m.Section == "apis" {
		w.WriteString(" class=\"current\" aria-current=\"true\"")
	}
	w.WriteString(">APIs</a></li>\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("publishers/\"")
	if m.Section == "publishers" {
		w.WriteString(" class=\"current\" aria-current=\"true\"")
	}
	w.WriteString(">Publishers</a></li>\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("feed.atom\">Changes</a></li>\n</ul>\n</nav>\n</div>\n</header>\n" +
		"<main id=\"main\" class=\"width\" tabindex=\"-1\">\n")
}

// writeLayoutFoot is the "layout" template after its "content".
func writeLayoutFoot(w htmlWriter, m *pageMeta) {
	w.WriteString("\n</main>\n<footer class=\"site-footer\">\n<div class=\"width\">\n" +
		"<h2 class=\"visually-hidden\">About this catalogue</h2>\n<ul class=\"footer-links\">\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("catalogue.json\">catalogue.json</a> (<a href=\"")
	w.url(m.Root)
	w.WriteString("catalogue.schema.json\">its JSON Schema</a>)</li>\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("api-metadata.json\">Cross-government API metadata</a></li>\n<li><a href=\"")
	w.url(m.Root)
	w.WriteString("feed.atom\">Atom feed of changes</a></li>\n</ul>\n<p>")
	w.with(m.Operator, "Operated by ", ". ")
	w.WriteString("Updated <time datetime=\"")
	w.text(m.Updated.ISO)
	w.WriteString("\">")
	w.text(m.Updated.Text)
	w.WriteString("</time>")
	w.with(m.Commit, " from commit <code>", "</code>")
	w.WriteString(".</p>\n</div>\n</footer>\n</body>\n</html>\n")
}

// writeDate is the "date" template.
func writeDate(w htmlWriter, d dateView) {
	if d.ISO != "" {
		w.WriteString("<time datetime=\"")
		w.text(d.ISO)
		w.WriteString("\">")
		w.text(d.Text)
		w.WriteString("</time>")
		return
	}
	w.text(d.Text)
}

// writeContact is the "contact" template.
func writeContact(w htmlWriter, c contactView) {
	if c.Empty() {
		w.WriteString("No public contact route is recorded.")
		return
	}
	if c.Email != "" {
		w.WriteString("<a href=\"mailto:")
		w.urlRest(c.Email)
		w.WriteString("\">")
		w.text(c.Email)
		w.WriteString("</a>")
	}
	if c.Email != "" && c.URL != "" {
		w.WriteString(", or ")
	}
	if c.URL != "" {
		w.WriteString("<a href=\"")
		w.url(c.URL)
		w.WriteString("\" rel=\"external\">")
		w.text(c.URL)
		w.WriteString("</a>")
	}
}

// writeModeIDs writes the access modes' IDs as code, separated by commas,
// or none when there is none.
func writeModeIDs(w htmlWriter, modes []modeInfo, none string) {
	for i, m := range modes {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString("<code>")
		w.text(m.ID)
		w.WriteString("</code>")
	}
	if len(modes) == 0 {
		w.WriteString(none)
	}
}

// writeStatusTag writes an API's status as a tag: <span class="tag
// tag-VALUE">LABEL</span>.
func writeStatusTag(w htmlWriter, s labelled) {
	w.WriteString("<span class=\"tag tag-")
	w.text(s.Value)
	w.WriteString("\">")
	w.text(s.Label)
	w.WriteString("</span>")
}

// or is the template function or on two strings.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeAPIContent is the "content" template of templates/api.html.
func writeAPIContent(w htmlWriter, p *apiPage) {
	a, pub := p.A, p.A.Publisher
	w.WriteString("\n<nav class=\"breadcrumbs\" aria-label=\"Breadcrumb\">\n<ol>\n<li><a href=\"")
	w.url(p.Root)
	w.WriteString("\">APIs</a></li>\n<li><a href=\"")
	w.url(p.Root)
	w.url(pub.Path)
	w.WriteString("\">")
	w.text(pub.Name)
	w.WriteString("</a></li>\n<li><a href=\"")
	w.url(p.Root)
	w.url(a.Path)
	w.WriteString("\" aria-current=\"page\">")
	w.text(a.Title)
	w.WriteString("</a></li>\n</ol>\n</nav>\n<h1>")
	w.text(a.Title)
	w.WriteString("</h1>")
	w.with(a.Summary, "\n<p class=\"lead\">", "</p>")
	switch {
	case a.Retired:
		w.WriteString("\n<div class=\"notice\" role=\"note\"><p><strong>This API is retired.</strong> It is no longer available.</p></div>")
	case a.Status.Value == "deprecated":
		w.WriteString("\n<div class=\"notice\" role=\"note\"><p><strong>This API is deprecated.</strong> ")
		w.text(a.Status.Explanation)
		w.WriteString("</p></div>")
	}
	w.WriteString("\n<dl class=\"summary-list\">\n<div><dt>Publisher</dt><dd><a href=\"")
	w.url(p.Root)
	w.url(pub.Path)
	w.WriteString("\">")
	w.text(pub.Name)
	w.WriteString("</a></dd></div>\n<div><dt>Status</dt><dd>")
	writeStatusTag(w, a.Status)
	w.WriteString("</dd></div>\n<div><dt>Version</dt><dd>")
	w.text(or(p.Version, "Not stated"))
	w.WriteString("</dd></div>\n<div><dt>Access modes</dt><dd>")
	writeModeIDs(w, a.Modes, "None")
	w.WriteString("</dd></div>\n</dl>\n\n<nav class=\"contents\" aria-labelledby=\"contents-heading\">\n" +
		"<h2 id=\"contents-heading\">Contents</h2>\n<ol>\n" +
		"<li><a href=\"#overview\">Overview</a></li>\n" +
		"<li><a href=\"#who-can-use-this-api\">Who can use this API</a></li>\n" +
		"<li><a href=\"#access-modes\">Access modes and security</a></li>\n" +
		"<li><a href=\"#status\">Status and service level</a></li>\n" +
		"<li><a href=\"#rate-limits\">Rate limits</a></li>\n" +
		"<li><a href=\"#network-access\">Network access</a></li>\n" +
		"<li><a href=\"#environments\">Environments</a></li>\n" +
		"<li><a href=\"#onboarding\">Onboarding</a></li>\n" +
		"<li><a href=\"#related-apis\">Related APIs</a></li>\n" +
		"<li><a href=\"#contact\">Contact</a></li>\n" +
		"<li><a href=\"#endpoints\">Endpoints</a></li>\n" +
		"<li><a href=\"#specification\">Specification</a></li>\n" +
		"</ol>\n</nav>\n\n<section aria-labelledby=\"overview\">\n<h2 id=\"overview\">Overview</h2>")
	if p.Description != "" {
		w.WriteString("\n<div class=\"prose\">")
		w.html(p.Description)
		w.WriteString("</div>")
	} else {
		w.WriteString("\n<p>")
		w.text(or(a.Summary, "The publisher has not written a description."))
		w.WriteString("</p>")
	}
	if len(p.Tags) > 0 {
		w.WriteString("\n<p>Tags: ")
		w.list(p.Tags, ", ", "<span class=\"keyword\">", "</span>")
		w.WriteString("</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"who-can-use-this-api\">\n<h2 id=\"who-can-use-this-api\">Who can use this API</h2>")
	w.with(p.UseCase, "\n<p>", "</p>")
	w.WriteString("\n<dl class=\"summary-list\">\n<div><dt>Legal basis</dt><dd>")
	w.text(or(p.LegalBasis, "Not stated"))
	w.WriteString("</dd></div>\n<div><dt>Data controller</dt><dd><a href=\"")
	w.url(p.Root)
	w.url(pub.Path)
	w.WriteString("\">")
	w.text(pub.Name)
	w.WriteString("</a> is the data controller for the data this API carries.</dd></div>\n<div><dt>Personal data</dt><dd>")
	if p.PersonalData {
		w.WriteString("Yes")
		if p.SpecialCategory {
			w.WriteString(", including special category (health) data")
		}
		w.WriteString(".")
	} else {
		w.WriteString("No.")
	}
	w.WriteString("</dd></div>")
	if len(p.DataCategories) > 0 {
		w.WriteString("\n<div><dt>Data categories</dt><dd>")
		w.list(p.DataCategories, ", ", "", "")
		w.WriteString("</dd></div>")
	}
	w.with(p.DPIA, "\n<div><dt>Data protection impact assessment</dt><dd>Reference <code>", "</code></dd></div>")
	w.WriteString("\n</dl>")
	if p.PersonalData {
		w.WriteString("\n<p>Because this API carries personal data, your organisation must meet the standards of the Data Security and Protection Toolkit (DSPT) before it is granted access.</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"access-modes\">\n<h2 id=\"access-modes\">Access modes and security</h2>")
	if len(a.Modes) > 0 {
		w.WriteString("\n<p>")
		if p.UserRestricted {
			w.WriteString("Some access modes of this API are user-restricted: the end user must be authenticated. ")
		}
		w.WriteString("Each access mode follows one of the platform's security patterns.</p>")
		for _, m := range a.Modes {
			w.WriteString("\n<h3 id=\"mode-")
			w.text(m.ID)
			w.WriteString("\">")
			w.text(m.Label)
			w.WriteString("</h3>\n<p>")
			w.text(m.Explanation)
			w.WriteString("</p>\n<dl class=\"summary-list\">\n<div><dt>Access mode</dt><dd><code>")
			w.text(m.ID)
			w.WriteString("</code> (")
			w.text(m.Kind)
			w.WriteString(")</dd></div>\n<div><dt>Security pattern</dt><dd>")
			w.text(m.Pattern)
			w.WriteString("</dd></div>\n<div><dt>What you send</dt><dd>")
			w.text(m.Credential)
			w.WriteString("</dd></div>\n</dl>")
		}
	} else {
		w.WriteString("\n<p>This API accepts no access mode at the moment.</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"status\">\n<h2 id=\"status\">Status and service level</h2>\n<p>")
	writeStatusTag(w, a.Status)
	w.WriteString(" ")
	w.text(a.Status.Explanation)
	w.WriteString("</p>\n<p><strong>Service level: ")
	w.text(a.ServiceLevel.Label)
	w.WriteString(".</strong> ")
	w.text(a.ServiceLevel.Explanation)
	w.WriteString("</p>\n</section>\n\n<section aria-labelledby=\"rate-limits\">\n<h2 id=\"rate-limits\">Rate limits</h2>\n" +
		"<dl class=\"summary-list\">\n<div><dt>Whole API</dt><dd>")
	if p.RateLimit != "" {
		w.text(p.RateLimit)
		w.WriteString(", all applications together")
	} else {
		w.WriteString("No limit stated")
	}
	w.WriteString("</dd></div>\n<div><dt>Each application</dt><dd>")
	if p.AppRateLimit != "" {
		w.text(p.AppRateLimit)
		if p.AppRateDefault {
			w.WriteString(" (the platform's default)")
		}
	} else {
		w.WriteString("No limit stated")
	}
	w.WriteString("</dd></div>\n</dl>\n<p>The publisher may set a different limit for your application when it grants access. " +
		"Over a limit, the platform answers with HTTP status 429 (Too Many Requests), naming your application and its quota.</p>\n</section>\n\n" +
		"<section aria-labelledby=\"network-access\">\n<h2 id=\"network-access\">Network access</h2>\n<p><strong>")
	w.text(a.Network.Label)
	w.WriteString(".</strong> ")
	w.text(a.Network.Explanation)
	w.WriteString("</p>\n</section>\n\n<section aria-labelledby=\"environments\">\n<h2 id=\"environments\">Environments</h2>")
	if len(a.Envs) > 0 {
		w.WriteString("\n<table>\n<caption>Environments of ")
		w.text(a.Title)
		w.WriteString(" and their base URLs</caption>\n<thead>\n" +
			"<tr><th scope=\"col\">Environment</th><th scope=\"col\">Base URL</th><th scope=\"col\">Launch approval</th></tr>\n</thead>\n<tbody>")
		for _, e := range a.Envs {
			w.WriteString("\n<tr>\n<th scope=\"row\">")
			w.text(e.Label)
			w.WriteString("</th>\n<td>")
			if e.BaseURL != "" {
				w.WriteString("<code class=\"url\">")
				w.text(e.BaseURL)
				w.WriteString("</code>")
			} else {
				w.WriteString("Not published")
			}
			w.WriteString("</td>\n<td>")
			switch {
			case e.Launch != nil:
				w.WriteString("Approved ")
				writeDate(w, e.Launch.Date)
				w.with(e.Launch.Reference, " (<code>", "</code>)")
			case e.Name == "production":
				w.WriteString("Not approved")
			default:
				w.WriteString("Not needed")
			}
			w.WriteString("</td>\n</tr>")
		}
		w.WriteString("\n</tbody>\n</table>")
	} else {
		w.WriteString("\n<p>This API is not deployed to any environment.</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"onboarding\">\n<h2 id=\"onboarding\">Onboarding</h2>\n" +
		"<p>Before your application can use this API in production:</p>\n<ol>\n<li>")
	w.text(pub.Name)
	w.WriteString(" is onboarded by the platform operator")
	if pub.Onboarded.Text != "" {
		w.WriteString(" (approved ")
		writeDate(w, pub.Onboarded)
		w.WriteString(")")
	}
	w.with(pub.Agreement, " under platform agreement <code>", "</code>")
	w.WriteString(".</li>\n<li>")
	switch {
	case p.Production == nil:
		w.WriteString("This API is not deployed to production yet; it will need the platform operator's launch approval first.")
	case p.Production.Launch != nil:
		w.WriteString("The platform operator approved this API's production launch on ")
		writeDate(w, p.Production.Launch.Date)
		w.WriteString(".")
	default:
		w.WriteString("This API needs the platform operator's launch approval before it serves production traffic; it has none yet.")
	}
	w.WriteString("</li>\n<li>Your organisation registers itself and your application, with its credentials (a hash of its API key, or its public signing key), in the platform's configuration repository.")
	if p.PersonalData {
		w.WriteString(" It must meet the Data Security and Protection Toolkit standards.")
	}
	w.WriteString("</li>\n<li>You ask ")
	w.text(pub.Name)
	w.WriteString(" for access. It grants your application access to one environment with one access mode")
	if p.SpecialCategory {
		w.WriteString("; grants to this API expire within a year and must be renewed")
	}
	w.WriteString(". Sandbox and integration access need a grant too, but no launch approval.</li>\n</ol>\n</section>\n\n" +
		"<section aria-labelledby=\"related-apis\">\n<h2 id=\"related-apis\">Related APIs</h2>")
	if len(p.Related) > 0 {
		w.WriteString("\n<ul>")
		for _, r := range p.Related {
			w.WriteString("\n<li>")
			if r.Path != "" {
				w.WriteString("<a href=\"")
				w.url(p.Root)
				w.url(r.Path)
				w.WriteString("\">")
				w.text(r.Title)
				w.WriteString("</a>")
			} else {
				w.text(r.Title)
			}
			w.WriteString("</li>")
		}
		w.WriteString("\n</ul>")
	} else {
		w.WriteString("\n<p>None listed.</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"contact\">\n<h2 id=\"contact\">Contact</h2>\n<p>")
	if p.ContactIsAPI {
		w.WriteString("For this API, contact")
	} else {
		w.WriteString("Contact ")
		w.text(pub.Name)
	}
	w.WriteString(": ")
	writeContact(w, p.Contact)
	w.WriteString("</p>\n</section>\n\n<section aria-labelledby=\"endpoints\">\n<h2 id=\"endpoints\">Endpoints</h2>")
	if p.Spec != "" {
		w.WriteString("\n")
		w.html(p.Spec)
	} else {
		w.WriteString("\n<p>The publisher has not provided an OpenAPI document for this API.</p>")
	}
	w.WriteString("\n</section>\n\n<section aria-labelledby=\"specification\">\n<h2 id=\"specification\">Specification</h2>")
	if p.SpecFile != "" {
		w.WriteString("\n<p><a href=\"")
		w.url(p.SpecFile)
		w.WriteString("\" download>Download the OpenAPI document (")
		w.text(p.SpecFile)
		w.WriteString(")</a>")
		w.with(p.SpecDigest, ". Digest: <code class=\"url\">", "</code>")
		w.WriteString("</p>")
	} else {
		w.WriteString("\n<p>No OpenAPI document is available.</p>")
	}
	w.WriteString("\n</section>\n")
}
