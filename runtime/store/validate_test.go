package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestItemByItemValidationAgreesWithWholeDocumentValidation checks the
// streaming validator against the library's verdict on the whole document.
func TestItemByItemValidationAgreesWithWholeDocumentValidation(t *testing.T) {
	schemaDoc := `{
	  "type": "object",
	  "required": ["generation"],
	  "properties": {
	    "generation": {"type": "integer"},
	    "entitlements": {"$ref": "#/$defs/ents"},
	    "publishers": {"type": "array", "minItems": 2, "items": {"type": "object"}},
	    "apis": {"type": "array", "items": {"type": "object", "required": ["id"]}, "uniqueItems": true}
	  },
	  "$defs": {
	    "ents": {"type": "array", "items": {"$ref": "#/$defs/ent"}},
	    "ent": {"type": "object", "required": ["app"], "properties": {"app": {"type": "string"}}, "additionalProperties": false}
	  }
	}`
	v, err := NewVerifier(VerifierOptions{Schema: []byte(schemaDoc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.items["entitlements"]; !ok {
		t.Error("entitlements are not validated item by item")
	}
	for _, name := range []string{"publishers", "apis", "generation"} {
		if _, ok := v.items[name]; ok {
			t.Errorf("%s is validated item by item, but its schema constrains more than its items", name)
		}
	}
	whole := jsonschema.MustCompileString("whole.json", schemaDoc)
	for _, doc := range []string{
		`{"generation": 1, "entitlements": [{"app": "a"}, {"app": "b"}], "publishers": [{}, {}], "apis": [{"id": "x"}]}`,
		`{"generation": 1, "entitlements": [{"app": "a"}, {"app": 2}]}`,
		`{"generation": 1, "entitlements": [{"app": "a", "x": 1}]}`,
		`{"generation": 1, "entitlements": []}`,
		`{"generation": 1, "entitlements": {}}`,
		`{"generation": "1", "entitlements": [{"app": "a"}]}`,
		`{"entitlements": [{"app": "a"}]}`,
		`{"generation": 1, "publishers": [{}]}`,
		`{"generation": 1, "apis": [{"id": "x"}, {"id": "x"}]}`,
		`[1, 2]`,
	} {
		var x any
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatal(err)
		}
		want := whole.Validate(x) == nil
		_, err := v.validate([]byte(doc), runner{})
		if got := err == nil; got != want {
			t.Errorf("%s: got valid=%v (%v), want %v", doc, got, err, want)
		}
		if err != nil && ReasonOf(err) != ReasonSchema {
			t.Errorf("%s: got reason %q, want schema", doc, ReasonOf(err))
		}
	}
	_, err = v.validate([]byte(`{"generation": 1, "entitlements": [{"app": "a"}, {"app": 2}]}`), runner{})
	if err == nil || !strings.Contains(err.Error(), "/entitlements/1/app") {
		t.Errorf("got %v, want the item's location", err)
	}
	for _, doc := range []string{`{"generation": 1`, `{"generation": 1}{}`, `{"generation": 1, "generation": 2}`, ``} {
		if _, err := v.validate([]byte(doc), runner{}); ReasonOf(err) != ReasonDecode {
			t.Errorf("%q: got %v, want a decode refusal", doc, err)
		}
	}
}

// TestSectionsCutWrongNeverDecode: a member name that occurs nested inside
// an earlier section cuts the document in the wrong place; the pieces are
// then not single JSON values, and decoding them fails instead of reading
// another snapshot than the document's.
func TestSectionsCutWrongNeverDecode(t *testing.T) {
	doc := []byte(`{"apis":[{"id":"p/a","x":[1],"consumers":[]}],"consumers":[],"entitlements":[],"generation":1,"platform":{},"publishers":[],"routes":[],"schemaVersion":"v"}`)
	secs, ok := splitSections(doc)
	if !ok {
		t.Fatal("the canonical layout was not recognised")
	}
	if got := string(secs.raw[secAPIs]); got != `[{"id":"p/a","x":[1]` {
		t.Fatalf("apis cut at %q; the test no longer cuts inside a value", got)
	}
	if _, err := decodeSections(secs); err == nil {
		t.Error("a wrongly cut document decoded")
	}
	for _, bad := range []string{``, `{}`, `[]`, `{"apis":[]}`, `{"apis":[],"consumers":[]`, ` {"apis":[]}`} {
		if _, ok := splitSections([]byte(bad)); ok {
			t.Errorf("%q was taken for a canonical snapshot", bad)
		}
	}
}
