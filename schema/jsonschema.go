package schema

import _ "embed"

// SnapshotJSONSchema is the JSON Schema (draft 2020-12) of the compiled
// snapshot's canonical JSON: every field of snapshot.Snapshot, closed
// objects, and patterns for IDs, dates and digests. Gateways check snapshots
// against it before loading them. Read-only: never modify the slice.
//
//go:embed snapshot.schema.json
var SnapshotJSONSchema []byte
