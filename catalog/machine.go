package catalog

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// CatalogueVersion names the format of catalogue.json.
const CatalogueVersion = "frontdoor.catalogue/v1"

// Catalogue is the content of catalogue.json, described by
// schema/catalogue.schema.json.
type Catalogue struct {
	SchemaVersion string               `json:"schemaVersion"`
	Title         string               `json:"title"`
	Platform      CataloguePlatform    `json:"platform"`
	Updated       string               `json:"updated"`
	Commit        string               `json:"commit,omitempty"`
	Publishers    []CataloguePublisher `json:"publishers"`
	APIs          []CatalogueAPI       `json:"apis"`
}

// CataloguePlatform names the platform and its environments.
type CataloguePlatform struct {
	Name         string                 `json:"name"`
	Operator     string                 `json:"operator"`
	Environments []CatalogueEnvironment `json:"environments"`
	// RecipientCategories and Purposes of digital onboarding.
	RecipientCategories []snapshot.PolicyTerm `json:"recipientCategories,omitempty"`
	Purposes            []snapshot.PolicyTerm `json:"purposes,omitempty"`
}

// CatalogueEnvironment is a platform environment.
type CatalogueEnvironment struct {
	Name    string `json:"name"`
	BaseURL string `json:"baseURL"`
}

// CataloguePublisher is a publisher as the catalogue shows it.
type CataloguePublisher struct {
	ID             string             `json:"id"`
	Name           string             `json:"name"`
	URL            string             `json:"url"`
	Category       string             `json:"category"`
	ODSCode        string             `json:"odsCode,omitempty"`
	Website        string             `json:"website,omitempty"`
	Contact        snapshot.Contact   `json:"contact"`
	LegalBasis     string             `json:"legalBasis"`
	DataController bool               `json:"dataController"`
	Agreement      snapshot.Agreement `json:"agreement"`
	Onboarded      string             `json:"onboarded"`
	APIs           []string           `json:"apis"`
}

// CatalogueAPI is an API as the catalogue shows it.
type CatalogueAPI struct {
	ID              string                    `json:"id"`
	Publisher       string                    `json:"publisher"`
	Name            string                    `json:"name"`
	URL             string                    `json:"url"`
	Title           string                    `json:"title"`
	Summary         string                    `json:"summary"`
	Description     string                    `json:"description,omitempty"`
	Version         string                    `json:"version"`
	Status          string                    `json:"status"`
	ServiceLevel    string                    `json:"serviceLevel"`
	BasePath        string                    `json:"basePath"`
	AccessModes     []string                  `json:"accessModes"`
	DataCategories  []string                  `json:"dataCategories"`
	PersonalData    bool                      `json:"personalData"`
	SpecialCategory bool                      `json:"specialCategory"`
	RateLimit       *snapshot.RateLimit       `json:"rateLimit,omitempty"`
	AppRateLimit    *snapshot.RateLimit       `json:"appRateLimit,omitempty"`
	Network         string                    `json:"network"`
	LegalBasis      string                    `json:"legalBasis,omitempty"`
	UseCase         string                    `json:"useCase,omitempty"`
	Contact         snapshot.Contact          `json:"contact"`
	Environments    []CatalogueAPIEnvironment `json:"environments"`
	Related         []string                  `json:"related,omitempty"`
	Tags            []string                  `json:"tags,omitempty"`
	Spec            string                    `json:"spec,omitempty"`
	SpecDigest      string                    `json:"specDigest,omitempty"`
	// Requirements of onboarding, per environment.
	Requirements []snapshot.Requirements `json:"requirements,omitempty"`
	// IntegratedOrganisations are the organisations granted access: names
	// and recipient categories only.
	IntegratedOrganisations []CatalogueOrganisation `json:"integratedOrganisations,omitempty"`
}

// CatalogueOrganisation is a consumer organisation as the catalogue shows
// it: its name and recipient category, nothing else.
type CatalogueOrganisation struct {
	Name              string `json:"name"`
	RecipientCategory string `json:"recipientCategory,omitempty"`
}

// CatalogueAPIEnvironment is an API's deployment to one environment.
type CatalogueAPIEnvironment struct {
	Name    string `json:"name"`
	BaseURL string `json:"baseURL,omitempty"`
	// Launched is the date of the production launch approval.
	Launched string `json:"launched,omitempty"`
}

func (m *model) catalogueJSON() *Catalogue {
	c := &Catalogue{
		SchemaVersion: CatalogueVersion, Title: m.title, Updated: m.updated.Format(time.RFC3339), Commit: m.snap.Commit,
		Platform: CataloguePlatform{Name: m.snap.Platform.Name, Operator: m.snap.Platform.Operator, Environments: []CatalogueEnvironment{},
			RecipientCategories: m.snap.Platform.RecipientCategories, Purposes: m.snap.Platform.Purposes},
		Publishers: []CataloguePublisher{}, APIs: []CatalogueAPI{},
	}
	for _, e := range m.snap.Platform.Environments {
		c.Platform.Environments = append(c.Platform.Environments, CatalogueEnvironment{Name: e.Name, BaseURL: e.BaseURL})
	}
	for _, pv := range m.publishers {
		cp := CataloguePublisher{ID: pv.ID, Name: pv.Name, URL: m.opts.BaseURL + pv.Path, Category: pv.Category, Website: pv.Website, APIs: []string{}}
		if p := pv.p; p != nil {
			cp.ODSCode, cp.LegalBasis, cp.DataController = p.ODSCode, p.LegalBasis, p.DataController
			cp.Contact = snapshot.Contact{Email: pv.Contact.Email, URL: pv.Contact.URL}
			cp.Agreement = p.Agreement
			cp.Onboarded = p.Onboarded.Date
		}
		for _, a := range append(pv.APIs, pv.Retired...) {
			cp.APIs = append(cp.APIs, a.ID)
		}
		c.Publishers = append(c.Publishers, cp)
	}
	for _, av := range m.apis {
		a := av.a
		ca := CatalogueAPI{
			ID: a.ID, Publisher: a.Publisher, Name: a.Name, URL: m.opts.BaseURL + av.Path, Title: av.Title, Summary: a.Summary,
			Description: a.Description, Version: a.Version, Status: a.Status, ServiceLevel: a.ServiceLevel, BasePath: a.BasePath,
			AccessModes: nonNil(a.AccessModes), DataCategories: nonNil(a.DataCategories), PersonalData: a.PersonalData,
			SpecialCategory: a.SpecialCategory, Network: a.Network, LegalBasis: a.LegalBasis, UseCase: a.UseCase,
			Contact: snapshot.Contact{Email: email(a.Contact.Email), URL: webURL(a.Contact.URL)}, Environments: []CatalogueAPIEnvironment{},
			Related: a.Related, Tags: a.Tags, SpecDigest: a.SpecDigest,
			Requirements: a.Requirements, IntegratedOrganisations: m.onboard.organisations(a.ID),
		}
		if !a.RateLimit.IsZero() {
			ca.RateLimit = &a.RateLimit
		}
		if !a.AppRateLimit.IsZero() {
			ca.AppRateLimit = &a.AppRateLimit
		}
		if av.specFile != "" {
			ca.Spec = m.opts.BaseURL + av.specFile
		} else {
			ca.SpecDigest = ""
		}
		for _, e := range av.Envs {
			ce := CatalogueAPIEnvironment{Name: e.Name, BaseURL: e.BaseURL}
			if e.Launch != nil {
				ce.Launched = e.Launch.Date.ISO
			}
			ca.Environments = append(ca.Environments, ce)
		}
		c.APIs = append(c.APIs, ca)
	}
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (b *Builder) putJSON(out sink, name string, v any) error {
	buf := b.getBuffer()
	defer b.putBuffer(buf)
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return out.put(name, buf.Bytes())
}

// Search index: what search.js matches a query against.

type searchIndex struct {
	APIs []searchEntry `json:"apis"`
}

type searchEntry struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// maxSearchText bounds the text indexed per API.
const maxSearchText = 2000

func (m *model) searchIndex() *searchIndex {
	idx := &searchIndex{APIs: []searchEntry{}}
	for _, av := range m.liveAPIs {
		a := av.a
		parts := []string{a.ID, av.Title, a.Summary, av.Publisher.Name, av.Status.Label, a.ServiceLevel, a.Network,
			strings.Join(a.AccessModes, " "), strings.Join(a.Tags, " "), strings.Join(a.DataCategories, " "), plain(a.Description)}
		for _, e := range av.Envs {
			parts = append(parts, e.Name)
		}
		text := strings.ToLower(strings.Join(strings.Fields(strings.Join(parts, " ")), " "))
		if len(text) > maxSearchText {
			text = strings.ToValidUTF8(text[:maxSearchText], "")
		}
		idx.APIs = append(idx.APIs, searchEntry{ID: a.ID, Text: text})
	}
	return idx
}

// Cross-government API metadata (api.gov.uk/v1alpha).

// MetadataVersion is the api-version of the cross-government API metadata
// format.
const MetadataVersion = "api.gov.uk/v1alpha"

// Metadata is the content of api-metadata.json: a bulk metadata response
// listing every API that is not retired.
type Metadata struct {
	APIVersion string        `json:"api-version"`
	APIs       []MetadataAPI `json:"apis"`
}

// MetadataAPI is one API in the api-metadata format.
type MetadataAPI struct {
	APIVersion string       `json:"api-version"`
	Data       MetadataData `json:"data"`
}

// MetadataData describes one API.
type MetadataData struct {
	Name             string `json:"name"`
	Description      string `json:"description"`
	URL              string `json:"url"`
	Contact          string `json:"contact"`
	Organisation     string `json:"organisation"`
	DocumentationURL string `json:"documentation-url"`
}

func (m *model) apiMetadata() *Metadata {
	md := &Metadata{APIVersion: MetadataVersion, APIs: []MetadataAPI{}}
	for _, av := range m.liveAPIs {
		a := av.a
		page := m.opts.BaseURL + av.Path
		d := MetadataData{Name: av.Title, Description: a.Summary, Organisation: av.Publisher.Name, DocumentationURL: httpsOr(page, page)}
		if d.Description == "" {
			d.Description = plain(a.Description)
		}
		if d.Description == "" {
			d.Description = av.Title
		}
		// The API's URL: production if deployed there, else the first environment.
		for _, want := range []string{snapshot.EnvProduction, ""} {
			for _, e := range av.Envs {
				if d.URL == "" && (want == "" || e.Name == want) && strings.HasPrefix(e.BaseURL, "https://") {
					d.URL = e.BaseURL
				}
			}
		}
		d.URL = httpsOr(d.URL, d.DocumentationURL)
		c := contact(a.Contact)
		if c.Empty() {
			c = av.Publisher.Contact
		}
		switch {
		case c.Email != "":
			d.Contact = c.Email
		case c.URL != "":
			d.Contact = c.URL
		default:
			d.Contact = m.opts.BaseURL + av.Publisher.Path
		}
		md.APIs = append(md.APIs, MetadataAPI{APIVersion: MetadataVersion, Data: d})
	}
	return md
}

// httpsOr returns u if it is an https URL, else fallback.
func httpsOr(u, fallback string) string {
	if strings.HasPrefix(u, "https://") {
		return u
	}
	return fallback
}

// Atom feed.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary,omitempty"`
}

func (b *Builder) putFeed(out sink, m *model) error {
	base := m.opts.BaseURL
	f := atomFeed{
		ID: base, Title: m.title, Updated: m.updated.Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "feed.atom"}, {Rel: "alternate", Type: "text/html", Href: base}},
		Author: atomAuthor{Name: cmp.Or(m.snap.Platform.Operator, m.title)},
	}
	host := ""
	if u, err := url.Parse(base); err == nil {
		host = u.Hostname()
	}
	changes := m.opts.Changes
	if len(changes) > MaxFeedEntries {
		changes = changes[:MaxFeedEntries]
	}
	for i, c := range changes {
		link := base
		switch {
		case c.APIID != "" && m.apiByID[c.APIID] != nil:
			link = base + m.apiByID[c.APIID].Path
		case c.PublisherID != "" && m.pubByID[c.PublisherID] != nil:
			link = base + m.pubByID[c.PublisherID].Path
		}
		subject := cmp.Or(c.APIID, c.PublisherID)
		key := c.Commit
		if key == "" {
			key = fmt.Sprintf("entry-%d", i)
		}
		e := atomEntry{
			ID:      fmt.Sprintf("tag:%s,%s:%s/%s", host, c.Date.UTC().Format(time.DateOnly), key, subject),
			Title:   cmp.Or(c.Title, subject+" changed"),
			Updated: c.Date.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: link},
			Summary: c.Summary,
		}
		f.Entries = append(f.Entries, e)
	}
	doc, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding feed.atom: %w", err)
	}
	return out.put("feed.atom", append([]byte(xml.Header), append(doc, '\n')...))
}
