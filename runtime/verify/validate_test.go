package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
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
	v, err := New(Options{Schema: []byte(schemaDoc)})
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
		err := validateDoc(v, []byte(doc))
		if got := err == nil; got != want {
			t.Errorf("%s: got valid=%v (%v), want %v", doc, got, err, want)
		}
		if err != nil && ReasonOf(err) != ReasonSchema && doc[0] == '{' {
			t.Errorf("%s: got reason %q, want schema", doc, ReasonOf(err))
		}
	}
	err = validateDoc(v, []byte(`{"generation": 1, "entitlements": [{"app": "a"}, {"app": 2}]}`))
	if err == nil || !strings.Contains(err.Error(), "/entitlements/1/app") {
		t.Errorf("got %v, want the item's location", err)
	}
	for _, doc := range []string{`{"generation": 1`, `{"generation": 1}{}`, `{"generation": 1, "entitlements": [{"app": "a"}0]}`, `{"generation": 1, "entitlements": [{"app": "a"} {"app": "b"}]}`, `{"generation": 1, "generation": 2}`, ``} {
		if err := validateDoc(v, []byte(doc)); ReasonOf(err) != ReasonDecode {
			t.Errorf("%q: got %v, want a decode refusal", doc, err)
		}
	}
}

// validateDoc validates every section of doc, as a first load does.
func validateDoc(v *Verifier, doc []byte) error {
	secs, err := split(doc)
	if err != nil {
		return refuse(ReasonDecode, err)
	}
	all := map[string]bool{}
	for name := range secs.raw {
		all[name] = true
	}
	return v.validate(secs, all, false)
}

func TestSplitReadsTopLevelMembersOnly(t *testing.T) {
	doc := `{"apis":[{"id":"p/a","x":[1],"consumers":[]}],"consumers":[] ,"generation": 1}`
	secs, err := split([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"apis": []byte(`[{"id":"p/a","x":[1],"consumers":[]}]`), "consumers": []byte(`[]`), "generation": []byte(`1`)}
	if !reflect.DeepEqual(secs.raw, want) {
		t.Errorf("got %q, want %q", secs.raw, want)
	}
}

func TestSplitRefusesWhatIsNotOneObject(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{"apis":[]`, `{"apis":[]}{}`, `{"apis":[]}0`, `{"apis":[],"apis":[]}`, `{"apis":[}`, "{\"a\xff\":1}"} {
		if _, err := split([]byte(bad)); err == nil {
			t.Errorf("%q was split", bad)
		}
	}
}

// TestSplitKnownCutsAsSplit: stepping over the sections whose digests were
// seen before cuts a document where reading it whole does, whatever
// changed; and a document laid out otherwise is left to split.
func TestSplitKnownCutsAsSplit(t *testing.T) {
	v, err := New(Options{Schema: snaptest.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	base := snaptest.Small(1, "http://up.test")
	seen, err := split(snaptest.Encode(t, base))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for name, raw := range seen.raw {
		sizes[seen.digests[name]] = len(raw)
	}
	v.sizes.Store(&sizes)
	for _, edit := range []func(s *snapshot.Snapshot){
		func(*snapshot.Snapshot) {},
		func(s *snapshot.Snapshot) { s.Generation = 123456 },
		func(s *snapshot.Snapshot) { s.Commit = "0123456789abcdef0123456789abcdef01234567" },
		func(s *snapshot.Snapshot) { s.Entitlements = s.Entitlements[1:] },
		func(s *snapshot.Snapshot) { s.APIs[0].Title = `a "quoted" {title}, "routes":[]` },
	} {
		s := snaptest.Copy(t, base)
		edit(s)
		doc := snaptest.Encode(t, s)
		want, err := split(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range contents(doc) {
			got, ok := v.splitKnown(c, nil, sizes)
			if !ok || !reflect.DeepEqual(got.span, want.span) || !reflect.DeepEqual(got.digests, want.digests) {
				t.Errorf("%s (in memory %t): cut %v differs from split's", doc, c.b != nil, ok)
			}
		}
	}
	for _, doc := range []string{``, `{}`, `{"apis":[]}`, ` {"apis":[],"sections":{"apis":"x"}}`, `{"apis":[] ,"sections":{"apis":"x"}}`} {
		for _, c := range contents([]byte(doc)) {
			if _, ok := v.splitKnown(c, nil, sizes); ok {
				t.Errorf("%q (in memory %t) was cut", doc, c.b != nil)
			}
		}
	}
}

// contents returns doc in memory and in a file whose tail is its last
// bytes.
func contents(doc []byte) []*content {
	return []*content{
		{b: doc, size: len(doc), tail: doc},
		{r: bytes.NewReader(doc), size: len(doc), tail: doc[max(len(doc)-1024, 0):]},
	}
}

// TestTheFirstSectionInNameOrderWhoseDigestDiffersIsReported: however the
// sections are hashed (large ones in parallel, or serially), the refusal
// names the first wrong section in name order, and none when all match.
func TestTheFirstSectionInNameOrderWhoseDigestDiffersIsReported(t *testing.T) {
	names := []string{"apis", "consumers", "entitlements", "routes", "zsmall"}
	for _, tc := range []struct {
		wrong []string
		want  string
	}{
		{nil, ""},
		{[]string{"routes"}, "routes"},
		{[]string{"routes", "consumers"}, "consumers"},
		{[]string{"zsmall", "entitlements"}, "entitlements"},
		{[]string{"zsmall"}, "zsmall"},
	} {
		for _, serial := range []bool{false, true} {
			s := newSections()
			s.digests = map[string]string{}
			for i, name := range names {
				raw := bytes.Repeat([]byte{byte('a' + i)}, 2*parallelDigest)
				if name == "zsmall" {
					raw = raw[:10]
				}
				s.raw[name] = raw
				s.digests[name] = snapshot.Digest(raw)
				if slices.Contains(tc.wrong, name) {
					s.digests[name] = snapshot.Digest([]byte(name))
				}
			}
			err := s.check(slices.Clone(names), serial)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("serial %t: got %v, want no error", serial, err)
			case tc.want != "" && (ReasonOf(err) != ReasonDigest || !strings.Contains(err.Error(), "section "+tc.want+" ")):
				t.Errorf("wrong %v, serial %t: got %v, want a digest refusal of %s", tc.wrong, serial, err, tc.want)
			}
		}
	}
}

// TestDecodingErrorsComeInSectionNameOrder: the sections are decoded
// largest first, and their errors are still reported in name order.
func TestDecodingErrorsComeInSectionNameOrder(t *testing.T) {
	for _, serial := range []bool{false, true} {
		secs := newSections()
		secs.raw["apis"] = []byte(`[{"id":1}]`)
		secs.raw["routes"] = []byte(`[` + strings.Repeat(`{"basePath":"/a"},`, 100) + `{"basePath":0}]`)
		secs.raw["commit"] = []byte(`"abc"`)
		changed := map[string]bool{"apis": true, "routes": true, "commit": true}
		var d snapshot.Snapshot
		err := decodeSections(&d, &store.Edits{}, secs, changed, serial)
		if err == nil {
			t.Fatalf("serial %t: two broken sections decoded", serial)
		}
		msg := err.Error()
		if a, r := strings.Index(msg, "apis:"), strings.Index(msg, "routes:"); a < 0 || r < a {
			t.Errorf("serial %t: got %q, want the apis error before the routes one", serial, msg)
		}
		if d.Commit != "abc" {
			t.Errorf("serial %t: commit %q, want it decoded beside the broken sections", serial, d.Commit)
		}
	}
}

// eofReader is a bytes.Reader whose ReadAt says io.EOF with the last byte,
// as io.ReaderAt allows, and fails from fail on.
type eofReader struct {
	*bytes.Reader
	fail int64
}

func (r eofReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.fail {
		return 0, errors.New("unreadable")
	}
	n, err := r.Reader.ReadAt(p, off)
	if err == nil && off+int64(n) == r.Size() {
		err = io.EOF
	}
	return n, err
}

// TestAWholeReadInPiecesIsTheFile: the file read in pieces at once has
// its bytes, whatever its size; a piece that cannot be read fails it.
func TestAWholeReadInPiecesIsTheFile(t *testing.T) {
	for _, n := range []int{0, 1, minPiece, 2*minPiece + 3, 5*minPiece - 1} {
		doc := make([]byte, n)
		for i := range doc {
			doc[i] = byte(i * 7 / 3)
		}
		for _, serial := range []bool{false, true} {
			got, err := readAll(eofReader{bytes.NewReader(doc), int64(n)}, n, serial)
			if err != nil || !bytes.Equal(got, doc) {
				t.Errorf("%d bytes, serial %t: read %d bytes, %v; want the file", n, serial, len(got), err)
			}
			if n < 2 {
				continue
			}
			if _, err := readAll(eofReader{bytes.NewReader(doc), int64(n - 1)}, n, serial); err == nil {
				t.Errorf("%d bytes, serial %t: a file whose last byte cannot be read was read", n, serial)
			}
		}
	}
}
