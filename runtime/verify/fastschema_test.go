package verify

import (
	"bytes"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// fastVerdict runs the fast check on raw alone: valid when it proves raw
// valid against the item schema of the top-level array name.
func fastVerdict(t testing.TB, v *Verifier, name string, raw []byte) bool {
	t.Helper()
	d := jsontext.NewDecoder(bytes.NewReader(raw))
	ok, err := (&checker{fs: v.fast, d: d}).check(v.fast.items[name].chain)
	if err != nil || !ok {
		return false
	}
	// The check judges one value; input with more after it (an item and
	// trailing bytes) is not one value, and the verifier never passes
	// such input (checkArray reads items inside an array).
	_, err = d.ReadToken()
	return err == io.EOF
}

// libraryVerdict is jsonschema/v5's verdict on raw as the verifier feeds
// it (decoded by encoding/json/v2 into any).
func libraryVerdict(v *Verifier, name string, raw []byte) bool {
	return v.validateValue(v.items[name], "", raw) == nil
}

// schemaPropertyNames returns every property name the schema declares.
func schemaPropertyNames(t testing.TB) []string {
	t.Helper()
	var doc any
	if err := jsonv2.Unmarshal(snaptest.Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var walk func(x any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if p, ok := x["properties"].(map[string]any); ok {
				for n := range p {
					names[n] = true
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
	return slices.Sorted(maps.Keys(names))
}

// mutants returns item with one change each, at every depth: the value
// replaced by one of values, a member removed, or a member the item lacks
// (one the schema knows somewhere, or not) added with one of addValues.
func mutants(item any, names []string, values []any) []any {
	out := append([]any(nil), values...)
	switch x := item.(type) {
	case map[string]any:
		for k, child := range x {
			without := maps.Clone(x)
			delete(without, k)
			out = append(out, without)
			for _, m := range mutants(child, names, values) {
				c := maps.Clone(x)
				c[k] = m
				out = append(out, c)
			}
		}
		for _, k := range append(names, "unknownMember") {
			if _, ok := x[k]; ok {
				continue
			}
			for _, v := range addValues {
				c := maps.Clone(x)
				c[k] = v
				out = append(out, c)
			}
		}
	case []any:
		out = append(out, append(slices.Clone(x), x...)) // duplicates
		for i, child := range x {
			for _, m := range mutants(child, names, values) {
				c := slices.Clone(x)
				c[i] = m
				out = append(out, c)
			}
		}
	}
	return out
}

var addValues = []any{"x", "2030-01-01", 1.0, true, nil, []any{}, map[string]any{}}

var mutantValues = []any{
	"", "x", "X", "a/b", "pub0/api0", "org0/app0", "sandbox", "open", "second",
	"2024-02-30", "2024-13-01", "2030-01-01", "https://x.test/", "http://", "/", "/a/b/v1", "1.2.3",
	"é", "a\"b", "a\\b", "a b", strings.Repeat("a", 64), strings.Repeat("0", 64),
	0.0, 1.0, -1.0, 1.5, 1e21, true, false, nil,
	[]any{}, []any{"a", "a"}, []any{"open"}, []any{1.0}, map[string]any{}, map[string]any{"limit": 1.0, "per": "second"},
}

// TestFastCheckNeverAcceptsWhatTheLibraryRefuses mutates every item of a
// snapshot in every way mutants knows and compares the fast check's
// verdict with jsonschema/v5's: the fast check may leave a valid item to
// the library, never pass an invalid one.
func TestFastCheckNeverAcceptsWhatTheLibraryRefuses(t *testing.T) {
	v, err := New(Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	s := snaptest.New(snaptest.Options{Generation: 1, Commit: strings.Repeat("a", 40), Publishers: 1, APIs: 1, Apps: 1, GrantsPerApp: 1, Description: "d"})
	var doc map[string]any
	if err := jsonv2.Unmarshal(snaptest.Encode(t, s), &doc); err != nil {
		t.Fatal(err)
	}
	names := schemaPropertyNames(t)
	checked, libValid, agreedValid := 0, 0, 0
	for _, name := range slices.Sorted(maps.Keys(v.items)) {
		items, _ := doc[name].([]any)
		if len(items) == 0 {
			t.Fatalf("the test snapshot has no %s", name)
		}
		item := items[0]
		raw, err := jsonv2.Marshal(item, jsonv2.Deterministic(true))
		if err != nil {
			t.Fatal(err)
		}
		if !fastVerdict(t, v, name, raw) {
			t.Errorf("%s: the fast check does not prove a valid item valid: %s", name, raw)
		}
		for _, m := range mutants(item, names, mutantValues) {
			raw, err := jsonv2.Marshal(m, jsonv2.Deterministic(true))
			if err != nil {
				t.Fatal(err)
			}
			fast, lib := fastVerdict(t, v, name, raw), libraryVerdict(v, name, raw)
			checked++
			if fast && !lib {
				t.Errorf("%s: the fast check accepts what the library refuses: %s", name, raw)
			}
			if lib {
				libValid++
			}
			if fast && lib {
				agreedValid++
			}
		}
	}
	t.Logf("%d mutants, %d valid, %d of them proven valid by the fast check", checked, libValid, agreedValid)
	if agreedValid == 0 {
		t.Error("no mutant was proven valid: the comparison says nothing")
	}
}

// FuzzFastCheckNeverAcceptsWhatTheLibraryRefuses is the same comparison on
// arbitrary input.
func FuzzFastCheckNeverAcceptsWhatTheLibraryRefuses(f *testing.F) {
	v, err := New(Options{Schema: snaptest.Schema()})
	if err != nil {
		f.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(v.items))
	s := snaptest.New(snaptest.Options{Generation: 1, Publishers: 1, APIs: 2, Apps: 2, GrantsPerApp: 2, Description: "d"})
	var doc map[string]jsontext.Value
	if err := jsonv2.Unmarshal(snaptest.Encode(f, s), &doc); err != nil {
		f.Fatal(err)
	}
	for i, name := range names {
		var items []jsontext.Value
		if err := jsonv2.Unmarshal(doc[name], &items); err != nil {
			f.Fatal(err)
		}
		for _, it := range items {
			f.Add(uint8(i), []byte(it))
			f.Add(uint8(i), append([]byte(it), '0')) // an item and trailing bytes
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		name := names[int(which)%len(names)]
		if fastVerdict(t, v, name, raw) && !libraryVerdict(v, name, raw) {
			t.Errorf("%s: the fast check accepts what the library refuses: %s", name, raw)
		}
	})
}

// TestFastCheckAgreesWithTheLibraryOnKeywords compares verdicts on small
// schemas using each keyword the fast check implements, and some it
// leaves to the library.
func TestFastCheckAgreesWithTheLibraryOnKeywords(t *testing.T) {
	for _, tc := range []struct {
		schema string
		values []string
		// complete: the fast check proves every valid value valid.
		complete bool
	}{
		{`{"type": "integer", "minimum": 1, "maximum": 10}`, []string{`1`, `0`, `10`, `11`, `1.0`, `1.5`, `5e0`, `1e400`, `"1"`, `null`}, false},
		{`{"exclusiveMinimum": 0, "exclusiveMaximum": 1}`, []string{`0`, `0.5`, `1`, `-0`, `"x"`}, true},
		{`{"minimum": 0.1}`, []string{`0.1`, `0.2`, `0`}, false},
		{`{"type": ["string", "null"], "minLength": 2, "maxLength": 3}`, []string{`"ab"`, `"a"`, `"abcd"`, `"éé"`, `"\u00e9\u00e9"`, `null`, `1`}, true},
		{`{"enum": ["a", "b", true, null]}`, []string{`"a"`, `"c"`, `true`, `false`, `null`, `0`, `{}`, `[]`}, true},
		{`{"const": false}`, []string{`false`, `true`, `0`, `"false"`}, true},
		{`{"enum": [1, "a"]}`, []string{`1`, `1.0`, `"a"`}, false},
		{`{"pattern": "^a+$"}`, []string{`"aaa"`, `"ab"`, `"a\u0061"`, `1`}, true},
		{`{"pattern": "b"}`, []string{`"abc"`, `"ac"`}, true},
		{`{"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}}, "additionalProperties": false}`,
			[]string{`{"a": "x"}`, `{"a": "x", "b": 1}`, `{"b": 1}`, `{"a": 1}`, `{}`, `[]`}, true},
		{`{"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}}`,
			[]string{`{"a": "x", "b": 1}`, `{"b": "x"}`, `{"a": 1}`, `{"\u0061": 1}`}, true},
		{`{"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2, "uniqueItems": true}`,
			[]string{`["a"]`, `[]`, `["a", "b", "c"]`, `["a", "a"]`, `["a", "\u0061"]`, `[1]`, `[[], []]`}, true},
		{`{"uniqueItems": true}`, []string{`[1, 1.0]`, `[{}, {}]`, `["a", "b"]`}, false},
		{`{"$ref": "#/$defs/a", "type": "object", "$defs": {"a": {"required": ["x"]}}}`, []string{`{"x": 1}`, `{}`, `1`}, true},
		{`{"properties": {"a": {"$ref": "#"}}, "required": ["b"]}`, []string{`{"b": 1, "a": {"b": 2}}`, `{"b": 1, "a": {}}`}, true},
		{`{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, []string{`"a"`, `1`, `null`}, false},
		{`{"format": "email"}`, []string{`"a@b.test"`, `"x"`}, false},
		{`{"multipleOf": 2}`, []string{`4`, `3`}, false},
		{`true`, []string{`1`, `{}`}, true},
		{`false`, []string{`1`}, true},
	} {
		s, err := jsonschema.CompileString("t.json", tc.schema)
		if err != nil {
			t.Fatalf("%s: %v", tc.schema, err)
		}
		v := &Verifier{items: map[string]*jsonschema.Schema{"x": s}}
		v.fast = compileFast(v.items)
		for _, val := range tc.values {
			fast, lib := fastVerdict(t, v, "x", []byte(val)), libraryVerdict(v, "x", []byte(val))
			if fast && !lib {
				t.Errorf("%s on %s: the fast check accepts what the library refuses", tc.schema, val)
			}
			if lib && !fast && tc.complete {
				t.Errorf("%s on %s: the fast check leaves a valid value to the library", tc.schema, val)
			}
		}
	}
}

func TestDFAAgreesWithRegexp(t *testing.T) {
	patterns := []string{`^$`, `^a`, `a$`, `^a|b$`, `a*`, `(?i)^ab$`, `^a.c$`, `^[^\s]+$`, `$^`, `^\$`, `x\z`, `(?s)^.+$`, `^a\nb$`}
	v, err := New(Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range v.fast.patterns {
		patterns = append(patterns, re.String())
	}
	// Every string of up to four bytes over an alphabet that exercises the
	// patterns, and the mutants' strings.
	alphabet := []string{"a", "b", "c", "A", "0", "9", "-", "/", ".", ":", " ", "\n", "é", "z", "h", "s"}
	inputs := []string{""}
	for n, prev := 0, []string{""}; n < 4; n++ {
		var next []string
		for _, p := range prev {
			for _, c := range alphabet {
				next = append(next, p+c)
			}
		}
		inputs, prev = append(inputs, next...), next
	}
	for _, m := range mutantValues {
		if s, ok := m.(string); ok {
			inputs = append(inputs, s, "x"+s, s+"\n")
		}
	}
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		a := newDFA(re)
		if a == nil {
			t.Errorf("%s: no dfa", p)
			continue
		}
		for _, in := range inputs {
			if got, want := a.match(re, []byte(in)), re.MatchString(in); got != want {
				t.Errorf("%s on %q: got %v, want %v", p, in, got, want)
			}
		}
	}
	if newDFA(regexp.MustCompile(`\bx`)) != nil {
		t.Error(`\b: got a dfa, want none`)
	}
}

func FuzzDFAAgreesWithRegexp(f *testing.F) {
	f.Add(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`, "abc-1")
	f.Add(`^https?://[^\s]+$`, "http://x")
	f.Add(`a|^b$`, "b")
	f.Fuzz(func(t *testing.T, pattern, in string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		a := newDFA(re)
		if a == nil {
			return
		}
		if got, want := a.match(re, []byte(in)), re.MatchString(in); got != want {
			t.Errorf("%q on %q: got %v, want %v", pattern, in, got, want)
		}
	})
}

func TestPresizeReservesNoMoreBytesThanTheDocumentHas(t *testing.T) {
	var s []snapshot.API
	presize(&s, 1_000_000, 10_000)
	if got, limit := cap(s)*int(reflect.TypeFor[snapshot.API]().Size()), 10_000; got > limit || cap(s) == 0 {
		t.Errorf("got %d bytes of capacity for a %d-byte document", got, limit)
	}
	var none []snapshot.API
	presize(&none, 0, 10_000)
	if none != nil {
		t.Error("got a slice for no elements, want nil")
	}
}
