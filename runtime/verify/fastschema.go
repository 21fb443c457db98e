package verify

import (
	"bytes"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// A fastNode is one compiled jsonschema/v5 schema, translated for checking
// raw JSON as it is tokenised, without decoding it into maps and slices and
// without building error locations: the library's Validate costs about 5 µs
// an entitlement, this well under 1 µs.
//
// It is a proof of validity, not a validator: check answers true only when
// the library would accept the value, and false when it would refuse it or
// when the node cannot tell (a keyword it does not implement, a number it
// cannot compare exactly, ...). The caller then asks the library itself,
// which gives the verdict and the error message. So a false "false" costs
// time, never a verdict; a false "true" would be a bug, which the tests
// look for by comparing both on mutated snapshots and fuzzed values.
//
// It implements, with the library's semantics for values decoded by
// encoding/json/v2 into any (numbers are float64): type, enum and const of
// strings, booleans and null, properties, required, additionalProperties, items, minItems,
// maxItems, uniqueItems of strings, minLength, maxLength, pattern, minimum,
// maximum, exclusiveMinimum and exclusiveMaximum (bounds a float64 holds
// exactly) and $ref. Any other keyword makes the node unsupported.
//
// Nodes are immutable after compileFast; check is safe for concurrent use.
type fastNode struct {
	// unsupported: check answers false for any value reaching the node.
	unsupported bool
	// chain is the node followed by the nodes of its $ref chain, without
	// the ones that constrain nothing: a value valid for the schema is
	// valid for every node of chain.
	chain []*fastNode
	ref   *fastNode
	empty bool // no keyword of its own

	types typeSet
	// enums are the sets of values the value must be in (enum, const).
	enums []enumSet

	// Objects.
	members    map[string]member // properties and required names
	reqMask    uint64            // every required bit
	closed     bool              // additionalProperties: false
	additional *fastNode         // additionalProperties: a schema

	// Arrays.
	minItems, maxItems int // -1 when absent
	unique             bool
	items              *fastNode

	// Strings.
	minLength, maxLength int // -1 when absent
	pattern              *regexp.Regexp
	patternID            int // index of the pattern's memo in a checker

	// Numbers.
	bounds []bound
}

// member is what a node says of an object member's name.
type member struct {
	node     *fastNode // the properties schema, or nil
	property bool      // the name is in properties
	bit      uint64    // its bit in reqMask if it is required, else 0
}

// typeSet is a set of JSON Schema types, zero for any.
type typeSet uint8

const (
	typeObject typeSet = 1 << iota
	typeArray
	typeString
	typeNumber
	typeInteger
	typeBoolean
	typeNull
)

var typeNames = map[string]typeSet{
	"object": typeObject, "array": typeArray, "string": typeString, "number": typeNumber,
	"integer": typeInteger, "boolean": typeBoolean, "null": typeNull,
}

// enumSet is a set of JSON strings, booleans and nulls (the library's
// equality for them is Go's ==).
type enumSet struct {
	strs map[string]struct{}
	lits typeSet // typeBoolean for true, typeNull for null
	fals bool
}

func (e *enumSet) hasLiteral(v []byte) bool {
	switch v[0] {
	case 't':
		return e.lits&typeBoolean != 0
	case 'f':
		return e.fals
	}
	return e.lits&typeNull != 0
}

// bound is a numeric limit: the value compared with v must give a result
// in ok (-1, 0, +1 as cmp).
type bound struct {
	v  float64
	ok [3]bool // indexed by cmp+1
}

// fastSchemas are the compiled item schemas of a document.
type fastSchemas struct {
	items map[string]*fastNode // by top-level property name
	// patterns are every node's pattern, by patternID; dfas their
	// automata, nil where there is none.
	patterns []*regexp.Regexp
	dfas     []*dfa
}

// compileFast translates the schemas and everything they reach.
func compileFast(items map[string]*jsonschema.Schema) *fastSchemas {
	fs := &fastSchemas{items: make(map[string]*fastNode, len(items))}
	nodes := map[*jsonschema.Schema]*fastNode{}
	for name, s := range items {
		fs.items[name] = fastCompile(s, nodes, &fs.patterns)
	}
	for _, n := range nodes {
		n.chain = nil
		seen := map[*fastNode]bool{}
		for m := n; m != nil; m = m.ref {
			if seen[m] {
				// A $ref cycle that consumes no input: the library
				// reports an infinite loop.
				n.unsupported = true
				break
			}
			seen[m] = true
			if m.unsupported {
				n.unsupported = true
			}
			if !m.empty {
				n.chain = append(n.chain, m)
			}
		}
	}
	for _, re := range fs.patterns {
		fs.dfas = append(fs.dfas, newDFA(re))
	}
	return fs
}

func fastCompile(s *jsonschema.Schema, nodes map[*jsonschema.Schema]*fastNode, patterns *[]*regexp.Regexp) *fastNode {
	if n := nodes[s]; n != nil {
		return n
	}
	n := &fastNode{minItems: -1, maxItems: -1, minLength: -1, maxLength: -1}
	nodes[s] = n
	if s.Always != nil {
		// true accepts anything and ignores its other keywords; false
		// refuses all, which the library explains better.
		n.empty, n.unsupported = *s.Always, !*s.Always
		return n
	}
	if !fastSupports(s) {
		n.unsupported = true
		return n
	}
	for _, t := range s.Types {
		ts, ok := typeNames[t]
		if !ok {
			n.unsupported = true
		}
		n.types |= ts
	}
	if len(s.Constant) > 0 {
		n.addEnum(s.Constant[:1])
	}
	if len(s.Enum) > 0 {
		n.addEnum(s.Enum)
	}
	n.compileObject(s, nodes, patterns)
	n.compileArray(s, nodes, patterns)
	n.minLength, n.maxLength, n.pattern = s.MinLength, s.MaxLength, s.Pattern
	if n.pattern != nil {
		n.patternID = len(*patterns)
		*patterns = append(*patterns, n.pattern)
	}
	n.compileBounds(s)
	if s.Ref != nil {
		n.ref = fastCompile(s.Ref, nodes, patterns)
	}
	n.empty = !n.unsupported && n.types == 0 && len(n.enums) == 0 && n.members == nil &&
		!n.closed && n.additional == nil && n.minItems == -1 && n.maxItems == -1 && !n.unique && n.items == nil &&
		n.minLength == -1 && n.maxLength == -1 && n.pattern == nil && len(n.bounds) == 0
	return n
}

// addEnum adds a set of allowed values: strings, booleans and null; any
// other value makes n unsupported.
func (n *fastNode) addEnum(values []any) {
	set := enumSet{strs: map[string]struct{}{}}
	for _, v := range values {
		switch v := v.(type) {
		case string:
			set.strs[v] = struct{}{}
		case bool:
			if v {
				set.lits |= typeBoolean
			} else {
				set.fals = true
			}
		case nil:
			set.lits |= typeNull
		default: // numbers, arrays, objects
			n.unsupported = true
		}
	}
	n.enums = append(n.enums, set)
}

// compileObject compiles s's properties, required members (one bit each,
// at most 64) and additional properties.
func (n *fastNode) compileObject(s *jsonschema.Schema, nodes map[*jsonschema.Schema]*fastNode, patterns *[]*regexp.Regexp) {
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		n.members = make(map[string]member, len(s.Properties))
		for name, p := range s.Properties {
			n.members[name] = member{node: fastCompile(p, nodes, patterns), property: true}
		}
		bits := 0
		for _, name := range s.Required {
			m := n.members[name]
			if m.bit != 0 {
				continue // listed twice
			}
			if bits == 64 {
				n.unsupported = true
				break
			}
			m.bit = 1 << bits
			bits++
			n.members[name] = m
			n.reqMask |= m.bit
		}
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		n.closed = !a
	case *jsonschema.Schema:
		n.additional = fastCompile(a, nodes, patterns)
	default:
		n.unsupported = true
	}
}

// compileArray compiles s's item schema and length and uniqueness bounds.
func (n *fastNode) compileArray(s *jsonschema.Schema, nodes map[*jsonschema.Schema]*fastNode, patterns *[]*regexp.Regexp) {
	n.minItems, n.maxItems, n.unique = s.MinItems, s.MaxItems, s.UniqueItems
	switch it := s.Items.(type) {
	case nil:
	case *jsonschema.Schema:
		n.items = fastCompile(it, nodes, patterns)
	default: // a list of schemas (draft 2019-09 and before)
		n.unsupported = true
	}
	if s.Items2020 != nil {
		if n.items != nil {
			n.unsupported = true
		}
		n.items = fastCompile(s.Items2020, nodes, patterns)
	}
}

// compileBounds compiles s's numeric bounds; one that a float64 cannot
// hold exactly makes n unsupported.
func (n *fastNode) compileBounds(s *jsonschema.Schema) {
	for _, b := range []struct {
		r  *big.Rat
		ok [3]bool
	}{
		{s.Minimum, [3]bool{false, true, true}},
		{s.ExclusiveMinimum, [3]bool{false, false, true}},
		{s.Maximum, [3]bool{true, true, false}},
		{s.ExclusiveMaximum, [3]bool{true, false, false}},
	} {
		if b.r == nil {
			continue
		}
		f, ok := exactFloat(b.r)
		if !ok {
			n.unsupported = true
		}
		n.bounds = append(n.bounds, bound{v: f, ok: b.ok})
	}
}

// fastSupports reports whether s has no keyword that fastNode does not
// implement. Annotations (title, description, default, ...) and anchors
// (meaningful only to $recursiveRef and $dynamicRef) do not count.
func fastSupports(s *jsonschema.Schema) bool {
	return s.Format == "" && s.RecursiveRef == nil && s.DynamicRef == nil &&
		s.Not == nil && len(s.AllOf) == 0 && len(s.AnyOf) == 0 && len(s.OneOf) == 0 &&
		s.If == nil && s.Then == nil && s.Else == nil &&
		s.MinProperties == -1 && s.MaxProperties == -1 && s.PropertyNames == nil && !s.RegexProperties &&
		len(s.PatternProperties) == 0 && len(s.Dependencies) == 0 && len(s.DependentRequired) == 0 &&
		len(s.DependentSchemas) == 0 && s.UnevaluatedProperties == nil &&
		s.AdditionalItems == nil && len(s.PrefixItems) == 0 && s.Contains == nil && s.UnevaluatedItems == nil &&
		s.ContentEncoding == "" && s.ContentMediaType == "" && s.ContentSchema == nil &&
		s.MultipleOf == nil && len(s.Extensions) == 0
}

// exactFloat returns r as a float64 when the library's comparison of a
// float64 with r (through its shortest decimal form, as a big.Rat) always
// agrees with comparing the floats: r is a float64, and is its own
// shortest decimal form.
func exactFloat(r *big.Rat) (float64, bool) {
	f, exact := r.Float64()
	if !exact {
		return 0, false
	}
	back, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return f, ok && back.Cmp(r) == 0
}

// A checker checks values against fastSchemas, reading them from d. It is
// not safe for concurrent use.
type checker struct {
	fs      *fastSchemas
	d       *jsontext.Decoder
	scratch []byte
}

// match reports whether n's pattern matches s.
func (c *checker) match(n *fastNode, s []byte) bool {
	if a := c.fs.dfas[n.patternID]; a != nil {
		return a.match(n.pattern, s)
	}
	return n.pattern.Match(s)
}

// check consumes the next value of d and reports whether it is valid for
// every node in nodes (a union of chains). It returns false, without an
// error, when it is invalid or the nodes cannot tell; then d may have
// stopped anywhere inside the value (see skipRest). An error is d's: the
// input is not well-formed JSON.
func (c *checker) check(nodes []*fastNode) (bool, error) {
	d := c.d
	for _, n := range nodes {
		if n.unsupported {
			return false, nil
		}
	}
	switch d.PeekKind() {
	case '{':
		return c.checkObject(nodes)
	case '[':
		return c.checkArray(nodes)
	case '"':
		v, err := d.ReadValue()
		if err != nil {
			return false, err
		}
		return c.checkString(nodes, v), nil
	case '0':
		v, err := d.ReadValue()
		if err != nil {
			return false, err
		}
		return checkNumber(nodes, v), nil
	case 't', 'f', 'n':
		v, err := d.ReadValue()
		if err != nil {
			return false, err
		}
		t := typeNull
		if v[0] != 'n' {
			t = typeBoolean
		}
		for _, n := range nodes {
			if n.types != 0 && n.types&t == 0 {
				return false, nil
			}
			for i := range n.enums {
				if !n.enums[i].hasLiteral(v) {
					return false, nil
				}
			}
		}
		return true, nil
	default:
		_, err := d.ReadValue()
		return false, err
	}
}

// maxObjectNodes bounds the nodes one object is checked against at once
// (their required masks live on the stack).
const maxObjectNodes = 8

func (c *checker) checkObject(nodes []*fastNode) (bool, error) {
	d := c.d
	if len(nodes) > maxObjectNodes {
		return false, nil
	}
	for _, n := range nodes {
		if (n.types != 0 && n.types&typeObject == 0) || len(n.enums) > 0 {
			return false, nil
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return false, err
	}
	var seen [maxObjectNodes]uint64
	for d.PeekKind() != '}' {
		raw, err := d.ReadValue() // the member's name
		if err != nil {
			return false, err
		}
		name, ok := unquote(raw, &c.scratch)
		if !ok {
			return false, nil
		}
		var sub []*fastNode
		shared := true // sub is some node's chain: copy before appending
		for i, n := range nodes {
			m := n.members[string(name)]
			seen[i] |= m.bit
			if !m.property {
				if n.closed {
					return false, nil
				}
				m.node = n.additional
			}
			switch {
			case m.node == nil || len(m.node.chain) == 0:
			case sub == nil:
				sub = m.node.chain
			default:
				if shared {
					sub, shared = append([]*fastNode(nil), sub...), false
				}
				sub = append(sub, m.node.chain...)
			}
		}
		if len(sub) == 0 {
			if err := d.SkipValue(); err != nil {
				return false, err
			}
			continue
		}
		if ok, err := c.check(sub); !ok || err != nil {
			return false, err
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return false, err
	}
	for i, n := range nodes {
		if seen[i] != n.reqMask {
			return false, nil
		}
	}
	return true, nil
}

func (c *checker) checkArray(nodes []*fastNode) (bool, error) {
	d := c.d
	var sub []*fastNode
	unique := false
	for _, n := range nodes {
		if (n.types != 0 && n.types&typeArray == 0) || len(n.enums) > 0 {
			return false, nil
		}
		unique = unique || n.unique
		if n.items != nil && len(n.items.chain) > 0 {
			sub = append(sub, n.items.chain...)
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return false, err
	}
	var strs map[string]struct{}
	count := 0
	for ; d.PeekKind() != ']'; count++ {
		if !unique {
			if len(sub) == 0 {
				if err := d.SkipValue(); err != nil {
					return false, err
				}
			} else if ok, err := c.check(sub); !ok || err != nil {
				return false, err
			}
			continue
		}
		// Unique items are told apart only among strings.
		if d.PeekKind() != '"' {
			return false, nil
		}
		raw, err := d.ReadValue()
		if err != nil {
			return false, err
		}
		if !c.checkString(sub, raw) {
			return false, nil
		}
		s, ok := unquote(raw, &c.scratch)
		if !ok {
			return false, nil
		}
		if strs == nil {
			strs = map[string]struct{}{}
		}
		if _, dup := strs[string(s)]; dup {
			return false, nil
		}
		strs[string(s)] = struct{}{}
	}
	if _, err := d.ReadToken(); err != nil {
		return false, err
	}
	for _, n := range nodes {
		if (n.minItems != -1 && count < n.minItems) || (n.maxItems != -1 && count > n.maxItems) {
			return false, nil
		}
	}
	return true, nil
}

// checkString checks the quoted JSON string raw.
func (c *checker) checkString(nodes []*fastNode, raw []byte) bool {
	s, ok := unquote(raw, &c.scratch)
	if !ok {
		return false
	}
	for _, n := range nodes {
		if n.unsupported || (n.types != 0 && n.types&typeString == 0) {
			return false
		}
		for i := range n.enums {
			if _, ok := n.enums[i].strs[string(s)]; !ok {
				return false
			}
		}
		if n.minLength != -1 || n.maxLength != -1 {
			l := utf8.RuneCount(s)
			if (n.minLength != -1 && l < n.minLength) || (n.maxLength != -1 && l > n.maxLength) {
				return false
			}
		}
		if n.pattern != nil && !c.match(n, s) {
			return false
		}
	}
	return true
}

// checkNumber checks the JSON number raw as encoding/json/v2 decodes it
// into any: a float64, refused when out of range.
func checkNumber(nodes []*fastNode, raw []byte) bool {
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return false
	}
	for _, n := range nodes {
		if n.unsupported || (n.types != 0 && n.types&typeNumber == 0 && (n.types&typeInteger == 0 || f != math.Trunc(f))) {
			return false
		}
		if len(n.enums) > 0 {
			return false
		}
		for _, b := range n.bounds {
			c := 0
			if f < b.v {
				c = -1
			} else if f > b.v {
				c = 1
			}
			if !b.ok[c+1] {
				return false
			}
		}
	}
	return true
}

// unquote returns the contents of the quoted JSON string raw, unescaped
// into *scratch if it must be.
func unquote(raw []byte, scratch *[]byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	s, err := jsontext.AppendUnquote((*scratch)[:0], raw)
	if err != nil {
		return nil, false
	}
	*scratch = s
	return s, true
}

// skipRest consumes what remains of a value check gave up on: d was at
// depth when the value started, before which the input offset was off.
func skipRest(d *jsontext.Decoder, depth int, off int64) error {
	if d.InputOffset() == off {
		return d.SkipValue()
	}
	for d.StackDepth() > depth {
		if _, err := d.ReadToken(); err != nil {
			return err
		}
	}
	return nil
}
