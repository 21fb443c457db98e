package catalog

import (
	"fmt"
	"html/template"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// model is the catalogue's view of one snapshot: what every page needs,
// computed once. Page data is derived from it concurrently; only notes is
// written to after newModel, under mu.
type model struct {
	snap    *snapshot.Snapshot
	opts    Options
	md      *markdown
	title   string
	updated time.Time

	publishers []*pubView // sorted by ID
	pubByID    map[string]*pubView
	apis       []*apiView // sorted by ID, retired ones included
	apiByID    map[string]*apiView
	liveAPIs   []*apiView  // apis that are not retired
	usage      *usageIndex // nil without Options.Usage
	onboard    onboardingIndex

	mu    sync.Mutex
	notes []string
}

type pubView struct {
	p           *snapshot.Publisher
	ID          string
	Name        string
	Path        string // relative to the root, e.g. "publishers/nhsbsa/"
	Category    string
	APIs        []*apiView // non-retired
	Retired     []*apiView
	Contact     contactView
	Website     string
	Onboarded   dateView
	Agreement   string
	AgreementOn dateView
}

type apiView struct {
	a            *snapshot.API
	ID           string
	Title        string
	Summary      string
	Path         string // relative to the root, e.g. "apis/nhsbsa/exemptions/"
	Publisher    *pubView
	Status       labelled
	ServiceLevel labelled
	Network      labelled
	Modes        []modeInfo
	Envs         []envView
	// MutualTLS: some environment requires a client certificate.
	MutualTLS bool
	Retired   bool

	specFile  string // site path of the spec download, if any
	specBytes []byte
	items     [itemDepths]listItem
}

// labelled is a value with its display label and an explanation.
type labelled struct {
	Value, Label, Explanation string
}

type envView struct {
	Name, Label string
	BaseURL     string
	Launch      *launchView
	// MutualTLS: consumers present their app's registered client
	// certificate in this environment.
	MutualTLS bool
}

type launchView struct {
	Date      dateView
	Reference string
}

type contactView struct {
	Email string
	URL   string
}

func (c contactView) Empty() bool { return c.Email == "" && c.URL == "" }

// dateView is a YYYY-MM-DD date for display.
type dateView struct {
	ISO, Text string
}

func date(s string) dateView {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return dateView{Text: s}
	}
	return dateView{ISO: s, Text: t.Format("2 January 2006")}
}

// modeInfo explains an access mode and its security pattern.
type modeInfo struct {
	ID          string
	Label       string
	Kind        string // application-restricted, user-restricted or open; set by modeDetails
	Pattern     string
	Explanation string
	Credential  string
}

// modes explains every access mode the catalogue describes.
var modes = map[string]modeInfo{
	snapshot.ModeOpen: {Label: "Open access", Pattern: "Open access",
		Explanation: "No authentication or authorisation: anyone can call the API. Such APIs carry no personal or confidential data.",
		Credential:  "none"},
	snapshot.ModeAppLevel0: {Label: "Application-restricted, API key (app-level0)", Pattern: "Application-restricted RESTful API – API key authentication",
		Explanation: "Your application is authenticated, the end user is not. Send your application's API key in the apikey request header; the platform keeps only its SHA-256 hash.",
		Credential:  "API key in the apikey header"},
	snapshot.ModeAppLevel3: {Label: "Application-restricted, signed JWT (app-level3)", Pattern: "Application-restricted RESTful API – signed JWT authentication",
		Explanation: "Your application is authenticated, the end user is not. Your application signs a JWT with its private key (RS512, private_key_jwt client credentials) and exchanges it for a short-lived access token, which it sends as a bearer token. The platform holds only your public key.",
		Credential:  "bearer access token from a signed JWT"},
	snapshot.ModeCIS2AAL1: {Label: "Healthcare worker, NHS CIS2 at AAL1", Pattern: "User-restricted RESTful API – NHS Care Identity Service 2 (CIS2) authentication",
		Explanation: "The end user is a healthcare worker signed in with NHS CIS2 at authentication assurance level 1 (for example a password). Send their CIS2 access token as a bearer token.",
		Credential:  "NHS CIS2 bearer token (AAL1 or higher)"},
	snapshot.ModeCIS2AAL3: {Label: "Healthcare worker, NHS CIS2 at AAL3", Pattern: "User-restricted RESTful API – NHS Care Identity Service 2 (CIS2) authentication",
		Explanation: "The end user is a healthcare worker signed in with NHS CIS2 at authentication assurance level 3: an NHS smartcard or a modern alternative. Send their CIS2 access token as a bearer token.",
		Credential:  "NHS CIS2 bearer token (AAL3)"},
	snapshot.ModeNHSLoginP0: {Label: "Patient, NHS login at P0", Pattern: "User-restricted RESTful API – NHS login authentication",
		Explanation: "The end user is a patient or member of the public signed in with NHS login at identity level P0: a verified email address and phone number, identity not verified.",
		Credential:  "NHS login bearer token (P0 or higher)"},
	snapshot.ModeNHSLoginP5: {Label: "Patient, NHS login at P5", Pattern: "User-restricted RESTful API – NHS login authentication",
		Explanation: "The end user is a patient signed in with NHS login at identity level P5: basic identity verification (name, date of birth and NHS number or postcode).",
		Credential:  "NHS login bearer token (P5 or higher)"},
	snapshot.ModeNHSLoginP9: {Label: "Patient, NHS login at P9", Pattern: "User-restricted RESTful API – NHS login authentication",
		Explanation: "The end user is a patient signed in with NHS login at identity level P9: high identity verification (photo ID and a face check, or a GP surgery's linkage key).",
		Credential:  "NHS login bearer token (P9)"},
}

func modeDetails(mode string) modeInfo {
	m, ok := modes[mode]
	if !ok {
		return modeInfo{ID: mode, Label: mode, Kind: "other", Explanation: "An access mode this catalogue does not describe."}
	}
	m.ID = mode
	switch {
	case mode == snapshot.ModeOpen:
		m.Kind = "open"
	case snapshot.UserRestricted(mode):
		m.Kind = "user-restricted"
	default:
		m.Kind = "application-restricted"
	}
	return m
}

// statusLabels, serviceLevelLabels and networkLabels give the label and
// explanation the catalogue shows for each value it describes.
var statusLabels = map[string]labelled{
	snapshot.StatusInDevelopment: {Label: "In development", Explanation: "The API is being built. It may change without notice and is not for production use."},
	snapshot.StatusPrivateBeta:   {Label: "Private beta", Explanation: "The API is available to a limited set of consumers while it is tested. It may still change."},
	snapshot.StatusBeta:          {Label: "Beta", Explanation: "The API is available to all who are granted access. It may still change; breaking changes are announced."},
	snapshot.StatusStable:        {Label: "Stable", Explanation: "The API is in production and fully supported. Breaking changes come only with a new major version."},
	snapshot.StatusDeprecated:    {Label: "Deprecated", Explanation: "The API still works but will be retired. No new access is granted; existing consumers should move to its replacement."},
	snapshot.StatusRetired:       {Label: "Retired", Explanation: "The API is no longer available."},
}

var statuses = []string{snapshot.StatusInDevelopment, snapshot.StatusPrivateBeta, snapshot.StatusBeta, snapshot.StatusStable, snapshot.StatusDeprecated, snapshot.StatusRetired}

var serviceLevelLabels = map[string]labelled{
	"bronze":      {Label: "Bronze", Explanation: "Supported during office hours (8am to 6pm, Monday to Friday, excluding bank holidays); not for services that patients depend on out of hours."},
	"silver":      {Label: "Silver", Explanation: "Available 24 hours a day; incidents are handled during office hours (8am to 6pm, Monday to Friday, excluding bank holidays)."},
	"silver-plus": {Label: "Silver plus", Explanation: "Available 24 hours a day; incidents are handled during extended hours, including weekends."},
	"gold":        {Label: "Gold", Explanation: "Available and supported 24 hours a day, 365 days a year, for services that patients depend on."},
	"platinum":    {Label: "Platinum", Explanation: "Available and supported 24 hours a day, 365 days a year, with the highest availability, for the most critical services."},
}

var networkLabels = map[string]labelled{
	"internet": {Label: "Internet", Explanation: "The API is available over the internet."},
	"hscn":     {Label: "HSCN", Explanation: "The API is available only over the Health and Social Care Network (HSCN). Your organisation needs an HSCN connection."},
}

// describe returns v with its label and explanation from labels; a value
// labels does not describe is its own label.
func describe(labels map[string]labelled, v string) labelled {
	l, ok := labels[v]
	if !ok {
		l.Label = v
	}
	l.Value = v
	return l
}

var envLabels = map[string]labelled{
	snapshot.EnvSandbox:     {Label: "Sandbox"},
	snapshot.EnvIntegration: {Label: "Integration test"},
	snapshot.EnvProduction:  {Label: "Production"},
}

// webURL returns s if it is an absolute http(s) URL, else "".
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// email returns s if it looks like a plain email address, else "".
func email(s string) string {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>\"'(),:;[]\\?&/=") {
		return ""
	}
	return s
}

func contact(c snapshot.Contact) contactView {
	return contactView{Email: email(c.Email), URL: webURL(c.URL)}
}

func newModel(snap *snapshot.Snapshot, specs map[string][]byte, opts Options, md *markdown) *model {
	m := &model{snap: snap, opts: opts, md: md, pubByID: map[string]*pubView{}, apiByID: map[string]*apiView{}, usage: newUsageIndex(opts.Usage)}
	m.title = opts.Title
	if m.title == "" {
		m.title = strings.TrimSpace(snap.Platform.Name + " API catalogue")
	}
	for i := range snap.Publishers {
		p := &snap.Publishers[i]
		pv := &pubView{
			p: p, ID: p.ID, Name: p.Name, Path: "publishers/" + p.ID + "/", Category: p.Category,
			Contact: contact(p.Contact), Website: webURL(p.Website),
			Onboarded: date(p.Onboarded.Date), Agreement: p.Agreement.Reference, AgreementOn: date(p.Agreement.Signed),
		}
		if pv.Name == "" {
			pv.Name = p.ID
		}
		m.publishers = append(m.publishers, pv)
		m.pubByID[p.ID] = pv
	}
	slices.SortFunc(m.publishers, func(a, b *pubView) int { return strings.Compare(a.ID, b.ID) })
	for i := range snap.APIs {
		a := &snap.APIs[i]
		pv := m.pubByID[a.Publisher]
		if pv == nil { // inconsistent snapshot: show the API anyway
			pv = &pubView{ID: a.Publisher, Name: a.Publisher, Path: "publishers/" + a.Publisher + "/"}
			m.pubByID[a.Publisher] = pv
			m.publishers = append(m.publishers, pv)
		}
		av := &apiView{
			a: a, ID: a.ID, Title: a.Title, Summary: a.Summary, Path: "apis/" + a.ID + "/", Publisher: pv,
			Status: describe(statusLabels, a.Status), ServiceLevel: describe(serviceLevelLabels, a.ServiceLevel), Network: describe(networkLabels, a.Network),
			Retired: a.Status == snapshot.StatusRetired,
		}
		if av.Title == "" {
			av.Title = a.ID
		}
		for _, mode := range a.AccessModes {
			av.Modes = append(av.Modes, modeDetails(mode))
		}
		for _, e := range a.Environments {
			ev := envView{Name: e.Name, Label: describe(envLabels, e.Name).Label, MutualTLS: e.MutualTLS}
			av.MutualTLS = av.MutualTLS || e.MutualTLS
			if pe, ok := snap.Platform.Environment(e.Name); ok {
				ev.BaseURL = strings.TrimSuffix(webURL(pe.BaseURL), "/") + a.BasePath
				if webURL(pe.BaseURL) == "" {
					ev.BaseURL = ""
				}
			}
			if e.Launch != nil {
				ev.Launch = &launchView{Date: date(e.Launch.Date), Reference: e.Launch.Reference}
			}
			av.Envs = append(av.Envs, ev)
		}
		if data, ok := specs[a.ID]; ok && len(data) > 0 {
			ext := strings.ToLower(path.Ext(a.Spec))
			if ext != ".json" && ext != ".yml" {
				ext = ".yaml"
			}
			av.specFile, av.specBytes = av.Path+"openapi"+ext, data
		} else if a.Spec != "" {
			m.note(fmt.Sprintf("%s: the OpenAPI document %s was not provided", a.ID, a.Spec))
		}
		m.apis = append(m.apis, av)
		m.apiByID[a.ID] = av
		if av.Retired {
			pv.Retired = append(pv.Retired, av)
		} else {
			pv.APIs = append(pv.APIs, av)
		}
	}
	slices.SortFunc(m.publishers, func(a, b *pubView) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(m.apis, func(a, b *apiView) int { return strings.Compare(a.ID, b.ID) })
	m.liveAPIs = m.live()
	m.onboard = newOnboardingIndex(snap, opts.Integrated)
	m.updated = m.defaultUpdated()
	return m
}

func (m *model) note(s string) {
	m.mu.Lock()
	m.notes = append(m.notes, s)
	m.mu.Unlock()
}

func (m *model) notices() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.notes)
	slices.Sort(out)
	return out
}

// defaultUpdated is Options.Updated, or else the newest date the input
// carries, so that the same input always gives the same site.
func (m *model) defaultUpdated() time.Time {
	if !m.opts.Updated.IsZero() {
		return m.opts.Updated.UTC()
	}
	var newest time.Time
	consider := func(t time.Time) {
		if t.After(newest) {
			newest = t
		}
	}
	for _, c := range m.opts.Changes {
		consider(c.Date)
	}
	for _, p := range m.snap.Publishers {
		for _, d := range []string{p.Agreement.Signed, p.Onboarded.Date} {
			if t, err := time.Parse(time.DateOnly, d); err == nil {
				consider(t)
			}
		}
	}
	for _, a := range m.snap.APIs {
		for _, e := range a.Environments {
			if e.Launch != nil {
				if t, err := time.Parse(time.DateOnly, e.Launch.Date); err == nil {
					consider(t)
				}
			}
		}
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	return newest.UTC()
}

// pageMeta is what the layout needs on every page.
type pageMeta struct {
	file      string
	Root      string // relative path from the page to the site's root
	Title     string // the page's <title> and h1
	SiteTitle string
	Canonical string
	Section   string // "apis" or "publishers": marks the current site nav item
	Updated   dateView
	Commit    string
	Operator  string
	Search    bool // the page loads search.js
	Usage     bool // the site has usage pages
	Feed      string
}

func (m *model) meta(file, title, section string) pageMeta {
	depth := strings.Count(file, "/")
	root := strings.Repeat("../", depth)
	if root == "" {
		root = "./"
	}
	canon := strings.TrimSuffix(file, "index.html")
	commit := m.snap.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return pageMeta{
		file: file, Root: root, Title: title, SiteTitle: m.title, Canonical: m.opts.BaseURL + canon,
		Section: section, Updated: date(m.updated.Format(time.DateOnly)), Commit: commit,
		Operator: m.snap.Platform.Operator, Feed: m.opts.BaseURL + "feed.atom", Usage: m.usage != nil,
	}
}

// Facets.

type facetGroup struct {
	ID     string // status, publisher, access, environment
	Legend string
	Noun   string // what the values are, plural: "publishers"
	Values []facetValue
	// All is the page of all the group's AllCount values (relative to the
	// root), when list pages show only some of them.
	All      string
	AllCount int

	shown []bool // by value: shown on every list page
}

type facetValue struct {
	Label   string
	Path    string // relative to the root
	Count   int
	Current bool
}

type listPage struct {
	pageMeta
	Heading string
	Lead    string
	Facet   string // "<group>/<value>" of a facet page, "" on the index
	APIs    []*apiView
	Items   template.HTML // the APIs' list entries, one after another
	Groups  []facetGroup
	Total   int
}

func (m *model) facets() []facetGroup {
	live := m.liveAPIs
	var groups []facetGroup
	count := func(pred func(*apiView) bool, from []*apiView) int {
		n := 0
		for _, a := range from {
			if pred(a) {
				n++
			}
		}
		return n
	}
	g := facetGroup{ID: "status", Legend: "Status", Noun: "statuses"}
	for _, s := range statuses {
		if n := count(func(a *apiView) bool { return a.a.Status == s }, m.apis); n > 0 {
			g.Values = append(g.Values, facetValue{Label: describe(statusLabels, s).Label, Path: "status/" + s + "/", Count: n})
		}
	}
	groups = append(groups, g)
	g = facetGroup{ID: "publisher", Legend: "Publisher", Noun: "publishers"}
	for _, p := range m.publishers {
		if len(p.APIs) > 0 {
			g.Values = append(g.Values, facetValue{Label: p.Name, Path: "publisher/" + p.ID + "/", Count: len(p.APIs)})
		}
	}
	groups = append(groups, g)
	g = facetGroup{ID: "access", Legend: "Access mode", Noun: "access modes"}
	modes := slices.Clone(snapshot.AccessModes)
	for _, a := range live {
		for _, mode := range a.a.AccessModes {
			if !slices.Contains(modes, mode) && segment.MatchString(mode) {
				modes = append(modes, mode)
			}
		}
	}
	for _, mode := range modes {
		if n := count(func(a *apiView) bool { return slices.Contains(a.a.AccessModes, mode) }, live); n > 0 {
			g.Values = append(g.Values, facetValue{Label: mode, Path: "access/" + mode + "/", Count: n})
		}
	}
	groups = append(groups, g)
	g = facetGroup{ID: "environment", Legend: "Environment", Noun: "environments"}
	for _, e := range m.snap.Platform.Environments {
		if n := count(func(a *apiView) bool { return a.hasEnv(e.Name) }, live); n > 0 {
			g.Values = append(g.Values, facetValue{Label: describe(envLabels, e.Name).Label, Path: "environment/" + e.Name + "/", Count: n})
		}
	}
	groups = append(groups, g)
	for i := range groups {
		groups[i].limit(m.opts.FacetLimit)
	}
	return groups
}

// limit chooses the values list pages show when the group has more than
// limit: those with the most APIs (the first ones among equals).
func (g *facetGroup) limit(limit int) {
	if limit <= 0 || len(g.Values) <= limit {
		return
	}
	order := make([]int, len(g.Values))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return g.Values[b].Count - g.Values[a].Count })
	g.shown = make([]bool, len(g.Values))
	for _, i := range order[:limit] {
		g.shown[i] = true
	}
	g.All, g.AllCount = g.ID+"/", len(g.Values)
}

// onPage returns the group as the list page of the facet current shows it:
// with the current value marked, and only the chosen values (and the current
// one) if there are too many.
func (g facetGroup) onPage(current string) facetGroup {
	values := make([]facetValue, 0, min(len(g.Values), len(g.shown)+1))
	for i, v := range g.Values {
		v.Current = v.Path == current+"/"
		if g.shown == nil || g.shown[i] || v.Current {
			values = append(values, v)
		}
	}
	g.Values = values
	return g
}

func (a *apiView) hasEnv(name string) bool {
	return slices.ContainsFunc(a.Envs, func(e envView) bool { return e.Name == name })
}

// facetValues returns the values of the group a has, each once.
func (a *apiView) facetValues(group string) []string {
	var vs []string
	switch group {
	case "status":
		return []string{a.a.Status}
	case "publisher":
		return []string{a.Publisher.ID}
	case "access":
		vs = a.a.AccessModes
	case "environment":
		for _, e := range a.Envs {
			vs = append(vs, e.Name)
		}
	}
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// live returns the APIs that are not retired.
func (m *model) live() []*apiView {
	var out []*apiView
	for _, a := range m.apis {
		if !a.Retired {
			out = append(out, a)
		}
	}
	return out
}

// listSpec is what a list page shows, before its page data is made.
type listSpec struct {
	file, title, heading, lead string
	facet                      string // "<group>/<value>", "" on the index
	apis                       []*apiView
}

// listSpecs returns the index and every facet page.
func (m *model) listSpecs(groups []facetGroup) []listSpec {
	live := m.liveAPIs
	specs := []listSpec{{file: "index.html", title: m.title, heading: m.title,
		lead: fmt.Sprintf("%s published on the %s by %s.", count(len(live), "API"), m.snap.Platform.Name, count(countPublishers(live), "publisher")), apis: live}}
	for _, g := range groups {
		from := live
		if g.ID == "status" {
			from = m.apis
		}
		byValue := map[string][]*apiView{}
		for _, a := range from {
			for _, v := range a.facetValues(g.ID) {
				byValue[v] = append(byValue[v], a)
			}
		}
		for _, v := range g.Values {
			value := strings.TrimSuffix(strings.TrimPrefix(v.Path, g.ID+"/"), "/")
			apis := byValue[value]
			var heading string
			switch g.ID {
			case "status":
				heading = v.Label + " APIs"
			case "publisher":
				heading = "APIs published by " + v.Label
			case "access":
				heading = "APIs with access mode " + v.Label
			case "environment":
				heading = "APIs in the " + v.Label + " environment"
			}
			specs = append(specs, listSpec{file: v.Path + "index.html", title: heading + " – " + m.title, heading: heading,
				lead: fmt.Sprintf("%d of %d APIs.", len(apis), len(live)), facet: strings.TrimSuffix(v.Path, "/"), apis: apis})
		}
	}
	return specs
}

// listPage makes the data of a list page.
func (m *model) listPage(s listSpec, groups []facetGroup) *listPage {
	p := &listPage{pageMeta: m.meta(s.file, s.title, "apis"), Heading: s.heading, Lead: s.lead, Facet: s.facet, APIs: s.apis, Total: len(m.liveAPIs)}
	p.Search = true
	for _, g := range groups {
		p.Groups = append(p.Groups, g.onPage(s.facet))
	}
	return p
}

// facetIndexPage lists every value of a group that list pages show only
// some of.
type facetIndexPage struct {
	pageMeta
	Heading string
	Lead    string
	Group   facetGroup
}

func (m *model) facetIndexPage(g facetGroup) *facetIndexPage {
	heading := "Filter APIs by " + strings.ToLower(g.Legend)
	return &facetIndexPage{
		pageMeta: m.meta(g.All+"index.html", heading+" – "+m.title, "apis"),
		Heading:  heading,
		Lead:     fmt.Sprintf("%d %s. Choose one to list its APIs.", len(g.Values), g.Noun),
		Group:    g,
	}
}

func countPublishers(apis []*apiView) int {
	seen := map[string]bool{}
	for _, a := range apis {
		seen[a.Publisher.ID] = true
	}
	return len(seen)
}

// Publisher pages.

type publishersPage struct {
	pageMeta
	Publishers []*pubView
}

func (m *model) publishersPage() *publishersPage {
	return &publishersPage{pageMeta: m.meta("publishers/index.html", "Publishers – "+m.title, "publishers"), Publishers: m.publishers}
}

type publisherPage struct {
	pageMeta
	P              *pubView
	Items          template.HTML // the list entries of P.APIs, one after another
	LegalBasis     string
	DataController bool
	ODSCode        string
	Categories     string
	Usage          []usageEnv
	Diagnosis      []diagView
	// What its APIs serve (onboarding.go).
	Recipients, Purposes     []termView
	AnyRecipient, AnyPurpose bool
}

func (m *model) publisherPage(pv *pubView) *publisherPage {
	p := &publisherPage{pageMeta: m.meta(pv.Path+"index.html", pv.Name+" – "+m.title, "publishers"), P: pv, Usage: m.usage.forPublisher(pv.ID), Diagnosis: m.diagnosisWindows(pv)}
	if pv.p != nil {
		p.LegalBasis, p.DataController, p.ODSCode = pv.p.LegalBasis, pv.p.DataController, pv.p.ODSCode
	}
	p.Recipients, p.Purposes, p.AnyRecipient, p.AnyPurpose = m.onboard.served(pv)
	return p
}

// API pages.

type apiPage struct {
	pageMeta
	A               *apiView
	Version         string
	Description     template.HTML
	LegalBasis      string
	UseCase         string
	DataCategories  []string
	PersonalData    bool
	SpecialCategory bool
	DPIA            string
	UserRestricted  bool
	RateLimit       string
	AppRateLimit    string
	AppRateDefault  bool
	Production      *envView
	Related         []relatedView
	Contact         contactView
	ContactIsAPI    bool
	Spec            template.HTML // the endpoints, rendered from the spec (Builder.endpoints)
	SpecAbout       template.HTML // the spec's info.description
	SpecFile        string        // relative to the page
	SpecDigest      string
	Tags            []string
	Usage           []usageEnv
	// Onboarding requirements and the organisations that use the API
	// (onboarding.go).
	Requirements []reqGroup
	Integrated   []orgView
}

type relatedView struct {
	ID    string
	Title string
	Path  string // relative to the root; "" when the API is unknown
}

func (m *model) apiPage(av *apiView) *apiPage {
	a := av.a
	p := &apiPage{
		pageMeta: m.meta(av.Path+"index.html", av.Title+" – "+m.title, "apis"),
		A:        av, Version: a.Version,
		Description: m.md.render(a.Description, 3),
		LegalBasis:  a.LegalBasis, UseCase: a.UseCase,
		DataCategories: a.DataCategories, PersonalData: a.PersonalData, SpecialCategory: a.SpecialCategory, DPIA: a.DPIA,
		Tags: a.Tags, Usage: m.usage.forAPI(a.ID),
	}
	if p.LegalBasis == "" && av.Publisher.p != nil {
		p.LegalBasis = av.Publisher.p.LegalBasis
	}
	for _, mode := range a.AccessModes {
		if snapshot.UserRestricted(mode) {
			p.UserRestricted = true
		}
	}
	if !a.RateLimit.IsZero() {
		p.RateLimit = rate(a.RateLimit)
	}
	app := a.AppRateLimit
	if app.IsZero() {
		app, p.AppRateDefault = m.snap.Platform.AppRateLimit, true
	}
	if !app.IsZero() {
		p.AppRateLimit = rate(app)
	}
	for i := range av.Envs {
		if av.Envs[i].Name == snapshot.EnvProduction {
			p.Production = &av.Envs[i]
		}
	}
	for _, id := range a.Related {
		if r, ok := m.apiByID[id]; ok {
			p.Related = append(p.Related, relatedView{ID: id, Title: r.Title, Path: r.Path})
		} else {
			p.Related = append(p.Related, relatedView{ID: id, Title: id})
		}
	}
	p.Contact = contact(a.Contact)
	p.ContactIsAPI = !p.Contact.Empty()
	if p.Contact.Empty() {
		p.Contact = av.Publisher.Contact
	}
	if av.specFile != "" {
		p.SpecFile = path.Base(av.specFile)
		p.SpecDigest = a.SpecDigest
	}
	p.Requirements, p.Integrated = m.onboard.requirements(a), m.onboard.integrated(a.ID)
	return p
}

// noteSpec notes why some of av's OpenAPI document is not shown, if it
// is not all shown.
func (m *model) noteSpec(av *apiView, notice string) {
	if notice != "" {
		m.note(fmt.Sprintf("%s: %s", av.ID, notice))
	}
}

// rate renders a limit for people: "10 requests per second".
func rate(r snapshot.RateLimit) string {
	return fmt.Sprintf("%d %s per %s", r.Limit, plural(r.Limit, "request", "requests"), r.Per)
}

// count writes n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
