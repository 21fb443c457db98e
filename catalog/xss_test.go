package catalog

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// xssCorpus are attempts to get script into a page through text that
// publishers control.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`"><script>alert(2)</script>`,
	`<img src=x onerror=alert(3)>`,
	`<svg onload=alert(4)><circle r="1"/></svg>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<object data="https://evil.example/x.swf"></object><embed src="x">`,
	`<a href="javascript:alert(5)">click</a>`,
	`<a href="&#106;avascript:alert(6)">entity</a>`,
	`[markdown link](javascript:alert(7))`,
	`[mixed case](JaVaScRiPt:alert(8))`,
	`[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==)`,
	`<javascript:alert(10)>`,
	`<div style="background:url(javascript:alert(11))">styled</div>`,
	`<style>body{width:expression(alert(12))}</style>`,
	`<math><mi xlink:href="javascript:alert(13)">m</mi></math>`,
	`<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=javascript:alert(14)">`,
	`<form action="javascript:alert(15)"><button formaction="javascript:alert(16)">go</button></form>`,
	"```html\n<script>alert(17)</script>\n```",
	`<details open ontoggle=alert(18)>`,
	`</textarea></title><script>alert(19)</script>`,
}

func xssText() string { return strings.Join(xssCorpus, "\n\n") }

// xssSpec puts the corpus in every text an OpenAPI document can carry.
func xssSpec(t *testing.T) []byte {
	x := xssText()
	one := xssCorpus[0]
	spec := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": x, "version": one, "description": x},
		"paths": map[string]any{
			"/things/{" + one + "}": map[string]any{
				"get": map[string]any{
					"summary": x, "description": x, "operationId": one,
					"security": []any{map[string]any{one: []any{}}},
					"parameters": []any{map[string]any{
						"name": one, "in": "query", "description": x, "example": x,
						"schema": map[string]any{"type": "string", "format": one, "pattern": one, "enum": []any{one, x}},
					}},
					"responses": map[string]any{
						"200": map[string]any{
							"description": x,
							"headers":     map[string]any{one: map[string]any{"description": x, "schema": map[string]any{"type": "string"}}},
							"content": map[string]any{
								"text/html" + one: map[string]any{
									"schema": map[string]any{
										"type": "object", "title": x, "description": x, "required": []any{one},
										"properties": map[string]any{
											one: map[string]any{"type": "string", "description": x, "default": one, "example": x},
											"n": map[string]any{"type": "object", "additionalProperties": map[string]any{"description": x}},
										},
									},
									"example":  map[string]any{one: x},
									"examples": map[string]any{one: map[string]any{"summary": x, "value": x}},
								},
							},
						},
						"default": map[string]any{"$ref": one},
					},
				},
			},
		},
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileInput is the fixture with the corpus in every text publishers
// control.
func hostileInput(t *testing.T) (*snapshot.Snapshot, map[string][]byte, Options) {
	x := xssText()
	snap := testSnapshot()
	snap.Platform.Name, snap.Platform.Operator = x, x
	for i := range snap.Publishers {
		p := &snap.Publishers[i]
		p.Name, p.Category, p.ODSCode, p.LegalBasis = x, x, x, x
		p.Website, p.Contact.URL, p.Contact.Email = "javascript:alert(20)", "javascript:alert(21)", `"><script>alert(22)</script>@x.example`
		p.Agreement.Reference, p.Onboarded.Reference = x, x
		p.Agreement.Signed = xssCorpus[0]
	}
	for i := range snap.APIs {
		a := &snap.APIs[i]
		a.Title, a.Summary, a.Description, a.Version = x, x, x, x
		a.ServiceLevel, a.Network, a.LegalBasis, a.UseCase, a.DPIA = x, x, x, x, x
		a.Tags, a.DataCategories = []string{x}, []string{x}
		a.Related = append(a.Related, x)
		a.Contact.URL = "javascript:alert(23)"
		a.SpecDigest = x
		a.Status = x // an unknown status must not break out of its class attribute either
		for j := range a.Environments {
			if a.Environments[j].Launch != nil {
				l := *a.Environments[j].Launch // a copy: the fixture is shared
				l.Reference = x
				a.Environments[j].Launch = &l
			}
		}
	}
	snap.APIs[0].AccessModes = append(snap.APIs[0].AccessModes, x)
	specs := map[string][]byte{"nhsbsa/exemptions": xssSpec(t), "trust-a/beds": []byte(x)}
	opts := testOptions()
	opts.Title = x
	opts.Changes[0].Title, opts.Changes[0].Summary = x, x
	return snap, specs, opts
}

func TestNoPublisherTextBecomesExecutableScript(t *testing.T) {
	site, err := Build(hostileInput(t))
	if err != nil {
		t.Fatal(err)
	}

	pages := 0
	for _, f := range htmlFiles(site) {
		pages++
		for _, problem := range scriptProblems(parseHTML(t, f, mustFile(t, site, f))) {
			t.Errorf("%s: %s", f, problem)
		}
	}
	if pages < 10 {
		t.Fatalf("got %d pages checked, want at least 10", pages)
	}
	// The corpus did reach the pages, as text.
	if page := string(mustFile(t, site, "apis/nhsbsa/exemptions/index.html")); !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the API page does not show the escaped title; the test checks nothing")
	}
	if page := string(mustFile(t, site, "apis/nhsbsa/exemptions/index.html")); !strings.Contains(page, `class="operation"`) {
		t.Errorf("the hostile spec's operation was not rendered; the test checks less than it should")
	}
	// Machine-readable files stay data.
	for _, f := range []string{"catalogue.json", "search-index.json", "api-metadata.json"} {
		b := mustFile(t, site, f)
		if bytes.Contains(bytes.ToLower(b), []byte("<script")) {
			t.Errorf("%s holds an unescaped <script", f)
		}
		decodeJSON(t, f, b)
	}
	if err := xml.Unmarshal(mustFile(t, site, "feed.atom"), new(struct{})); err != nil {
		t.Errorf("feed.atom is not well-formed: %v", err)
	}
}

// scriptProblems lists what in doc can run script:
// a <script> other than the site's own search.js, an on* attribute, a
// javascript:, vbscript: or data: URL, a style attribute or element, or an
// svg, math, iframe, object, embed, base or form element.
func scriptProblems(doc *html.Node) []string {
	var out []string
	report := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script":
			src, _ := attr(n, "src")
			if !strings.HasSuffix(src, "search.js") || strings.Contains(src, "//") || n.FirstChild != nil {
				report("has <script src=%q> with %q", src, textOf(n))
			}
		case "svg", "math", "iframe", "object", "embed", "base", "style", "frame", "frameset", "applet", "template", "textarea":
			report("has <%s>", n.Data)
		case "meta":
			if _, ok := attr(n, "http-equiv"); ok {
				report("has <meta http-equiv>")
			}
		case "form":
			if id, _ := attr(n, "id"); id != "search" {
				report("has a <form> that is not the search form")
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				report("<%s> has event handler %s=%q", n.Data, a.Key, a.Val)
			}
			if key == "style" {
				report("<%s> has a style attribute %q", n.Data, a.Val)
			}
			if a.Namespace != "" || strings.Contains(key, ":") {
				report("<%s> has namespaced attribute %s", n.Data, a.Key)
			}
			switch key {
			case "href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href", "background", "content":
				v := strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, strings.ToLower(a.Val))
				for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(v, scheme) || strings.Contains(v, "url="+scheme) {
						report("<%s %s=%q>", n.Data, a.Key, a.Val)
					}
				}
			}
		}
	}
	return out
}

func TestScriptProblemsCatchesScript(t *testing.T) {
	for _, page := range []string{
		`<p><script>alert(1)</script></p>`,
		`<img src=x onerror=alert(1)>`,
		`<a href=" javascript:alert(1)">x</a>`,
		`<svg></svg>`,
		`<p style="color:red">x</p>`,
		`<script src="https://cdn.example/search.js"></script>`,
	} {
		if got := scriptProblems(parseHTML(t, page, []byte(page))); len(got) == 0 {
			t.Errorf("scriptProblems accepts %q", page)
		}
	}
}
