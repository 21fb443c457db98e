package compiler

// The Go form of each configuration file, decoded from its evaluated value
// (see decode.go). Field names follow the CUE schema through json tags. A
// field of type at records the positions of the struct and of its fields in
// the file, so that rules checked in Go report file:line:col.

// at holds the position of a struct (self: its key or list element) and of
// each of its fields' keys.
type at struct {
	self   pos
	fields []fieldPos
}

// fieldPos is the position of a field's key, the field named by its
// number in fieldNames: the table of an at then holds no pointer, which
// matters to the collector, as the model lives through the whole compile.
type fieldPos struct {
	name uint16
	pos  pos
}

// of returns the position of the named field, or of the struct itself when
// the field is absent from the file (defaults).
func (a at) of(name string) pos {
	if id, ok := fieldNames[name]; ok {
		for _, f := range a.fields {
			if f.name == id {
				return f.pos
			}
		}
	}
	return a.self
}

type rateLimit struct {
	Limit int    `json:"limit"`
	Per   string `json:"per"`
}

type contact struct {
	Email string `json:"email"`
	URL   string `json:"url"`
}

// platformFile is frontdoor.cue.
type platformFile struct {
	At       at
	Name     string `json:"name"`
	Operator struct {
		At     at
		Name   string   `json:"name"`
		Owners []string `json:"owners"`
	} `json:"operator"`
	Department struct {
		At     at
		Name   string   `json:"name"`
		Owners []string `json:"owners"`
	} `json:"department"`
	Environments map[string]struct {
		At      at
		BaseURL string `json:"baseURL"`
	} `json:"environments"`
	// Publisher categories, each approved like recipient categories.
	PublisherCategories map[string]policyEntry `json:"publisherCategories"`
	IdentityProviders   map[string]struct {
		At         at
		Issuer     string            `json:"issuer"`
		JWKSURL    string            `json:"jwksURL"`
		Audience   string            `json:"audience"`
		LevelClaim string            `json:"levelClaim"`
		Levels     map[string]string `json:"levels"`
	} `json:"identityProviders"`
	RateLimits struct {
		App rateLimit `json:"app"`
	} `json:"rateLimits"`
	Logs struct {
		RetentionDays          int `json:"retentionDays"`
		AggregateRetentionDays int `json:"aggregateRetentionDays"`
	} `json:"logs"`
	SigningKeys map[string][]string `json:"signingKeys"`
	// Digital onboarding policy (model_onboarding.go).
	RecipientCategories map[string]policyEntry `json:"recipientCategories"`
	Purposes            map[string]policyEntry `json:"purposes"`
}

// onboardingFile is approvals/onboarding/<pub>.cue.
type onboardingFile struct {
	At         at
	ApprovedBy string `json:"approvedBy"`
	Date       string `json:"date"`
	Reference  string `json:"reference"`
	Agreement  struct {
		Reference string `json:"reference"`
		Signed    string `json:"signed"`
	} `json:"agreement"`
}

// launchFile is approvals/launch/<pub>.<api>.cue.
type launchFile struct {
	At        at
	Approvals []launchApproval `json:"approvals"`
}

// launchApproval approves one major version of an API for production.
type launchApproval struct {
	At          at
	ApprovedBy  string `json:"approvedBy"`
	Date        string `json:"date"`
	Reference   string `json:"reference"`
	Major       int    `json:"major"`
	Environment string `json:"environment"`
}

// diagnosisFile is approvals/diagnosis/<pub>.<api>.cue.
type diagnosisFile struct {
	At      at
	Windows []diagnosisWindow `json:"windows"`
}

// diagnosisWindow opens a capture window on an API's traffic.
type diagnosisWindow struct {
	At         at
	ApprovedBy string `json:"approvedBy"`
	Date       string `json:"date"`
	Reference  string `json:"reference"`
	Reason     string `json:"reason"`
	Requester  struct {
		Handle       string `json:"handle"`
		Organisation string `json:"organisation"`
	} `json:"requester"`
	CoApprovedBy  string `json:"coApprovedBy"`
	Environment   string `json:"environment"`
	App           string `json:"app"`
	Start         string `json:"start"`
	End           string `json:"end"`
	CaptureBodies bool   `json:"captureBodies"`
	Recipient     string `json:"recipient"`
	MaxBytes      int64  `json:"maxBytes"`
}

// publisherFile is publishers/<pub>/publisher.cue.
type publisherFile struct {
	At             at
	Name           string   `json:"name"`
	Category       string   `json:"category"`
	ODSCode        string   `json:"odsCode"`
	Website        string   `json:"website"`
	Contact        contact  `json:"contact"`
	LegalBasis     string   `json:"legalBasis"`
	DataController *bool    `json:"dataController"`
	Owners         []string `json:"owners"`
}

// apiEnv is one deployment of an API.
//
// Maps of the model hold structs by pointer: a small map has room for
// eight values whatever its length, and the model lives through the whole
// compile, which the collector traces again and again.
type apiEnv struct {
	At                 at
	Upstream           string `json:"upstream"`
	UpstreamCredential string `json:"upstreamCredential"`
	MutualTLS          bool   `json:"mutualTLS"`
}

// apiFile is publishers/<pub>/apis/<api>.cue.
type apiFile struct {
	At              at
	Title           string             `json:"title"`
	Summary         string             `json:"summary"`
	Description     string             `json:"description"`
	Version         string             `json:"version"`
	Status          string             `json:"status"`
	ServiceLevel    string             `json:"serviceLevel"`
	BasePath        string             `json:"basePath"`
	Environments    map[string]*apiEnv `json:"environments"`
	AccessModes     []string           `json:"accessModes"`
	DataCategories  []string           `json:"dataCategories"`
	PersonalData    bool               `json:"personalData"`
	SpecialCategory bool               `json:"specialCategory"`
	DPIA            string             `json:"dpia"`
	RateLimits      struct {
		Proxy rateLimit  `json:"proxy"`
		App   *rateLimit `json:"app"`
	} `json:"rateLimits"`
	IdentityHeaders struct {
		At         at
		App        string `json:"app"`
		Org        string `json:"org"`
		AccessMode string `json:"accessMode"`
		User       string `json:"user"`
		Level      string `json:"level"`
	} `json:"identityHeaders"`
	Spec       string   `json:"spec"`
	LegalBasis string   `json:"legalBasis"`
	UseCase    string   `json:"useCase"`
	Network    string   `json:"network"`
	WebSocket  bool     `json:"websocket"`
	Contact    *contact `json:"contact"`
	Related    []string `json:"related"`
	Tags       []string `json:"tags"`
	// Requirements of digital onboarding (model_onboarding.go).
	Requirements *requirements `json:"requirements"`
}

// personal reports whether the API carries personal data: special-category
// data is personal data for every rule.
func (a *apiFile) personal() bool { return a.PersonalData || a.SpecialCategory }

// grant is one element of a grants file.
type grant struct {
	At          at
	App         string     `json:"app"`
	API         string     `json:"api"`
	Environment string     `json:"environment"`
	AccessMode  string     `json:"accessMode"`
	RateLimit   *rateLimit `json:"rateLimit"`
	Expires     string     `json:"expires"`
	ApprovedBy  string     `json:"approvedBy"`
	Date        string     `json:"date"`
}

// grantsFile is publishers/<pub>/grants/<org>.cue.
type grantsFile struct {
	At     at
	Grants []grant `json:"grants"`
	// partial is set when the file failed the schema and holds only its
	// fields without problems: they are checked, none is published.
	partial bool
}

// jwk is an inline JWK; private members are kept only as presence (*node)
// so that they can be reported.
type jwk struct {
	At           at
	Environments []string `json:"environments"`
	Kid          string   `json:"kid"`
	Kty          string   `json:"kty"`
	Alg          string   `json:"alg"`
	Use          string   `json:"use"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Crv          string   `json:"crv"`
	X            string   `json:"x"`
	Y            string   `json:"y"`
	D            *node    `json:"d"`
	P            *node    `json:"p"`
	Q            *node    `json:"q"`
	DP           *node    `json:"dp"`
	DQ           *node    `json:"dq"`
	QI           *node    `json:"qi"`
	K            *node    `json:"k"`
}

// apiKey is an app's API key: the hash of its secret and where it is
// accepted.
type apiKey struct {
	At           at
	SHA256       string   `json:"sha256"`
	Expires      string   `json:"expires"`
	Environments []string `json:"environments"`
}

// app is a consumer application.
type app struct {
	At      at
	Name    string             `json:"name"`
	APIKeys map[string]*apiKey `json:"apiKeys"`
	JWKSURL string             `json:"jwksURL"`
	JWKs    []jwk              `json:"jwks"`
	// ClientCertificates are fingerprints of TLS client certificates.
	ClientCertificates map[string]struct {
		At     at
		SHA256 string `json:"sha256"`
	} `json:"clientCertificates"`
	// Declarations of digital onboarding.
	Purposes           []string `json:"purposes"`
	ClinicalSafetyCase string   `json:"clinicalSafetyCase"`
}

// consumerFile is consumers/<org>/consumer.cue.
type consumerFile struct {
	At      at
	Name    string `json:"name"`
	ODSCode string `json:"odsCode"`
	DSPT    string `json:"dspt"`
	Contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"contact"`
	Owners []string       `json:"owners"`
	Apps   map[string]app `json:"apps"`
	// Declarations of digital onboarding.
	RecipientCategory string                     `json:"recipientCategory"`
	Agreements        map[string]signedAgreement `json:"agreements"`
}

// newFileValue returns a pointer to the Go form of a file of kind k.
func newFileValue(k fileKind) any {
	switch k {
	case kindPlatform:
		return new(platformFile)
	case kindOnboarding:
		return new(onboardingFile)
	case kindLaunch:
		return new(launchFile)
	case kindDiagnosis:
		return new(diagnosisFile)
	case kindPublisher:
		return new(publisherFile)
	case kindAPI:
		return new(apiFile)
	case kindGrants:
		return new(grantsFile)
	case kindConsumer:
		return new(consumerFile)
	}
	return nil
}
