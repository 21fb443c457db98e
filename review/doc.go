// Package review is the pull-request stage of the pipeline: it sits beside
// the compiler and judges a change between two revisions of a configuration
// repository rather than one revision.
//
// It answers three questions about a pull request:
//
//   - Authority (governance rule 8): was each changed path changed by
//     someone allowed to, according to the owners recorded in the base
//     revision? In strict mode, is every commit signed by a key trusted for
//     an owner of what it touches? (CheckAuthority, CheckSignatures)
//   - What changes for whom: a plain-English, deterministic account of the
//     two compiled snapshots' differences, grouped by publisher (Compare).
//   - Does an OpenAPI document break its consumers without a major version
//     bump? (CheckBreaking, with oasdiff)
//
// It also renders diagnostics in the formats CI needs (text, json, GitHub
// workflow commands, SARIF 2.1.0 and a Markdown pull-request comment), and
// scaffolds new repositories and files (Init, CodeOwners, NewPublisher,
// AddGrant...).
//
// Its diagnostic codes (FD6xx) live in this package's registry; Codes and
// LookupCode cover both the compiler's codes and these.
//
// Every function is safe for concurrent use; nothing here keeps state between
// calls.
package review
