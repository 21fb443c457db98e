package schema

import _ "embed"

// CatalogueJSONSchema is the JSON Schema (draft 2020-12) of the catalogue's
// machine-readable catalogue.json (format frontdoor.catalogue/v1).
//
//go:embed catalogue.schema.json
var CatalogueJSONSchema []byte
