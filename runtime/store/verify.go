package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Reason says why a candidate snapshot was refused.
type Reason string

// Refusal reasons.
const (
	ReasonSchema      Reason = "schema"      // fails the snapshot JSON Schema
	ReasonDigest      Reason = "digest"      // bytes do not match the expected digest
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
	// Signature is the signature file's contents, if any.
	Signature []byte
	// Digest, when set, is the expected digest, in any form
	// snapshot.ParseDigest reads.
	Digest string
	// Sum, when set, is snapshot.Digest(Bytes) as the caller computed it
	// in this process: Load takes it instead of hashing Bytes again.
	Sum string
	// Background loads on one goroutine, leaving the other CPUs to the
	// requests being served (see runner); otherwise the load's steps run
	// side by side on every CPU, to end soonest.
	Background bool
	// AllowRollback accepts a lower generation than the active snapshot's.
	AllowRollback bool
	// SelfBuilt is true when this process compiled Bytes itself from the
	// configuration repository it fetched: a missing signature is then no
	// reason to refuse (a present one is still checked).
	SelfBuilt bool
}

// VerifierOptions configure a Verifier.
type VerifierOptions struct {
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

	// valid holds the hashes of the array items of the last snapshot that
	// passed the schema and that the fast check (see fastNode) could not
	// prove valid itself: items are pure data validated against one
	// schema, so an item seen valid before is valid again. When the schema
	// uses keywords the fast check leaves to the library, a swap that
	// changes a few grants then validates those few, not 100,000.
	valid atomic.Pointer[validSets]

	// props are the root's property schemas, when the root constrains
	// nothing but its properties (see plainObject), and required its
	// required properties: a document of sections that each satisfy their
	// property's schema, with every required one present, then satisfies
	// the schema. nil when it does not: every load is then a whole one.
	props    map[string]*jsonschema.Schema
	required map[string]bool
}

// validSets are itemSets by top-level array name.
type validSets map[string]itemSet

// itemSet is a set of item hashes (128-bit truncated SHA-256).
type itemSet map[[16]byte]struct{}

func itemHash(raw []byte) [16]byte {
	sum := sha256.Sum256(raw)
	return [16]byte(sum[:16])
}

// NewVerifier compiles the JSON Schema and returns a Verifier.
func NewVerifier(opts VerifierOptions) (*Verifier, error) {
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
	items := streamItems(s)
	v := &Verifier{schema: s, items: items, fast: compileFast(items), trust: opts.Trust}
	root := s
	for root.Ref != nil && len(root.Properties) == 0 {
		root = root.Ref
	}
	if plainObject(root) {
		v.props, v.required = root.Properties, map[string]bool{}
		for _, r := range root.Required {
			v.required[r] = true
		}
	}
	return v, nil
}

// Load verifies c and builds its database. It returns active itself, and no
// error, when c has the active snapshot's digest: there is nothing to swap.
// Otherwise it returns a new Snapshot, or a *Refusal saying why c must not be
// served. active may be nil.
func (v *Verifier) Load(c Candidate, active *Snapshot) (*Snapshot, error) {
	digest := c.Sum
	if digest == "" {
		digest = snapshot.Digest(c.Bytes)
	}
	if c.Digest != "" {
		want, err := snapshot.ParseDigest(c.Digest)
		if err != nil {
			return nil, refuse(ReasonDigest, err)
		}
		if want != digest {
			return nil, refuse(ReasonDigest, fmt.Errorf("digest is %s, want %s", digest, want))
		}
	}
	if active != nil && active.Digest() == digest {
		return active, nil
	}
	signed := len(v.trust) > 0 && len(bytes.TrimSpace(c.Signature)) > 0
	if len(v.trust) > 0 && !signed && !c.SelfBuilt {
		return nil, refuse(ReasonUnsigned, errors.New("snapshot has no signature and trust keys are configured"))
	}

	// The signature check runs beside everything else; its verdict is
	// reported first. A candidate with a bad signature is thus parsed
	// before it is refused, which costs CPU, never trust: nothing of it is
	// kept.
	r := runner{serial: c.Background}
	var (
		wg     sync.WaitGroup
		sigErr error
	)
	if signed {
		r.Go(&wg, func() { sigErr = snapshot.VerifyDigestSignature(v.trust, digest, c.Signature) })
	}
	var hint *sectionSums
	if active != nil {
		hint = active.sums
	}
	secs, _ := splitSections(c.Bytes, hint) // nil when not canonical
	var (
		next *Snapshot
		seen validSets
		err  error
		done bool
	)
	if secs != nil && v.props != nil && active != nil && active.sums != nil {
		next, seen, done = v.loadChanged(c, digest, secs, active, r)
	}
	if !done {
		next, seen, err = v.loadWhole(c, digest, secs, active, r)
	}
	wg.Wait()
	if sigErr != nil {
		return nil, refuse(ReasonSignature, sigErr)
	}
	if err != nil {
		return nil, err
	}
	v.valid.Store(&seen)
	return next, nil
}

// loadWhole verifies, decodes and indexes every section of c. secs, when
// not nil, are c's sections.
//
// The schema check and the typed load each read the whole document and
// share nothing: they run side by side, and the schema's verdict comes
// first.
func (v *Verifier) loadWhole(c Candidate, digest string, secs *sections, active *Snapshot, r runner) (*Snapshot, validSets, error) {
	var (
		wg        sync.WaitGroup
		schemaErr error
		seen      validSets
	)
	r.Go(&wg, func() { seen, schemaErr = v.validate(c.Bytes, r) })
	next, loadErr := load(c, digest, secs, active, r)
	wg.Wait()
	if schemaErr != nil {
		return nil, nil, schemaErr
	}
	if loadErr != nil {
		return nil, nil, loadErr
	}
	return next, seen, nil
}

// loadChanged loads c from active and the sections of c that differ from
// active's: only those are validated and decoded, and the database is
// shared with active when no indexed section changed. It returns false when
// anything is wrong with c (or it cannot tell), leaving the verdict, and
// its explanation, to loadWhole.
func (v *Verifier) loadChanged(c Candidate, digest string, secs *sections, active *Snapshot, r runner) (*Snapshot, validSets, bool) {
	ch, _ := secs.changed(active.sums)
	// Changed grants: only the items that differ from the active ones are
	// validated and decoded, as the array of them alone (see pieces).
	grantPieces := active.grantPieces
	var prefix, suffix int
	work := secs
	if ch[secEntitlements] {
		raw := secs.raw[secEntitlements]
		endsBuf := endsPool.Get().(*[]int)
		defer func() { *endsBuf = (*endsBuf)[:0]; endsPool.Put(endsBuf) }()
		sums, split := pieces(raw, len(active.grantPieces), endsBuf)
		ends := *endsBuf
		grantPieces = nil
		if split {
			grantPieces = sums
		}
		if split && active.grantPieces != nil && len(active.grantPieces) == active.entitlementCount() {
			prefix, suffix = commonEnds(active.grantPieces, sums)
			// The changed pieces, without the separators around them.
			from := 1
			if prefix > 0 {
				from = ends[prefix-1] + 1
			}
			to := from
			if k := len(ends) - suffix; k > prefix {
				to = ends[k-1]
			}
			mid := make([]byte, 0, to-from+2)
			mid = append(append(append(mid, '['), raw[from:to]...), ']')
			view := *secs
			view.raw[secEntitlements] = mid
			work = &view
		}
	}
	var (
		wg        sync.WaitGroup
		seen      validSets
		schemaErr error
	)
	r.Go(&wg, func() { seen, schemaErr = v.validateSections(work, ch, r) })
	data := *active.data // sections are replaced, never decoded into
	ok, reindex, grantsOnly := true, false, true
	for i := range numSections {
		if ch[i] {
			ok = ok && decodeSection(&data, work, i) == nil
			reindex = reindex || indexed[i]
			grantsOnly = grantsOnly && (!indexed[i] || i == secEntitlements)
		}
	}
	spliced := ok && work != secs
	if spliced {
		// The pieces were the items exactly if there are as many of each.
		ok = prefix+len(data.Entitlements)+suffix == len(grantPieces)
	} else if ok && ch[secEntitlements] && len(data.Entitlements) != len(grantPieces) {
		grantPieces = nil // cut inside items: unknown until the next change
	}
	ok = ok && checkVersion(&data) == nil && (data.Generation >= active.Generation() || c.AllowRollback)
	var next *Snapshot
	switch {
	case !ok:
	case reindex && grantsOnly:
		// Only the grants changed: only their checks and rows.
		var err error
		if spliced {
			next, err = active.withChangedGrants(&data, digest, prefix, suffix)
		} else if err = data.ConsistentEntitlements(); err == nil {
			next, err = active.withGrants(&data, digest)
		}
		ok = err == nil
	case reindex:
		// Other sections changed: everything is indexed anew, from all the
		// entitlements (the active snapshot's document holds none).
		if !ch[secEntitlements] {
			data.Entitlements = active.Entitlements()
		} else if spliced {
			data.Entitlements = active.splice(0, active.entitlementCount(), prefix, suffix, data.Entitlements)
		}
		var err error
		next, err = index(&data, digest, r)
		ok = err == nil
	default:
		next = active.rebase(&data, digest)
	}
	wg.Wait()
	if !ok || schemaErr != nil {
		return nil, nil, false
	}
	sums := secs.sectionSums // not secs: its sections are c.Bytes
	next.sums, next.grantPieces = &sums, grantPieces
	return next, seen, true
}

// load decodes, checks and indexes c; secs, when not nil, are its sections.
func load(c Candidate, digest string, secs *sections, active *Snapshot, r runner) (*Snapshot, error) {
	var (
		data *snapshot.Snapshot
		err  error
	)
	if secs != nil {
		// Decoding section by section proves the cut (see sections), so
		// that the next load can compare sections.
		if data, err = decodeSections(secs); err != nil {
			secs = nil
		}
	}
	if secs == nil {
		if data, err = Decode(c.Bytes); err != nil {
			return nil, refuse(ReasonDecode, err)
		}
	}
	if active != nil && data.Generation < active.Generation() && !c.AllowRollback {
		return nil, refuse(ReasonGeneration, fmt.Errorf("generation %d is lower than the active %d", data.Generation, active.Generation()))
	}
	// The grants' pieces, for the next load to find the grants it changed
	// (see loadChanged), are summed meanwhile.
	var (
		wg        sync.WaitGroup
		grantSums []contentSum
	)
	if secs != nil {
		r.Go(&wg, func() {
			if sums, ok := pieces(secs.raw[secEntitlements], len(data.Entitlements), nil); ok {
				grantSums = sums
			}
		})
	}
	s, err := index(data, digest, r)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if secs != nil {
		sums := secs.sectionSums // not secs: its sections are c.Bytes
		s.sums = &sums
		if len(grantSums) == s.entitlementCount() {
			s.grantPieces = grantSums
		}
	}
	return s, nil
}

// index checks data's consistency and builds its database.
func index(data *snapshot.Snapshot, digest string, r runner) (*Snapshot, error) {
	// Build only reads data; check it meanwhile and discard on failure.
	var (
		wg         sync.WaitGroup
		consistErr error
	)
	r.Go(&wg, func() { consistErr = data.Consistent() })
	s, err := build(data, digest, r)
	wg.Wait()
	if consistErr != nil {
		return nil, refuse(ReasonConsistency, consistErr)
	}
	if err != nil {
		return nil, refuse(ReasonConsistency, err)
	}
	return s, nil
}

// A runner runs a load's independent steps: side by side on every CPU, or,
// in the background (Candidate.Background), one after the other on one
// goroutine. Go's scheduler has no priorities: CPU-bound load goroutines on
// every P would make requests queue behind them for up to a time slice
// (10 ms) at each step. One load goroutine leaves the other CPUs to the
// requests; the swap takes longer, requests do not.
type runner struct{ serial bool }

// Go runs f on a new goroutine tracked by wg, or now when r is serial.
func (r runner) Go(wg *sync.WaitGroup, f func()) {
	if r.serial {
		f()
		return
	}
	wg.Go(f)
}

// workers is how many goroutines a step may split its work across.
func (r runner) workers() int {
	if r.serial {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// Decode parses a snapshot as strictly as snapshot.Decode (unknown fields,
// trailing data and another schema version are errors; it is also strict
// about letter case, duplicate names and invalid UTF-8) but about twice as
// fast, with encoding/json/v2's decoder: it is on the swap's critical path.
//
// The top-level lists are allocated at their final length first (see
// arrayLengths); the decoder fills them in place.
func Decode(b []byte) (*snapshot.Snapshot, error) {
	var s snapshot.Snapshot
	n := arrayLengths(b)
	presize(&s.Publishers, n["publishers"], len(b))
	presize(&s.APIs, n["apis"], len(b))
	presize(&s.Routes, n["routes"], len(b))
	presize(&s.Consumers, n["consumers"], len(b))
	presize(&s.Entitlements, n["entitlements"], len(b))
	if err := jsonv2.Unmarshal(b, &s, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("decoding snapshot: %w", err)
	}
	if err := checkVersion(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// presize gives *s capacity for n elements, and at most as many bytes as
// the document has: hostile input (an array of empty objects, say, whose
// first element has an unknown member) then costs no more memory than it
// would without the hint. A nil slice stays nil when there are none, as the
// decoder leaves it.
func presize[T any](s *[]T, n, docLen int) {
	n = min(n, docLen/max(int(reflect.TypeFor[T]().Size()), 1))
	if n > 0 {
		*s = make([]T, 0, n)
	}
}

// validate checks b against the JSON Schema. Malformed JSON is a decode
// refusal, a valid document that breaks the schema a schema refusal.
//
// The document is not decoded into one generic tree: the elements of the
// big top-level arrays (apis, entitlements, ...) are validated one by one
// against the array's item schema, and the rest of the document (those
// arrays left empty) against the whole schema. That is the same verdict,
// for schemas whose top-level arrays constrain nothing but their items
// (streamItems checks this), at a fraction of the peak memory and
// garbage-collection work: 100,000 entitlements never live as maps at once.
//
// Each element is first checked as it is tokenised, in place, by the fast
// check (see fastNode), which proves nearly every valid element valid for
// about 3 ns a byte (under a microsecond an entitlement, where the library
// takes 5 µs); the library validates the rest (the invalid ones, which it
// explains, and any the fast check cannot judge), on every CPU, and gives
// the verdict.
func (v *Verifier) validate(b []byte, r runner) (validSets, error) {
	// A bytes.Buffer is parsed in place; any other reader would be copied.
	dec := jsontext.NewDecoder(bytes.NewBuffer(b))
	bad := func(err error) (validSets, error) {
		return nil, badJSON(err)
	}
	if tok, err := dec.ReadToken(); err != nil {
		return bad(err)
	} else if tok.Kind() != '{' {
		return nil, v.validateValue(v.schema, "", b) // let the schema say what is wrong
	}
	known := v.known()
	seen := validSets{}
	root := map[string]any{}
	chk := &checker{fs: v.fast, d: dec}
	var items []item
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return bad(err)
		}
		name := tok.String()
		schema := v.items[name]
		if schema == nil || dec.PeekKind() != '[' {
			raw, err := dec.ReadValue()
			if err != nil {
				return bad(err)
			}
			var x any
			if err := jsonv2.Unmarshal(raw, &x); err != nil {
				return bad(err)
			}
			root[name] = x
			continue
		}
		if seen[name], err = v.checkArray(chk, b, name, known[name], &items); err != nil {
			return bad(err)
		}
		root[name] = []any{}
	}
	if _, err := dec.ReadToken(); err != nil {
		return bad(err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return bad(errors.New("trailing data after the document"))
	}
	if err := v.schema.Validate(root); err != nil {
		return nil, schemaRefusal("", err)
	}
	if err := v.validateItems(items, r); err != nil {
		return nil, err
	}
	return seen, nil
}

func badJSON(err error) error {
	return refuse(ReasonDecode, fmt.Errorf("parsing snapshot json: %w", err))
}

// known returns the item sets of the last snapshot loaded.
func (v *Verifier) known() validSets {
	if p := v.valid.Load(); p != nil {
		return *p
	}
	return nil
}

// checkArray reads the array named name that chk's decoder is at, over b,
// with the fast check. It returns the hashes of the items the fast check
// could not prove valid, and adds those not in known to items, for the
// library to validate.
func (v *Verifier) checkArray(chk *checker, b []byte, name string, known itemSet, items *[]item) (itemSet, error) {
	dec := chk.d
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	seen := itemSet{}
	schema, fast := v.items[name], v.fast.items[name].chain
	for i := 0; dec.PeekKind() != ']'; i++ {
		start, depth := dec.InputOffset(), dec.StackDepth()
		ok, err := chk.check(fast)
		if err == nil && !ok {
			err = skipRest(dec, depth, start)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			continue
		}
		// The value's bytes in b, without the separator before it.
		raw := bytes.TrimLeft(b[start:dec.InputOffset()], " \t\r\n,")
		h := itemHash(raw)
		seen[h] = struct{}{}
		if _, ok := known[h]; !ok {
			*items = append(*items, item{schema: schema, name: name, index: i, raw: raw})
		}
	}
	_, err := dec.ReadToken()
	return seen, err
}

// validateSections validates the sections of secs marked in changed, each
// against its property's schema (v.props must be set), and returns the item
// sets of all sections: those of the unchanged ones are the last
// snapshot's.
func (v *Verifier) validateSections(secs *sections, changed [numSections]bool, r runner) (validSets, error) {
	known := v.known()
	seen := validSets{}
	var items []item
	for i, name := range sectionNames {
		if !changed[i] {
			if k, ok := known[name]; ok {
				seen[name] = k
			}
			continue
		}
		raw := secs.raw[i]
		prop := v.props[name]
		switch {
		case !secs.has[i]:
			if v.required[name] {
				return nil, refuse(ReasonSchema, fmt.Errorf("snapshot has no %s", name))
			}
		case prop == nil:
			return nil, refuse(ReasonSchema, fmt.Errorf("snapshot has an unknown member %s", name))
		case v.items[name] != nil && raw[0] == '[':
			dec := jsontext.NewDecoder(bytes.NewBuffer(raw))
			set, err := v.checkArray(&checker{fs: v.fast, d: dec}, raw, name, known[name], &items)
			if err == nil {
				_, err = dec.ReadToken()
				if err == nil {
					err = errors.New("trailing data")
				} else if err == io.EOF {
					err = nil
				}
			}
			if err != nil {
				return nil, badJSON(err)
			}
			seen[name] = set
		default:
			if err := v.validateValue(prop, "/"+name, raw); err != nil {
				return nil, err
			}
		}
	}
	if err := v.validateItems(items, r); err != nil {
		return nil, err
	}
	return seen, nil
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
func (v *Verifier) validateItems(items []item, r runner) error {
	workers := min(r.workers(), max(len(items)/1024, 1))
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
