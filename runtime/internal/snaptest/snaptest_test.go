package snaptest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestBuiltSnapshotsAreConsistentAndMatchTheSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("snapshot.schema.json", bytes.NewReader(Schema())); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("snapshot.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*snapshot.Snapshot{
		"small": Small(1, "http://up.test"),
		"mid":   New(Options{Generation: 2, Commit: "0123456789abcdef0123456789abcdef01234567", Publishers: 3, APIs: 30, Apps: 40, GrantsPerApp: 3, Description: "d"}),
	} {
		if err := s.Consistent(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		b := Encode(t, s)
		var x any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(x); err != nil {
			t.Errorf("%s: %#v", name, err)
		}
	}
}
