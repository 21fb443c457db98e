package store

import (
	"encoding/json"
	"reflect"
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
	secs, ok := splitSections(doc, nil)
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
		if _, ok := splitSections([]byte(bad), nil); ok {
			t.Errorf("%q was taken for a canonical snapshot", bad)
		}
	}
}

// TestSectionHintsCutAsSearching: cut with the active snapshot's sections
// as hints, a document is cut where searching cuts it, whatever changed in
// length or presence; and where searching would be misled by a member name
// nested in an earlier section, the hint cuts at the top-level member.
func TestSectionHintsCutAsSearching(t *testing.T) {
	base := `{"apis":[{"id":"p/a"}],"commit":"abc","consumers":[],"entitlements":[{"app":"o/a"}],"generation":7,"platform":{},"publishers":[],"routes":[],"schemaVersion":"v"}`
	hintSecs, ok := splitSections([]byte(base), nil)
	if !ok {
		t.Fatal("the canonical layout was not recognised")
	}
	hint := &hintSecs.sectionSums
	for _, doc := range []string{
		base,
		strings.Replace(base, `"generation":7`, `"generation":123456`, 1),
		strings.Replace(base, `"commit":"abc",`, ``, 1),
		strings.Replace(base, `"commit":"abc"`, `"commit":"abcdef"`, 1),
		strings.Replace(base, `[{"app":"o/a"}]`, `[{"app":"o/a"},{"app":"o/b"}]`, 1),
		strings.Replace(base, `"schemaVersion":"v"`, `"schemaVersion":"v2"`, 1),
		strings.Replace(base, `"apis":[{"id":"p/a"}]`, `"apis":[]`, 1),
	} {
		want, okWant := splitSections([]byte(doc), nil)
		got, okGot := splitSections([]byte(doc), hint)
		if okGot != okWant || (okGot && (!reflect.DeepEqual(got.raw, want.raw) || got.sectionSums != want.sectionSums)) {
			t.Errorf("%s: cut with the hint differs from the search's", doc)
		}
	}
	// The same lengths, but a member named as a later section nested in
	// the first: searching cuts inside it, the hint does not.
	nested := `{"apis":[{"id":"p/a","consumers":[]}],"consumers":[],"entitlements":[],"generation":1,"platform":{},"publishers":[],"routes":[],"schemaVersion":"v"}`
	same, ok := splitSections([]byte(strings.Replace(nested, `"id":"p/a","consumers"`, `"id":"p/a","consumerz"`, 1)), nil)
	if !ok {
		t.Fatal("the canonical layout was not recognised")
	}
	secs, ok := splitSections([]byte(nested), &same.sectionSums)
	if !ok || string(secs.raw[secAPIs]) != `[{"id":"p/a","consumers":[]}]` || string(secs.raw[secConsumers]) != `[]` {
		t.Errorf("cut with the hint: apis %q, consumers %q", secs.raw[secAPIs], secs.raw[secConsumers])
	}
}
