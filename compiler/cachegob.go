package compiler

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// The cache's entries (see cache.go) are encoding/gob values of exported
// types: cachedFile, one configuration file's evaluation, and specOutcome
// (cachespec.go). A file's evaluation is kept as the node tree its value
// is decoded from (flatNodes), and decoded again on use, by the same code
// as after an evaluation.
//
// Each entry is one gob message whose type descriptions are not in it: an
// encoder and a decoder are first given the same preamble (every cached
// type, described once), built the same way by each process. The key of
// an entry covers the build (see evalIdentity), so a preamble of another
// build is never met.

// cachedFile is one file's evaluation as cached: the file's size, the
// diagnostics its evaluation added and, if it returned a value, the node
// tree the value is decoded from and what kind of value it is.
type cachedFile struct {
	Size  int64
	Diags Diagnostics
	Form  valueForm
	Nodes flatNodes
	// Gaps are the paths reported of a partial file (formPartial), sorted.
	Gaps []string
}

// valueForm says what evalFile returned.
type valueForm uint8

const (
	formNone          valueForm = iota // nil
	formFile                           // the file's Go form (decodeFile)
	formPartialGrants                  // a grants file that failed its schema (grantsFile.partial)
	formPartial                        // a partialFile
)

// flatNodes is a node tree in pre-order, as parallel lists: for each node
// its kind (nilNode for a nil *node), position, number, flags and how many
// fields and elements it has; for each field, in order, its name's
// position. A field's value and a list's elements follow their node. The
// strings (each node's, each field's name, in the order of the walk) are
// one Text, cut by TextLens: a decoded tree's strings share one
// allocation.
type flatNodes struct {
	Kinds           []uint8
	Lines, Cols     []int32
	Nums            []int64
	Flags           []uint8 // flagOverflow | flagBool
	NFields, NElems []uint32
	NameLines       []int32
	NameCols        []int32
	Text            string
	TextLens        []uint32
}

const (
	nilNode      = 0xff
	flagOverflow = 1 << iota
	flagBool
)

// flatScratch is the memory a file's evaluation is flattened into to be
// encoded, kept for the next (the entry is an encoded copy).
type flatScratch struct {
	cf   cachedFile
	text []byte
}

var flatScratches = sync.Pool{New: func() any { return &flatScratch{} }}

// fill makes s.cf the cache's form of evaluation v, decoded from n, or
// reports false when v is not something the cache knows how to keep.
func (s *flatScratch) fill(size int64, diags Diagnostics, v any, n *node) bool {
	s.cf.reset()
	cf := &s.cf
	cf.Size, cf.Diags = size, diags
	switch x := v.(type) {
	case nil:
		return true
	case *partialFile:
		cf.Form = formPartial
		for k := range x.gaps {
			cf.Gaps = append(cf.Gaps, k)
		}
		slices.Sort(cf.Gaps)
	case *grantsFile:
		cf.Form = formFile
		if x.partial {
			cf.Form = formPartialGrants
		}
	default:
		cf.Form = formFile
	}
	if n == nil {
		return false
	}
	s.text = s.text[:0]
	cf.Nodes.flatten(n, &s.text)
	cf.Nodes.Text = string(s.text)
	return true
}

// putFile caches evaluation v of file lf, decoded from n, under k.
func (c *Cache) putFile(k cacheKey, size int64, diags Diagnostics, v any, n *node) {
	s := flatScratches.Get().(*flatScratch)
	if s.fill(size, diags, v, n) {
		c.put(k, &s.cf)
	}
	s.cf.reset() // keeps no diagnostics, gaps or text alive
	flatScratches.Put(s)
}

// valueIn is value building the node tree in s's blocks.
func (cf *cachedFile) valueIn(lf layoutFile, s *scratch) (any, error) {
	if cf.Form == formNone {
		return nil, nil
	}
	r, err := newNodeReader(&cf.Nodes, s)
	if err != nil {
		return nil, err
	}
	n, err := r.node()
	if err != nil || n == nil || !r.done() {
		return nil, errCorrupt
	}
	v, err := decodeFile(lf, n)
	if err != nil {
		return nil, errCorrupt
	}
	switch cf.Form {
	case formFile:
		return v, nil
	case formPartialGrants:
		g, ok := v.(*grantsFile)
		if !ok {
			return nil, errCorrupt
		}
		g.partial = true
		return g, nil
	case formPartial:
		gs := gaps{}
		for _, k := range cf.Gaps {
			gs[k] = true
		}
		return &partialFile{value: v, gaps: gs}, nil
	}
	return nil, errCorrupt
}

// scratch is the memory one use of a cached file decodes into, kept for
// the next: the entry, and blocks for its node tree, which the value
// decoded from it does not keep (strings are the entry's Text), but for
// a consumer's (a JWK keeps its private members as nodes).
type scratch struct {
	cf     cachedFile
	nodes  []node
	fields []nfield
	elems  []*node
}

var scratches = sync.Pool{New: func() any { return &scratch{} }}

// reset empties s.cf, keeping its lists' memory for gob to decode into
// (gob leaves a field absent from an entry as it is).
func (s *scratch) reset() { s.cf.reset() }

// reset empties cf, keeping its lists' memory.
func (cf *cachedFile) reset() {
	f := &cf.Nodes
	*f = flatNodes{
		Kinds: f.Kinds[:0], Lines: f.Lines[:0], Cols: f.Cols[:0], Nums: f.Nums[:0], Flags: f.Flags[:0],
		NFields: f.NFields[:0], NElems: f.NElems[:0], NameLines: f.NameLines[:0], NameCols: f.NameCols[:0], TextLens: f.TextLens[:0],
	}
	*cf = cachedFile{Nodes: *f, Gaps: cf.Gaps[:0]}
}

// getFile returns the cached evaluation of file lf under k, if any: what
// evalFile returned, the file's size and the diagnostics it added.
func (c *Cache) getFile(k cacheKey, lf layoutFile) (v any, size int64, diags Diagnostics, ok bool) {
	s := scratches.Get().(*scratch)
	s.reset()
	if !c.getValue(k, &s.cf) {
		scratches.Put(s)
		return nil, 0, nil, false
	}
	v, err := s.cf.valueIn(lf, s)
	size, diags = s.cf.Size, s.cf.Diags
	if lf.kind != kindConsumer {
		scratches.Put(s)
	}
	return v, size, diags, err == nil
}

// flatten walks n into f, its strings into text.
func (f *flatNodes) flatten(n *node, text *[]byte) {
	if n == nil {
		f.Kinds = append(f.Kinds, nilNode)
		f.Lines, f.Cols = append(f.Lines, 0), append(f.Cols, 0)
		f.Nums, f.Flags = append(f.Nums, 0), append(f.Flags, 0)
		f.NFields, f.NElems = append(f.NFields, 0), append(f.NElems, 0)
		f.TextLens = append(f.TextLens, 0)
		return
	}
	var flags uint8
	if n.overflow {
		flags |= flagOverflow
	}
	if n.bool {
		flags |= flagBool
	}
	f.Kinds = append(f.Kinds, uint8(n.kind))
	f.Lines, f.Cols = append(f.Lines, n.pos.line), append(f.Cols, n.pos.col)
	f.Nums, f.Flags = append(f.Nums, n.num), append(f.Flags, flags)
	f.NFields, f.NElems = append(f.NFields, uint32(len(n.fields))), append(f.NElems, uint32(len(n.elems)))
	*text = append(*text, n.str...)
	f.TextLens = append(f.TextLens, uint32(len(n.str)))
	for _, fd := range n.fields {
		f.NameLines, f.NameCols = append(f.NameLines, fd.pos.line), append(f.NameCols, fd.pos.col)
		*text = append(*text, fd.name...)
		f.TextLens = append(f.TextLens, uint32(len(fd.name)))
		f.flatten(fd.val, text)
	}
	for _, e := range n.elems {
		f.flatten(e, text)
	}
}

// nodeReader rebuilds a node tree from flatNodes into blocks allocated
// once, checking every count against what is left, so that a corrupt
// entry fails instead of allocating without bound.
type nodeReader struct {
	f     *flatNodes
	nodes []node
	// fields and elems are what is left of their blocks.
	fields []nfield
	elems  []*node
	// i, name, text and str are the next node, field name, byte of Text
	// and string length to read.
	i, name, text, str int
}

func newNodeReader(f *flatNodes, s *scratch) (*nodeReader, error) {
	n := len(f.Kinds)
	if len(f.Lines) != n || len(f.Cols) != n || len(f.Nums) != n || len(f.Flags) != n || len(f.NFields) != n ||
		len(f.NElems) != n || len(f.NameCols) != len(f.NameLines) || len(f.TextLens) != n+len(f.NameLines) {
		return nil, errCorrupt
	}
	elems := 0
	for _, e := range f.NElems {
		elems += int(e)
	}
	if elems > n {
		return nil, errCorrupt
	}
	s.nodes = slices.Grow(s.nodes[:0], n)[:n]
	s.fields = slices.Grow(s.fields[:0], len(f.NameLines))[:len(f.NameLines)]
	s.elems = slices.Grow(s.elems[:0], elems)[:elems]
	return &nodeReader{f: f, nodes: s.nodes, fields: s.fields, elems: s.elems}, nil
}

func (r *nodeReader) done() bool {
	return r.i == len(r.nodes) && r.name == len(r.f.NameLines) && r.text == len(r.f.Text) && r.str == len(r.f.TextLens)
}

// string reads the next string of Text.
func (r *nodeReader) string() (string, error) {
	n := int(r.f.TextLens[r.str])
	if n > len(r.f.Text)-r.text {
		return "", errCorrupt
	}
	s := r.f.Text[r.text : r.text+n]
	r.str++
	r.text += n
	return s, nil
}

func (r *nodeReader) node() (*node, error) {
	f, i := r.f, r.i
	if i >= len(r.nodes) {
		return nil, errCorrupt
	}
	r.i++
	if f.Kinds[i] == nilNode {
		r.str++
		return nil, nil
	}
	nf, ne := int(f.NFields[i]), int(f.NElems[i])
	if nf > len(r.fields) || ne > len(r.elems) {
		return nil, errCorrupt
	}
	n := &r.nodes[i]
	*n = node{kind: nodeKind(f.Kinds[i]), pos: pos{f.Lines[i], f.Cols[i]}, num: f.Nums[i],
		overflow: f.Flags[i]&flagOverflow != 0, bool: f.Flags[i]&flagBool != 0}
	var err error
	if n.str, err = r.string(); err != nil {
		return nil, err
	}
	if nf > 0 {
		n.fields, r.fields = r.fields[:nf:nf], r.fields[nf:]
	}
	if ne > 0 {
		n.elems, r.elems = r.elems[:ne:ne], r.elems[ne:]
	}
	for j := range n.fields {
		k := r.name
		r.name++
		fd := &n.fields[j]
		fd.pos = pos{f.NameLines[k], f.NameCols[k]}
		if fd.name, err = r.string(); err != nil {
			return nil, err
		}
		if fd.val, err = r.node(); err != nil {
			return nil, err
		}
	}
	for j := range n.elems {
		if n.elems[j], err = r.node(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

var errCorrupt = errors.New("corrupt cache entry")

// cachedTypes are the types of the cache's entries, in the order of the
// preamble.
var cachedTypes = []any{&cachedFile{}, &specOutcome{}, &grantsOutcome{}}

// preamble is the gob stream that describes every cached type: each
// encoder and decoder of entries starts from it.
var preamble = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	enc := gob.NewEncoder(&b)
	for _, v := range cachedTypes {
		if err := enc.Encode(v); err != nil {
			panic(fmt.Sprintf("cache preamble: %v", err))
		}
	}
	return b.Bytes()
})

// gobEncoder is an encoder past the preamble.
type gobEncoder struct {
	buf bytes.Buffer
	enc *gob.Encoder
}

// gobDecoder is a decoder past the preamble, reading from src.
type gobDecoder struct {
	src bytes.Reader
	dec *gob.Decoder
}

var encoders = sync.Pool{New: func() any {
	e := &gobEncoder{}
	e.enc = gob.NewEncoder(&e.buf)
	for _, v := range cachedTypes {
		if err := e.enc.Encode(v); err != nil {
			panic(fmt.Sprintf("cache preamble: %v", err))
		}
	}
	if !bytes.Equal(e.buf.Bytes(), preamble()) {
		panic("cache preamble: encoding is not deterministic")
	}
	return e
}}

var decoders = sync.Pool{New: func() any {
	d := &gobDecoder{}
	d.src.Reset(preamble())
	// bytes.Reader is an io.ByteReader: the decoder reads from it without
	// buffering, one message at a time.
	d.dec = gob.NewDecoder(&d.src)
	for _, v := range cachedTypes {
		if err := d.dec.Decode(v); err != nil {
			panic(fmt.Sprintf("cache preamble: %v", err))
		}
	}
	return d
}}

// encodeWith encodes what ptr points to, one of cachedTypes, as an entry,
// and hands it to use, which must not keep it: its memory is the
// encoder's, used again.
func encodeWith(ptr any, use func([]byte)) error {
	e := encoders.Get().(*gobEncoder)
	e.buf.Reset()
	if err := e.enc.Encode(ptr); err != nil {
		return err // an encoder that failed is not reused
	}
	use(e.buf.Bytes())
	encoders.Put(e)
	return nil
}

// decodeValue decodes entry b into ptr, one of cachedTypes; b must hold
// exactly one value and no type description.
func decodeValue(b []byte, ptr any) error {
	d := decoders.Get().(*gobDecoder)
	d.src.Reset(b)
	if err := d.dec.Decode(ptr); err != nil || d.src.Len() != 0 {
		return errCorrupt // a decoder that failed is not reused
	}
	decoders.Put(d)
	return nil
}
