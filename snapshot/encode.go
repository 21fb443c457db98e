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
// (TestEncodeMatchesCanonicalOfMarshal), without that detour. It sets
// s.Sections to the digests of the other members' bytes.
//
// It runs twice: once counting bytes, once writing them into a buffer of
// that size, so that a large snapshot is never held twice over by a
// growing buffer. "sections" sorts after every other member, so the
// digests of the members written before it end the document.
func encodeSnapshot(s *Snapshot) ([]byte, error) {
	b, _, err := encodeReusing(s, nil, nil, nil)
	return b, err
}

// Section is an encoded top-level member of a snapshot: its canonical
// bytes and their digest.
type Section struct {
	Bytes  []byte
	Digest string
	// Items are the bytes of each item of the apis member, in order.
	Items [][]byte
}

// EncodeReusing is Encode, but writes each member named in reuse as the
// bytes given there, with their digest, instead of encoding it: the
// caller vouches that they are the canonical encoding of s's value of
// that member (an earlier encoding of an equal value). Each API equal
// (reflect.DeepEqual) to the one of apis with its ID is written as that
// one's bytes in items (an earlier encoding's apis and Section.Items): an
// equal value encodes to equal bytes; apis and items must not change
// afterwards. It also returns every member as written, sharing the
// returned bytes.
func (s *Snapshot) EncodeReusing(reuse map[string]Section, apis []API, items [][]byte) ([]byte, map[string]Section, error) {
	if len(apis) != len(items) {
		apis, items = nil, nil
	}
	return encodeReusing(s, reuse, apis, items)
}

func encodeReusing(s *Snapshot, reuse map[string]Section, apis []API, items [][]byte) ([]byte, map[string]Section, error) {
	doc := *s
	doc.Sections = nil
	e := &canonicalEncoder{counting: true, reuse: reuse}
	if _, whole := reuse[apisMember]; !whole && s.APIs != nil {
		e.apis = &apiItems{byID: make(map[string]int, len(apis)), prior: apis, items: items, same: make([][]byte, len(s.APIs))}
		for i := range apis {
			e.apis.byID[apis[i].ID] = i
		}
	}
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
	if e.apis != nil {
		sec := secs[apisMember]
		sec.Items = make([][]byte, len(e.apis.spans))
		for i, sp := range e.apis.spans {
			sec.Items[i] = e.buf[sp.start:sp.end:sp.end]
		}
		secs[apisMember] = sec
	} else if r, ok := reuse[apisMember]; ok {
		sec := secs[apisMember]
		sec.Items = r.Items
		secs[apisMember] = sec
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
		} else if f.name == apisMember && e.apis != nil {
			if err := e.apiList(fv); err != nil {
				return nil, err
			}
		} else if err := e.value(fv); err != nil {
			return nil, err
		}
		spans = append(spans, span{name: f.name, start: start, end: len(e.buf)})
	}
	return spans, nil
}

// apiList writes the apis member v, each API equal to an earlier
// encoding's as that one's bytes (decided when counting), and records
// where each item lies when writing.
func (e *canonicalEncoder) apiList(v reflect.Value) error {
	a := e.apis
	e.writeByte('[')
	for i := range v.Len() {
		if i > 0 {
			e.writeByte(',')
		}
		item := v.Index(i)
		if e.counting {
			api := item.Addr().Interface().(*API)
			if j, ok := a.byID[api.ID]; ok && reflect.DeepEqual(&a.prior[j], api) {
				a.same[i] = a.items[j]
			}
		}
		start := len(e.buf)
		if b := a.same[i]; b != nil {
			e.write(b)
		} else if err := e.value(item); err != nil {
			return err
		}
		if !e.counting {
			a.spans = append(a.spans, span{start: start, end: len(e.buf)})
		}
	}
	e.writeByte(']')
	return nil
}

// apiItems is what an encoding takes from an earlier one's apis.
type apiItems struct {
	byID  map[string]int // index in prior by ID
	prior []API
	items [][]byte
	same  [][]byte // per API: the earlier bytes it is written as, or nil
	spans []span   // per API: where it lies in the document
}

// canonicalEncoder writes canonical JSON; when counting, it only counts.
type canonicalEncoder struct {
	counting bool
	reuse    map[string]Section // top-level members written as given
	apis     *apiItems          // for the apis member, when not in reuse
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

// apisMember is the snapshot's member whose items an encoding may reuse.
const apisMember = "apis"
