package compiler

import (
	"reflect"
	"testing"
)

// TestAtGivesEachFieldItsOwnPosition decodes a struct with fields in an
// order other than their names' and asks for each field's position, for
// an absent field, and for a name no struct has.
func TestAtGivesEachFieldItsOwnPosition(t *testing.T) {
	n := &node{kind: nStruct, pos: pos{1, 1}, fields: []nfield{
		{name: "version", pos: pos{4, 1}, val: &node{kind: nString, str: "1.0.0"}},
		{name: "title", pos: pos{2, 1}, val: &node{kind: nString, str: "T"}},
		{name: "summary", pos: pos{3, 3}, val: &node{kind: nString, str: "S"}},
		{name: "nosuch", pos: pos{5, 1}, val: &node{kind: nString, str: "x"}},
	}}
	var a apiFile
	if err := decodeNode(n, reflect.ValueOf(&a).Elem(), pos{1, 1}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want pos
	}{
		{"title", pos{2, 1}},
		{"summary", pos{3, 3}},
		{"version", pos{4, 1}},
		{"status", pos{1, 1}}, // absent: the struct's own
		{"nosuch", pos{1, 1}}, // no Go struct has it
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.At.of(tc.name); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
