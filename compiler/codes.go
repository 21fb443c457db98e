package compiler

import "slices"

// CodeInfo documents one diagnostic code for `frontdoor explain`.
type CodeInfo struct {
	// Code is the stable code, e.g. "FD101".
	Code string `json:"code"`
	// Title is a short name for the problem.
	Title string `json:"title"`
	// Explanation says what the rule is and why it exists.
	Explanation string `json:"explanation"`
	// Fix says how to resolve it.
	Fix string `json:"fix"`
	// Warning is true for codes reported as warnings (they do not make the
	// configuration invalid).
	Warning bool `json:"warning,omitempty"`
}

// Diagnostic codes, by family: FD1xx schema, FD2xx references, FD3xx
// governance (FD32x secrets), FD4xx OpenAPI, FD5xx layout.
const (
	codeSyntax       = "FD100"
	codeUnknownField = "FD101"
	codeWrongType    = "FD102"
	codeMissingField = "FD103"
	codeInvalidValue = "FD104"
	codePackage      = "FD105"
	codeEval         = "FD106"
	codeTooLarge     = "FD107"
	codeOverBudget   = "FD108"
	codeTooComplex   = "FD109"

	codeUnknownPublisher = "FD201"
	codeUnknownAPI       = "FD202"
	codeUnknownConsumer  = "FD203"
	codeUnknownApp       = "FD204"
	codeUnknownEnv       = "FD205"
	codeModeNotOffered   = "FD206"
	codeEnvNotDeployed   = "FD207"
	codeNoIdentityProv   = "FD208"
	codeDuplicateID      = "FD209"

	codeNotOnboardedIdle = "FD300"
	codeNotOnboarded     = "FD301"
	codeNoLegalBasis     = "FD302"
	codeNotController    = "FD303"
	codeBadCategory      = "FD304"
	codeCategoryApproval = "FD305"
	codeNotOperator      = "FD306"
	codeNoLaunch         = "FD307"
	codeDeprecatedGrant  = "FD308"
	codeRetiredGrant     = "FD309"
	codeExpiredGrant     = "FD310"
	codeDSPT             = "FD311"
	codeNoCredential     = "FD312"
	codeBasePath         = "FD313"
	codeOverlap          = "FD314"
	codeNoDPIA           = "FD315"
	codeSpecialExpiry    = "FD316"
	codeDuplicateGrant   = "FD317"
	codeDuplicateLaunch  = "FD318"
	codeSharedCredential = "FD319"
	codeFutureGrant      = "FD320"

	codePlainKey    = "FD321"
	codePrivateJWK  = "FD322"
	codeURLUserinfo = "FD323"
	codePEM         = "FD324"

	codeReservedHeader = "FD330"
	codeGrantApprover  = "FD331"
	codeSelfApproval   = "FD332"

	codeKeyEnv = "FD340"

	codeClientCertFingerprint = "FD350"
	codeSharedClientCert      = "FD351"
	codeNoClientCert          = "FD352"
	codeMutualTLSOpen         = "FD353"

	codeDiagnosisCoApprover = "FD380"
	codeDiagnosisWindow     = "FD381"
	codeDiagnosisExpired    = "FD382"
	codeDiagnosisBodies     = "FD383"
	codeDiagnosisRecipient  = "FD384"

	codeSpecSyntax   = "FD401"
	codeSpecMissing  = "FD402"
	codeSpecRef      = "FD403"
	codeSpecInvalid  = "FD404"
	codeSpecServers  = "FD405"
	codeSpecSecurity = "FD406"
	codeSpecVersion  = "FD407"
	codeSpecNotOAS3  = "FD408"

	codeOutsideLayout = "FD501"
	codeBadFileName   = "FD502"
	codeNoPlatform    = "FD503"
	codeSpecOutside   = "FD504"
	codeNotRegular    = "FD505"
)

// isWarning reports whether code is reported as a warning; it agrees with
// CodeInfo.Warning (TestEveryCodeIsDocumented).
func isWarning(code string) bool {
	switch code {
	case codeNotOnboardedIdle, codeDeprecatedGrant, CodeBadSigningKey, CodeBreakingMajor, CodeSpecUncompared:
		return true
	}
	return false
}

// codeTable is the registry; Codes returns it sorted.
func codeTable() []CodeInfo {
	return []CodeInfo{
		{codeSyntax, "CUE syntax error",
			"The file is not valid CUE, so nothing in it can be checked.",
			"Fix the syntax at the position shown: unbalanced braces or brackets, a missing colon between a field and its value, or an unterminated string are the usual causes. `cue fmt FILE` points at the same place.", false},
		{codeUnknownField, "field not allowed",
			"Every file is checked against a closed definition of the schema (schema/*.cue): a field the definition does not declare is refused, so that typos never pass silently.",
			"Remove the field, or correct its name; the hint names the closest allowed field. `frontdoor explain` and schema/*.cue list every field with its meaning.", false},
		{codeWrongType, "wrong type",
			"The value has a different kind from the one the schema expects (for example a number where a string is required, or a list where a struct is).",
			"Write a value of the expected kind; strings are quoted, lists use [ ], structs use { }.", false},
		{codeMissingField, "missing required field",
			"The schema requires the field and it has no default, so the file is incomplete.",
			"Add the field with a concrete value; the hint says what it must look like.", false},
		{codeInvalidValue, "invalid value",
			"The value has the right kind but violates a constraint of the schema: it is not one of the allowed values, does not match the required pattern, or is out of bounds. An integer beyond the range of 64-bit integers is refused, never saturated.",
			"Use one of the values or the format the hint gives (IDs are lowercase letters, digits and inner hyphens; dates are YYYY-MM-DD).", false},
		{codePackage, "package or import not allowed",
			"Configuration files are plain CUE of package frontdoor (or no package clause). They may import CUE's standard library but nothing else, so that each file can be checked on its own.",
			"Remove the package clause or name it `package frontdoor`; remove imports of non-standard packages.", false},
		{codeEval, "CUE evaluation error",
			"The file is valid syntax but cannot be evaluated: an unresolved reference, a cycle, or an error raised by a builtin.",
			"Keep configuration files as plain data; references may only name fields of the same file or definitions of the schema (such as #RateLimit).", false},
		{codeTooLarge, "file or repository too large",
			"Every file is read with a size limit, so that no file can exhaust the compiler's memory: configuration files (.cue) and OpenAPI documents (with the files they $ref) each have their own limit, and the files of the repository together have one too. The limits are flags of every command that compiles (--max-config-file, --max-spec-file, --max-repository); README.md gives the defaults.",
			"Split the file (grants are one file per consumer organisation), remove what the file does not need, or raise the limit with the flag if the file is legitimately that large.", false},
		{codeOverBudget, "CUE evaluation over its budget",
			"A file that uses CUE beyond plain data is evaluated with a time and a memory budget (--eval-timeout, --eval-memory), so that one file cannot stall or exhaust a compile, a CI run or a gateway's directory source. The message says which budget ran out. The evaluation that ran out cannot be interrupted and finishes in the background; its result is discarded.",
			"Write the file as plain data: expand comprehensions and references by hand, or generate the file with a tool and commit its output.", false},
		{codeTooComplex, "CUE expression too complex",
			"Before a file is evaluated, its syntax is checked for what would take CUE a long time or a lot of memory: comprehensions nested too deeply, list.Range, list.Repeat or strings.Repeat producing too many elements or not written with literal numbers, and references whose expansion (a value used twice, used twice again, and so on) would be too large. Configuration needs none of these.",
			"Write the value out as plain data, or generate the file with a tool and commit its output.", false},

		{codeUnknownPublisher, "unknown publisher",
			"An approval or reference names a publisher that has no publishers/<pub>/publisher.cue.",
			"Correct the publisher ID (it is the directory name under publishers/), or add the publisher first.", false},
		{codeUnknownAPI, "unknown API",
			"A grant, launch approval or related-API reference names an API that does not exist. A grant names an API of its own publisher; launch files are approvals/launch/<pub>.<api>.cue; related APIs are written <pub>/<api>.",
			"Correct the API name (the file name under publishers/<pub>/apis/ without .cue), or add the API.", false},
		{codeUnknownConsumer, "unknown consumer organisation",
			"publishers/<pub>/grants/<org>.cue grants access to the apps of consumer <org>, which must be registered in consumers/<org>/consumer.cue.",
			"Rename the grants file after a registered consumer organisation, or register the organisation first.", false},
		{codeUnknownApp, "unknown app",
			"A grant names an app that the consumer organisation has not registered under apps in its consumer.cue.",
			"Correct the app ID, or ask the consumer to register the app (with its credentials) first.", false},
		{codeUnknownEnv, "unknown environment",
			"An API deployment or grant names an environment the platform does not define in frontdoor.cue.",
			"Use one of the platform's environments (sandbox, integration, production, as frontdoor.cue defines them).", false},
		{codeModeNotOffered, "access mode not offered by the API",
			"A grant gives access in an access mode that the API does not list in accessModes.",
			"Grant one of the API's access modes, or add the mode to the API (and to its OpenAPI security schemes).", false},
		{codeEnvNotDeployed, "API not deployed to the environment",
			"A grant gives access to an environment where the API has no deployment (no environments.<env> entry), so it could never be used.",
			"Grant an environment the API is deployed to, or deploy the API there first.", false},
		{codeNoIdentityProv, "no identity provider for a user-restricted mode",
			"A user-restricted access mode (nhs-cis2-*, nhs-login-*) needs an identity provider in frontdoor.cue whose levels map some claim value to that mode; otherwise no user token could ever satisfy it.",
			"Remove the access mode from the API, or ask the operator to configure an identity provider with that level.", false},
		{codeDuplicateID, "duplicate identifier",
			"Two items that must be unique share an identifier (for example two inline JWKs of one app with the same kid).",
			"Give each item its own identifier, or remove the duplicate.", false},

		{codeNotOnboardedIdle, "publisher not ready to serve traffic",
			"A publisher without an onboarding approval, a legal basis or dataController: true cannot serve traffic. While none of its APIs is deployed to an environment this is only a warning: the publisher and its APIs are left out of the snapshot and the catalogue.",
			"Ask the operator to add approvals/onboarding/<pub>.cue, and state legalBasis and dataController: true in publisher.cue.", true},
		{codeNotOnboarded, "publisher not onboarded",
			"A publisher serves traffic only once the operator has approved its onboarding in approvals/onboarding/<pub>.cue (with the signed platform agreement). This publisher has APIs deployed to environments and no onboarding approval.",
			"Ask the platform operator to add approvals/onboarding/<pub>.cue, or remove the APIs' environments until onboarding is done.", false},
		{codeNoLegalBasis, "no legal basis",
			"A publisher that serves traffic must state its legal basis for processing the data its APIs carry; the catalogue shows it to the public.",
			"Add legalBasis: \"...\" to publishers/<pub>/publisher.cue.", false},
		{codeNotController, "publisher is not the data controller",
			"Third-party publishers are data controllers for what they publish; a publisher that serves traffic must declare dataController: true.",
			"Set dataController: true in publishers/<pub>/publisher.cue once the publisher accepts the controller role in the platform agreement.", false},
		{codeBadCategory, "publisher category not accepted",
			"A publisher's category must be one of the platform's publisherCategories in frontdoor.cue.",
			"Use an accepted category, or ask the operator and the department to add the category to frontdoor.cue.", false},
		{codeCategoryApproval, "category not approved by both operator and department",
			"Adding a publisher category is a significant change: approvedBy.operator must be one of operator.owners and approvedBy.department one of department.owners in frontdoor.cue.",
			"Record the handles of an operator owner and a department owner who approved the category.", false},
		{codeNotOperator, "approval not by an operator owner",
			"Onboarding and launch approvals are the operator's decisions: approvedBy must be one of operator.owners in frontdoor.cue.",
			"Have an operator owner approve, and record their handle in approvedBy.", false},
		{codeDiagnosisCoApprover, "diagnosis window not co-approved by the publisher",
			"A window on an API's live traffic (approvals/diagnosis/<pub>.<api>.cue) is the operator's decision with the publisher's consent: coApprovedBy must be one of the publisher's owners in publishers/<pub>/publisher.cue.",
			"Record the handle of an owner of the publisher who agreed to the window.", false},
		{codeDiagnosisWindow, "diagnosis window too long or backwards",
			"A capture window starts and ends at RFC 3339 times with a time zone, and lasts at most 24 hours, so that a look at live traffic stays short.",
			"Give a start and an end at most 24 hours apart; open another window, with its own approval, if the fault needs more.", false},
		{codeDiagnosisExpired, "expired diagnosis approval",
			"An approval opens a window only if it was given before the window ended and the window starts within 30 days of it: an approval cannot cover traffic already gone, and a stale one must be given again. Past windows stay in the file as the public record; the gateway records nothing outside a window.",
			"Approve the window again (date) before it starts, or remove it.", false},
		{codeDiagnosisBodies, "bodies of special-category data",
			"Request and response bodies of an API that carries special-category data are never recorded; other APIs' bodies only when the window says captureBodies: true.",
			"Set captureBodies: false: headers (credentials removed), statuses and timings are still recorded.", false},
		{codeDiagnosisRecipient, "diagnosis recipient is not an age key",
			"Records are encrypted on the gateway's disk to the operator's age public key (X25519, age1…), so that nobody without the private key can read them.",
			"Put the operator's public key (age-keygen -y KEYFILE) in recipient; never a private key.", false},
		{codeNoLaunch, "production without launch approval",
			"An API reaches production only with the operator's launch approval for that API and major version, in approvals/launch/<pub>.<api>.cue. Sandbox and integration need none.",
			"Ask the operator to approve the launch of this major version, or remove the production environment until then.", false},
		{codeDeprecatedGrant, "grant to a deprecated API",
			"Deprecated APIs accept no new grants. The compiler cannot tell a new grant from an old one, so every grant to a deprecated API is reported as a warning; existing grants keep working until the API is retired. Reviewers (and `frontdoor diff`) refuse grants added after deprecation.",
			"Grant the API's successor instead; remove the grant once the consumer has migrated.", true},
		{codeRetiredGrant, "grant to a retired API",
			"Retired APIs get no routes, so a grant to one can never be used and is refused.",
			"Remove the grant, or grant the API's successor.", false},
		{codeExpiredGrant, "expired grant",
			"A grant whose expires date is before the day of the compile gives no access and is refused, so that stale access is removed from the repository.",
			"Remove the grant, or renew it with a later expiry (and a new approval date).", false},
		{codeDSPT, "consumer does not meet DSPT standards",
			"APIs that carry personal data may be granted only to organisations whose Data Security and Protection Toolkit status is standards-met or standards-exceeded.",
			"Wait until the organisation's DSPT status is standards-met, then update consumers/<org>/consumer.cue.", false},
		{codeNoCredential, "app lacks a credential for the access mode",
			"An app can use a grant only with a credential fit for its access mode: app-level0 needs apiKeys, app-level3 needs jwks or jwksURL.",
			"Ask the consumer to register the credential for the app, or grant another access mode.", false},
		{codeBasePath, "wrong base path",
			"Base paths are namespaced by publisher: an API's base path is always /<pub>/<api>/v<major>. A stated basePath must equal it.",
			"Remove basePath (it is derived), or correct it to the value the message gives.", false},
		{codeOverlap, "overlapping base paths",
			"No API's base path may equal or be a prefix of another API's, or requests could be routed to the wrong API.",
			"Rename one of the APIs.", false},
		{codeNoDPIA, "special-category API without DPIA",
			"APIs that carry special-category data (such as health data) must reference a data protection impact assessment.",
			"Add dpia: \"<reference>\" to the API, after the assessment is done.", false},
		{codeSpecialExpiry, "special-category grant without a short expiry",
			"Grants to special-category APIs must expire at most one year after the grant date, so that access is reviewed yearly.",
			"Set expires to a date no later than one year after the grant's date.", false},
		{codeDuplicateGrant, "duplicate grant",
			"The same (app, API, environment, access mode) is granted twice; one of them would silently win.",
			"Remove one of the grants.", false},
		{codeDuplicateLaunch, "duplicate launch approval",
			"A launch file approves the same major version twice.",
			"Keep one approval per major version.", false},
		{codeSharedCredential, "credential shared by two apps",
			"Each API key and each public signing key belongs to one app: two apps (or one app twice) may never list the same API-key SHA-256 hash, nor two JWKs with the same key material (RSA n and e, EC crv, x and y), whatever their IDs or kids. The hashes are public in git: registering a copy of another app's hash would make the gateway unable to tell the apps apart, so that the key's owner is locked out.",
			"Remove the copied credential; each app registers the hash or public key of a key of its own. The message names where the credential was registered first.", false},
		{codeFutureGrant, "grant dated in the future",
			"A grant's date is the day its publisher approved it; it may not lie after the day of the compile. The one-year limit of special-category grants counts from that date, so a date in the future would stretch it.",
			"Write the day the grant was approved (today or earlier).", false},

		{codePlainKey, "plaintext key where a hash belongs",
			"API keys are secrets and never appear in git: an app lists only the lowercase hex SHA-256 of each key (64 characters). Anything else is treated as a leaked key.",
			"Revoke the key (it is in the git history now), issue a new one, and commit only `printf %s KEY | sha256sum`.", false},
		{codePrivateJWK, "private key material in a JWK",
			"JWKs must be public keys: the members d, p, q, dp, dq, qi, oth (RSA/EC/OKP private parts) and k (symmetric key) are secrets. Any JSON object with kty is checked, wherever it is: an app's inline JWKs, an OpenAPI example, a JSON or YAML file, or JSON written inside a string.",
			"Revoke the key pair, generate a new one, and commit only the public members (kty, kid, n, e or crv, x, y).", false},
		{codeURLUserinfo, "credentials in a URL",
			"No URL in the repository carries a credential: not user information (user:password@ or a token as the user), nor a query or fragment parameter named like one (api_key, apikey, access_token, token, key, secret, password, sig, signature, X-Amz-Signature..., in any case or percent-encoding). Every value that is a URL is checked — upstreams, base URLs, JWKS URLs, websites, OpenAPI servers, externalDocs, contact and licence URLs, OAuth flow URLs — and a URL with a password written in a text. Upstream credentials are named (upstreamCredential) and resolved by the gateway at run time.",
			"Rotate the leaked credential, remove it from the URL and, for an upstream, set upstreamCredential to its name.", false},
		{codePEM, "private key in the repository",
			"A private key appears in a file of the repository — any file, including README, LICENSE, dot-files and files the layout ignores: PEM (-----BEGIN ... PRIVATE KEY-----, encrypted or not, RSA, EC, PKCS #8), OpenSSH, PGP private key blocks, PuTTY key files, or the bare base64 DER of a key. The decoded string values of CUE, YAML and JSON are checked too, so escapes, CUE concatenation and interpolation do not hide a key. Signing keys appear only as public keys.",
			"Revoke the key (it is in the git history now), remove it, and commit the public key (or JWK) instead.", false},
		{codeReservedHeader, "identity header name not allowed",
			"The gateway removes an API's identity headers from every client's request (to any API) and sets them on the API's upstream requests. They may therefore not be hop-by-hop headers (Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-*), headers that frame the message (Content-*, Transfer-Encoding), Host, credentials (Authorization, Cookie, apikey), forwarding headers (Forwarded, X-Forwarded-*, X-Real-IP, Via), the gateway's own (X-Request-ID, X-Frontdoor-* other than the default identity names) or anything but an HTTP token; names are compared without regard to case, underscores read as dashes.",
			"Choose a name of your own, e.g. X-Caller-App, or leave the field out for the default.", false},
		{codeGrantApprover, "grant not approved by an owner of the publisher",
			"A grant is its publisher's decision: approvedBy must be one of the owners in publishers/<pub>/publisher.cue (forge handles compare without regard to case).",
			"Record the handle of the publisher's owner who approved the grant.", false},
		{codeSelfApproval, "grant approved by an owner of the consumer",
			"Nobody may approve access for an organisation they own: a grant's approvedBy must not be one of the owners of the consumer organisation it grants access to, even when that person also owns the publisher.",
			"Have another owner of the publisher, who does not own the consumer, approve the grant.", false},
		{codeKeyEnv, "API key not bound to the grant's environment",
			"Each API key names the environments it is accepted in (environments), so that a key published for the sandbox never opens production. A grant whose access mode needs the app's API key (app-level0, and user-restricted modes where the app names itself with its key) needs a key of that app bound to the grant's environment.",
			"Register a key for that environment on the app in consumers/<org>/consumer.cue (a new key, not the sandbox one), or grant another environment.", false},

		{codeClientCertFingerprint, "malformed client certificate fingerprint",
			"An app registers each TLS client certificate by its SHA-256 fingerprint: 64 lowercase hex digits of the SHA-256 of the certificate's DER bytes. Anything else (a fingerprint with colons or in upper case, a PEM certificate, another digest) matches no certificate, so it is refused. The certificate's private key never goes in the repository.",
			"Write the output of `openssl x509 -in app.crt -outform der | sha256sum` (the 64 hex digits).", false},
		{codeSharedClientCert, "client certificate registered by two apps",
			"A client certificate identifies one app: the gateway checks the certificate against the app that the request's other credential names, so two apps (or one app twice) with one fingerprint cannot be told apart, and a copied fingerprint would let another app's certificate pass. Both registrations are reported.",
			"Each app registers certificates of its own: issue the app a new certificate and register its fingerprint.", false},
		{codeNoClientCert, "app lacks a client certificate for an API requiring mutual TLS",
			"An API declares mutualTLS: true for an environment when consumers must present, on the TLS connection, a client certificate their app registered. A grant in that environment to an app with no clientCertificates could never be used.",
			"Register the fingerprint of the app's client certificate in consumers/<org>/consumer.cue (clientCertificates: <id>: sha256: \"…\").", false},
		{codeMutualTLSOpen, "API requiring mutual TLS accepts open access",
			"Mutual TLS checks the client certificate against the app that the request's credential (API key, access token) identifies. An open request names no app, so an environment that requires mutual TLS cannot admit the open access mode.",
			"Remove open from accessModes, or mutualTLS from the environment.", false},

		{codeSpecSyntax, "OpenAPI syntax error",
			"The OpenAPI document is not valid YAML or JSON, or does not have the structure of an OpenAPI object.",
			"Fix the document at the position shown; a YAML linter helps.", false},
		{codeSpecMissing, "OpenAPI document not found",
			"The API's spec field names a file that does not exist in the API's directory.",
			"Add the document, or correct spec (it is relative to publishers/<pub>/apis/).", false},
		{codeSpecRef, "unresolved $ref in OpenAPI document",
			"A $ref of the OpenAPI document, or of a file it references, points at a file or a fragment that does not exist; each one is reported where it is written. References to other files are resolved relative to the file they are written in, inside the publisher's apis/ directory; URLs are never fetched: a URL whose path or fragment ends with /components/securitySchemes/<access mode>, written as a security scheme (components.securitySchemes.<name>), stands for the platform's scheme of that access mode (the host does not matter), and any other URL is unresolved. A $ref where OpenAPI does not allow one (an operation, a whole map of paths, responses, headers or content, an example's value, a Markdown file as a description) is inlined as bundlers do; if what it names is missing, the message says the document needs bundling there.",
			"Correct the reference, or add the missing file or component; for a URL, copy what it names into the repository and refer to it by a relative path.", false},
		{codeSpecInvalid, "invalid OpenAPI document",
			"The document parses but breaks the OpenAPI specification (for example a path parameter without a definition, or a response without a description).",
			"Fix the document as the message says.", false},
		{codeSpecServers, "servers disagree with the platform",
			"Server URLs in the OpenAPI document, when given, must be real URLs of the API on the platform: an absolute URL is the base URL of one of the platform's environments the API is deployed to (frontdoor.cue, environments.<env>.baseURL: same scheme and host) followed by the API's base path /<pub>/<api>/v<major>; a relative URL ends with the base path. A server on another host (the publisher's own, or a test host) would send readers of the catalogue past the gateway.",
			"Write each server as an environment's base URL followed by the base path, or remove servers (the catalogue adds the platform's).", false},
		{codeSpecSecurity, "security schemes disagree with access modes",
			"The document's security schemes must describe the API's access modes: app-level0 needs an apiKey scheme in header apikey; app-level3 and user-restricted modes need an oauth2, openIdConnect or http bearer scheme. An open-only API must not require security globally.",
			"Add the missing security scheme (or remove the global security requirement of an open API).", false},
		{codeSpecVersion, "OpenAPI version disagrees with the API",
			"info.version of the document must have the same major version as the API's version, which is part of the base path.",
			"Align info.version with the API's version.", false},
		{codeSpecNotOAS3, "not an OpenAPI 3 document",
			"frontdoor reads OpenAPI 3.0 and 3.1 documents (the openapi field). Swagger 2.0 and other formats are not accepted.",
			"Convert the document to OpenAPI 3 (for example with swagger2openapi).", false},

		{codeOutsideLayout, "file outside the layout",
			"Every file of the repository has a place in the layout (frontdoor.cue, approvals/onboarding/<pub>.cue, approvals/launch/<pub>.<api>.cue, publishers/<pub>/publisher.cue, publishers/<pub>/apis/<api>.cue and its OpenAPI files, publishers/<pub>/grants/<org>.cue, consumers/<org>/consumer.cue). README.md, CODEOWNERS, LICENSE files, .github/** and dot-files are allowed anywhere and ignored, and so is whatever the repository's .gitignore files ignore (build output such as out/). Anything else is probably misplaced and would be silently ignored, so it is refused.",
			"Move the file to its place in the layout, or remove it.", false},
		{codeBadFileName, "invalid file name",
			"Identifiers come from file and directory names and must be valid IDs: lowercase letters, digits and inner hyphens, at most 64 characters.",
			"Rename the file or directory, e.g. my-api.cue rather than My_API.cue.", false},
		{codeNoPlatform, "frontdoor.cue missing",
			"The repository root must hold frontdoor.cue, the operator's platform policy.",
			"Add frontdoor.cue at the root of the repository.", false},
		{codeSpecOutside, "spec outside the API's directory",
			"An API's spec and the files it references must live in publishers/<pub>/apis/ of the same publisher.",
			"Move the document into the publisher's apis directory.", false},
		{codeNotRegular, "not a regular file",
			"Only regular files inside the repository are read, and never through a symbolic link, even one that stays inside the repository; a symbolic link (also to an ignored name such as README.yaml or a dot-file, or a directory), a device, a FIFO or a git submodule is refused where it is listed or referenced, and nothing of what it points at is read or shown.",
			"Commit the file itself in its place instead of a link to it; remove devices, FIFOs and submodules from the configuration repository.", false},
	}
}

// Codes returns every diagnostic code, sorted.
func Codes() []CodeInfo {
	t := allCodes()
	slices.SortFunc(t, func(a, b CodeInfo) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	return t
}

// allCodes is every table of the registry.
func allCodes() []CodeInfo {
	return slices.Concat(codeTable(), onboardingCodeTable(), pullRequestCodeTable(), onboardingPullRequestCodeTable())
}

// LookupCode returns the documentation of a code.
func LookupCode(code string) (CodeInfo, bool) {
	for _, c := range allCodes() {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

// Diagnostic codes of the pull-request checks (package review), family
// FD6xx: FD60x authority, FD61x commit signatures, FD62x OpenAPI
// compatibility. They are documented here so that the registry has one home.
const (
	CodeNotOwner          = "FD601"
	CodeSelfGrant         = "FD602"
	CodeNewPublisher      = "FD603"
	CodeOwnersChange      = "FD604"
	CodeCategoryApprovers = "FD605"
	CodeNotOperator       = "FD606"
	CodeDeprecatedGrant   = "FD607"

	CodeUnsigned         = "FD611"
	CodeUntrustedSigner  = "FD612"
	CodeSignerNotOwner   = "FD613"
	CodeBadSigningKey    = "FD614"
	CodeUnverifiableSign = "FD615"

	CodeBreaking       = "FD621"
	CodeBreakingMajor  = "FD622"
	CodeSpecUncompared = "FD623"
	CodeHeadInvalid    = "FD624"

	CodeDiagnosisNotCoApproved = "FD631"
	CodeDiagnosisOver          = "FD632"
)

// pullRequestCodeTable is the FD6xx part of the registry.
func pullRequestCodeTable() []CodeInfo {
	return []CodeInfo{
		{Code: CodeDiagnosisNotCoApproved, Title: "diagnosis window without the publisher's consent in the pull request",
			Explanation: "check-pr: a window added or changed in approvals/diagnosis/<pub>.<api>.cue needs its coApprovedBy owner of the publisher to author or approve the pull request, beside the operator's own authority over approvals/.",
			Fix:         "Ask the publisher's owner named in coApprovedBy to approve the pull request (passed to check-pr with --approver)."},
		{Code: CodeDiagnosisOver, Title: "diagnosis window already over",
			Explanation: "check-pr: a window added or changed in a pull request must not have ended already: it could record nothing, and would only make the public record say a look was approved.",
			Fix:         "Remove the window, or give it a start and end to come."},
		{Code: CodeNotOwner, Title: "change by someone who does not own the path",
			Explanation: "Governance rule 8: a change to a path is valid only from its owners, as they are listed in the base revision (so nobody can add themselves and use it in the same pull request). publishers/<pub>/** belongs to the owners in publishers/<pub>/publisher.cue; consumers/<org>/** to the owners in consumers/<org>/consumer.cue; frontdoor.cue, approvals/** and every other path (CODEOWNERS, .github/**, README.md) to operator.owners in frontdoor.cue.",
			Fix:         "Ask an owner of the path to make the change (or to open the pull request), or split the pull request so that each part comes from its owners."},
		{Code: CodeSelfGrant, Title: "consumer granting itself access",
			Explanation: "Grants live in publishers/<pub>/grants/<org>.cue and belong to the API's publisher, and nobody may approve access for an organisation they own: a change to a grants file is refused when its author, one of the pull request's approving reviewers (--approver), or the approvedBy of a new or changed grant owns the consumer organisation being granted (in the base or head revision, without regard to case), or registers it in the same pull request. Owning the publisher as well does not excuse it.",
			Fix:         "Ask an owner of the publisher who does not own the consumer organisation to grant and approve the access, in a pull request the consumer's owners do not approve."},
		{Code: CodeNewPublisher, Title: "new publisher not created by the operator",
			Explanation: "Publishers join the platform through the operator's onboarding: only the operator's owners may create publishers/<pub>/ for a new publisher. Once the directory exists, the owners its publisher.cue lists own it.",
			Fix:         "Ask the platform operator to onboard the publisher: an operator owner adds publishers/<pub>/publisher.cue (and approvals/onboarding/<pub>.cue)."},
		{Code: CodeOwnersChange, Title: "owners list changed by a non-owner",
			Explanation: "An owners list may be changed only by someone already on it in the base revision (no self-promotion). department.owners in frontdoor.cue also needs an approval by an existing department owner.",
			Fix:         "Ask an existing owner to change the list."},
		{Code: CodeCategoryApprovers, Title: "publisher category lacks its two approvers",
			Explanation: "Adding or changing a publisher category is a significant change approved by both the operator and the department: approvedBy.operator must be one of operator.owners and approvedBy.department one of department.owners in the base revision, they must be different people, and both must have authorised the pull request (as its author or as an approving reviewer passed with --approver).",
			Fix:         "Record both approvers in approvedBy and have the department owner approve the pull request (its review is passed to check-pr as --approver)."},
		{Code: CodeNotOperator, Title: "change reserved to the operator",
			Explanation: "frontdoor.cue (platform policy), approvals/** (onboarding and launch approvals) and repository-wide files (CODEOWNERS, .github/**, README.md) belong to the operator: only operator.owners in the base revision may change them. One exception: anyone may leave CODEOWNERS exactly as `frontdoor codeowners` generates it from the head's owners lists (as `frontdoor new consumer` does), since it then only follows lists whose changes are judged on their own.",
			Fix:         "Ask an operator owner to make the change."},
		{Code: CodeDeprecatedGrant, Title: "new grant to a deprecated API",
			Explanation: "Deprecated APIs accept no new grants (governance rule 4). The compiler only warns about grants to deprecated APIs (FD308), since it cannot tell new ones from old ones; check-pr and diff compare two revisions and refuse each grant (app, API, environment, access mode) that the pull request adds to an API deprecated in its head.",
			Fix:         "Grant the API's successor instead."},

		{Code: CodeUnsigned, Title: "unsigned commit",
			Explanation: "In strict mode every commit of the pull request must carry an OpenPGP or SSH signature by a key listed in frontdoor.cue signingKeys for an owner of what the commit touches.",
			Fix:         "Sign the commits (git commit -S, or git rebase --exec 'git commit --amend --no-edit -S') and push again."},
		{Code: CodeUntrustedSigner, Title: "commit signed by an unknown key",
			Explanation: "The commit's signature does not verify against any key of frontdoor.cue signingKeys in the base revision.",
			Fix:         "Sign with a key listed for your handle in signingKeys, or ask the operator to add your public key first (in its own pull request)."},
		{Code: CodeSignerNotOwner, Title: "commit signer does not own what the commit touches",
			Explanation: "The commit is signed by a trusted key, but the key's owner may not change a path the commit touches.",
			Fix:         "Have an owner of the path make and sign the commit."},
		{Code: CodeBadSigningKey, Title: "unreadable signing key",
			Explanation: "A key in frontdoor.cue signingKeys is neither an armored OpenPGP public key nor an SSH authorized-key line, so it can verify nothing.",
			Fix:         "Replace it with the output of `gpg --armor --export KEYID` or the contents of ~/.ssh/id_ed25519.pub.", Warning: true},
		{Code: CodeUnverifiableSign, Title: "signature cannot be verified",
			Explanation: "The commit carries a signature of a kind frontdoor cannot check (for example X.509/S/MIME).",
			Fix:         "Sign with OpenPGP or SSH."},

		{Code: CodeBreaking, Title: "breaking OpenAPI change without a major version bump",
			Explanation: "Consumers rely on an API's major version (it is part of the base path /<pub>/<api>/v<major>): within one major version, an OpenAPI document may only change compatibly. oasdiff found a change that breaks existing clients (a removed operation, a new required parameter, a narrowed type...). For an API launched in production, removing its document, or adding one that declares no operations (after an earlier pull request removed it), breaks them too. An API that was in development at major version 0 (as frontdoor new api writes it) has no consumers yet: its document may change freely.",
			Fix:         "Make the change compatible (add rather than change or remove), or publish a new major version: a new API version with its own base path, keeping the old one until its consumers have moved."},
		{Code: CodeBreakingMajor, Title: "breaking OpenAPI change with a major version bump",
			Explanation: "The change breaks clients, but the major version was bumped, so the base path changes too: reported for the reviewers' information.",
			Fix:         "Nothing to fix; tell the API's consumers about the new major version.", Warning: true},
		{Code: CodeSpecUncompared, Title: "OpenAPI document could not be compared",
			Explanation: "One side of a changed OpenAPI document could not be loaded, so breaking changes could not be looked for. The compiler reports the document's own errors.",
			Fix:         "Fix the document (see `frontdoor validate`).", Warning: true},
		{Code: CodeHeadInvalid, Title: "configuration does not compile",
			Explanation: "One of the two revisions compared does not compile, so the semantic diff could not be made; its diagnostics follow.",
			Fix:         "Fix the errors shown (`frontdoor validate`)."},
	}
}
