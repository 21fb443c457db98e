package compiler

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/schema"
)

func snapshotSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource("snapshot.schema.json", bytes.NewReader(schema.SnapshotJSONSchema)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("snapshot.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCompiledSnapshotValidatesAgainstJSONSchema(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	if err := snapshotSchema(t).Validate(decodeJSON(t, res.Bytes)); err != nil {
		t.Errorf("got %v, want valid", err)
	}
}

func TestJSONSchemaRefusesMutatedSnapshots(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	sch := snapshotSchema(t)
	for _, tc := range []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"unknown top-level field", func(m map[string]any) { m["extra"] = true }},
		{"unknown field in an entitlement", func(m map[string]any) {
			m["entitlements"].([]any)[0].(map[string]any)["secret"] = "x"
		}},
		{"generation of the wrong type", func(m map[string]any) { m["generation"] = "7" }},
		{"digest without its algorithm", func(m map[string]any) {
			m["apis"].([]any)[1].(map[string]any)["specDigest"] = strings.Repeat("a", 64)
		}},
		{"api key that is not a hash", func(m map[string]any) {
			app := m["consumers"].([]any)[0].(map[string]any)["apps"].([]any)[0].(map[string]any)
			app["apiKeys"].([]any)[0].(map[string]any)["sha256"] = "plaintext"
		}},
		{"date in another format", func(m map[string]any) {
			m["entitlements"].([]any)[0].(map[string]any)["expires"] = "01/06/2026"
		}},
		{"missing platform", func(m map[string]any) { delete(m, "platform") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decodeJSON(t, res.Bytes).(map[string]any)
			tc.mutate(v)
			if err := sch.Validate(v); err == nil {
				t.Error("got valid, want a validation error")
			}
		})
	}
}
