package compiler

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// node is a configuration value as plain data with positions: the common
// form both evaluation paths produce (from the AST of a plain-data file, or
// from an evaluated cue.Value), decoded into Go by decodeNode. Nodes are
// transient: nothing keeps them after decoding, except JWK private members.
type node struct {
	kind nodeKind
	pos  pos
	str  string
	num  int64
	// overflow marks an integer beyond int64, which is refused rather
	// than saturated.
	overflow bool
	bool     bool
	fields   []nfield
	elems    []*node
}

type nfield struct {
	name string
	pos  pos // of the key
	val  *node
}

type nodeKind uint8

const (
	nOther nodeKind = iota // null, float, bytes: never plain data
	nString
	nInt
	nBool
	nStruct
	nList
)

func (k nodeKind) String() string {
	return [...]string{"other", "string", "int", "bool", "struct", "list"}[k]
}

func (n *node) field(name string) *nfield {
	for i := range n.fields {
		if n.fields[i].name == name {
			return &n.fields[i]
		}
	}
	return nil
}

func tokPos(p token.Pos) pos {
	if !p.IsValid() {
		return pos{}
	}
	tp := p.Position()
	return pos{line: int32(tp.Line), col: int32(tp.Column)}
}

// plainFile converts the AST of a file that is plain data — fields with
// identifier or string labels, string, integer and boolean literals,
// structs and lists, at most `package frontdoor` and no imports — into a
// node. It returns false for anything else (references, expressions,
// comprehensions, optional markers, definitions, duplicate fields, floats,
// null...), which then goes through CUE evaluation.
func plainFile(f *ast.File) (*node, bool) {
	root := &node{kind: nStruct, pos: pos{1, 1}, fields: make([]nfield, 0, len(f.Decls))}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package:
			if d.Name == nil || d.Name.Name != "frontdoor" {
				return nil, false
			}
		case *ast.CommentGroup:
		case *ast.Field:
			if !plainField(root, d) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return root, true
}

func plainField(parent *node, f *ast.Field) bool {
	if f.Constraint != token.ILLEGAL || len(f.Attrs) > 0 || f.Value == nil {
		return false
	}
	var name string
	switch l := f.Label.(type) {
	case *ast.Ident:
		name = l.Name
		if name == "" || name[0] == '#' || name[0] == '_' || strings.HasPrefix(name, "__") {
			return false
		}
	case *ast.BasicLit:
		if l.Kind != token.STRING || !strings.HasPrefix(l.Value, `"`) || strings.HasPrefix(l.Value, `"""`) {
			return false
		}
		s, err := literal.Unquote(l.Value)
		if err != nil {
			return false
		}
		name = s
	default:
		return false
	}
	if parent.field(name) != nil {
		return false // CUE would unify duplicates: leave it to CUE
	}
	v, ok := plainExpr(f.Value)
	if !ok {
		return false
	}
	parent.fields = append(parent.fields, nfield{name: name, pos: tokPos(f.Label.Pos()), val: v})
	return true
}

func plainExpr(x ast.Expr) (*node, bool) {
	switch x := x.(type) {
	case *ast.BasicLit:
		p := tokPos(x.Pos())
		switch x.Kind {
		case token.STRING:
			if !strings.HasPrefix(x.Value, `"`) {
				return nil, false // bytes or raw strings: leave to CUE
			}
			s, err := literal.Unquote(x.Value)
			if err != nil {
				return nil, false
			}
			return &node{kind: nString, pos: p, str: s}, true
		case token.INT:
			v := x.Value
			if v == "" || len(v) > 18 || strings.Trim(v, "0123456789") != "" || (len(v) > 1 && v[0] == '0') {
				return nil, false
			}
			i, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, false
			}
			return &node{kind: nInt, pos: p, num: i}, true
		case token.TRUE:
			return &node{kind: nBool, pos: p, bool: true}, true
		case token.FALSE:
			return &node{kind: nBool, pos: p}, true
		}
		return nil, false
	case *ast.StructLit:
		n := &node{kind: nStruct, pos: tokPos(x.Pos()), fields: make([]nfield, 0, len(x.Elts))}
		for _, d := range x.Elts {
			switch d := d.(type) {
			case *ast.Field:
				if !plainField(n, d) {
					return nil, false
				}
			case *ast.CommentGroup:
			default:
				return nil, false
			}
		}
		return n, true
	case *ast.ListLit:
		n := &node{kind: nList, pos: tokPos(x.Pos()), elems: make([]*node, 0, len(x.Elts))}
		for _, e := range x.Elts {
			v, ok := plainExpr(e)
			if !ok {
				return nil, false
			}
			n.elems = append(n.elems, v)
		}
		return n, true
	}
	return nil, false
}

// astField finds the field name among the declarations of a struct.
func astField(decls []ast.Decl, name string) *ast.Field {
	name = unquoteLabel(name)
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		var l string
		switch lb := f.Label.(type) {
		case *ast.Ident:
			l = lb.Name
		case *ast.BasicLit:
			l, _ = literal.Unquote(lb.Value)
		}
		if l == name {
			return f
		}
	}
	return nil
}

// unquoteLabel returns the name of a path element: CUE quotes labels that
// are not identifiers ("nhs-login").
func unquoteLabel(name string) string {
	if strings.HasPrefix(name, `"`) {
		if u, err := literal.Unquote(name); err == nil {
			return u
		}
	}
	return name
}

func astDecls(x ast.Node) []ast.Decl {
	switch x := x.(type) {
	case *ast.File:
		return x.Decls
	case *ast.StructLit:
		return x.Elts
	}
	return nil
}

// valueNode converts an evaluated, concrete value into a node. src is the
// matching AST node, if known; positions come from it when it is there, so
// that both evaluation paths give the same positions, else from the value
// when it is in file, else from the parent.
func valueNode(v cue.Value, src ast.Node, file string, parent pos) *node {
	p := parent
	if src != nil {
		if sp := tokPos(src.Pos()); sp.line > 0 {
			p = sp
		}
	} else if vp := v.Pos(); vp.IsValid() && vp.Filename() == file {
		p = tokPos(vp)
	}
	if d, ok := v.Default(); ok {
		v = d
	}
	n := &node{pos: p}
	switch v.Kind() {
	case cue.StringKind:
		n.kind = nString
		n.str, _ = v.String()
	case cue.IntKind:
		n.kind = nInt
		var err error
		if n.num, err = v.Int64(); err != nil {
			n.overflow = true
		}
	case cue.BoolKind:
		n.kind = nBool
		n.bool, _ = v.Bool()
	case cue.StructKind:
		n.kind = nStruct
		if _, ok := src.(*ast.File); ok {
			n.pos = pos{1, 1}
		}
		decls := astDecls(src)
		it, _ := v.Fields()
		for it.Next() {
			name := it.Selector().Unquoted()
			kp := n.pos
			var sub ast.Node
			if af := astField(decls, name); af != nil {
				kp = tokPos(af.Label.Pos())
				sub = af.Value
			} else if vp := it.Value().Pos(); vp.IsValid() && vp.Filename() == file {
				kp = tokPos(vp)
			}
			n.fields = append(n.fields, nfield{name: name, pos: kp, val: valueNode(it.Value(), sub, file, kp)})
		}
	case cue.ListKind:
		n.kind = nList
		var elts []ast.Expr
		if l, ok := src.(*ast.ListLit); ok {
			elts = l.Elts
		}
		it, _ := v.List()
		for i := 0; it.Next(); i++ {
			var sub ast.Node
			if i < len(elts) {
				sub = elts[i]
			}
			n.elems = append(n.elems, valueNode(it.Value(), sub, file, n.pos))
		}
	}
	return n
}

// checkInts reports every integer of n beyond int64, at its key (at) or
// list element, and whether there was one.
func checkInts(n *node, file string, at pos, sink *diagSink) bool {
	bad := false
	switch n.kind {
	case nInt:
		if n.overflow {
			sink.add(file, at, codeInvalidValue, "an integer from -9223372036854775808 to 9223372036854775807", "integer out of range")
			bad = true
		}
	case nStruct:
		for _, f := range n.fields {
			bad = checkInts(f.val, file, f.pos, sink) || bad
		}
	case nList:
		for _, e := range n.elems {
			bad = checkInts(e, file, e.pos, sink) || bad
		}
	}
	return bad
}

var (
	atType   = reflect.TypeFor[at]()
	nodeType = reflect.TypeFor[*node]()
)

// decodeNode stores n into the Go value rv points at, following json tags.
// self is the position of n's key (or list element). Fields of n that the Go
// type lacks are ignored: the schema has already refused unknown fields.
func decodeNode(n *node, rv reflect.Value, self pos) error {
	t := rv.Type()
	if t == nodeType {
		rv.Set(reflect.ValueOf(n))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		e := reflect.New(t.Elem())
		if err := decodeNode(n, e.Elem(), self); err != nil {
			return err
		}
		rv.Set(e)
		return nil
	case reflect.String:
		if n.kind != nString {
			return fmt.Errorf("want string, got %s", n.kind)
		}
		rv.SetString(n.str)
	case reflect.Int, reflect.Int64:
		if n.kind != nInt {
			return fmt.Errorf("want int, got %s", n.kind)
		}
		rv.SetInt(n.num)
	case reflect.Bool:
		if n.kind != nBool {
			return fmt.Errorf("want bool, got %s", n.kind)
		}
		rv.SetBool(n.bool)
	case reflect.Slice:
		if n.kind != nList {
			return fmt.Errorf("want list, got %s", n.kind)
		}
		s := reflect.MakeSlice(t, len(n.elems), len(n.elems))
		for i, e := range n.elems {
			if err := decodeNode(e, s.Index(i), e.pos); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
		}
		rv.Set(s)
	case reflect.Map:
		if n.kind != nStruct {
			return fmt.Errorf("want struct, got %s", n.kind)
		}
		m := reflect.MakeMapWithSize(t, len(n.fields))
		e := reflect.New(t.Elem()).Elem() // SetMapIndex copies it
		for i := range n.fields {
			f := &n.fields[i]
			e.SetZero()
			if err := decodeNode(f.val, e, f.pos); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			m.SetMapIndex(reflect.ValueOf(&f.name).Elem(), e)
		}
		rv.Set(m)
	case reflect.Struct:
		if n.kind != nStruct {
			return fmt.Errorf("want struct, got %s", n.kind)
		}
		plan := planOf(t)
		for _, i := range plan.at {
			a := at{self: self, fields: make([]fieldPos, 0, len(n.fields))}
			for _, f := range n.fields {
				// A name no Go struct has is never asked for.
				if id, ok := fieldNames[f.name]; ok {
					a.fields = append(a.fields, fieldPos{name: id, pos: f.pos})
				}
			}
			// CUE and the source order fields differently.
			slices.SortFunc(a.fields, func(x, y fieldPos) int { return int(x.name) - int(y.name) })
			rv.Field(i).Set(reflect.ValueOf(a))
		}
		for _, pf := range plan.fields {
			f := n.field(pf.name)
			if f == nil {
				continue
			}
			if err := decodeNode(f.val, rv.Field(pf.index), f.pos); err != nil {
				return fmt.Errorf("%s: %w", pf.name, err)
			}
		}
	default:
		return fmt.Errorf("cannot decode into %s", t)
	}
	return nil
}

// structPlan is how decodeNode fills a struct type: the fields it sets by
// their json names, in field order, and the fields of type at.
type structPlan struct {
	fields []planField
	at     []int
}

type planField struct {
	name  string
	index int
}

// structPlans are the plans of every struct type of a configuration
// file's value, made once: looking fields and tags up by reflection for
// each value decoded costs more than the decoding itself.
var structPlans = func() map[reflect.Type]*structPlan {
	plans := map[reflect.Type]*structPlan{}
	for k := kindPlatform; k <= kindConsumer; k++ {
		if v := newFileValue(k); v != nil {
			addPlans(plans, reflect.TypeOf(v))
		}
	}
	return plans
}()

func addPlans(plans map[reflect.Type]*structPlan, t reflect.Type) {
	switch {
	case t == nodeType:
	case t.Kind() == reflect.Pointer, t.Kind() == reflect.Slice, t.Kind() == reflect.Map:
		addPlans(plans, t.Elem())
	case t.Kind() == reflect.Struct && plans[t] == nil:
		plans[t] = newPlan(t)
		for i := range t.NumField() {
			addPlans(plans, t.Field(i).Type)
		}
	}
}

// fieldNames numbers the JSON names of the fields of every struct type of
// a configuration file's value (see fieldPos).
var fieldNames = func() map[string]uint16 {
	var all []string
	for _, p := range structPlans {
		for _, f := range p.fields {
			all = append(all, f.name)
		}
	}
	slices.Sort(all)
	names := map[string]uint16{}
	for _, name := range slices.Compact(all) {
		names[name] = uint16(len(names))
	}
	return names
}()

// planOf returns the plan of struct type t.
func planOf(t reflect.Type) *structPlan {
	if p := structPlans[t]; p != nil {
		return p
	}
	return newPlan(t)
}

func newPlan(t reflect.Type) *structPlan {
	p := &structPlan{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Type == atType {
			p.at = append(p.at, i)
			continue
		}
		if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name != "" && name != "-" {
			p.fields = append(p.fields, planField{name, i})
		}
	}
	return p
}
