package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The renderers write CUE and YAML text directly: the shapes are fixed, and
// building values to format them would be slower.

// baseModulus is the base64url RSA modulus of a 2048-bit public key (its
// private half was discarded).
const baseModulus = "rQm3mDO04oogo2sjz8OdJEew2bBqHfT-J5c1kMU7ngmD3J1DRg_ZQBOhAyNeIvpodmSOHUJoGp9N87oEoo3YJabl3cZPbhKbrSYL0dgTzz55DhEfw-x0YK8tXWr5-u3wAt2WPkPL1FNnUxFjK1C-9JOIeOYxYWG8uQlQbXsDFFwe37yJPxtDuZai0CITVHby2jzA3J3KfK_-LxOn6LOIxDsaOCxznbmxJ_MLIXFhmZbJgmINoEh4uNUKnTPZ45Ze7QbP6vZ9opsdqIX9GfiDXZPepECBAkKKzG3N66YDJ6uNmFQtbyODlTj2MthXPFuw6f_29phS_moaKerBdIxPxw"

// inlineModulus returns the modulus of the inline JWK of app id: baseModulus
// with its last 8 bytes replaced by a hash of id, so that no two apps share
// a public key (the compiler refuses that). The keys only need to be well
// formed: nothing is signed with them.
func inlineModulus(id string) string {
	n, err := base64.RawURLEncoding.DecodeString(baseModulus)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256([]byte(id))
	copy(n[len(n)-8:], sum[:8])
	return base64.RawURLEncoding.EncodeToString(n)
}

// envURL returns the public base URL of an environment of the corpus
// platform.
func envURL(env string) string {
	switch env {
	case "sandbox":
		return "https://sandbox.api.corpus.example"
	case "integration":
		return "https://int.api.corpus.example"
	}
	return "https://api.corpus.example"
}

func q(s string) string { return strconv.Quote(s) }

func date(t time.Time) string { return t.Format(time.DateOnly) }

func platformCUE(p *platform) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Platform policy of a generated corpus: %s.
name: "Corpus Health API Platform"
operator: {
	name: "Corpus Platform Operator"
	owners: ["corpus-operator", "corpus-governance"]
}
department: {
	name: "Department of Corpus Health"
	owners: ["corpus-department"]
}
environments: {
`, p.size)
	for _, e := range envNames {
		fmt.Fprintf(&b, "\t%s: baseURL: %q\n", e, envURL(e))
	}
	b.WriteString("}\npublisherCategories: {\n")
	for _, c := range categories {
		fmt.Fprintf(&b, "\t%q: {\n\t\tdescription: %q\n\t\tapprovedBy: {operator: \"corpus-operator\", department: \"corpus-department\", date: \"2026-01-02\"}\n\t}\n",
			c, "Publishers of the "+c+" kind.")
	}
	b.WriteString(`}
identityProviders: {
	"nhs-cis2": {
		issuer:     "https://cis2.auth.corpus.example/realms/Healthcare"
		jwksURL:    "https://cis2.auth.corpus.example/realms/Healthcare/jwks"
		levelClaim: "authentication_assurance_level"
		levels: {"1": "nhs-cis2-aal1", "3": "nhs-cis2-aal3"}
	}
	"nhs-login": {
		issuer:     "https://auth.login.corpus.example"
		jwksURL:    "https://auth.login.corpus.example/.well-known/jwks.json"
		levelClaim: "identity_proofing_level"
		levels: {P0: "nhs-login-p0", P5: "nhs-login-p5", P9: "nhs-login-p9"}
	}
}
rateLimits: app: {limit: 300, per: "minute"}
logs: {
	retentionDays:          90
	aggregateRetentionDays: 730
}
`)
	return b.Bytes()
}

func publisherCUE(pub *publisher) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `name:     %s
category: %q
website:  "https://www.%s.example"
contact: email: "api@%s.example"
legalBasis:     "UK GDPR Article 6(1)(e): a task carried out in the public interest."
dataController: true
owners: [%q, %q]
`, q(pub.name), pub.category, pub.id, pub.id, pub.owners[0], pub.owners[1])
	return b.Bytes()
}

func onboardingCUE(pub *publisher) []byte {
	return fmt.Appendf(nil, `approvedBy: "corpus-governance"
date:       %q
agreement: {
	reference: "CPA-%s"
	signed:    %q
}
`, date(pub.onboarded), pub.id, date(pub.onboarded.AddDate(0, 0, -3)))
}

func launchCUE(a *api) []byte {
	return fmt.Appendf(nil, `approvals: [{
	major:       %d
	environment: "production"
	approvedBy:  "corpus-operator"
	date:        %q
}]
`, a.major, date(a.launchDate))
}

func apiCUE(a *api) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `title:   %s
summary: %s
description: """
	## Overview

	The %s of %s. Generated for scale tests.

	- status: **%s**
	- service level: %s
	"""
version:      %q
status:       %q
serviceLevel: %q
environments: {
`, q(a.title), q(a.title+" of "+a.pub.name+"."), a.title, a.pub.name, a.status, a.level, a.version, a.status, a.level)
	for _, e := range a.envs {
		fmt.Fprintf(&b, "\t%s: upstream: \"https://%s.internal.example/%s/%s\"\n", e, a.pub.id, a.name, e)
	}
	b.WriteString("}\naccessModes: [")
	for i, m := range a.modes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(m))
	}
	b.WriteString("]\ndataCategories: [")
	for i, c := range a.categories {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(c))
	}
	b.WriteString("]\n")
	if a.personal {
		b.WriteString("personalData: true\n")
	}
	if a.special {
		fmt.Fprintf(&b, "specialCategory: true\ndpia: \"DPIA-%s-%s\"\n", a.pub.id, a.name)
	}
	fmt.Fprintf(&b, "rateLimits: {\n\tproxy: {limit: %d, per: %q}\n", a.proxy.limit, a.proxy.per)
	if a.app != nil {
		fmt.Fprintf(&b, "\tapp: {limit: %d, per: %q}\n", a.app.limit, a.app.per)
	}
	b.WriteString("}\n")
	if userRestricted(a.modes) {
		b.WriteString("identityHeaders: {\n\tuser:  \"X-Frontdoor-User\"\n\tlevel: \"X-Frontdoor-Level\"\n}\n")
	}
	fmt.Fprintf(&b, "tags: [%q, \"corpus\"]\n", a.pub.category)
	return b.Bytes()
}

// userRestricted reports whether one of modes needs a user's token.
func userRestricted(modes []string) bool {
	return slices.ContainsFunc(modes, func(m string) bool { return strings.HasPrefix(m, "nhs-") })
}

func consumerCUE(o *org) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `name: %s
dspt: %q
contact: {
	name:  "Corpus Contact %s"
	email: "contact@%s.example"
}
owners: [%q]
apps: {
`, q(o.name), o.dspt, o.id, o.id, o.owner)
	for i := range o.apps {
		a := &o.apps[i]
		fmt.Fprintf(&b, "\t%q: {\n\t\tname: %s\n\t\tapiKeys: \"key-1\": {sha256: %q, environments: [\"sandbox\", \"integration\", \"production\"]}\n", a.id, q(a.name), a.keyHash)
		if a.inline {
			fmt.Fprintf(&b, "\t\tjwks: [{kid: %q, kty: \"RSA\", alg: \"RS512\", use: \"sig\", n: %q, e: \"AQAB\"}]\n",
				o.id+"-"+a.id, inlineModulus(o.id+"/"+a.id))
		}
		if a.jwksURL != "" {
			fmt.Fprintf(&b, "\t\tjwksURL: %q\n", a.jwksURL)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func grantsCUE(gf grantFile) []byte {
	var b bytes.Buffer
	b.WriteString("grants: [\n")
	for _, g := range gf.grants {
		fmt.Fprintf(&b, "\t{app: %q, api: %q, environment: %q, accessMode: %q, approvedBy: %q, date: %q",
			g.app.id, g.api.name, g.env, g.mode, g.approver, date(g.date))
		if !g.expires.IsZero() {
			fmt.Fprintf(&b, ", expires: %q", date(g.expires))
		}
		if g.rate != nil {
			fmt.Fprintf(&b, ", rateLimit: {limit: %d, per: %q}", g.rate.limit, g.rate.per)
		}
		b.WriteString("},\n")
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// specYAML is a small valid OpenAPI 3.0.3 document agreeing with the API:
// its version, its base path on each environment's host, and security
// schemes matching its access modes.
func specYAML(a *api) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `openapi: 3.0.3
info:
  title: %s
  version: %s
  description: Generated corpus API of %s.
servers:
`, q(a.title), a.version, q(a.pub.name))
	for _, e := range a.envs {
		fmt.Fprintf(&b, "  - url: %s/%s/%s/v%d\n", envURL(e), a.pub.id, a.name, a.major)
	}
	var schemes []string
	for _, m := range a.modes {
		switch {
		case m == "app-level0":
			schemes = append(schemes, "apiKey")
		case m == "app-level3":
			schemes = append(schemes, "signedJWT")
		case userRestricted([]string{m}) && !slices.Contains(schemes, "userBearer"):
			schemes = append(schemes, "userBearer")
		}
	}
	if len(schemes) == 0 || slices.Contains(a.modes, "open") {
		b.WriteString("security: []\n")
	} else {
		b.WriteString("security:\n")
		for _, s := range schemes {
			fmt.Fprintf(&b, "  - %s: []\n", s)
		}
	}
	b.WriteString(`paths:
  /items:
    get:
      operationId: list-items
      summary: List items
      parameters:
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 100, default: 20}
      responses:
        '200':
          description: A page of items.
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Item'}
  /items/{id}:
    get:
      operationId: get-item
      summary: Get an item
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string}
      responses:
        '200':
          description: The item.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Item'}
        '404':
          description: Not found.
components:
`)
	if len(schemes) > 0 {
		b.WriteString("  securitySchemes:\n")
		for _, s := range schemes {
			switch s {
			case "apiKey":
				b.WriteString("    apiKey: {type: apiKey, in: header, name: apikey}\n")
			case "signedJWT":
				b.WriteString("    signedJWT:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: https://api.corpus.example/oauth2/token\n          scopes: {}\n")
			case "userBearer":
				b.WriteString("    userBearer: {type: http, scheme: bearer, bearerFormat: JWT}\n")
			}
		}
	}
	b.WriteString(`  schemas:
    Item:
      type: object
      required: [id]
      properties:
        id: {type: string, example: item-1}
        updated: {type: string, format: date-time}
`)
	return b.Bytes()
}
