// Package snapshot defines the immutable, content-addressed routing and
// entitlement artefact that the compiler emits and gateways load.
//
// It is the contract between the pipeline's stages (compiler → snapshot →
// runtime and catalog) and imports only the standard library, so that a
// gateway can verify and read a snapshot without CUE.
//
// A Snapshot is built completely, checked with Consistent, encoded once into
// canonical JSON and never mutated afterwards. Its identity is the digest of
// those canonical bytes. Values returned by Decode are safe for concurrent
// readers as long as nobody writes to them.
package snapshot

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchemaVersion names the snapshot format. A gateway refuses any other.
const SchemaVersion = "frontdoor.snapshot/v1"

// Environment names.
const (
	EnvSandbox     = "sandbox"
	EnvIntegration = "integration"
	EnvProduction  = "production"
)

// Access modes (the platform's access levels).
const (
	ModeOpen       = "open"
	ModeAppLevel0  = "app-level0" // API key in the apikey header
	ModeAppLevel3  = "app-level3" // signed-JWT client credentials
	ModeCIS2AAL1   = "nhs-cis2-aal1"
	ModeCIS2AAL3   = "nhs-cis2-aal3"
	ModeNHSLoginP0 = "nhs-login-p0"
	ModeNHSLoginP5 = "nhs-login-p5"
	ModeNHSLoginP9 = "nhs-login-p9"
)

// API statuses.
const (
	StatusInDevelopment = "in-development"
	StatusPrivateBeta   = "private-beta"
	StatusBeta          = "beta"
	StatusStable        = "stable"
	StatusDeprecated    = "deprecated"
	StatusRetired       = "retired"
)

// UserModes lists the user-restricted access modes in a stable order.
var UserModes = []string{ModeCIS2AAL1, ModeCIS2AAL3, ModeNHSLoginP0, ModeNHSLoginP5, ModeNHSLoginP9}

// AccessModes lists every access mode in a stable order.
var AccessModes = append([]string{ModeOpen, ModeAppLevel0, ModeAppLevel3}, UserModes...)

// UserRestricted reports whether mode is a user-restricted access mode, one
// that needs a bearer token from an identity provider.
func UserRestricted(mode string) bool {
	return strings.HasPrefix(mode, "nhs-cis2-") || strings.HasPrefix(mode, "nhs-login-")
}

// UserLevel returns a user-restricted mode's family and its rank within it
// (higher is stronger), or "" for any other mode. This is the one place the
// levels' order is written.
func UserLevel(mode string) (family string, rank int) {
	switch mode {
	case ModeNHSLoginP0:
		return "nhs-login", 0
	case ModeNHSLoginP5:
		return "nhs-login", 5
	case ModeNHSLoginP9:
		return "nhs-login", 9
	case ModeCIS2AAL1:
		return "nhs-cis2", 1
	case ModeCIS2AAL3:
		return "nhs-cis2", 3
	}
	return "", 0
}

// Satisfies reports whether a user authenticated at access mode have may
// use a route or grant demanding mode want. Levels are ordered within a
// family and a higher level satisfies a lower one: nhs-login-p0 <
// nhs-login-p5 < nhs-login-p9, and nhs-cis2-aal1 < nhs-cis2-aal3. Modes of
// different families never satisfy each other; any other mode satisfies
// only itself.
func Satisfies(have, want string) bool {
	if have == want {
		return true
	}
	hf, hr := UserLevel(have)
	wf, wr := UserLevel(want)
	return hf != "" && hf == wf && hr >= wr
}

// Snapshot is the whole compiled platform: policy, publishers, APIs, routes,
// consumers and entitlements. Every list is sorted by its key (see Normalize)
// and every key is unique. It holds no secret: API keys appear only as SHA-256
// hashes, signing keys only as public keys, upstream credentials only by name.
type Snapshot struct {
	// SchemaVersion is always SchemaVersion.
	SchemaVersion string `json:"schemaVersion"`
	// Generation increases with every published snapshot of a platform.
	Generation uint64 `json:"generation"`
	// Commit is the git commit the snapshot was compiled from, if any.
	Commit string `json:"commit,omitempty"`
	// Platform is the operator's policy.
	Platform Platform `json:"platform"`
	// Publishers, sorted by ID.
	Publishers []Publisher `json:"publishers"`
	// APIs, sorted by ID.
	APIs []API `json:"apis"`
	// Routes, sorted by (Environment, BasePath). One per API and environment
	// that may serve traffic.
	Routes []Route `json:"routes"`
	// Consumers, sorted by ID.
	Consumers []Consumer `json:"consumers"`
	// Entitlements, sorted by (App, API, Environment, AccessMode).
	Entitlements []Entitlement `json:"entitlements"`
	// Sections holds, by member name, the digest of each other top-level
	// member's canonical bytes, so that a gateway knows which sections of
	// a new snapshot changed without reading them. Encode computes it
	// (whatever it holds is ignored); Decode reads it.
	Sections map[string]string `json:"sections,omitempty"`
}

// SectionsMember is the top-level member holding the section digests.
const SectionsMember = "sections"

// Platform is the operator-owned policy from frontdoor.cue.
type Platform struct {
	// Name of the platform, e.g. "National Health API Platform".
	Name string `json:"name"`
	// Operator is the display name of the operating organisation.
	Operator string `json:"operator"`
	// Environments, sorted by Name.
	Environments []Environment `json:"environments"`
	// PublisherCategories the platform accepts, sorted.
	PublisherCategories []string `json:"publisherCategories"`
	// IdentityProviders for user-restricted access, sorted by ID.
	IdentityProviders []IdentityProvider `json:"identityProviders"`
	// AppRateLimit is the default per-app limit when an API states none.
	AppRateLimit RateLimit `json:"appRateLimit"`
	// LogRetentionDays is how long access logs are kept.
	LogRetentionDays int `json:"logRetentionDays"`
	// AggregateRetentionDays is how long anonymised daily aggregates are kept.
	AggregateRetentionDays int `json:"aggregateRetentionDays"`
	// RecipientCategories and Purposes of digital onboarding, sorted by ID.
	RecipientCategories []PolicyTerm `json:"recipientCategories,omitempty"`
	Purposes            []PolicyTerm `json:"purposes,omitempty"`
}

// PolicyTerm is a recipient category or a purpose of the platform.
type PolicyTerm struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// Requirements are what an API asks of its consumers in one environment
// (digital onboarding); the compiler refuses grants to those that do not
// meet them.
type Requirements struct {
	// Environment the requirements apply in.
	Environment string `json:"environment"`
	// DSPT is the Data Security and Protection Toolkit status needed at
	// least, if any.
	DSPT string `json:"dspt,omitempty"`
	// Agreements a consumer must have signed, by reference, sorted.
	Agreements []string `json:"agreements,omitempty"`
	// ClinicalSafetyCase is true when each app needs a clinical safety
	// case (the API supports direct care).
	ClinicalSafetyCase bool `json:"clinicalSafetyCase,omitempty"`
	// RecipientCategories served and Purposes allowed, sorted; any when
	// empty.
	RecipientCategories []string `json:"recipientCategories,omitempty"`
	Purposes            []string `json:"purposes,omitempty"`
}

// Environment is one deployment environment of the platform.
type Environment struct {
	// Name is sandbox, integration or production.
	Name string `json:"name"`
	// BaseURL is the public base URL, e.g. https://sandbox.api.example.
	BaseURL string `json:"baseURL"`
	// Host is the host name of BaseURL; the gateway routes by it.
	Host string `json:"host"`
}

// IdentityProvider is an OIDC issuer trusted for user-restricted access.
type IdentityProvider struct {
	// ID, e.g. "nhs-login".
	ID string `json:"id"`
	// Issuer is the exact iss claim.
	Issuer string `json:"issuer"`
	// JWKSURL is where the issuer's public keys are published.
	JWKSURL string `json:"jwksURL"`
	// Audience, when set, must appear in the token's aud claim.
	Audience string `json:"audience,omitempty"`
	// LevelClaim names the claim carrying the assurance level.
	LevelClaim string `json:"levelClaim"`
	// Levels maps a value of LevelClaim to the access mode it satisfies.
	Levels map[string]string `json:"levels"`
}

// RateLimit is a quota of Limit requests per Per (second, minute or hour).
type RateLimit struct {
	Limit int    `json:"limit"`
	Per   string `json:"per"`
}

// IsZero reports whether no limit is set.
func (r RateLimit) IsZero() bool { return r.Limit == 0 && r.Per == "" }

// PerSecond returns the limit as a rate per second.
func (r RateLimit) PerSecond() float64 {
	switch r.Per {
	case "second":
		return float64(r.Limit)
	case "minute":
		return float64(r.Limit) / 60
	case "hour":
		return float64(r.Limit) / 3600
	}
	return 0
}

// String renders the limit as "10/second".
func (r RateLimit) String() string { return fmt.Sprintf("%d/%s", r.Limit, r.Per) }

// Publisher is an onboarded organisation that publishes APIs. Its details are
// public: the catalogue shows them for transparency.
type Publisher struct {
	// ID is the directory name under publishers/.
	ID string `json:"id"`
	// Name is the organisation's name.
	Name string `json:"name"`
	// Category is one of Platform.PublisherCategories.
	Category string `json:"category"`
	// ODSCode is the organisation's ODS code, if it has one.
	ODSCode string `json:"odsCode,omitempty"`
	// Website of the organisation.
	Website string `json:"website,omitempty"`
	// Contact is the public contact route (a team, never a person).
	Contact Contact `json:"contact"`
	// LegalBasis states the publisher's legal basis for processing.
	LegalBasis string `json:"legalBasis"`
	// DataController is true: publishers are controllers of what they publish.
	DataController bool `json:"dataController"`
	// Agreement is the platform agreement the operator recorded at onboarding.
	Agreement Agreement `json:"agreement"`
	// Onboarded is the operator's onboarding approval.
	Onboarded Approval `json:"onboarded"`
}

// Contact is a public contact route.
type Contact struct {
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Agreement is a signed platform agreement.
type Agreement struct {
	Reference string `json:"reference"`
	Signed    string `json:"signed"` // YYYY-MM-DD
}

// Approval records who approved something and when.
type Approval struct {
	By   string `json:"by"`
	Date string `json:"date"` // YYYY-MM-DD
	// Reference is an optional change or ticket reference.
	Reference string `json:"reference,omitempty"`
}

// API is one published API (one major version).
type API struct {
	// ID is "<publisher>/<api>".
	ID string `json:"id"`
	// Publisher is the publisher's ID.
	Publisher string `json:"publisher"`
	// Name is the API's file name under publishers/<pub>/apis/.
	Name string `json:"name"`
	// Title, Summary (one line) and Description (Markdown) are for the catalogue.
	Title       string `json:"title"`
	Summary     string `json:"summary"`
	Description string `json:"description,omitempty"`
	// Version is the semantic version; Major is its major number.
	Version string `json:"version"`
	Major   int    `json:"major"`
	// Status is one of the statuses; retired APIs have no routes.
	Status string `json:"status"`
	// ServiceLevel is bronze, silver, silver-plus, gold or platinum.
	ServiceLevel string `json:"serviceLevel"`
	// BasePath is "/<publisher>/<api>/v<major>".
	BasePath string `json:"basePath"`
	// AccessModes the API accepts, in AccessModes order.
	AccessModes []string `json:"accessModes"`
	// DataCategories carried by the API, sorted.
	DataCategories []string `json:"dataCategories"`
	// PersonalData is true when the API carries personal data; consumers
	// then need DSPT standards met.
	PersonalData bool `json:"personalData"`
	// SpecialCategory is true for special-category (e.g. health) data.
	SpecialCategory bool `json:"specialCategory"`
	// DPIA is the data protection impact assessment reference.
	DPIA string `json:"dpia,omitempty"`
	// RateLimit applies to the whole API (the proxy).
	RateLimit RateLimit `json:"rateLimit"`
	// AppRateLimit is the default per-app limit; grants may override it.
	AppRateLimit RateLimit `json:"appRateLimit"`
	// IdentityHeaders names the headers the gateway sets upstream.
	IdentityHeaders IdentityHeaders `json:"identityHeaders"`
	// Environments the API is deployed to, sorted by Name.
	Environments []APIEnvironment `json:"environments"`
	// Spec is the repository path of the OpenAPI document, if any.
	Spec string `json:"spec,omitempty"`
	// SpecDigest is "sha256:<hex>" of the spec file bytes.
	SpecDigest string `json:"specDigest,omitempty"`
	// LegalBasis and UseCase say who may use the API and why.
	LegalBasis string `json:"legalBasis,omitempty"`
	UseCase    string `json:"useCase,omitempty"`
	// Network is "internet" or "hscn".
	Network string `json:"network"`
	// WebSocket is true when the gateway lets clients upgrade requests to
	// the API to WebSocket; no other upgrade is ever forwarded.
	WebSocket bool `json:"websocket,omitempty"`
	// Contact overrides the publisher's contact for this API.
	Contact Contact `json:"contact"`
	// Related lists related API IDs, sorted.
	Related []string `json:"related,omitempty"`
	// Tags for search, sorted.
	Tags []string `json:"tags,omitempty"`
	// Requirements of onboarding per environment the API is deployed to,
	// sorted by Environment; absent when the API states none.
	Requirements []Requirements `json:"requirements,omitempty"`
	// Diagnosis lists the capture windows opened on the API's traffic,
	// open, future and past, sorted by (Start, Environment, App).
	Diagnosis []Diagnosis `json:"diagnosis,omitempty"`
}

// MaxDiagnosisWindow is the longest capture window.
const MaxDiagnosisWindow = 24 * time.Hour

// Diagnosis is a window in which the gateway records an API's live
// traffic for fault diagnosis, approved by the operator and co-approved by
// an owner of the publisher (approvals/diagnosis/<pub>.<api>.cue).
type Diagnosis struct {
	Approval     Approval `json:"approval"`
	CoApprovedBy string   `json:"coApprovedBy"`
	// Reason is the fault being diagnosed; RequesterOrganisation who asked.
	Reason                string `json:"reason"`
	RequesterOrganisation string `json:"requesterOrganisation"`
	// Environment whose traffic is recorded; App, when set, the only app.
	Environment string `json:"environment"`
	App         string `json:"app,omitempty"`
	// Start and End, RFC 3339 in UTC (second precision).
	Start string `json:"start"`
	End   string `json:"end"`
	// CaptureBodies allows recording bodies (never on special-category
	// APIs).
	CaptureBodies bool `json:"captureBodies,omitempty"`
	// Recipient is the age X25519 public key records are encrypted to.
	Recipient string `json:"recipient"`
	// MaxBytes bounds what the window records.
	MaxBytes int64 `json:"maxBytes"`
}

// Window returns the window's start and end.
func (d *Diagnosis) Window() (start, end time.Time, err error) {
	if start, err = time.Parse(time.RFC3339, d.Start); err != nil {
		return
	}
	end, err = time.Parse(time.RFC3339, d.End)
	return
}

// MutualTLS reports whether a requires mutual TLS in environment env.
func (a *API) MutualTLS(env string) bool {
	for _, e := range a.Environments {
		if e.Name == env {
			return e.MutualTLS
		}
	}
	return false
}

// IdentityHeaders names the headers the gateway sets on upstream requests.
// An empty name means the header is not sent. Clients can never set them.
type IdentityHeaders struct {
	App        string `json:"app,omitempty"`
	Org        string `json:"org,omitempty"`
	AccessMode string `json:"accessMode,omitempty"`
	User       string `json:"user,omitempty"`
	Level      string `json:"level,omitempty"`
}

// Names returns the non-empty header names.
func (h IdentityHeaders) Names() []string {
	var out []string
	for _, n := range []string{h.App, h.Org, h.AccessMode, h.User, h.Level} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// APIEnvironment is an API's deployment to one environment.
type APIEnvironment struct {
	// Name of the environment.
	Name string `json:"name"`
	// Upstream is the backend base URL (no credentials in it).
	Upstream string `json:"upstream"`
	// UpstreamCredential names a credential resolved by the gateway at run
	// time (a file or environment variable), never the credential itself.
	UpstreamCredential string `json:"upstreamCredential,omitempty"`
	// MutualTLS is true when consumers must present a client certificate
	// their app registered (App.ClientCertificates) in this environment.
	MutualTLS bool `json:"mutualTLS,omitempty"`
	// Launch is the operator's launch approval (production only).
	Launch *Approval `json:"launch,omitempty"`
}

// Route sends requests under BasePath in Environment to an API's upstream.
type Route struct {
	Environment string `json:"environment"`
	BasePath    string `json:"basePath"`
	API         string `json:"api"`
	Upstream    string `json:"upstream"`
	// UpstreamCredential is the name of the upstream credential, if any.
	UpstreamCredential string `json:"upstreamCredential,omitempty"`
	// MutualTLS is the API environment's MutualTLS: a request needs a
	// client certificate of the app its other credential identifies.
	MutualTLS bool `json:"mutualTLS,omitempty"`
	// AccessModes accepted on this route.
	AccessModes []string `json:"accessModes"`
}

// Consumer is a consumer organisation with its applications.
type Consumer struct {
	// ID is the directory name under consumers/.
	ID string `json:"id"`
	// Name is the organisation's name.
	Name string `json:"name"`
	// ODSCode of the organisation.
	ODSCode string `json:"odsCode,omitempty"`
	// DSPT is the Data Security and Protection Toolkit status:
	// standards-exceeded, standards-met, approaching-standards or not-met.
	DSPT string `json:"dspt"`
	// RecipientCategory of the organisation, if declared.
	RecipientCategory string `json:"recipientCategory,omitempty"`
	// Apps, sorted by ID.
	Apps []App `json:"apps"`
}

// App is a consumer application and its public credentials.
type App struct {
	// ID is "<org>/<app>".
	ID string `json:"id"`
	// Org is the consumer's ID.
	Org string `json:"org"`
	// Name is the app's display name.
	Name string `json:"name"`
	// APIKeys are SHA-256 hashes of the app's API keys, sorted by ID.
	APIKeys []APIKey `json:"apiKeys,omitempty"`
	// JWKSURL publishes the app's public signing keys.
	JWKSURL string `json:"jwksURL,omitempty"`
	// JWKs are inline public signing keys, sorted by Kid.
	JWKs []JWK `json:"jwks,omitempty"`
	// ClientCertificates are the fingerprints of the app's TLS client
	// certificates, sorted by ID; APIs that require mutual TLS accept
	// only these.
	ClientCertificates []ClientCertificate `json:"clientCertificates,omitempty"`
}

// ClientCertificate is the fingerprint of an app's TLS client certificate.
type ClientCertificate struct {
	ID string `json:"id"`
	// SHA256 is the lowercase hex SHA-256 of the certificate's DER bytes.
	SHA256 string `json:"sha256"`
}

// HasClientCertificate reports whether sha256hex (lowercase hex) is the
// fingerprint of one of a's client certificates.
func (a *App) HasClientCertificate(sha256hex string) bool {
	for _, c := range a.ClientCertificates {
		if c.SHA256 == sha256hex {
			return true
		}
	}
	return false
}

// APIKey is the hash of an API key.
type APIKey struct {
	ID string `json:"id"`
	// SHA256 is the lowercase hex SHA-256 of the key.
	SHA256 string `json:"sha256"`
	// Expires, when set, is the last day the key is accepted (YYYY-MM-DD).
	Expires string `json:"expires,omitempty"`
	// Environments the key is accepted in, sorted; the gateway refuses it
	// on any other environment's host.
	Environments []string `json:"environments"`
}

// JWK is a public JSON Web Key (RSA or EC). Private members never appear.
type JWK struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	// Environments, when set, are the only environments whose token
	// endpoint accepts this key, sorted; every environment when empty.
	Environments []string `json:"environments,omitempty"`
}

// Entitlement is one (app, api, environment, access mode) tuple granted by
// the API's publisher. Entitlements are never expanded per route.
type Entitlement struct {
	App         string `json:"app"`
	API         string `json:"api"`
	Environment string `json:"environment"`
	AccessMode  string `json:"accessMode"`
	// RateLimit overrides the API's per-app default, if set.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// Expires is the last day the grant is valid (YYYY-MM-DD), if any.
	Expires string `json:"expires,omitempty"`
	// GrantedBy is the publisher's ID.
	GrantedBy string `json:"grantedBy"`
	// Approval records the publisher's approver and date.
	Approval Approval `json:"approval"`
}

// Key returns the entitlement's identity as one string.
func (e Entitlement) Key() string {
	return e.App + "|" + e.API + "|" + e.Environment + "|" + e.AccessMode
}

// Normalize sorts every list into its canonical order. The compiler calls it
// once before Encode; it must not be called on a published snapshot.
func (s *Snapshot) Normalize() {
	p := &s.Platform
	slices.SortFunc(p.Environments, func(a, b Environment) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(p.PublisherCategories)
	slices.SortFunc(p.IdentityProviders, func(a, b IdentityProvider) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Publishers, func(a, b Publisher) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(s.APIs, func(a, b API) int { return strings.Compare(a.ID, b.ID) })
	for i := range s.APIs {
		a := &s.APIs[i]
		a.AccessModes = sortModes(a.AccessModes)
		slices.Sort(a.DataCategories)
		slices.Sort(a.Related)
		slices.Sort(a.Tags)
		slices.SortFunc(a.Environments, func(x, y APIEnvironment) int { return strings.Compare(x.Name, y.Name) })
	}
	slices.SortFunc(s.Routes, func(a, b Route) int {
		if c := strings.Compare(a.Environment, b.Environment); c != 0 {
			return c
		}
		return strings.Compare(a.BasePath, b.BasePath)
	})
	for i := range s.Routes {
		s.Routes[i].AccessModes = sortModes(s.Routes[i].AccessModes)
	}
	slices.SortFunc(s.Consumers, func(a, b Consumer) int { return strings.Compare(a.ID, b.ID) })
	for i := range s.Consumers {
		c := &s.Consumers[i]
		slices.SortFunc(c.Apps, func(a, b App) int { return strings.Compare(a.ID, b.ID) })
		for j := range c.Apps {
			app := &c.Apps[j]
			slices.SortFunc(app.APIKeys, func(a, b APIKey) int { return strings.Compare(a.ID, b.ID) })
			slices.SortFunc(app.JWKs, func(a, b JWK) int { return strings.Compare(a.Kid, b.Kid) })
			slices.SortFunc(app.ClientCertificates, func(a, b ClientCertificate) int { return strings.Compare(a.ID, b.ID) })
		}
	}
	slices.SortFunc(s.Entitlements, CompareEntitlements)
}

// CompareEntitlements is the order of a snapshot's entitlements: by app,
// API, environment and access mode.
func CompareEntitlements(a, b Entitlement) int {
	for _, c := range [...]int{
		strings.Compare(a.App, b.App),
		strings.Compare(a.API, b.API),
		strings.Compare(a.Environment, b.Environment),
		strings.Compare(a.AccessMode, b.AccessMode),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// sortModes orders access modes as in AccessModes, unknown ones last.
func sortModes(modes []string) []string {
	rank := func(m string) int {
		if i := slices.Index(AccessModes, m); i >= 0 {
			return i
		}
		return len(AccessModes)
	}
	slices.SortStableFunc(modes, func(a, b string) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return modes
}

// Find helpers. They scan sorted lists with binary search and are safe for
// concurrent use on a published snapshot.

// API returns the API with the given ID.
func (s *Snapshot) API(id string) (*API, bool) {
	i, ok := slices.BinarySearchFunc(s.APIs, id, func(a API, id string) int { return strings.Compare(a.ID, id) })
	if !ok {
		return nil, false
	}
	return &s.APIs[i], true
}

// Publisher returns the publisher with the given ID.
func (s *Snapshot) Publisher(id string) (*Publisher, bool) {
	i, ok := slices.BinarySearchFunc(s.Publishers, id, func(p Publisher, id string) int { return strings.Compare(p.ID, id) })
	if !ok {
		return nil, false
	}
	return &s.Publishers[i], true
}

// Consumer returns the consumer organisation with the given ID.
func (s *Snapshot) Consumer(id string) (*Consumer, bool) {
	i, ok := slices.BinarySearchFunc(s.Consumers, id, func(c Consumer, id string) int { return strings.Compare(c.ID, id) })
	if !ok {
		return nil, false
	}
	return &s.Consumers[i], true
}

// App returns the app with the given ID ("<org>/<app>").
func (s *Snapshot) App(id string) (*App, bool) {
	org, _, ok := strings.Cut(id, "/")
	if !ok {
		return nil, false
	}
	c, ok := s.Consumer(org)
	if !ok {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(c.Apps, id, func(a App, id string) int { return strings.Compare(a.ID, id) })
	if !ok {
		return nil, false
	}
	return &c.Apps[i], true
}

// Environment returns the platform environment with the given name.
func (p *Platform) Environment(name string) (*Environment, bool) {
	for i := range p.Environments {
		if p.Environments[i].Name == name {
			return &p.Environments[i], true
		}
	}
	return nil, false
}
