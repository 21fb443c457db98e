// Package review is the pull-request stage of the pipeline: it sits beside
// the compiler and judges a change between two revisions of a configuration
// repository rather than one revision.
//
// It answers three questions about a pull request:
//
//   - Authority (governance rule 8): was each changed path changed by
//     someone allowed to, according to the owners recorded in the base
//     revision? In strict mode, is every commit signed by a key trusted for
//     an owner of what it touches? (Authority.Check, CheckSignatures)
//   - What changes for whom: a plain-English, deterministic account of the
//     two compiled snapshots' differences, grouped by publisher (Compare).
//   - Does an OpenAPI document break its consumers without a major version
//     bump? (CheckBreaking, with oasdiff)
//
// It also reads who owns what (ReadGovernance) and renders it as GitHub's
// CODEOWNERS. Its findings are compiler.Diagnostics with codes FD6xx,
// documented in the compiler's registry; package report prints them.
//
// Every function is safe for concurrent use; nothing here keeps state between
// calls.
package review
