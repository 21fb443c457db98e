package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeSnapshot writes the canonical JSON of s, byte for byte what
// encoding/json writes of json.Marshal(s) decoded into a generic map
// (TestEncodeMatchesCanonicalOfMarshal), without that detour. It sets s.Sections to the
// digests of the other members' bytes.
//
// It runs twice: once counting bytes, once writing them into a buffer of
// that size, so that a large snapshot is never held twice over by a
// growing buffer. "sections" sorts after every other member, so the
// digests of the members written before it end the document.
func encodeSnapshot(s *Snapshot) ([]byte, error) {
	b, _, err := encodeReusing(s, nil)
	return b, err
}

// Section is an encoded top-level member of a snapshot: its canonical
// bytes and their digest.
type Section struct {
	Bytes  []byte
	Digest string
}

// EncodeReusing is Encode, but writes each member named in reuse as the
// bytes given there, with their digest, instead of encoding it: the
// caller vouches that they are the canonical encoding of s's value of
// that member (an earlier encoding of an equal value). It also returns
// every member as written, sharing the returned bytes.
func (s *Snapshot) EncodeReusing(reuse map[string]Section) ([]byte, map[string]Section, error) {
	return encodeReusing(s, reuse)
}

func encodeReusing(s *Snapshot, reuse map[string]Section) ([]byte, map[string]Section, error) {
	doc := *s
	doc.Sections = nil
	e := &canonicalEncoder{counting: true, reuse: reuse}
	v := reflect.ValueOf(&doc).Elem()
	if _, err := e.members(v); err != nil {
		return nil, nil, err
	}
	e.buf = make([]byte, 0, e.n+len(e.fieldsOf(v.Type()))*96+32)
	e.counting = false
	spans, err := e.members(v)
	if err != nil {
		return nil, nil, err
	}
	s.Sections = make(map[string]string, len(spans))
	for i, sp := range spans {
		if r, ok := reuse[sp.name]; ok {
			s.Sections[sp.name] = r.Digest
		} else {
			s.Sections[sp.name] = Digest(e.buf[sp.start:sp.end])
		}
		if i == 0 {
			e.buf = append(e.buf, `,"`+SectionsMember+`":{`...)
		} else {
			e.buf = append(e.buf, ',')
		}
		e.str(sp.name)
		e.buf = append(e.buf, ':')
		e.str(s.Sections[sp.name])
	}
	if len(spans) > 0 {
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, '}', '\n')
	secs := make(map[string]Section, len(spans))
	for _, sp := range spans {
		secs[sp.name] = Section{Bytes: e.buf[sp.start:sp.end:sp.end], Digest: s.Sections[sp.name]}
	}
	return e.buf, secs, nil
}

// span is where a top-level member's value lies in the encoded document.
type span struct {
	name       string
	start, end int
}

// members writes the snapshot struct v without its closing brace and
// returns where each member's value lies.
func (e *canonicalEncoder) members(v reflect.Value) ([]span, error) {
	var spans []span
	e.writeByte('{')
	for _, f := range e.fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if len(spans) > 0 {
			e.writeByte(',')
		}
		e.str(f.name)
		e.writeByte(':')
		start := len(e.buf)
		if r, ok := e.reuse[f.name]; ok {
			e.write(r.Bytes)
		} else if err := e.value(fv); err != nil {
			return nil, err
		}
		spans = append(spans, span{name: f.name, start: start, end: len(e.buf)})
	}
	return spans, nil
}

// canonicalEncoder writes canonical JSON; when counting, it only counts.
type canonicalEncoder struct {
	counting bool
	reuse    map[string]Section // top-level members written as given
	n        int
	buf      []byte
	scratch  []byte
	fields   map[reflect.Type][]jsonField // sorted JSON fields by type
}

// jsonField is one encoded field of a struct type.
type jsonField struct {
	name      string
	index     int
	omitEmpty bool
}

func (e *canonicalEncoder) fieldsOf(t reflect.Type) []jsonField {
	if f, ok := e.fields[t]; ok {
		return f
	}
	var fields []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, jsonField{name: name, index: i, omitEmpty: strings.Contains(opts, "omitempty")})
	}
	slices.SortFunc(fields, func(a, b jsonField) int { return strings.Compare(a.name, b.name) })
	if e.fields == nil {
		e.fields = map[reflect.Type][]jsonField{}
	}
	e.fields[t] = fields
	return fields
}

func (e *canonicalEncoder) writeByte(c byte) {
	if e.counting {
		e.n++
		return
	}
	e.buf = append(e.buf, c)
}

func (e *canonicalEncoder) writeString(s string) {
	if e.counting {
		e.n += len(s)
		return
	}
	e.buf = append(e.buf, s...)
}

func (e *canonicalEncoder) write(b []byte) {
	if e.counting {
		e.n += len(b)
		return
	}
	e.buf = append(e.buf, b...)
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return v.Uint() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}

func (e *canonicalEncoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		e.str(v.String())
	case reflect.Bool:
		if v.Bool() {
			e.writeString("true")
		} else {
			e.writeString("false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		e.scratch = strconv.AppendInt(e.scratch[:0], v.Int(), 10)
		e.write(e.scratch)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		e.scratch = strconv.AppendUint(e.scratch[:0], v.Uint(), 10)
		e.write(e.scratch)
	case reflect.Pointer:
		if v.IsNil() {
			e.writeString("null")
			return nil
		}
		return e.value(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			e.writeString("null")
			return nil
		}
		e.writeByte('[')
		for i := range v.Len() {
			if i > 0 {
				e.writeByte(',')
			}
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
		e.writeByte(']')
	case reflect.Map:
		if v.IsNil() {
			e.writeString("null")
			return nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("encoding snapshot: map key %s", v.Type().Key())
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		e.writeByte('{')
		for i, k := range keys {
			if i > 0 {
				e.writeByte(',')
			}
			e.str(k)
			e.writeByte(':')
			if err := e.value(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key()))); err != nil {
				return err
			}
		}
		e.writeByte('}')
	case reflect.Struct:
		e.writeByte('{')
		first := true
		for _, f := range e.fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			if !first {
				e.writeByte(',')
			}
			first = false
			e.str(f.name)
			e.writeByte(':')
			if err := e.value(fv); err != nil {
				return err
			}
		}
		e.writeByte('}')
	default:
		return fmt.Errorf("encoding snapshot: unexpected %s", v.Type())
	}
	return nil
}

// str writes a JSON string as encoding/json does without HTML escaping.
// Plain printable ASCII is written directly; anything else goes through
// encoding/json itself, so that both encoders always agree.
func (e *canonicalEncoder) str(s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		e.writeByte('"')
		e.writeString(s)
		e.writeByte('"')
		return
	}
	if !utf8.ValidString(s) {
		// encoding/json writes each invalid byte as \ufffd, which
		// decodes to the raw rune.
		var v strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			v.WriteRune(r) // RuneError for an invalid byte
			i += n
		}
		s = v.String()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	e.write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
