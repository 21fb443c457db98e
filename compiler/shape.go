package compiler

import (
	"github.com/frontdoor-dev/frontdoor/snapshot"
	"regexp"
	"slices"
	"unicode/utf8"
)

// The fast path of evaluation: nearly every file is plain data, and for
// those a shape (a Go mirror of the schema's definition) checks the parsed
// file and fills in defaults far faster than CUE. A shape only ever
// accepts: anything wrong, or anything it does not model, goes through CUE,
// so diagnostics are always CUE's.
//
// Invariant (TestShapesAgreeWithSchema, TestFastPathAgreesWithCUE,
// FuzzFastPath): a shape accepts a plain-data file only if CUE accepts it,
// and the defaulted node equals CUE's evaluated value.

// Regular expressions of the schema's scalar definitions; compared with the
// schema by TestShapeRegexpsAgreeWithSchema.
const (
	reID           = `^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`
	reHandle       = `^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`
	reDate         = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
	reURL          = `^https?://[^\s]+$`
	reEmail        = `^[^@\s]+@[^@\s]+\.[^@\s]+$`
	reHeaderName   = `^[A-Za-z0-9][A-Za-z0-9-]*$`
	reVersion      = `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`
	reODS          = `^[A-Z0-9]{3,10}$`
	reSpec         = `^[^/].*\.(ya?ml|json)$`
	reBasePath     = `^/`
	reRelated      = `^[a-z0-9-]+/[a-z0-9-]+$`
	reAppRef       = `^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?/[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`
	reDateTime     = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`
	reAgeRecipient = `^age1[02-9ac-hj-np-z]{58}$`
)

type shapeKind uint8

const (
	sAny shapeKind = iota
	sString
	sInt
	sBool
	sStruct
	sList
)

// shape mirrors one CUE constraint.
type shape struct {
	kind shapeKind

	// sString: every condition must hold.
	regexps  []*regexp.Regexp
	enum     []string
	nonEmpty bool
	maxRunes int

	// sInt: inclusive bounds when set.
	min, max *int64

	// sStruct: declared fields, then an optional pattern constraint for
	// any other key (key must satisfy patternKey).
	fields     []shapeField
	patternKey *shape
	pattern    *shape

	// sList: element shape and minimum length.
	elem     *shape
	minElems int

	// def is the default used when the field is absent.
	def *node
}

type shapeField struct {
	name     string
	optional bool
	shape    *shape
}

func (s *shape) fieldShape(name string) (*shapeField, bool) {
	for i := range s.fields {
		if s.fields[i].name == name {
			return &s.fields[i], true
		}
	}
	return nil, false
}

// accept checks n against s and adds defaults for absent fields, in place.
// It reports false at the first problem; n is then garbage.
func (s *shape) accept(n *node) bool {
	switch s.kind {
	case sAny:
		return true
	case sString:
		return n.kind == nString && s.acceptString(n.str)
	case sInt:
		return n.kind == nInt && (s.min == nil || n.num >= *s.min) && (s.max == nil || n.num <= *s.max)
	case sBool:
		return n.kind == nBool
	case sList:
		return n.kind == nList && len(n.elems) >= s.minElems &&
			!slices.ContainsFunc(n.elems, func(e *node) bool { return !s.elem.accept(e) })
	case sStruct:
		return n.kind == nStruct && s.acceptStruct(n)
	}
	return false
}

func (s *shape) acceptString(v string) bool {
	if s.nonEmpty && v == "" {
		return false
	}
	if s.maxRunes > 0 && utf8.RuneCountInString(v) > s.maxRunes {
		return false
	}
	if len(s.enum) > 0 && !slices.Contains(s.enum, v) {
		return false
	}
	for _, re := range s.regexps {
		if !re.MatchString(v) {
			return false
		}
	}
	return true
}

// acceptStruct checks n's fields, then adds the absent regular ones.
func (s *shape) acceptStruct(n *node) bool {
	for i := range n.fields {
		f := &n.fields[i]
		if fs, ok := s.fieldShape(f.name); ok {
			if !fs.shape.accept(f.val) {
				return false
			}
			continue
		}
		if s.pattern == nil || !s.patternKey.acceptString(f.name) || !s.pattern.accept(f.val) {
			return false
		}
	}
	for _, fs := range s.fields {
		if fs.optional || n.field(fs.name) != nil {
			continue
		}
		v, ok := fs.shape.materialize(n.pos)
		if !ok {
			return false
		}
		n.fields = append(n.fields, nfield{name: fs.name, pos: n.pos, val: v})
	}
	return true
}

// materialize returns the value CUE gives an absent regular field: its
// default, an empty list when the list may be empty, a struct of the
// materialized regular fields; false when the field is required.
func (s *shape) materialize(p pos) (*node, bool) {
	if s.def != nil {
		return cloneNode(s.def, p), true
	}
	switch s.kind {
	case sList:
		if s.minElems == 0 {
			return &node{kind: nList, pos: p}, true
		}
	case sStruct:
		n := &node{kind: nStruct, pos: p}
		for _, fs := range s.fields {
			if fs.optional {
				continue
			}
			v, ok := fs.shape.materialize(p)
			if !ok {
				return nil, false
			}
			n.fields = append(n.fields, nfield{name: fs.name, pos: p, val: v})
		}
		return n, true
	}
	return nil, false
}

func cloneNode(n *node, p pos) *node {
	c := &node{kind: n.kind, pos: p, str: n.str, num: n.num, bool: n.bool}
	for _, f := range n.fields {
		c.fields = append(c.fields, nfield{name: f.name, pos: p, val: cloneNode(f.val, p)})
	}
	for _, e := range n.elems {
		c.elems = append(c.elems, cloneNode(e, p))
	}
	return c
}

// shapes holds one shape per file kind. It is built once per compile and
// read concurrently, never written after construction.
type shapes map[fileKind]*shape

// newShapes builds the Go mirror of schema/*.cue.
func newShapes() shapes {
	re := func(expr string) *shape {
		return &shape{kind: sString, regexps: []*regexp.Regexp{regexp.MustCompile(expr)}}
	}
	str := func() *shape { return &shape{kind: sString} }
	nonEmpty := func() *shape { return &shape{kind: sString, nonEmpty: true} }
	enum := func(vals ...string) *shape { return &shape{kind: sString, enum: vals} }
	bounded := func(lo, hi *int64) *shape { return &shape{kind: sInt, min: lo, max: hi} }
	i64 := func(v int64) *int64 { return &v }
	boolean := func() *shape { return &shape{kind: sBool} }
	req := func(name string, s *shape) shapeField { return shapeField{name: name, shape: s} }
	opt := func(name string, s *shape) shapeField { return shapeField{name: name, optional: true, shape: s} }
	obj := func(fields ...shapeField) *shape { return &shape{kind: sStruct, fields: fields} }
	mapOf := func(key, val *shape) *shape { return &shape{kind: sStruct, patternKey: key, pattern: val} }
	listOf := func(elem *shape, min int) *shape { return &shape{kind: sList, elem: elem, minElems: min} }
	withDef := func(s *shape, def *node) *shape { c := *s; c.def = def; return &c }
	strNode := func(s string) *node { return &node{kind: nString, str: s} }

	id, handle, date, url, email, header := re(reID), re(reHandle), re(reDate), re(reURL), re(reEmail), re(reHeaderName)
	accessMode := enum(snapshot.AccessModes...)
	rate := obj(req("limit", bounded(i64(1), nil)), req("per", enum("second", "minute", "hour")))
	contact := obj(opt("email", email), opt("url", url))
	approvalFields := []shapeField{req("approvedBy", handle), req("date", date), opt("reference", nonEmpty())}
	owners := listOf(handle, 1)
	org := obj(req("name", nonEmpty()), req("owners", owners))
	summary := nonEmpty()
	summary.maxRunes = 300

	platform := obj(
		req("name", nonEmpty()),
		req("operator", org),
		req("department", org),
		req("environments", mapOf(enum("sandbox", "integration", "production"), obj(req("baseURL", url)))),
		req("publisherCategories", mapOf(id, obj(
			req("description", nonEmpty()),
			req("approvedBy", obj(req("operator", handle), req("department", handle), req("date", date))),
		))),
		req("identityProviders", mapOf(id, obj(
			req("issuer", url),
			req("jwksURL", url),
			opt("audience", nonEmpty()),
			req("levelClaim", nonEmpty()),
			req("levels", mapOf(str(), enum(snapshot.UserModes...))),
		))),
		req("rateLimits", obj(req("app", withDef(rate, &node{kind: nStruct, fields: []nfield{
			{name: "limit", val: &node{kind: nInt, num: 300}},
			{name: "per", val: strNode("minute")},
		}})))),
		req("logs", obj(
			req("retentionDays", withDef(bounded(i64(1), i64(3650)), &node{kind: nInt, num: 90})),
			req("aggregateRetentionDays", withDef(bounded(i64(1), i64(36500)), &node{kind: nInt, num: 730})),
		)),
		opt("signingKeys", mapOf(handle, listOf(str(), 0))),
		opt("recipientCategories", mapOf(id, policyEntryShape(nonEmpty(), handle, date))),
		opt("purposes", mapOf(id, policyEntryShape(nonEmpty(), handle, date))),
	)
	onboarding := obj(append(slices.Clone(approvalFields),
		req("agreement", obj(req("reference", nonEmpty()), req("signed", date))))...)
	launch := obj(req("approvals", listOf(obj(append(slices.Clone(approvalFields),
		req("major", bounded(i64(0), nil)),
		req("environment", enum("production")))...), 0)))
	diagnosis := obj(req("windows", listOf(obj(append(slices.Clone(approvalFields),
		req("reason", nonEmpty()),
		req("requester", obj(req("handle", handle), req("organisation", nonEmpty()))),
		req("coApprovedBy", handle),
		req("environment", enum("sandbox", "integration", "production")),
		opt("app", re(reAppRef)),
		req("start", re(reDateTime)),
		req("end", re(reDateTime)),
		req("captureBodies", withDef(boolean(), &node{kind: nBool})),
		req("recipient", re(reAgeRecipient)),
		req("maxBytes", withDef(bounded(i64(1024), i64(256<<20)), &node{kind: nInt, num: 16 << 20})))...), 0)))
	publisher := obj(
		req("name", nonEmpty()),
		req("category", id),
		opt("odsCode", re(reODS)),
		opt("website", url),
		req("contact", contact),
		opt("legalBasis", nonEmpty()),
		opt("dataController", boolean()),
		req("owners", owners),
	)
	api := obj(
		req("title", nonEmpty()),
		req("summary", summary),
		opt("description", str()),
		req("version", re(reVersion)),
		req("status", enum("in-development", "private-beta", "beta", "stable", "deprecated", "retired")),
		req("serviceLevel", enum("bronze", "silver", "silver-plus", "gold", "platinum")),
		opt("basePath", re(reBasePath)),
		req("environments", mapOf(id, obj(req("upstream", url), opt("upstreamCredential", id), opt("mutualTLS", boolean())))),
		req("accessModes", listOf(accessMode, 1)),
		req("dataCategories", listOf(id, 0)),
		req("personalData", withDef(boolean(), &node{kind: nBool})),
		req("specialCategory", withDef(boolean(), &node{kind: nBool})),
		opt("dpia", nonEmpty()),
		req("rateLimits", obj(req("proxy", rate), opt("app", rate))),
		req("identityHeaders", obj(
			req("app", withDef(header, strNode("X-Frontdoor-App"))),
			req("org", withDef(header, strNode("X-Frontdoor-Org"))),
			req("accessMode", withDef(header, strNode("X-Frontdoor-Access-Mode"))),
			opt("user", header),
			opt("level", header),
		)),
		opt("spec", re(reSpec)),
		opt("legalBasis", nonEmpty()),
		opt("useCase", nonEmpty()),
		req("network", withDef(enum("internet", "hscn"), strNode("internet"))),
		opt("websocket", boolean()),
		opt("contact", contact),
		opt("related", listOf(re(reRelated), 0)),
		opt("tags", listOf(id, 0)),
		opt("requirements", requirementsShape(id, nonEmpty(), enum, boolean)),
	)
	grants := obj(req("grants", listOf(obj(
		req("app", id),
		req("api", id),
		req("environment", id),
		req("accessMode", accessMode),
		opt("rateLimit", rate),
		opt("expires", date),
		req("approvedBy", handle),
		req("date", date),
	), 0)))
	anything := &shape{kind: sAny}
	jwk := obj(
		req("kid", nonEmpty()),
		req("kty", enum("RSA", "EC")),
		opt("environments", listOf(enum("sandbox", "integration", "production"), 1)),
		opt("alg", enum("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")),
		opt("use", enum("sig")),
		opt("n", str()), opt("e", str()),
		opt("crv", enum("P-256", "P-384", "P-521")),
		opt("x", str()), opt("y", str()),
		opt("d", anything), opt("p", anything), opt("q", anything),
		opt("dp", anything), opt("dq", anything), opt("qi", anything), opt("oth", anything), opt("k", anything),
	)
	consumer := obj(
		req("name", nonEmpty()),
		opt("odsCode", re(reODS)),
		req("dspt", enum("standards-exceeded", "standards-met", "approaching-standards", "not-met")),
		req("contact", obj(req("name", nonEmpty()), req("email", email))),
		req("owners", owners),
		req("apps", mapOf(id, obj(
			req("name", nonEmpty()),
			opt("apiKeys", mapOf(id, obj(req("sha256", str()), opt("expires", date),
				req("environments", listOf(enum("sandbox", "integration", "production"), 1))))),
			opt("jwksURL", url),
			opt("jwks", listOf(jwk, 0)),
			opt("clientCertificates", mapOf(id, obj(req("sha256", str())))),
			opt("purposes", listOf(id, 0)),
			opt("clinicalSafetyCase", nonEmpty()),
		))),
		opt("recipientCategory", id),
		opt("agreements", mapOf(nonEmpty(), obj(req("signed", date)))),
	)
	return shapes{
		kindPlatform:   platform,
		kindOnboarding: onboarding,
		kindLaunch:     launch,
		kindDiagnosis:  diagnosis,
		kindPublisher:  publisher,
		kindAPI:        api,
		kindGrants:     grants,
		kindConsumer:   consumer,
	}
}

// at returns the shape at a path of field names (list indices and pattern
// keys step into elements and patterns), or nil.
func (s *shape) at(path []string) *shape {
	for _, p := range path {
		if s == nil {
			return nil
		}
		switch s.kind {
		case sList:
			s = s.elem
		case sStruct:
			if f, ok := s.fieldShape(p); ok {
				s = f.shape
			} else {
				s = s.pattern
			}
		default:
			return nil
		}
	}
	return s
}
