package snaptest

import "github.com/frontdoor-dev/frontdoor/schema"

// Schema returns the snapshot JSON Schema the tests verify against.
func Schema() []byte { return schema.SnapshotJSONSchema }
