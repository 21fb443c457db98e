package compiler

// Diagnostic codes of digital onboarding (FD36x compile, FD37x pull
// requests): an API's requirements, a consumer's declarations and the
// platform's recipient categories and purposes.
const (
	codeRequirementsUnmet = "FD360"
	codeUnknownRecipient  = "FD361"
	codeUnknownPurpose    = "FD362"
	codePolicyApproval    = "FD363"
	codeFutureAgreement   = "FD364"

	// CodePolicyApprovers is check-pr's: a new or changed recipient
	// category or purpose without its operator and department approvers.
	CodePolicyApprovers = "FD370"
)

// onboardingCodeTable documents the onboarding codes.
func onboardingCodeTable() []CodeInfo {
	return []CodeInfo{
		{codeRequirementsUnmet, "consumer does not meet the API's requirements",
			"Governance rule 5: a publisher grants access only to a consumer that meets every onboarding requirement the API states for the grant's environment (requirements in publishers/<pub>/apis/<api>.cue, each field of requirements.environments.<env> replacing the API-wide one): a DSPT status at least the one required, each agreement signed (consumers/<org>/consumer.cue agreements, by reference, dated no later than today), a clinical safety case reference on the app when the API supports direct care, the organisation's recipientCategory among those the API serves, and one of the app's purposes among those the API allows. One diagnostic per grant lists every requirement not met, with the file to change and who approves the change.",
			"Have the consumer's owners declare what is missing in consumers/<org>/consumer.cue (signed agreements, recipientCategory, the app's purposes or clinicalSafetyCase, a DSPT status that meets the standard), or remove the grant. `frontdoor access --app ORG/APP --api PUB/API --env ENV` lists what is missing.", false},
		{codeUnknownRecipient, "unknown recipient category",
			"Recipient categories are platform policy: an API's requirements and a consumer's recipientCategory may name only the categories in frontdoor.cue recipientCategories.",
			"Use one of the platform's recipient categories, or ask the operator and the department to add the category to frontdoor.cue (a significant change that both approve).", false},
		{codeUnknownPurpose, "unknown purpose",
			"Purposes are platform policy: an API's requirements and an app's purposes may name only the purposes in frontdoor.cue purposes.",
			"Use one of the platform's purposes, or ask the operator and the department to add the purpose to frontdoor.cue (a significant change that both approve).", false},
		{codePolicyApproval, "recipient category or purpose not approved by both operator and department",
			"Adding or changing a recipient category or a purpose is a significant change: its approvedBy.operator must be one of operator.owners and approvedBy.department one of department.owners in frontdoor.cue.",
			"Record the handles of an operator owner and a department owner who approved it.", false},
		{codeFutureAgreement, "agreement signed after today",
			"A consumer declares the agreements it has signed; an agreement dated after the compile's day is not signed yet and meets no requirement.",
			"Write the day the agreement was signed, today or earlier.", false},
	}
}

// onboardingPullRequestCodeTable documents check-pr's onboarding codes.
func onboardingPullRequestCodeTable() []CodeInfo {
	return []CodeInfo{
		{Code: CodePolicyApprovers, Title: "recipient category or purpose lacks its two approvers",
			Explanation: "Adding or changing a recipient category or a purpose in frontdoor.cue is a significant change approved by both the operator and the department, as publisher categories are: approvedBy.operator must be one of operator.owners and approvedBy.department one of department.owners in the base revision, they must be different people, and both must have authorised the pull request (as its author or as an approving reviewer passed with --approver).",
			Fix:         "Record both approvers in approvedBy and have each of them author or approve the pull request (approving reviews are passed to check-pr as --approver)."},
	}
}
