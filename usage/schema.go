package usage

import _ "embed"

// Schema is the JSON Schema of usage.json (Dataset).
//
//go:embed usage.schema.json
var Schema []byte
