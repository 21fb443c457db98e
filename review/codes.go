package review

import (
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// Diagnostic codes of the pull-request checks, family FD6xx: FD60x authority,
// FD61x commit signatures, FD62x OpenAPI compatibility. They extend the
// compiler's registry (FD1xx–FD5xx); Codes returns both.
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
)

// reviewCodes is this package's part of the registry.
func reviewCodes() []compiler.CodeInfo {
	return []compiler.CodeInfo{
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
			Explanation: "frontdoor.cue (platform policy), approvals/** (onboarding and launch approvals) and repository-wide files (CODEOWNERS, .github/**, README.md) belong to the operator: only operator.owners in the base revision may change them.",
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
			Explanation: "Consumers rely on an API's major version (it is part of the base path /<pub>/<api>/v<major>): within one major version, an OpenAPI document may only change compatibly. oasdiff found a change that breaks existing clients (a removed operation, a new required parameter, a narrowed type...). For an API launched in production, removing its document, or adding one that declares no operations (after an earlier pull request removed it), breaks them too.",
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

// Codes returns every diagnostic code, the compiler's and the pull-request
// checks', sorted.
func Codes() []compiler.CodeInfo {
	all := append(compiler.Codes(), reviewCodes()...)
	slices.SortFunc(all, func(a, b compiler.CodeInfo) int { return strings.Compare(a.Code, b.Code) })
	return all
}

// LookupCode returns the documentation of a code of either registry.
func LookupCode(code string) (compiler.CodeInfo, bool) {
	if ci, ok := compiler.LookupCode(code); ok {
		return ci, true
	}
	for _, ci := range reviewCodes() {
		if ci.Code == code {
			return ci, true
		}
	}
	return compiler.CodeInfo{}, false
}

// severity returns the severity of a code of this package.
func severity(code string) compiler.Severity {
	if ci, ok := LookupCode(code); ok && ci.Warning {
		return compiler.SeverityWarning
	}
	return compiler.SeverityError
}

// diag builds a diagnostic of this package; line and col below 1 mean the
// start of the file.
func diag(file string, line, col int, code, msg, hint string) compiler.Diagnostic {
	if line < 1 {
		line, col = 1, 1
	}
	if col < 1 {
		col = 1
	}
	return compiler.Diagnostic{File: file, Line: line, Col: col, Code: code, Message: compiler.Redact(msg), Hint: compiler.Redact(hint), Severity: severity(code)}
}
