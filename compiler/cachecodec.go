package compiler

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// The cache's encoding of a file's evaluation (see cache.go): a compact
// binary form of the Go value, walked by reflection, unexported fields
// included, so that it round-trips exactly whatever the model's types
// hold. Interface values are restricted to cachedTypes; a value that holds
// anything the codec does not know (a func, a channel, another interface
// type) is not encoded, and the file is simply not cached.

// cachedTypes are the dynamic types an interface may hold in a cached
// value: what evalFile returns.
var cachedTypes = []reflect.Type{
	reflect.TypeFor[*platformFile](),
	reflect.TypeFor[*onboardingFile](),
	reflect.TypeFor[*launchFile](),
	reflect.TypeFor[*diagnosisFile](),
	reflect.TypeFor[*publisherFile](),
	reflect.TypeFor[*apiFile](),
	reflect.TypeFor[*grantsFile](),
	reflect.TypeFor[*consumerFile](),
	reflect.TypeFor[*partialFile](),
}

// cachedEval is one file's evaluation as cached: the file's size, the
// diagnostics its evaluation added and the value it returned.
type cachedEval struct {
	size  int64
	diags Diagnostics
	value any
}

var errUncacheable = errors.New("value not cacheable")

type encoder struct{ buf []byte }

func (e *encoder) uint(u uint64) { e.buf = binary.AppendUvarint(e.buf, u) }

func encodeEval(ce *cachedEval) ([]byte, error) { return encodeValue(ce) }

// encodeValue encodes what ptr points to.
func encodeValue(ptr any) ([]byte, error) {
	e := &encoder{}
	if err := e.value(reflect.ValueOf(ptr).Elem()); err != nil {
		return nil, err
	}
	return e.buf, nil
}

func (e *encoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.uint(1)
		} else {
			e.uint(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = binary.AppendVarint(e.buf, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.uint(math.Float64bits(v.Float()))
	case reflect.String:
		e.uint(uint64(v.Len()))
		e.buf = append(e.buf, v.String()...)
	case reflect.Array:
		for i := range v.Len() {
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			e.uint(0)
			return nil
		}
		e.uint(uint64(v.Len()) + 1)
		for i := range v.Len() {
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			e.uint(0)
			return nil
		}
		// Entries in the order of their encoded keys: the same value
		// always encodes to the same bytes.
		type entry struct{ k, v []byte }
		entries := make([]entry, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			var ke, ve encoder
			if err := ke.value(it.Key()); err != nil {
				return err
			}
			if err := ve.value(it.Value()); err != nil {
				return err
			}
			entries = append(entries, entry{ke.buf, ve.buf})
		}
		slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.k, b.k) })
		e.uint(uint64(len(entries)) + 1)
		for _, en := range entries {
			e.buf = append(e.buf, en.k...)
			e.buf = append(e.buf, en.v...)
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.uint(0)
			return nil
		}
		e.uint(1)
		return e.value(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if err := e.value(v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Interface:
		if v.IsNil() {
			e.uint(0)
			return nil
		}
		i := slices.Index(cachedTypes, v.Elem().Type())
		if i < 0 {
			return fmt.Errorf("%w: %s", errUncacheable, v.Elem().Type())
		}
		e.uint(uint64(i) + 1)
		return e.value(v.Elem())
	default:
		return fmt.Errorf("%w: %s", errUncacheable, v.Type())
	}
	return nil
}

type decoder struct{ buf []byte }

var errCorrupt = errors.New("corrupt cache entry")

func (d *decoder) uint() (uint64, error) {
	u, n := binary.Uvarint(d.buf)
	if n <= 0 {
		return 0, errCorrupt
	}
	d.buf = d.buf[n:]
	return u, nil
}

// length reads a length that cannot be more than what is left to read,
// so that a corrupt entry cannot make the decoder allocate without bound.
func (d *decoder) length() (int, error) {
	u, err := d.uint()
	if err != nil || u > uint64(len(d.buf))+1 {
		return 0, errCorrupt
	}
	return int(u), nil
}

func decodeEval(b []byte) (*cachedEval, error) {
	ce := &cachedEval{}
	return ce, decodeValue(b, ce)
}

// decodeValue decodes b into what ptr points to.
func decodeValue(b []byte, ptr any) error {
	d := &decoder{b}
	if err := d.value(reflect.ValueOf(ptr).Elem()); err != nil {
		return err
	}
	if len(d.buf) != 0 {
		return errCorrupt
	}
	return nil
}

// value decodes into v, which is addressable; unexported fields are set
// through their address.
func (d *decoder) value(v reflect.Value) error {
	if !v.CanSet() {
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	switch v.Kind() {
	case reflect.Array:
		for i := range v.Len() {
			if err := d.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		return d.slice(v)
	case reflect.Map:
		return d.mapValue(v)
	case reflect.Pointer:
		return d.pointer(v)
	case reflect.Struct:
		for i := range v.NumField() {
			if err := d.value(v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Interface:
		return d.iface(v)
	default:
		return d.scalar(v)
	}
	return nil
}

// scalar decodes a boolean, number or string into v.
func (d *decoder) scalar(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Bool:
		u, err := d.uint()
		if err != nil || u > 1 {
			return errCorrupt
		}
		v.SetBool(u == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, n := binary.Varint(d.buf)
		if n <= 0 || v.OverflowInt(i) {
			return errCorrupt
		}
		d.buf = d.buf[n:]
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, err := d.uint()
		if err != nil || v.OverflowUint(u) {
			return errCorrupt
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		u, err := d.uint()
		if err != nil {
			return err
		}
		v.SetFloat(math.Float64frombits(u))
	case reflect.String:
		n, err := d.length()
		if err != nil || n > len(d.buf) {
			return errCorrupt
		}
		v.SetString(string(d.buf[:n]))
		d.buf = d.buf[n:]
	default:
		return fmt.Errorf("%w: %s", errUncacheable, v.Type())
	}
	return nil
}

// slice decodes a slice: its length plus one, 0 for nil, then its elements.
func (d *decoder) slice(v reflect.Value) error {
	n, err := d.length()
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	s := reflect.MakeSlice(v.Type(), n-1, n-1)
	for i := range n - 1 {
		if err := d.value(s.Index(i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// mapValue decodes a map: its length plus one, 0 for nil, then its keys and values.
func (d *decoder) mapValue(v reflect.Value) error {
	n, err := d.length()
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	m := reflect.MakeMapWithSize(v.Type(), n-1)
	for range n - 1 {
		k := reflect.New(v.Type().Key()).Elem()
		if err := d.value(k); err != nil {
			return err
		}
		e := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(e); err != nil {
			return err
		}
		m.SetMapIndex(k, e)
	}
	v.Set(m)
	return nil
}

// pointer decodes a pointer: 0 for nil, else 1 and what it points to.
func (d *decoder) pointer(v reflect.Value) error {
	u, err := d.uint()
	if err != nil || u > 1 {
		return errCorrupt
	}
	if u == 0 {
		return nil
	}
	p := reflect.New(v.Type().Elem())
	if err := d.value(p.Elem()); err != nil {
		return err
	}
	v.Set(p)
	return nil
}

// iface decodes an interface: 0 for nil, else the index of its dynamic type in cachedTypes plus one, then the value.
func (d *decoder) iface(v reflect.Value) error {
	u, err := d.uint()
	if err != nil || u > uint64(len(cachedTypes)) {
		return errCorrupt
	}
	if u == 0 {
		return nil
	}
	x := reflect.New(cachedTypes[u-1]).Elem()
	if err := d.value(x); err != nil {
		return err
	}
	v.Set(x)
	return nil
}

// typeFingerprint describes the layout of every type the codec may meet,
// so that an entry written for other types is never decoded into these.
func typeFingerprint() string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		fmt.Fprintf(&b, "%s:%s{", t.String(), t.Kind())
		if !seen[t] {
			seen[t] = true
			switch t.Kind() {
			case reflect.Array, reflect.Slice, reflect.Pointer:
				walk(t.Elem())
			case reflect.Map:
				walk(t.Key())
				walk(t.Elem())
			case reflect.Struct:
				for i := range t.NumField() {
					b.WriteString(t.Field(i).Name + " ")
					walk(t.Field(i).Type)
				}
			}
		}
		b.WriteString("}")
	}
	walk(reflect.TypeFor[cachedEval]())
	walk(reflect.TypeFor[specOutcome]())
	for _, t := range cachedTypes {
		walk(t)
	}
	return b.String()
}
