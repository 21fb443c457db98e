// Package verify is the verify stage of the gateway runtime: it decides
// whether a candidate snapshot may be served and hands the store what it
// changes.
//
// A candidate's digest and signature are checked before any of its bytes is
// parsed. Then its top-level members (sections) are read, each section's
// bytes are checked against the digest the document states for it, and
// only the sections whose digests differ from the active snapshot's are
// validated against the JSON Schema and decoded; the store applies them
// (store.Apply), which checks the whole snapshot's consistency. A
// candidate in a file is read a range at a time: a swap reads the sections
// that changed, and a changed list item by item through a small
// window, never the whole file at once.
package verify

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/runtime/store"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Reason says why a candidate snapshot was refused.
type Reason string

// Refusal reasons.
const (
	ReasonSchema      Reason = "schema"      // fails the snapshot JSON Schema
	ReasonDigest      Reason = "digest"      // bytes do not match the expected digest, or a section its stated one
	ReasonSignature   Reason = "signature"   // no trusted key verifies the signature
	ReasonUnsigned    Reason = "unsigned"    // trust keys are configured and there is no signature
	ReasonGeneration  Reason = "generation"  // lower generation than the active snapshot
	ReasonConsistency Reason = "consistency" // Snapshot.Consistent fails, or it cannot be indexed
	ReasonDecode      Reason = "decode"      // not JSON, truncated, unknown fields, wrong version
	ReasonCompile     Reason = "compile"     // the configuration did not compile
)

// Reasons lists every refusal reason, for metrics.
var Reasons = []Reason{ReasonSchema, ReasonDigest, ReasonSignature, ReasonUnsigned, ReasonGeneration, ReasonConsistency, ReasonDecode, ReasonCompile}

// Refusal is the error of a candidate snapshot that must not be served.
type Refusal struct {
	Reason Reason
	Err    error
}

func (r *Refusal) Error() string { return fmt.Sprintf("snapshot refused (%s): %v", r.Reason, r.Err) }
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(reason Reason, err error) *Refusal { return &Refusal{Reason: reason, Err: err} }

// ReasonOf returns the refusal reason of err, or "" if it is not a Refusal.
func ReasonOf(err error) Reason {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

// Candidate is a snapshot offered for activation.
type Candidate struct {
	// Bytes are the snapshot's canonical JSON.
	Bytes []byte
	// File, when Bytes is nil, holds them instead: its first Size bytes,
	// read with ReadAt. Sum must then be their digest and Tail their last
	// bytes, both from one read of them: the stated section digests are
	// read from Tail, and every other byte used is checked against them,
	// so that a file written to while it is verified yields the bytes
	// hashed or a refusal, never others.
	File io.ReaderAt
	Size int64
	Tail []byte
	// Signature is the signature file's contents, if any.
	Signature []byte
	// Digest, when set, is the expected digest, in any form
	// snapshot.ParseDigest reads.
	Digest string
	// Sum, when set, is snapshot.Digest(Bytes) as the caller computed it
	// in this process: Load takes it instead of hashing Bytes again.
	Sum string
	// Background validates on one goroutine, leaving the other CPUs to
	// the requests being served; otherwise on every CPU, to end soonest.
	Background bool
	// AllowRollback accepts a lower generation than the active snapshot's.
	AllowRollback bool
	// SelfBuilt is true when this process compiled Bytes itself from the
	// configuration repository it fetched: a missing signature is then no
	// reason to refuse (a present one is still checked).
	SelfBuilt bool
	// Consistent is true when this process compiled Bytes itself and the
	// compile checked the snapshot they encode with
	// snapshot.Snapshot.Consistent; with Sum (the compile's digest of
	// Bytes) set, Load does not check it again (see Candidate.proven).
	Consistent bool
}

// proven reports whether the snapshot c's bytes encode was found
// consistent by the compile that produced them, in this process: Bytes are
// the compile's own (in memory, not a file that can change), Sum is its
// digest of them, and the digest Load authenticates is that one. The
// compile checked the whole snapshot, and the store's check is of the
// same whole snapshot (the sections that did not change are the active
// snapshot's, byte for byte, so also the compiled ones), so running
// Snapshot.Consistent again proves nothing more. The schema check, the
// decoding and the store's indexing still run.
func (c *Candidate) proven(digest string) bool {
	return c.Consistent && c.Bytes != nil && c.Sum != "" && c.Sum == digest
}

// Options configure a Verifier.
type Options struct {
	// Schema is the snapshot's JSON Schema document.
	Schema []byte
	// Trust holds the keys a signature must verify with. When empty,
	// signatures are not checked (and need not be present).
	Trust []ed25519.PublicKey
}

// Verifier checks candidate snapshots before they are served. It is safe for
// concurrent use.
type Verifier struct {
	schema *jsonschema.Schema
	items  map[string]*jsonschema.Schema // see streamItems
	fast   *fastSchemas                  // items, compiled by compileFast
	trust  []ed25519.PublicKey
	// props are the root's property schemas and required its required
	// properties: the root constrains nothing else (see plainObject), so
	// a document whose sections each satisfy their property's schema,
	// with every required one present, satisfies the schema.
	props    map[string]*jsonschema.Schema
	required []string
	// sizes are the lengths of the last loaded snapshot's sections, by
	// digest: a section with one of these digests has that many bytes,
	// so that splitKnown steps over it unread.
	sizes atomic.Pointer[map[string]int]
	// lists are the sums of the items of the last loaded snapshot's
	// editable lists (store.Editable), by section (see listItems).
	lists atomic.Pointer[map[string]*itemSums]
}

// New compiles the JSON Schema and returns a Verifier.
func New(opts Options) (*Verifier, error) {
	if len(opts.Schema) == 0 {
		return nil, errors.New("verifier: no snapshot json schema")
	}
	c := jsonschema.NewCompiler()
	const url = "frontdoor:snapshot.schema.json"
	if err := c.AddResource(url, bytes.NewReader(opts.Schema)); err != nil {
		return nil, fmt.Errorf("loading snapshot json schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling snapshot json schema: %w", err)
	}
	root := s
	for root.Ref != nil && len(root.Properties) == 0 {
		root = root.Ref
	}
	if !plainObject(root) {
		return nil, errors.New("verifier: the snapshot json schema's root must constrain nothing but its properties")
	}
	items := streamItems(root)
	return &Verifier{schema: s, items: items, fast: compileFast(items), trust: opts.Trust, props: root.Properties, required: root.Required}, nil
}

// Load verifies c and applies it to the store's database. It returns
// active itself, and no error, when c has the active snapshot's digest:
// there is nothing to swap. Otherwise it returns the new snapshot, or a
// *Refusal saying why c must not be served. active may be nil.
func (v *Verifier) Load(c Candidate, active *store.Snapshot) (*store.Snapshot, error) {
	doc, err := open(&c)
	if err != nil {
		return nil, err
	}
	digest, err := v.authenticate(c)
	if err != nil {
		return nil, err
	}
	if active != nil && active.Digest() == digest {
		return active, nil
	}
	secs, doc, err := v.cut(c, doc, digest, active)
	if err != nil {
		return nil, err
	}
	changed, err := secs.changed(doc, active, c.Background)
	if err != nil {
		return nil, err
	}
	next, err := v.checkAndApply(c, digest, secs, changed, active)
	if err != nil {
		return nil, err
	}
	v.remember(secs)
	return next, nil
}

// cut returns the sections of doc, and the content they lie in: a file
// loaded cold is read whole, once.
func (v *Verifier) cut(c Candidate, doc *content, digest string, active *store.Snapshot) (*sections, *content, error) {
	if sizes := v.sizes.Load(); sizes != nil {
		if secs, ok := v.splitKnown(doc, active, *sizes); ok {
			return secs, doc, nil
		}
	}
	if doc.b == nil && active == nil {
		// Cut as a canonical document, every section of a file read
		// whole is checked against the digest its hashed tail states
		// (sections.changed: none is the active snapshot's), so it need
		// not be hashed again.
		b, err := readAll(doc.r, doc.size, c.Background)
		if err != nil {
			return nil, nil, refuse(ReasonDecode, fmt.Errorf("reading snapshot: %w", err))
		}
		whole := &content{b: b, size: doc.size, tail: doc.tail, unhashed: true}
		if secs, ok := v.splitKnown(whole, active, nil); ok {
			return secs, whole, nil
		}
		whole.tail = b // hashed whole below
		doc = whole
	}
	b, err := doc.all(digest)
	if err != nil {
		return nil, nil, err
	}
	secs, err := split(b)
	if err != nil {
		return nil, nil, refuse(ReasonDecode, fmt.Errorf("parsing snapshot json: %w", err))
	}
	return secs, doc, nil
}

// checkAndApply checks the changed sections against the JSON Schema and
// applies them to active. The check and the decoding read the same
// authenticated bytes and share nothing: the check runs beside the
// writing of the rows, not beside the decoding that the writing waits
// for, which has every CPU (in the background, it runs first, on one
// goroutine); its verdict comes first.
func (v *Verifier) checkAndApply(c Candidate, digest string, secs *sections, changed map[string]bool, active *store.Snapshot) (*store.Snapshot, error) {
	var (
		wg        sync.WaitGroup
		schemaErr error
		once      sync.Once
	)
	check := func() {
		once.Do(func() {
			if c.Background {
				schemaErr = v.validate(secs, changed, true)
			} else {
				wg.Go(func() { schemaErr = v.validate(secs, changed, false) })
			}
		})
	}
	if c.Background {
		if check(); schemaErr != nil {
			return nil, schemaErr
		}
	}
	next, err := v.apply(c, digest, secs, changed, active, check)
	check() // the decoding failed before it began
	wg.Wait()
	if schemaErr != nil {
		return nil, schemaErr
	}
	return next, err
}

// remember keeps what the next load steps over of the snapshot secs were
// cut from, now loaded: the sizes of its sections, and the sums of its
// editable lists' items (those of the sections that did not change are
// kept).
func (v *Verifier) remember(secs *sections) {
	if secs.digests == nil {
		return
	}
	sizes := make(map[string]int, len(secs.span))
	for name, sp := range secs.span {
		sizes[secs.digests[name]] = sp.n
	}
	v.sizes.Store(&sizes)
	lists := map[string]*itemSums{}
	if prev := v.lists.Load(); prev != nil {
		for name, sums := range *prev {
			if sums.digest == secs.digests[name] {
				lists[name] = sums
			}
		}
	}
	for name, l := range secs.lists {
		secs.sums[name] = &l.itemSums
	}
	for name, sums := range secs.sums {
		sums.digest = secs.digests[name]
		lists[name] = sums
	}
	v.lists.Store(&lists)
}

// itemSums are the sums and lengths of a list section's items, in order,
// and the section's digest.
type itemSums struct {
	digest string
	sums   []contentSum
	lens   []int
}

// contentSum identifies bytes within this process: two keyed 64-bit hashes
// (hash/maphash) with seeds drawn at start. It tells whether an item of a
// candidate is one of the verified snapshot's; it is no digest (the
// snapshot's digest and signature are SHA-256 and ed25519): crafting a
// collision would take the process's secret seeds.
type contentSum [2]uint64

var sumSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func sumOf(b []byte) contentSum {
	return contentSum{maphash.Bytes(sumSeeds[0], b), maphash.Bytes(sumSeeds[1], b)}
}

// listItems are the items of a changed list section read against the
// active snapshot's (see readItems). The items the active snapshot already
// had, byte for byte, are neither validated nor decoded again: fresh holds
// the others, and runs says where they go.
type listItems struct {
	itemSums
	fresh  []freshItem
	runs   []itemRun
	size   int    // of the section, in bytes
	digest string // of the section
}

// freshItem is an item of a list that the active snapshot did not have.
type freshItem struct {
	index int
	raw   []byte
}

// itemRun is a run of fresh items that replaces the active snapshot's
// items between two items both have (before and after; nil at the ends).
type itemRun struct {
	before, after []byte
	items         [][]byte
}

// readItems reads the items of the list section that starts at w's offset,
// and its size and digest (the content may go on after it), against old,
// the sums of the active snapshot's items: it steps over each item that
// has the length and sum of one of the next few the active snapshot has,
// and reads as JSON only the others (see itemRun). It returns nil when the
// section is not an array of objects laid out canonically, or an item is
// too long for the window.
func readItems(w *window, old *itemSums) *listItems {
	start := w.base
	if b := w.at(start, 1); len(b) < 1 || b[0] != '[' {
		return nil // the schema or the decoder says what is wrong
	}
	g := &listItems{}
	var (
		dec     = jsontext.NewDecoder(bytes.NewBuffer(nil))
		at      map[contentSum]int // old sums to positions, built when needed
		j       int                // the next old item
		last    span               // the last item both have, or none
		copied  []byte             // last's bytes, once fresh items follow
		pending [][]byte           // fresh items after last
	)
	g.sums, g.lens = make([]contentSum, 0, len(old.sums)), make([]int, 0, len(old.sums))
	// item returns a copy of the item at sp (nil for none): runs outlive
	// the window.
	item := func(sp span) []byte {
		if sp.n == 0 {
			return nil
		}
		return bytes.Clone(w.at(sp.off, sp.n)[:sp.n]) // held: see pin
	}
	before := func() []byte {
		if copied == nil {
			return item(last)
		}
		return copied
	}
	keep := func(k int, it span) {
		if k != j || len(pending) > 0 {
			g.runs = append(g.runs, itemRun{before: before(), after: item(it), items: pending})
		}
		last, copied, pending, j = it, nil, nil, k+1
	}
	pos := start + 1
	for i := 0; ; i++ {
		b := w.at(pos, 1)
		if len(b) < 1 {
			return nil
		}
		if b[0] == ']' {
			g.size = pos + 1 - start
			break
		}
		if i > 0 {
			if b[0] != ',' {
				return nil
			}
			pos++
		}
		// The window keeps last until it is copied.
		if copied == nil && last.n > 0 {
			w.pin(last.off)
		} else {
			w.pin(pos)
		}
		if k, end := old.next(w, pos, j); k >= 0 {
			g.sums, g.lens = append(g.sums, old.sums[k]), append(g.lens, end-pos)
			keep(k, span{pos, end - pos})
			pos = end
			continue
		}
		if copied == nil && last.n > 0 {
			copied = item(last)
		}
		w.pin(pos)
		b = w.at(pos, maxItem)
		dec.Reset(bytes.NewBuffer(b))
		if err := dec.SkipValue(); err != nil {
			return nil
		}
		it := b[:dec.InputOffset()]
		if len(it) == 0 || it[0] != '{' {
			return nil
		}
		sum := sumOf(it)
		g.sums, g.lens = append(g.sums, sum), append(g.lens, len(it))
		sp := span{pos, len(it)}
		pos += len(it)
		if len(g.fresh) >= lookahead {
			// Many fresh items: items the active snapshot had may be
			// further on than the next few.
			if at == nil {
				at = make(map[contentSum]int, len(old.sums))
				for k, s := range old.sums {
					at[s] = k
				}
			}
			if k, ok := at[sum]; ok && k >= j {
				keep(k, sp)
				continue
			}
		}
		it = bytes.Clone(it)
		g.fresh = append(g.fresh, freshItem{index: i, raw: it})
		pending = append(pending, it)
	}
	if j < len(old.sums) || len(pending) > 0 {
		g.runs = append(g.runs, itemRun{before: before(), items: pending})
	}
	g.digest = w.digest(start + g.size)
	return g
}

// maxItem bounds the length of an item readItems reads as JSON.
const maxItem = 64 << 10

// window reads a content from an offset on, a piece at a time, and hashes
// the bytes it steps over in order. Slices it returns are valid until its
// next call.
type window struct {
	c         *content
	buf       []byte // the content's bytes from base on
	base, end int    // end: where the window stops reading
	mem       []byte // what buf is read into, for a file
	pinned    int    // the window keeps the bytes from here on
	h         hash.Hash
	hashed    int // bytes before it are hashed
}

func newWindow(c *content, off, end int) *window {
	w := &window{c: c, base: off, end: end, pinned: off, h: sha256.New(), hashed: off}
	if c.b != nil {
		w.buf = c.b[off:end]
	} else {
		w.mem = make([]byte, windowSize)
	}
	return w
}

// windowSize is how many bytes a window over a file holds.
var windowSize = 1 << 20

// pin lets the window drop the bytes before off.
func (w *window) pin(off int) { w.pinned = max(w.pinned, off) }

// at returns the bytes from off on (off >= the pinned offset), at least n
// of them unless the end, or the window's size, comes first.
func (w *window) at(off, n int) []byte {
	if have := w.base + len(w.buf); off+n > have && have < w.end {
		// Slide: keep what is pinned, read what follows.
		w.hashTo(w.pinned)
		kept := copy(w.mem, w.buf[w.pinned-w.base:])
		m := min(len(w.mem), w.end-w.pinned)
		if _, err := w.c.r.ReadAt(w.mem[kept:m], int64(have)); err != nil {
			m = kept // the caller sees too few bytes
		}
		w.base, w.buf = w.pinned, w.mem[:m]
	}
	if off < w.base || off > w.base+len(w.buf) {
		return nil
	}
	return w.buf[off-w.base:]
}

// hashTo hashes the bytes up to off.
func (w *window) hashTo(off int) {
	if off > w.hashed {
		for b := w.buf[w.hashed-w.base : off-w.base]; len(b) > 0; {
			n := min(len(b), 256<<10) // short calls: see snapshot.Digest
			w.h.Write(b[:n])
			b = b[n:]
		}
		w.hashed = off
	}
}

// digest returns the digest of the bytes from the window's start to end,
// which it holds.
func (w *window) digest(end int) string {
	w.hashTo(end)
	return "sha256:" + hex.EncodeToString(w.h.Sum(nil))
}

// activeItems returns the sums of the items of the active snapshot's
// section name, if the verifier holds them.
func (v *Verifier) activeItems(active *store.Snapshot, name string) *itemSums {
	if lists := v.lists.Load(); lists != nil && active != nil {
		if sums := (*lists)[name]; sums != nil && sums.digest == active.Sections()[name] {
			return sums
		}
	}
	return nil
}

// lookahead is how many of the active snapshot's next items a candidate's
// item is compared with.
const lookahead = 8

// next returns the position k among s's next few items, from j on, of the
// item at pos (ending at end), the first with its length and sum; -1 for
// none.
func (s *itemSums) next(w *window, pos, j int) (k, end int) {
	for k := j; k < min(j+lookahead, len(s.sums)); k++ {
		n := s.lens[k]
		if b := w.at(pos, n+1); len(b) > n && (b[n] == ',' || b[n] == ']') && sumOf(b[:n]) == s.sums[k] {
			return k, pos + n
		}
	}
	return -1, 0
}

// decode decodes the runs of l, the items of section name, into e.
func (l *listItems) decode(e *store.Edits, name string) (err error) {
	switch name {
	case store.SectionAPIs:
		e.APIs, err = decodeRuns[snapshot.API](l.runs)
	case store.SectionRoutes:
		e.Routes, err = decodeRuns[snapshot.Route](l.runs)
	case store.SectionEntitlements:
		e.Entitlements, err = decodeRuns[snapshot.Entitlement](l.runs)
	default:
		err = fmt.Errorf("%s cannot be applied item by item", name)
	}
	return err
}

// decodeRuns decodes runs; the result is not nil.
func decodeRuns[T any](runs []itemRun) ([]store.Run[T], error) {
	one := func(raw []byte) (*T, error) {
		if raw == nil {
			return nil, nil
		}
		v := new(T)
		return v, jsonv2.Unmarshal(raw, v, jsonv2.RejectUnknownMembers(true))
	}
	out := make([]store.Run[T], len(runs))
	for i, r := range runs {
		var err error
		if out[i].Before, err = one(r.before); err != nil {
			return nil, err
		}
		if out[i].After, err = one(r.after); err != nil {
			return nil, err
		}
		out[i].Items = make([]T, len(r.items))
		for k, raw := range r.items {
			if err := jsonv2.Unmarshal(raw, &out[i].Items[k], jsonv2.RejectUnknownMembers(true)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// apply decodes the changed sections of secs, calls decoded, and applies
// them to active.
func (v *Verifier) apply(c Candidate, digest string, secs *sections, changed map[string]bool, active *store.Snapshot, decoded func()) (*store.Snapshot, error) {
	var doc snapshot.Snapshot
	if active != nil {
		doc = active.Meta()
	}
	ch := store.Change{Digest: digest, Doc: &doc, Changed: changed}
	if active == nil || secs.digests == nil {
		ch.Changed = nil
	}
	ch.Check, ch.Reads = checkOf(ch.Changed)
	if c.proven(digest) {
		ch.Check = nil
	}
	if err := decodeSections(&doc, &ch.Edits, secs, changed, c.Background); err != nil {
		return nil, refuse(ReasonDecode, err)
	}
	decoded()
	doc.Sections = secs.digests
	if doc.SchemaVersion != snapshot.SchemaVersion {
		return nil, refuse(ReasonDecode, fmt.Errorf("decoding snapshot: schema version %q, want %q", doc.SchemaVersion, snapshot.SchemaVersion))
	}
	if active != nil && doc.Generation < active.Generation() && !c.AllowRollback {
		return nil, refuse(ReasonGeneration, fmt.Errorf("generation %d is lower than the active %d", doc.Generation, active.Generation()))
	}
	next, err := store.Apply(active, ch)
	if err != nil {
		return nil, refuse(ReasonConsistency, err)
	}
	return next, nil
}

// checkOf returns the consistency check a change needs, and the sections
// it reads besides the changed ones. Consistency is of the lists and the
// platform: a change of the generation or commit alone needs none (the
// schema version is checked on its own); one of the entitlements alone
// needs their checks against the APIs and apps.
func checkOf(changed map[string]bool) (func(*snapshot.Snapshot) error, []string) {
	if changed == nil {
		return (*snapshot.Snapshot).Consistent, nil
	}
	lists := 0
	for _, name := range store.Lists {
		if changed[name] {
			lists++
		}
	}
	switch {
	case lists == 0:
		return nil, nil
	case lists == 1 && changed[store.SectionEntitlements]:
		return (*snapshot.Snapshot).ConsistentEntitlements, []string{store.SectionAPIs, store.SectionConsumers}
	}
	return (*snapshot.Snapshot).Consistent, nil
}

// authenticate checks c's digest against the expected one and its
// signature, reading nothing of it but its bytes' hash, and returns the
// digest.
func (v *Verifier) authenticate(c Candidate) (string, error) {
	digest := c.Sum
	if digest == "" {
		digest = snapshot.Digest(c.Bytes)
	}
	if c.Digest != "" {
		want, err := snapshot.ParseDigest(c.Digest)
		if err != nil {
			return "", refuse(ReasonDigest, err)
		}
		if want != digest {
			return "", refuse(ReasonDigest, fmt.Errorf("digest is %s, want %s", digest, want))
		}
	}
	if len(v.trust) == 0 {
		return digest, nil
	}
	if len(bytes.TrimSpace(c.Signature)) == 0 {
		if c.SelfBuilt {
			return digest, nil
		}
		return "", refuse(ReasonUnsigned, errors.New("snapshot has no signature and trust keys are configured"))
	}
	if err := snapshot.VerifyDigestSignature(v.trust, digest, c.Signature); err != nil {
		return "", refuse(ReasonSignature, err)
	}
	return digest, nil
}

// sections are a document's top-level members.
type sections struct {
	span map[string]span   // where each member lies, "sections" excluded
	raw  map[string][]byte // the bytes of those read, by name
	// digests are the digests the document states (its "sections"
	// member), nil when it states none.
	digests map[string]string
	// lists are the sections read item by item, when splitKnown did.
	lists map[string]*listItems
	// sums are the sums of the items of the editable lists the schema
	// check read whole, for the next load.
	sums map[string]*itemSums
}

// span is where a member's value lies in a document.
type span struct{ off, n int }

func newSections() *sections {
	return &sections{span: map[string]span{}, raw: map[string][]byte{}, lists: map[string]*listItems{}, sums: map[string]*itemSums{}}
}

// content is a candidate's bytes: in memory, or read from its file a
// range at a time.
type content struct {
	b    []byte // all of them, when in memory
	r    io.ReaderAt
	size int
	tail []byte // the last bytes, as hashed (b itself when in memory)
	// unhashed is set when b was read from the file after it was hashed:
	// b is then checked against the digest (all) or the stated section
	// digests (sections.changed) before it is used.
	unhashed bool
}

// open returns c's content. A file without its digest is read whole, into
// c.Bytes, to be hashed as bytes are.
func open(c *Candidate) (*content, error) {
	if c.Bytes == nil && c.File != nil && (c.Sum == "" || len(c.Tail) == 0) {
		d := &content{r: c.File, size: int(c.Size)}
		b, err := d.at(0, d.size)
		if err != nil {
			return nil, refuse(ReasonDecode, fmt.Errorf("reading snapshot: %w", err))
		}
		c.Bytes, c.Sum = b, ""
	}
	if c.Bytes != nil || c.File == nil {
		return &content{b: c.Bytes, size: len(c.Bytes), tail: c.Bytes}, nil
	}
	if len(c.Tail) > int(c.Size) {
		return nil, refuse(ReasonDecode, errors.New("reading snapshot: its tail is longer than it"))
	}
	return &content{r: c.File, size: int(c.Size), tail: c.Tail}, nil
}

// at returns the n bytes at off: the content's own when they are in
// memory, else a new slice read from the file.
func (c *content) at(off, n int) ([]byte, error) {
	if off < 0 || n < 0 || off+n > c.size {
		return nil, errors.New("read out of range")
	}
	if c.b != nil {
		return c.b[off : off+n], nil
	}
	if t := c.size - len(c.tail); off >= t {
		return c.tail[off-t : off-t+n], nil
	}
	p := make([]byte, n)
	if _, err := c.r.ReadAt(p, int64(off)); err != nil {
		return nil, err
	}
	return p, nil
}

// readAll reads the n bytes of r, in pieces read at once on every CPU unless
// serial: most of a large read's time goes to the new pages it fills.
func readAll(r io.ReaderAt, n int, serial bool) ([]byte, error) {
	b := make([]byte, n)
	pieces := 1
	if !serial {
		pieces = max(min(runtime.GOMAXPROCS(0), n/minPiece), 1)
	}
	per := (n + pieces - 1) / pieces
	errs := make([]error, pieces)
	var wg sync.WaitGroup
	for i := range pieces {
		p := b[i*per : min((i+1)*per, n)]
		wg.Go(func() {
			if got, err := r.ReadAt(p, int64(i*per)); got < len(p) || err != io.EOF {
				errs[i] = err // io.EOF may come with the last byte
			}
		})
	}
	wg.Wait()
	return b, errors.Join(errs...)
}

// minPiece is the smallest piece readAll reads on a goroutine of its own.
const minPiece = 4 << 20

// all returns every byte, in memory; read from the file after it was
// hashed, they must have digest, else the file changed since.
func (c *content) all(digest string) ([]byte, error) {
	b := c.b
	if !c.unhashed {
		return b, nil
	}
	if got := snapshot.Digest(b); got != digest {
		return nil, refuse(ReasonDigest, fmt.Errorf("the snapshot file changed while it was read: digest %s, then %s", digest, got))
	}
	return b, nil
}

// split reads b's top-level members: b must be one JSON object (strictly:
// no duplicate names, valid UTF-8) and nothing after it.
func split(b []byte) (*sections, error) {
	// Names are checked for duplicates here at the top and by the decoding
	// of each section within it, not by this reading too.
	dec := jsontext.NewDecoder(bytes.NewBuffer(b), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil {
		return nil, err
	} else if tok.Kind() != '{' {
		return nil, errors.New("snapshot is not a json object")
	}
	s := newSections()
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		if _, dup := s.raw[name]; dup || (name == snapshot.SectionsMember && s.digests != nil) {
			return nil, fmt.Errorf("duplicate member %q", name)
		}
		start := int(dec.InputOffset())
		if err := dec.SkipValue(); err != nil {
			return nil, err
		}
		raw := bytes.TrimLeft(b[start:dec.InputOffset()], " \t\r\n:")
		if name == snapshot.SectionsMember {
			if err := jsonv2.Unmarshal(raw, &s.digests); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		} else {
			s.raw[name] = raw
			s.span[name] = span{int(dec.InputOffset()) - len(raw), len(raw)}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("trailing data after the document")
	}
	return s, nil
}

// statedDigests reads the section digests the document states in its last
// member, from its tail, and returns them with the offset of that member;
// nil when the tail does not end so.
func statedDigests(c *content) (*sections, int) {
	marker := []byte(`,"` + snapshot.SectionsMember + `":{`)
	i := bytes.LastIndex(c.tail, marker)
	if c.size == 0 || i < 0 {
		return nil, 0
	}
	obj := c.tail[i+len(marker)-1:]
	end := bytes.IndexByte(obj, '}')
	if end < 0 || !(string(obj[end+1:]) == "}" || string(obj[end+1:]) == "}\n") {
		return nil, 0
	}
	s := newSections()
	if err := jsonv2.Unmarshal(obj[:end+1], &s.digests); err != nil || len(s.digests) == 0 {
		return nil, 0
	}
	return s, c.size - len(c.tail) + i
}

// splitKnown cuts a canonical document (members in order, no white space;
// see snapshot.Snapshot.Encode) into its sections, stepping over those whose
// stated digests are of sections loaded before (sizes: see Verifier.sizes)
// without reading them, and reading the others as JSON values. It returns false
// when c is not laid out so, or it cannot tell: split then reads c whole.
//
// A section stepped over is read later only if it differs from the active
// snapshot's (see sections.changed), and checked against its stated
// digest then. The stated digests are read from the content's tail, which
// was hashed with the rest: the document's digest and signature cover
// them.
func (v *Verifier) splitKnown(c *content, active *store.Snapshot, sizes map[string]int) (*sections, bool) {
	s, at := statedDigests(c)
	if s == nil {
		return nil, false
	}
	names := slices.Sorted(maps.Keys(s.digests))
	// When one section alone is of unknown size, it is what the others
	// leave: read as a whole, the document is then laid out so exactly
	// when that section's bytes are a JSON value, which its decoding
	// checks.
	rest, unknown := at-1, 0
	for i, name := range names {
		rest -= len(name) + 3 + min(i, 1)
		if n, known := sizes[s.digests[name]]; known {
			rest -= n
		} else {
			unknown++
		}
	}
	if open, err := c.at(0, 1); err != nil || open[0] != '{' {
		return nil, false
	}
	pos := 1
	for i, name := range names {
		head := `"` + name + `":`
		if i > 0 {
			head = "," + head
		}
		if b, err := c.at(pos, len(head)); err != nil || pos+len(head) > at || string(b) != head {
			return nil, false
		}
		pos += len(head)
		n, known := sizes[s.digests[name]]
		if old := v.activeItems(active, name); !known && old != nil {
			// Read item by item against the active snapshot's (see
			// readItems), through a window: the section is not held
			// whole.
			if l := readItems(newWindow(c, pos, at), old); l != nil {
				n, known, s.lists[name] = l.size, true, l
				rest, unknown = rest-n, unknown-1
			}
		}
		if !known && unknown == 1 && rest > 0 && pos+rest <= at && !edgeSpace(c, pos, rest) {
			n, known = rest, true
		}
		if !known {
			b, err := c.at(pos, at-pos)
			if err != nil {
				return nil, false
			}
			dec := jsontext.NewDecoder(bytes.NewBuffer(b))
			if _, err := dec.ReadValue(); err != nil {
				return nil, false
			}
			n = int(dec.InputOffset())
			s.raw[name] = b[:n]
		}
		if pos+n > at {
			return nil, false
		}
		s.span[name] = span{pos, n}
		pos += n
	}
	return s, pos == at
}

// edgeSpace reports whether the n bytes at off start or end with white
// space (or cannot be read).
func edgeSpace(c *content, off, n int) bool {
	first, err1 := c.at(off, 1)
	last, err2 := c.at(off+n-1, 1)
	return err1 != nil || err2 != nil || isSpace(first[0]) || isSpace(last[0])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// changed returns the sections of s whose stated digests differ from
// active's (every section when either states none), after reading each of
// those from c and checking that its bytes have the digest s states (see
// check).
func (s *sections) changed(c *content, active *store.Snapshot, serial bool) (map[string]bool, error) {
	var old map[string]string
	if active != nil {
		old = active.Sections()
	}
	changed := map[string]bool{}
	var read []string
	for name, sp := range s.span {
		if s.digests != nil && old != nil && old[name] == s.digests[name] {
			continue
		}
		if l := s.lists[name]; l != nil {
			if l.digest != s.digests[name] {
				return nil, digestRefusal(name, l.digest, s.digests[name])
			}
		} else if err := s.load(c, name, sp); err != nil {
			return nil, err
		} else {
			read = append(read, name)
		}
		changed[name] = true
	}
	if err := s.check(read, serial); err != nil {
		return nil, err
	}
	for name := range s.digests {
		if _, ok := s.span[name]; !ok {
			return nil, refuse(ReasonDigest, fmt.Errorf("the document states a digest for %s, which it does not have", name))
		}
	}
	for name := range old {
		if _, ok := s.span[name]; !ok {
			changed[name] = true // gone
		}
	}
	return changed, nil
}

// load reads the bytes of section name at sp from c, unless they were.
func (s *sections) load(c *content, name string, sp span) error {
	if _, ok := s.raw[name]; ok {
		return nil
	}
	raw, err := c.at(sp.off, sp.n)
	if err != nil {
		return refuse(ReasonDecode, fmt.Errorf("reading snapshot: %s: %w", name, err))
	}
	s.raw[name] = raw
	return nil
}

// check checks the bytes of the named sections, loaded, against their
// stated digests: the large ones each on its own goroutine unless serial.
// The error is that of the first section in name order.
func (s *sections) check(names []string, serial bool) error {
	if s.digests == nil {
		return nil
	}
	slices.Sort(names)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		raw := s.raw[name]
		f := func() {
			if got := snapshot.Digest(raw); got != s.digests[name] {
				errs[i] = digestRefusal(name, got, s.digests[name])
			}
		}
		if serial || len(raw) < parallelDigest {
			f()
		} else {
			wg.Go(f)
		}
	}
	wg.Wait()
	return cmp.Or(errs...)
}

// parallelDigest is the size from which a section is hashed on a goroutine
// of its own.
const parallelDigest = 1 << 20

func digestRefusal(name, got, want string) error {
	return refuse(ReasonDigest, fmt.Errorf("section %s has digest %s, the document states %q", name, got, want))
}

// decodeSections decodes the changed sections of secs into d, on one
// goroutine per CPU unless serial, the largest sections first, as the
// decoding ends with the last of them; the runs of the sections read item
// by item go to e. The errors are in section name order.
func decodeSections(d *snapshot.Snapshot, e *store.Edits, secs *sections, changed map[string]bool, serial bool) error {
	names := slices.Sorted(maps.Keys(changed))
	errs := make([]error, len(names))
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(secs.raw[names[b]]) - len(secs.raw[names[a]]) })
	decode := func(i int) {
		name := names[i]
		var err error
		if l := secs.lists[name]; l != nil {
			err = l.decode(e, name)
		} else {
			err = decodeSection(d, name, secs.raw[name])
		}
		if err != nil {
			errs[i] = fmt.Errorf("decoding snapshot: %s: %w", name, err)
		}
	}
	workers := 1
	if !serial {
		workers = min(runtime.GOMAXPROCS(0), len(order))
	}
	var (
		wg   sync.WaitGroup
		next atomic.Int64 // in order
	)
	for range workers {
		wg.Go(func() {
			for k := next.Add(1) - 1; k < int64(len(order)); k = next.Add(1) - 1 {
				decode(order[k])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// decodeSection decodes the section name's bytes (nil: absent) into its
// field of d, replacing it.
func decodeSection(d *snapshot.Snapshot, name string, raw []byte) error {
	switch name {
	case "schemaVersion":
		return decodeInto(&d.SchemaVersion, raw)
	case "generation":
		return decodeInto(&d.Generation, raw)
	case "commit":
		return decodeInto(&d.Commit, raw)
	case store.SectionPlatform:
		return decodeInto(&d.Platform, raw)
	case store.SectionPublishers:
		return decodeList(&d.Publishers, raw)
	case store.SectionAPIs:
		return decodeList(&d.APIs, raw)
	case store.SectionRoutes:
		return decodeList(&d.Routes, raw)
	case store.SectionConsumers:
		return decodeList(&d.Consumers, raw)
	case store.SectionEntitlements:
		return decodeList(&d.Entitlements, raw)
	}
	return fmt.Errorf("unknown member %q", name)
}

func decodeInto[T any](v *T, raw []byte) error {
	var zero T
	*v = zero
	if raw == nil {
		return nil
	}
	return jsonv2.Unmarshal(raw, v, jsonv2.RejectUnknownMembers(true))
}

// decodeList decodes a JSON array into a new slice sized for it first (see
// itemCount).
func decodeList[T any](v *[]T, raw []byte) error {
	*v = nil
	if raw == nil {
		return nil
	}
	presize(v, itemCount(raw), len(raw))
	return jsonv2.Unmarshal(raw, v, jsonv2.RejectUnknownMembers(true))
}

// presize gives *s capacity for n elements, and at most as many bytes as
// the section has: hostile input then costs no more memory than it would
// without the hint.
func presize[T any](s *[]T, n, size int) {
	n = min(n, size/max(int(reflect.TypeFor[T]().Size()), 1))
	if n > 0 {
		*s = make([]T, 0, n)
	}
}

// validate checks the changed sections against their properties' schemas,
// and that every required section is present.
func (v *Verifier) validate(s *sections, changed map[string]bool, serial bool) error {
	for _, name := range v.required {
		if _, ok := s.span[name]; !ok {
			return refuse(ReasonSchema, fmt.Errorf("snapshot does not match its json schema: at /: missing property %q", name))
		}
	}
	var items []item
	for name := range changed {
		_, ok := s.span[name]
		raw, prop := s.raw[name], v.props[name]
		switch {
		case !ok: // gone, and not required
		case prop == nil:
			return refuse(ReasonSchema, fmt.Errorf("snapshot does not match its json schema: at /: additional property %q", name))
		case s.lists[name] != nil:
			if err := v.checkFresh(s.lists[name], name, &items); err != nil {
				return refuse(ReasonDecode, fmt.Errorf("parsing snapshot json: %w", err))
			}
		case v.items[name] != nil && raw[0] == '[':
			var sums *itemSums
			if store.Editable(name) {
				sums = &itemSums{}
				s.sums[name] = sums
			}
			if err := v.checkArray(raw, name, &items, sums); err != nil {
				return refuse(ReasonDecode, fmt.Errorf("parsing snapshot json: %w", err))
			}
		default:
			if err := v.validateValue(prop, "/"+name, raw); err != nil {
				return err
			}
		}
	}
	if len(s.digests) > 0 {
		raw, _ := jsonv2.Marshal(s.digests)
		if err := v.validateValue(v.props[snapshot.SectionsMember], "/"+snapshot.SectionsMember, raw); err != nil {
			return err
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if serial {
		workers = 1
	}
	return v.validateItems(items, workers)
}

// checkFresh is checkArray over a list read item by item: the items of
// the active snapshot were valid, the others are checked.
func (v *Verifier) checkFresh(g *listItems, name string, items *[]item) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(nil))
	chk := &checker{fs: v.fast, d: dec}
	schema, fast := v.items[name], v.fast.items[name].chain
	for _, f := range g.fresh {
		dec.Reset(bytes.NewBuffer(f.raw))
		ok, err := chk.check(fast)
		if err != nil {
			return err
		}
		if !ok {
			*items = append(*items, item{schema: schema, name: name, index: f.index, raw: f.raw})
		}
	}
	return nil
}

// checkArray reads the array raw of section name with the fast check, and
// adds the items it could not prove valid to items, for the library; it
// appends every item's sum and length to rec, when not nil.
func (v *Verifier) checkArray(raw []byte, name string, items *[]item, rec *itemSums) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw))
	chk := &checker{fs: v.fast, d: dec}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	schema, fast := v.items[name], v.fast.items[name].chain
	for i := 0; dec.PeekKind() != ']'; i++ {
		start, depth := dec.InputOffset(), dec.StackDepth()
		ok, err := chk.check(fast)
		if err == nil && !ok {
			err = skipRest(dec, depth, start)
		}
		if err != nil {
			return err
		}
		// The value's bytes, without the separator before it.
		it := bytes.TrimLeft(raw[start:dec.InputOffset()], " \t\r\n,")
		if !ok {
			*items = append(*items, item{schema: schema, name: name, index: i, raw: it})
		}
		if rec != nil {
			rec.sums, rec.lens = append(rec.sums, sumOf(it)), append(rec.lens, len(it))
		}
	}
	_, err := dec.ReadToken()
	return err
}

// plainObject reports whether n constrains nothing but the type object, its
// properties, the required ones and (forbidding) additional ones.
func plainObject(n *jsonschema.Schema) bool {
	return n.Always == nil && n.Ref == nil && n.RecursiveRef == nil && n.DynamicRef == nil &&
		len(n.Types) == 1 && n.Types[0] == "object" &&
		n.Constant == nil && n.Enum == nil && n.Not == nil &&
		len(n.AllOf) == 0 && len(n.AnyOf) == 0 && len(n.OneOf) == 0 && n.If == nil &&
		n.MinProperties <= 0 && n.MaxProperties == -1 && n.PropertyNames == nil &&
		len(n.PatternProperties) == 0 && len(n.Dependencies) == 0 && len(n.DependentRequired) == 0 &&
		len(n.DependentSchemas) == 0 && n.UnevaluatedProperties == nil &&
		(n.AdditionalProperties == nil || n.AdditionalProperties == false) &&
		len(n.Properties) > 0 && len(n.Extensions) == 0
}

// item is one element of a top-level array, validated on its own.
type item struct {
	schema *jsonschema.Schema
	name   string
	index  int
	raw    []byte
}

// validateItems validates items (on every CPU unless r is serial) and
// returns the error of the first invalid one in document order.
func (v *Verifier) validateItems(items []item, workers int) error {
	workers = min(workers, max(len(items)/1024, 1))
	var (
		wg    sync.WaitGroup
		first atomic.Int64 // index in items of the first error found
		errs  = make([]error, workers)
	)
	first.Store(int64(len(items)))
	per := (len(items) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(items))
		wg.Go(func() {
			for i := lo; i < hi && int64(i) < first.Load(); i++ {
				it := items[i]
				if err := v.validateValue(it.schema, "/"+it.name+"/"+strconv.Itoa(it.index), it.raw); err != nil {
					errs[w] = err
					for {
						f := first.Load()
						if int64(i) >= f || first.CompareAndSwap(f, int64(i)) {
							break
						}
					}
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err // workers cover increasing ranges: the first is the earliest
		}
	}
	return nil
}

// validateValue decodes raw and validates it against s; at is the JSON
// pointer of raw in the document.
func (v *Verifier) validateValue(s *jsonschema.Schema, at string, raw []byte) error {
	var x any
	if err := jsonv2.Unmarshal(raw, &x); err != nil {
		return refuse(ReasonDecode, fmt.Errorf("parsing snapshot json: %w", err))
	}
	if err := s.Validate(x); err != nil {
		return schemaRefusal(at, err)
	}
	return nil
}

func schemaRefusal(at string, err error) error {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return refuse(ReasonSchema, schemaError(at, ve))
	}
	return refuse(ReasonSchema, err)
}

// streamItems returns, by top-level property name, the item schemas of the
// root's array properties that constrain nothing but their items, following
// $ref.
func streamItems(root *jsonschema.Schema) map[string]*jsonschema.Schema {
	out := map[string]*jsonschema.Schema{}
	for root.Ref != nil && len(root.Properties) == 0 {
		root = root.Ref
	}
	for name, p := range root.Properties {
		var items *jsonschema.Schema
		ok := true
		for n := p; n != nil && ok; n = n.Ref {
			ok = onlyItems(n)
			it := n.Items2020
			if s, isSchema := n.Items.(*jsonschema.Schema); isSchema {
				it = s
			}
			if it != nil {
				ok = ok && items == nil
				items = it
			}
		}
		if ok && items != nil {
			out[name] = items
		}
	}
	return out
}

// onlyItems reports whether n has no keyword but type "array", items and
// $ref, and annotations.
func onlyItems(n *jsonschema.Schema) bool {
	return n.Always == nil && n.RecursiveRef == nil && n.DynamicRef == nil &&
		(len(n.Types) == 0 || (len(n.Types) == 1 && n.Types[0] == "array")) &&
		n.Constant == nil && n.Enum == nil && n.Not == nil &&
		len(n.AllOf) == 0 && len(n.AnyOf) == 0 && len(n.OneOf) == 0 && n.If == nil &&
		n.MinItems <= 0 && n.MaxItems == -1 && !n.UniqueItems &&
		n.AdditionalItems == nil && len(n.PrefixItems) == 0 && n.Contains == nil &&
		n.UnevaluatedItems == nil && len(n.Extensions) == 0
}

// schemaError flattens a validation error into its leaf causes, at most a
// few, each "at <pointer>: <message>".
func schemaError(at string, ve *jsonschema.ValidationError) error {
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := e.InstanceLocation
			if loc == "" && at == "" {
				loc = "/"
			}
			leaves = append(leaves, fmt.Sprintf("at %s: %s", at+loc, e.Message))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	const max = 5
	if len(leaves) > max {
		leaves = append(leaves[:max], fmt.Sprintf("and %d more", len(leaves)-max))
	}
	return fmt.Errorf("snapshot does not match its json schema: %s", strings.Join(leaves, "; "))
}
