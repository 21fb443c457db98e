package oasref

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// builtinSchemes are the platform's security schemes, one per access mode
// that needs one, as a publisher's document may refer to them by URL
// (…/components/securitySchemes/<mode>): what the gateway checks for the
// mode, written as OpenAPI.
var builtinSchemes = func() map[string]map[string]any {
	m := map[string]map[string]any{
		snapshot.ModeAppLevel0: {"type": "apiKey", "in": "header", "name": "apikey",
			"description": "Application-restricted access (app-level0): the app's API key in the apikey header."},
		snapshot.ModeAppLevel3: {"type": "oauth2",
			"description": "Application-restricted access (app-level3): the app signs a JWT with its private key (private_key_jwt, RS512) and exchanges it for an access token at /oauth2/token on the environment's host.",
			"flows":       map[string]any{"clientCredentials": map[string]any{"tokenUrl": "/oauth2/token", "scopes": map[string]any{}}}},
	}
	for _, mode := range snapshot.UserModes {
		m[mode] = map[string]any{"type": "http", "scheme": "bearer",
			"description": "User-restricted access (" + mode + "): an access token of the platform's identity provider for a user authenticated at " + mode + " or a stronger level of the same family."}
	}
	return m
}()

// BuiltinSchemeRef is how a document refers to one of the platform's
// security schemes, for messages.
const BuiltinSchemeRef = "https://<any host>/components/securitySchemes/<access mode>"

// builtinScheme returns the platform's security scheme a remote
// reference names (a URL whose path or fragment ends with
// /components/securitySchemes/<access mode>), positioned at the
// reference, or nil. Nothing is fetched: the scheme is known by its name.
func builtinScheme(ref *yaml.Node) *yaml.Node {
	u, err := url.Parse(ref.Value)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil
	}
	p := u.Path
	if u.Fragment != "" {
		p = u.Fragment
	}
	const dir = "/components/securitySchemes/"
	i := strings.LastIndex(p, dir)
	if i < 0 {
		return nil
	}
	def, ok := builtinSchemes[p[i+len(dir):]]
	if !ok {
		return nil
	}
	n := new(yaml.Node)
	if err := n.Encode(def); err != nil {
		return nil
	}
	var at func(n *yaml.Node)
	at = func(n *yaml.Node) {
		n.Line, n.Column = ref.Line, ref.Column
		for _, c := range n.Content {
			at(c)
		}
	}
	at(n)
	return n
}

// platformSchemes declares, in doc's components, the platform's scheme of
// each access mode a security requirement names but the document does
// not declare: the platform owns those names, as it does when a document
// refers to them by URL (documents built per environment often declare
// only the schemes of the environment they were built for).
func platformSchemes(doc *openapi3.T) {
	declare := func(reqs openapi3.SecurityRequirements) {
		for _, req := range reqs {
			for name := range req {
				if doc.Components != nil && doc.Components.SecuritySchemes[name] != nil {
					continue
				}
				def, ok := builtinSchemes[name]
				if !ok {
					continue
				}
				var s openapi3.SecurityScheme
				b, err := json.Marshal(def)
				if err != nil || s.UnmarshalJSON(b) != nil {
					continue
				}
				if doc.Components == nil {
					doc.Components = &openapi3.Components{}
				}
				if doc.Components.SecuritySchemes == nil {
					doc.Components.SecuritySchemes = openapi3.SecuritySchemes{}
				}
				doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{Value: &s}
			}
		}
	}
	declare(doc.Security)
	if doc.Paths == nil {
		return
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Security != nil {
				declare(*op.Security)
			}
		}
	}
}
