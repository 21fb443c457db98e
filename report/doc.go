// Package report prints what validate, build, check-pr and diff found, in
// the formats people and CI read: text, json, GitHub workflow commands,
// SARIF 2.1.0 and a Markdown pull-request comment. It holds the data those
// commands report (Output, the changed paths, the semantic diff's Summary,
// breaking OpenAPI changes) and no checks of its own; every code it prints
// is documented in the compiler's registry (compiler.Codes).
package report
