package catalog

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// hostileStrings are values whose escaping differs between contexts:
// markup, quotes, entities, NUL, non-ASCII, invalid UTF-8 and every ASCII
// character.
func hostileStrings() []string {
	out := []string{"", "plain", "a+b", "Tom & Jerry's \"quote\"", "\x00", "é ü 日本 \U0001F600", "\xff\xfe bad \xc3", "\u2028\u0085\ufdd0\uffff",
		"javascript:alert(1)", "op-get-items", "#frag?q=1&r=2", "100%", "%41%zz%4", "%", " spaced out ", "<>",
		"../../", "apis/p/a/", "https://x.example/a b?c=d#e", "HTTPS://X", "mailto:a@b", "MailTo:a", "data:x", "a/b:c", "vbscript:x", ":x", "a@b.example"}
	out = append(out, xssCorpus...)
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	return append(out, all.String())
}

func TestEscapersMatchTemplate(t *testing.T) {
	contexts := []struct {
		name, tmpl string
		write      func(w htmlWriter, s string)
	}{
		{"text", `<p>{{.}}</p>`, func(w htmlWriter, s string) { w.WriteString("<p>"); w.text(s); w.WriteString("</p>") }},
		{"quoted attribute", `<p class="x-{{.}}">`, func(w htmlWriter, s string) { w.WriteString(`<p class="x-`); w.text(s); w.WriteString(`">`) }},
		{"fragment", `<a href="#{{.}}">`, func(w htmlWriter, s string) { w.WriteString(`<a href="#`); w.urlPart(s); w.WriteString(`">`) }},
		{"title", `<title>{{.}}</title>`, func(w htmlWriter, s string) { w.WriteString(`<title>`); w.text(s); w.WriteString(`</title>`) }},
		{"URL", `<a href="{{.}}">`, func(w htmlWriter, s string) { w.WriteString(`<a href="`); w.url(s); w.WriteString(`">`) }},
		{"URLs", `<a href="{{.}}{{.}}/x">`, func(w htmlWriter, s string) { w.WriteString(`<a href="`); w.url(s); w.url(s); w.WriteString(`/x">`) }},
		{"in URL", `<a href="mailto:{{.}}">`, func(w htmlWriter, s string) { w.WriteString(`<a href="mailto:`); w.urlRest(s); w.WriteString(`">`) }},
	}
	for _, c := range contexts {
		tmpl := template.Must(template.New(c.name).Parse(c.tmpl))
		for _, s := range hostileStrings() {
			var want, got bytes.Buffer
			if err := tmpl.Execute(&want, s); err != nil {
				t.Fatal(err)
			}
			c.write(htmlWriter{&got}, s)
			if got.String() != want.String() {
				t.Errorf("%s of %q: got %q, want %q", c.name, s, got.String(), want.String())
			}
		}
	}
	tmpl := template.Must(template.New("int").Parse(`{{.}}`))
	for _, n := range []int{0, 7, -3, 1 << 40} {
		var want, got bytes.Buffer
		if err := tmpl.Execute(&want, n); err != nil {
			t.Fatal(err)
		}
		htmlWriter{&got}.int(n)
		if got.String() != want.String() {
			t.Errorf("int %d: got %q, want %q", n, got.String(), want.String())
		}
	}
}

// specTemplate renders v with the "spec" template, the reference writeSpec
// must match.
func specTemplate(t *testing.T, b *Builder, v *specView) string {
	t.Helper()
	var buf bytes.Buffer
	if err := b.pages.byName[tmplAPI].ExecuteTemplate(&buf, "spec", v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestEndpointsMatchTemplate(t *testing.T) {
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	views := map[string]*specView{}
	add := func(name string, data []byte, src *specSource) { views[name] = newSpecView(b.md, data, src) }
	add("fixture", []byte(testSpecYAML), nil)
	add("bench", []byte(fmt.Sprintf(benchSpec, 1)), nil)
	add("hostile", xssSpec(t), nil)
	add("unreadable", []byte("openapi: [\n"), nil)
	add("no operations", []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"), nil)
	for id, data := range testSpecs() {
		add("fixture "+id, data, nil)
	}
	// Real documents: the repository's examples (with their other files),
	// the compiler's test documents and, if present, the shared ones.
	example := os.DirFS("../examples/national-health-platform")
	specs, _ := fs.Glob(example, "publishers/*/apis/*.yaml")
	for _, p := range specs {
		if data, err := fs.ReadFile(example, p); err == nil {
			add(p, data, &specSource{fsys: example, path: p})
		}
	}
	for _, dir := range []string{"../compiler/testdata", sharedSpecs} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				add(f, data, nil)
			}
		}
	}
	if len(specs) == 0 {
		t.Error("found no example OpenAPI document")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		views[fmt.Sprintf("random %d", i)] = randomSpecView(rng)
	}
	for name, v := range views {
		var got bytes.Buffer
		writeSpec(htmlWriter{&got}, v)
		if want := specTemplate(t, b, v); got.String() != want {
			t.Errorf("%s: writeSpec and the spec template differ:\n%s", name, firstDifference(got.String(), want))
		}
	}
}

// samePages checks that write renders every page as tmpl's "layout" does;
// what names the two in a failure.
func samePages[P any](t *testing.T, tmpl *template.Template, what string, pages map[string]P, write func(htmlWriter, P)) {
	t.Helper()
	for name, p := range pages {
		var want, got bytes.Buffer
		if err := tmpl.ExecuteTemplate(&want, "layout", p); err != nil {
			t.Fatal(err)
		}
		write(htmlWriter{&got}, p)
		if got.String() != want.String() {
			t.Errorf("%s: %s differ:\n%s", name, what, firstDifference(got.String(), want.String()))
		}
	}
}

// firstDifference shows where two renderings part.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("got  …%q\nwant …%q", got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

// randomSpecView makes a view with every field set or not at random, from
// hostile strings.
func randomSpecView(rng *rand.Rand) *specView {
	strs := hostileStrings()
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return strs[rng.IntN(len(strs))]
	}
	htm := func() template.HTML {
		if rng.IntN(2) == 0 {
			return ""
		}
		return template.HTML("<p>" + template.HTMLEscapeString(str()) + "</p>")
	}
	list := func() []string {
		var l []string
		for range rng.IntN(4) {
			l = append(l, str())
		}
		return l
	}
	params := func() []*paramView {
		var ps []*paramView
		for range rng.IntN(3) {
			ps = append(ps, &paramView{Name: str(), In: str(), Required: rng.IntN(2) == 0, Deprecated: rng.IntN(2) == 0, Type: str(), Description: htm(), Example: str()})
		}
		return ps
	}
	var node func(depth int) *schemaNode
	node = func(depth int) *schemaNode {
		n := &schemaNode{Name: str(), Type: str(), Required: rng.IntN(2) == 0, ReadOnly: rng.IntN(2) == 0, WriteOnly: rng.IntN(3) == 0,
			Deprecated: rng.IntN(3) == 0, Description: htm(), Constraints: list(), Enum: list(), Note: str()}
		if rng.IntN(3) == 0 {
			n.MoreEnum = rng.IntN(50)
		}
		if depth < 3 {
			for range rng.IntN(3) {
				n.Children = append(n.Children, node(depth+1))
			}
		}
		return n
	}
	media := func() []*mediaView {
		var ms []*mediaView
		for range rng.IntN(3) {
			m := &mediaView{Type: str(), Anchor: str()}
			switch rng.IntN(4) {
			case 0:
				m.SameAs, m.SameName = str(), str()
			case 1:
				m.Omitted = true
			case 2:
				m.Schema = node(0)
			}
			for range rng.IntN(3) {
				m.Examples = append(m.Examples, exampleView{Name: str(), Value: str(), Truncated: rng.IntN(2) == 0})
			}
			ms = append(ms, m)
		}
		return ms
	}
	v := &specView{Notice: str(), Title: str(), Version: str(), OpenAPI: str()}
	for range rng.IntN(4) {
		o := &opView{Anchor: str(), Method: str(), Path: str(), Summary: str(), Description: htm(), Deprecated: rng.IntN(2) == 0,
			Security: list(), Params: params()}
		if rng.IntN(2) == 0 {
			o.Body = &bodyView{Required: rng.IntN(2) == 0, Description: htm(), Media: media()}
		}
		for range rng.IntN(3) {
			o.Responses = append(o.Responses, &responseView{Anchor: str(), Code: str(), Description: htm(), Headers: params(), Media: media()})
		}
		v.Operations = append(v.Operations, o)
	}
	return v
}

func TestAPIPagesMatchTemplate(t *testing.T) {
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]*apiPage{}
	fromModel := func(name string, snap *snapshot.Snapshot, specs map[string][]byte, opts Options) {
		opts.BaseURL, _ = normalizeBaseURL(opts.BaseURL)
		m := newModel(snap, specs, opts, b.md)
		for _, av := range m.apis {
			p := m.apiPage(av)
			if av.specFile != "" {
				p.Spec = b.endpoints(m, av)
			}
			pages[name+" "+av.ID] = p
		}
	}
	fromModel("fixture", testSnapshot(), testSpecs(), testOptions())
	hsnap, hspecs, hopts := hostileInput(t)
	fromModel("hostile", hsnap, hspecs, hopts)
	snap, specs := largeInput(40)
	fromModel("large", snap, specs, Options{BaseURL: testBaseURL})
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		pages[fmt.Sprintf("random %d", i)] = randomAPIPage(rng)
	}
	samePages(t, b.pages.byName[tmplAPI], "writeAPIPage and the api.html template", pages, writeAPIPage)
}

// randomAPIPage makes an API page with every field set or not at random,
// from hostile strings.
func randomAPIPage(rng *rand.Rand) *apiPage {
	strs := hostileStrings()
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return strs[rng.IntN(len(strs))]
	}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	yes := func() bool { return rng.IntN(2) == 0 }
	list := func() []string {
		var l []string
		for range rng.IntN(4) {
			l = append(l, str())
		}
		return l
	}
	date := func() dateView {
		if yes() {
			return dateView{ISO: str(), Text: str()}
		}
		return dateView{Text: str()}
	}
	lab := func() labelled {
		return labelled{Value: pick("deprecated", "stable", str()), Label: str(), Explanation: str()}
	}
	pub := &pubView{ID: str(), Name: str(), Path: pick("publishers/p/", str()), Onboarded: date(), Agreement: str()}
	a := &apiView{ID: str(), Title: str(), Summary: str(), Path: pick("apis/p/a/", str()), Publisher: pub,
		Status: lab(), ServiceLevel: lab(), Network: lab(), Retired: yes()}
	for range rng.IntN(3) {
		a.Modes = append(a.Modes, modeInfo{ID: str(), Label: str(), Kind: str(), Pattern: str(), Explanation: str(), Credential: str()})
	}
	for range rng.IntN(4) {
		e := envView{Name: pick("production", "sandbox", str()), Label: str(), BaseURL: str()}
		if yes() {
			e.Launch = &launchView{Date: date(), Reference: str()}
		}
		a.Envs = append(a.Envs, e)
	}
	p := &apiPage{
		pageMeta: pageMeta{Root: pick("../../../", "./", str()), Title: str(), SiteTitle: str(), Canonical: str(), Section: pick("apis", "publishers", str()),
			Updated: date(), Commit: str(), Operator: str(), Search: yes(), Feed: str()},
		A: a, Version: str(), LegalBasis: str(), UseCase: str(), DataCategories: list(), PersonalData: yes(), SpecialCategory: yes(),
		DPIA: str(), UserRestricted: yes(), RateLimit: str(), AppRateLimit: str(), AppRateDefault: yes(),
		Contact: contactView{Email: str(), URL: str()}, ContactIsAPI: yes(), SpecFile: str(), SpecDigest: str(), Tags: list(),
	}
	if yes() {
		p.Description = template.HTML("<p>" + template.HTMLEscapeString(str()) + "</p>")
	}
	if yes() {
		p.Spec = template.HTML("\n<p>" + template.HTMLEscapeString(str()) + "</p>\n")
	}
	if len(a.Envs) > 0 && yes() {
		p.Production = &a.Envs[rng.IntN(len(a.Envs))]
	}
	for range rng.IntN(3) {
		p.Related = append(p.Related, relatedView{ID: str(), Title: str(), Path: pick("", "apis/x/y/", str())})
	}
	return p
}

// apiItemData is what the "apiItem" template needs.
type apiItemData struct {
	Root string
	A    *apiView
}

func TestListPagesMatchTemplate(t *testing.T) {
	b, err := NewBuilder()
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]*listPage{}
	var apis []*apiView
	fromModel := func(name string, snap *snapshot.Snapshot, specs map[string][]byte, opts Options) {
		opts.BaseURL, _ = normalizeBaseURL(opts.BaseURL)
		if opts.FacetLimit <= 0 {
			opts.FacetLimit = DefaultFacetLimit
		}
		m := newModel(snap, specs, opts, b.md)
		groups := m.facets()
		for _, spec := range m.listSpecs(groups) {
			p := m.listPage(spec, groups)
			p.Items = b.listItems(p.Root, p.APIs)
			pages[name+" "+spec.file] = p
		}
		apis = append(apis, m.apis...)
	}
	fromModel("fixture", testSnapshot(), testSpecs(), testOptions())
	limited := testOptions()
	limited.FacetLimit = 1
	fromModel("facet-limit-1", testSnapshot(), testSpecs(), limited)
	hsnap, hspecs, hopts := hostileInput(t)
	fromModel("hostile", hsnap, hspecs, hopts)
	snap, specs := largeInput(300)
	fromModel("large", snap, specs, Options{BaseURL: testBaseURL})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 300 {
		pages[fmt.Sprintf("random %d", i)] = randomListPage(rng)
	}
	samePages(t, b.pages.byName[tmplList], "writeListPage and the list.html template", pages, writeListPage)
	for range 200 {
		apis = append(apis, randomAPIPage(rng).A)
	}
	for _, a := range apis {
		for _, root := range append([]string{"./", "../../"}, hostileStrings()...) {
			var want, got bytes.Buffer
			if err := b.pages.byName[tmplList].ExecuteTemplate(&want, "apiItem", apiItemData{Root: root, A: a}); err != nil {
				t.Fatal(err)
			}
			writeAPIItem(htmlWriter{&got}, root, a)
			if got.String() != want.String() {
				t.Fatalf("%s at %q: writeAPIItem and the apiItem template differ:\n%s", a.ID, root, firstDifference(got.String(), want.String()))
			}
		}
	}
}

// randomListPage makes a list page with every field set or not at random,
// from hostile strings.
func randomListPage(rng *rand.Rand) *listPage {
	strs := hostileStrings()
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return strs[rng.IntN(len(strs))]
	}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	yes := func() bool { return rng.IntN(2) == 0 }
	p := &listPage{
		pageMeta: pageMeta{Root: pick("./", "../../", str()), Title: str(), SiteTitle: str(), Canonical: str(), Section: pick("apis", "publishers", str()),
			Updated: dateView{ISO: str(), Text: str()}, Commit: str(), Operator: str(), Search: yes(), Feed: str()},
		Heading: str(), Lead: str(), Facet: str(), Total: rng.IntN(100),
	}
	for range rng.IntN(4) {
		p.APIs = append(p.APIs, &apiView{})
		p.Items = append(p.Items, template.HTML("\n<li>"+template.HTMLEscapeString(str())+"</li>"))
	}
	for range rng.IntN(5) {
		g := facetGroup{ID: str(), Legend: str(), Noun: str()}
		for range rng.IntN(4) {
			g.Values = append(g.Values, facetValue{Label: str(), Path: pick("status/beta/", str()), Count: rng.IntN(20000), Current: yes()})
		}
		if yes() {
			g.All, g.AllCount = pick("publisher/", str()), rng.IntN(2000)
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}
