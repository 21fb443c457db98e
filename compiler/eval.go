package compiler

import (
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/frontdoor-dev/frontdoor/schema"
)

// recycleAfter bounds how many files one cue.Context evaluates before the
// worker drops it for a fresh one: a context keeps everything it ever built.
const recycleAfter = 256

// evaluator checks files against the schema. Each worker owns one: a
// cue.Context is not safe for concurrent use. The CUE context is created
// lazily, only when a file needs CUE (see shape.go).
type evaluator struct {
	shapes shapes
	limits Limits
	// noFast disables the fast path (tests compare both paths).
	noFast bool

	ctx    *cue.Context
	schema cue.Value
	defs   map[fileKind]cue.Value
	uses   int

	buf []byte // the bytes of the file being evaluated (see evalOne)
	// node is the value evalFile decoded its result from, kept for the
	// cache (see cachedFile); the caller resets it.
	node *node
}

func newEvaluator(sh shapes, limits Limits, noFast bool) *evaluator {
	return &evaluator{shapes: sh, limits: limits.withDefaults(), noFast: noFast}
}

// LoadSchema builds the embedded schema (package frontdoor, schema/*.cue) in
// ctx. Other stages that read configuration with CUE use it too.
func LoadSchema(ctx *cue.Context) (cue.Value, error) {
	inst := build.NewContext().NewInstance("", nil)
	ents, err := fs.ReadDir(schema.CUE, ".")
	if err != nil {
		return cue.Value{}, fmt.Errorf("reading embedded schema: %w", err)
	}
	for _, e := range ents {
		b, err := fs.ReadFile(schema.CUE, e.Name())
		if err != nil {
			return cue.Value{}, fmt.Errorf("reading embedded schema %s: %w", e.Name(), err)
		}
		f, err := parser.ParseFile("schema/"+e.Name(), b, parser.ParseComments)
		if err != nil {
			return cue.Value{}, fmt.Errorf("parsing embedded schema %s: %w", e.Name(), err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, fmt.Errorf("adding embedded schema %s: %w", e.Name(), err)
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("building embedded schema: %w", err)
	}
	return v, nil
}

func (e *evaluator) cueContext() error {
	if e.ctx != nil && e.uses < recycleAfter {
		e.uses++
		return nil
	}
	ctx := cuecontext.New()
	sv, err := LoadSchema(ctx)
	if err != nil {
		return err
	}
	defs := map[fileKind]cue.Value{}
	for k := kindPlatform; k <= kindConsumer; k++ {
		if d := k.def(); d != "" {
			defs[k] = sv.LookupPath(cue.ParsePath(d))
		}
	}
	e.ctx, e.schema, e.defs, e.uses = ctx, sv, defs, 1
	return nil
}

// evalFile parses, checks and decodes one configuration file. It returns
// the decoded Go value (see model.go), or nil with diagnostics in sink. The
// error is for internal failures only.
//
// Its bytes are scanned for private keys, and its evaluated string values
// (or, when it does not evaluate, its string literals) for secrets.
func (e *evaluator) evalFile(lf layoutFile, src []byte, sink *diagSink) (any, error) {
	sc := scanBytes(lf.path, src, sink)
	f, err := parser.ParseFile(lf.path, src)
	if err != nil {
		e.cueErrors(lf, nil, err, codeSyntax, nil, sink)
		return nil, nil
	}
	var n *node
	if !e.noFast {
		if pn, ok := plainFile(f); ok && e.shapes[lf.kind].accept(pn) {
			n = pn
		}
	}
	evaluated := n == nil
	if evaluated {
		// The literals are scanned before evaluation, which may prune
		// the AST, and reported only if the file does not evaluate.
		var lits diagSink
		litScan := sc
		litScan.sink = &lits
		litScan.cueLiterals(f)
		v, err := e.evalCUE(lf, f, sink)
		if err != nil {
			return nil, err
		}
		var ok bool
		if n, ok = v.(*node); !ok {
			// Invalid: nil, or what is left of a plain file (partialValue).
			sink.list = append(sink.list, lits.list...)
			return v, nil
		}
	}
	sc.node(n, "", n.pos)
	// A plain file's integers fit (plainExpr leaves longer ones to CUE).
	if evaluated && checkInts(n, lf.path, n.pos, sink) {
		return nil, nil
	}
	e.node = n
	return decodeFile(lf, n)
}

func decodeFile(lf layoutFile, n *node) (any, error) {
	out := newFileValue(lf.kind)
	if err := decodeNode(n, reflect.ValueOf(out).Elem(), pos{1, 1}); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", lf.path, err)
	}
	return out, nil
}

// evalCUE is the slow path: full CUE evaluation of one file unified with
// its definition, in the worker's own context. It returns the evaluated
// value, or nil with diagnostics in sink.
func (e *evaluator) evalCUE(lf layoutFile, f *ast.File, sink *diagSink) (any, error) {
	if name := f.PackageName(); name != "" && name != "frontdoor" {
		p := pos{1, 1}
		for _, d := range f.Decls {
			if pk, ok := d.(*ast.Package); ok {
				p = tokPos(pk.Name.Pos())
			}
		}
		sink.add(lf.path, p, codePackage, "remove the package clause or write `package frontdoor`", "package %s: configuration files are package frontdoor", name)
		return nil, nil
	}
	bad := false
	for imp := range f.ImportSpecs() {
		p, _ := strconv.Unquote(imp.Path.Value)
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			sink.add(lf.path, tokPos(imp.Pos()), codePackage, "only CUE's standard library may be imported", "import %q is not allowed", p)
			bad = true
		}
	}
	if bad {
		return nil, nil
	}
	if msg, at := checkComplexity(f); msg != "" {
		sink.add(lf.path, at, codeTooComplex, "write the value out as plain data", "%s", msg)
		return nil, nil
	}
	if err := e.cueContext(); err != nil {
		return nil, err
	}
	env := cueEnv{e.ctx, e.schema, e.defs}
	return e.budgeted(lf, func(sink *diagSink) (any, error) { return e.unify(env, lf, f, sink) }, sink)
}

// budgeted runs one file's CUE evaluation within the time and memory
// budget of e.limits. CUE cannot be interrupted: an evaluation over its
// budget is reported and abandoned (its goroutine runs on until it ends,
// with a context nobody else uses, and its result is discarded), so these
// budgets are the last line behind the file size limit and
// checkComplexity, which keep it from starting.
func (e *evaluator) budgeted(lf layoutFile, eval func(*diagSink) (any, error), sink *diagSink) (any, error) {
	type outcome struct {
		v     any
		diags diagSink
		err   error
	}
	start := liveHeap() // before the evaluation can allocate
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.v, o.err = eval(&o.diags)
		done <- o
	}()
	timer := time.NewTimer(e.limits.EvalTime)
	defer timer.Stop()
	tick := time.NewTicker(memoryTick)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			sink.list = append(sink.list, o.diags.list...)
			return o.v, o.err
		case <-timer.C:
			e.ctx = nil
			sink.add(lf.path, pos{}, codeOverBudget, "write the file as plain data, or raise --eval-timeout",
				"CUE evaluation took longer than the time budget of %s", e.limits.EvalTime)
			return nil, nil
		case <-tick.C:
			if grew := int64(liveHeap()) - int64(start); grew > e.limits.EvalMemory {
				e.ctx = nil
				sink.add(lf.path, pos{}, codeOverBudget, "write the file as plain data, or raise --eval-memory",
					"CUE evaluation used more than the memory budget of %s", bytesText(e.limits.EvalMemory))
				return nil, nil
			}
		}
	}
}

// memoryTick is how often an evaluation's memory is sampled.
const memoryTick = 10 * time.Millisecond

// liveHeap returns the bytes of live heap objects at the last GC (a
// growing evaluation makes the GC run often, so it follows it closely).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// cueEnv is what one evaluation uses of its worker's CUE context, taken
// before it starts so that an abandoned evaluation shares nothing the
// worker changes.
type cueEnv struct {
	ctx    *cue.Context
	schema cue.Value
	defs   map[fileKind]cue.Value
}

// unify evaluates f unified with its definition and decodes it. It reads
// only env and e's immutable fields.
func (e *evaluator) unify(env cueEnv, lf layoutFile, f *ast.File, sink *diagSink) (any, error) {
	v := env.ctx.BuildFile(f, cue.Scope(env.schema), cue.Filename(lf.path))
	if err := v.Err(); err != nil {
		e.cueErrors(lf, f, err, codeEval, nil, sink)
		return nil, nil
	}
	u := env.defs[lf.kind].Unify(v)
	err := u.Validate(cue.Concrete(true))
	if err == nil {
		return valueNode(u, f, lf.path, pos{1, 1}), nil
	}
	// CUE reports some problems only once others are gone: a field not
	// allowed fails its struct as a whole, and a field with an invalid
	// value hides the fields not allowed beside it. To report everything
	// at once, the fields reported are removed from the syntax and the
	// file evaluated again, until nothing new is found. Errors at paths
	// already reported (a removed field is now missing) and references
	// broken by the removal are not reported again.
	reported := map[string]bool{}
	for round := 0; round < maxRounds; round++ {
		fallback := codeEval
		if round > 0 {
			fallback = ""
		}
		removed := pruneFields(f, e.cueErrors(lf, f, err, fallback, reported, sink))
		if len(removed) == 0 {
			break
		}
		for _, p := range removed {
			reported[strings.Join(p, ".")] = true
		}
		v := env.ctx.BuildFile(f, cue.Scope(env.schema), cue.Filename(lf.path))
		if err = v.Err(); err != nil {
			return nil, nil
		}
		if err = env.defs[lf.kind].Unify(v).Validate(cue.Concrete(true)); err == nil {
			break
		}
	}
	pv, n := partialValue(lf, f, err, reported)
	e.node = n
	return pv, nil
}

// partialValue decodes what is left of a plain file that failed the schema,
// once the fields reported are removed from it, so that the rules that can
// run on it report its other problems in the same run; the file stays
// invalid. It returns nil when something left is still invalid (err has a
// problem at a path not reported) or the file is not plain data, else the
// value and the node it is decoded from.
func partialValue(lf layoutFile, f *ast.File, err error, reported map[string]bool) (any, *node) {
	if len(reported) == 0 || reported[""] {
		return nil, nil
	}
	for _, ce := range cueerrors.Errors(err) {
		p := ce.Path()
		if len(p) > 0 && strings.HasPrefix(p[0], "#") {
			p = p[1:]
		}
		if !underReported(reported, p) {
			return nil, nil
		}
	}
	n, ok := plainFile(f)
	if !ok {
		return nil, nil
	}
	out := newFileValue(lf.kind)
	if out == nil || decodeNode(n, reflect.ValueOf(out).Elem(), pos{1, 1}) != nil {
		return nil, nil
	}
	if g, ok := out.(*grantsFile); ok {
		g.partial = true
		return g, n
	}
	gs := gaps{}
	for k := range reported {
		parts := strings.Split(k, ".")
		for i := range parts {
			parts[i] = unquoteLabel(parts[i])
		}
		gs[strings.Join(parts, ".")] = true
	}
	return &partialFile{value: out, gaps: gs}, n
}

// partialFile is what is left of a file that failed the schema (see
// partialValue): value is its Go form, without the fields in gaps.
type partialFile struct {
	value any
	gaps  gaps
}

// gaps are the paths (elements joined with ".") of a file that failed the
// schema that were reported: fields removed and required fields missing.
// Rules skip what they would read there.
type gaps map[string]bool

// lacks reports whether the value at path is unknown: it, a field above it
// or a field under it was reported. Nil gaps (a valid file) lack nothing.
func (g gaps) lacks(path ...string) bool {
	if len(g) == 0 {
		return false
	}
	if underReported(g, path) {
		return true
	}
	prefix := strings.Join(path, ".") + "."
	for k := range g {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// maxRounds bounds the evaluations of one invalid file (see unify).
const maxRounds = 4

// cueErrors maps CUE errors to diagnostics: one per path, positioned in the
// file, with a code by kind of error and a hint from the shape.
//
// Paths in reported (joined with ".") are skipped; the paths reported are
// added to it and returned. An empty fallback drops the errors of no known
// kind.
func (e *evaluator) cueErrors(lf layoutFile, f *ast.File, err error, fallback string, reported map[string]bool, sink *diagSink) (paths [][]string) {
	type group struct {
		path []string
		errs []cueerrors.Error
	}
	var groups []*group
	for _, ce := range cueerrors.Errors(err) {
		p := ce.Path()
		if len(p) > 0 && strings.HasPrefix(p[0], "#") {
			p = p[1:]
		}
		i := slices.IndexFunc(groups, func(g *group) bool { return slices.Equal(g.path, p) })
		if i < 0 {
			groups = append(groups, &group{path: p})
			i = len(groups) - 1
		}
		groups[i].errs = append(groups[i].errs, ce)
	}
	for _, g := range groups {
		key := strings.Join(g.path, ".")
		if underReported(reported, g.path) {
			continue
		}
		code, msg, hint := e.classify(lf, f, g.path, g.errs, fallback)
		if code == "" {
			continue
		}
		sink.list = append(sink.list, newDiag(lf.path, e.errPos(lf, f, g.path, g.errs), code, hint, msg))
		if reported != nil {
			reported[key] = true
		}
		paths = append(paths, g.path)
	}
	return paths
}

// underReported reports whether path, or a field it is under, was
// reported already.
func underReported(reported map[string]bool, path []string) bool {
	for i := range len(path) + 1 {
		if reported[strings.Join(path[:i], ".")] && (i > 0 || len(path) == 0) {
			return true
		}
	}
	return false
}

// pruneFields removes the fields at paths from f's AST, and returns the
// paths it removed. Paths step through structs and list elements; a path
// to a list element removes the field holding the list (removing one
// element would renumber the others); paths through expressions are left
// alone.
func pruneFields(f *ast.File, paths [][]string) (removed [][]string) {
	for _, p := range paths {
		for len(p) > 0 {
			parent := astParent(f, p)
			last := p[len(p)-1]
			if _, ok := parent.(*ast.ListLit); ok {
				p = p[:len(p)-1]
				continue
			}
			keep := func(d ast.Decl) bool {
				fd, ok := d.(*ast.Field)
				return !ok || fd != astField([]ast.Decl{fd}, last)
			}
			n := 0
			switch x := parent.(type) {
			case *ast.File:
				n = len(x.Decls)
				x.Decls = slices.DeleteFunc(x.Decls, func(d ast.Decl) bool { return !keep(d) })
				n -= len(x.Decls)
			case *ast.StructLit:
				n = len(x.Elts)
				x.Elts = slices.DeleteFunc(x.Elts, func(d ast.Decl) bool { return !keep(d) })
				n -= len(x.Elts)
			}
			if n > 0 {
				removed = append(removed, p)
			}
			break
		}
	}
	return removed
}

// astWalk follows path in the AST of f as far as it is written. It
// returns the node reached, how many elements of path it followed, the
// position of the last one followed ({1, 1} if none), and whether it
// stopped at an expression (neither a struct nor a list) whose inside the
// source does not spell out.
func astWalk(f *ast.File, path []string) (cur ast.Node, n int, at pos, opaque bool) {
	at = pos{1, 1}
	if f == nil {
		return nil, 0, at, false
	}
	cur = f
	for _, p := range path {
		switch x := cur.(type) {
		case *ast.File, *ast.StructLit:
			fd := astField(astDecls(x), p)
			if fd == nil {
				return cur, n, at, false
			}
			at, cur = tokPos(fd.Label.Pos()), fd.Value
		case *ast.ListLit:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x.Elts) {
				return cur, n, at, false
			}
			at, cur = tokPos(x.Elts[i].Pos()), x.Elts[i]
		default:
			return cur, n, at, true
		}
		n++
	}
	return cur, n, at, false
}

// astParent returns the AST node holding the last element of path, or nil.
func astParent(f *ast.File, path []string) ast.Node {
	cur, n, _, _ := astWalk(f, path[:len(path)-1])
	if n < len(path)-1 {
		return nil
	}
	return cur
}

// errPos picks the first position of the errors that is in the file, else
// the nearest position of the path in the file's AST.
func (e *evaluator) errPos(lf layoutFile, f *ast.File, path []string, errs []cueerrors.Error) pos {
	var best pos
	for _, ce := range errs {
		for _, p := range append([]token.Pos{ce.Position()}, ce.InputPositions()...) {
			if p.IsValid() && p.Filename() == lf.path {
				tp := tokPos(p)
				if best.line == 0 || tp.line < best.line || (tp.line == best.line && tp.col < best.col) {
					best = tp
				}
			}
		}
	}
	if best.line > 0 {
		return best
	}
	return astPathPos(f, path)
}

// astPathPos returns the position of the deepest element of path found in
// the AST of f (start of file if none).
func astPathPos(f *ast.File, path []string) pos {
	_, _, at, _ := astWalk(f, path)
	return at
}

// classify chooses the code, message and hint of a group of CUE errors at
// one path.
func (e *evaluator) classify(lf layoutFile, f *ast.File, p []string, errs []cueerrors.Error, fallback string) (code, msg, hint string) {
	field := strings.Join(p, ".")
	var sh *shape
	if s := e.shapes[lf.kind]; s != nil {
		sh = s.at(p)
	}
	texts := make([]string, 0, len(errs))
	for _, ce := range errs {
		format, args := ce.Msg()
		texts = append(texts, fmt.Sprintf(format, args...))
	}
	all := strings.Join(texts, "; ")
	where := func(m string) string {
		if field == "" {
			return m
		}
		return field + ": " + m
	}
	switch {
	case fallback == codeSyntax:
		return codeSyntax, where(texts[0]), "fix the CUE syntax"
	case strings.Contains(all, "field not allowed"):
		name := ""
		if len(p) > 0 {
			name = p[len(p)-1]
		}
		parent := e.shapes[lf.kind]
		if parent != nil && len(p) > 0 {
			parent = parent.at(p[:len(p)-1])
		}
		return codeUnknownField, where("field not allowed"), fieldHint(parent, name)
	case strings.Contains(all, "mismatched types"):
		m := firstMatch(texts, "mismatched types")
		if i := strings.Index(m, "(mismatched types "); i >= 0 {
			m = strings.TrimSuffix(m[i+1:], ")")
		}
		if lit := astLiteral(f, p); lit != "" {
			m = fmt.Sprintf("%s (got %s)", m, lit)
		}
		return codeWrongType, where(m), valueHint(sh)
	case strings.Contains(all, "incomplete value") || strings.Contains(all, "non-concrete value"):
		if astHas(f, p) {
			return codeInvalidValue, where("value is not concrete"), valueHint(sh)
		}
		return codeMissingField, where("missing required field"), valueHint(sh)
	case strings.Contains(all, "conflicting values") || strings.Contains(all, "does not satisfy") ||
		strings.Contains(all, "out of bound") || strings.Contains(all, "invalid value") ||
		strings.Contains(all, "empty disjunction") || strings.Contains(all, "incompatible list lengths"):
		if lit := astLiteral(f, p); lit != "" {
			return codeInvalidValue, where("invalid value " + lit), valueHint(sh)
		}
		return codeInvalidValue, where(invalidMessage(texts)), valueHint(sh)
	}
	return fallback, where(texts[0]), "keep configuration files as plain data"
}

func firstMatch(texts []string, sub string) string {
	for _, t := range texts {
		if strings.Contains(t, sub) {
			return t
		}
	}
	return texts[0]
}

// invalidMessage picks the most telling message of a group: disjunction
// summaries ("2 errors in empty disjunction") say less than their parts.
func invalidMessage(texts []string) string {
	for _, t := range texts {
		if !strings.Contains(t, "empty disjunction") {
			return t
		}
	}
	return texts[0]
}

// astLiteral returns the source of the literal at path, if path holds one.
func astLiteral(f *ast.File, path []string) string {
	if len(path) == 0 {
		return ""
	}
	cur, n, _, _ := astWalk(f, path)
	if b, ok := cur.(*ast.BasicLit); ok && n == len(path) && len(b.Value) <= 80 {
		return b.Value
	}
	return ""
}

// astHas reports whether path is literally present in the file.
func astHas(f *ast.File, path []string) bool {
	if f == nil || len(path) == 0 {
		return false
	}
	_, n, _, opaque := astWalk(f, path)
	return n == len(path) || opaque
}

// fieldHint suggests the closest allowed field name.
func fieldHint(parent *shape, name string) string {
	if parent == nil || parent.kind != sStruct {
		return "remove the field"
	}
	if parent.pattern != nil && len(parent.fields) == 0 {
		return "keys here must be " + keyHint(parent.patternKey)
	}
	names := make([]string, 0, len(parent.fields))
	best, bestD := "", 1<<30
	for _, f := range parent.fields {
		names = append(names, f.name)
		if d := editDistance(strings.ToLower(name), strings.ToLower(f.name)); d < bestD {
			best, bestD = f.name, d
		}
	}
	if best != "" && bestD <= max(2, len(name)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "allowed fields: " + strings.Join(names, ", ")
}

func keyHint(s *shape) string {
	if s == nil {
		return "valid IDs"
	}
	if len(s.enum) > 0 {
		return "one of " + strings.Join(s.enum, ", ")
	}
	return valueHint(s)
}

// valueHint describes what a value of shape s must look like.
func valueHint(s *shape) string {
	if s == nil {
		return "see the schema in schema/*.cue"
	}
	switch s.kind {
	case sString:
		if len(s.enum) > 0 {
			return "one of " + quoteAll(s.enum)
		}
		for _, re := range s.regexps {
			switch re.String() {
			case reID:
				return "an ID: lowercase letters, digits and inner hyphens, at most 64 characters"
			case reHandle:
				return "a forge handle: letters, digits and hyphens"
			case reDate:
				return "a date written YYYY-MM-DD"
			case reURL:
				return "an absolute http(s) URL"
			case reEmail:
				return "an email address"
			case reVersion:
				return "a semantic version such as 1.2.0"
			case reHeaderName:
				return "an HTTP header name"
			default:
				return "a string matching " + re.String()
			}
		}
		if s.maxRunes > 0 {
			return fmt.Sprintf("a non-empty string of at most %d characters", s.maxRunes)
		}
		if s.nonEmpty {
			return "a non-empty string"
		}
		return "a string"
	case sInt:
		switch {
		case s.min != nil && s.max != nil:
			return fmt.Sprintf("an integer from %d to %d", *s.min, *s.max)
		case s.min != nil:
			return fmt.Sprintf("an integer of at least %d", *s.min)
		}
		return "an integer"
	case sBool:
		return "true or false"
	case sList:
		if s.minElems > 0 {
			return "a non-empty list"
		}
		return "a list"
	case sStruct:
		if len(s.fields) > 0 {
			names := make([]string, 0, len(s.fields))
			for _, f := range s.fields {
				if !f.optional {
					names = append(names, f.name)
				}
			}
			if len(names) > 0 {
				return "a struct with " + strings.Join(names, ", ")
			}
		}
		return "a struct"
	}
	return "see the schema in schema/*.cue"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// specDir is the directory of an API's documents.
func specDir(pub string) string { return path.Join("publishers", pub, "apis") }
