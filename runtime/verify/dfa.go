package verify

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// A dfa answers regexp.Regexp.Match for ASCII input with one table lookup
// a byte: the schema's patterns (identifiers, dates, URLs) are small, and a
// match with the regexp package costs a few hundred nanoseconds, which
// 100,000 entitlements multiply.
//
// It is built eagerly, by subset construction over the pattern's compiled
// program (regexp/syntax: the same parse, with the same Perl flags, as
// regexp.Compile), so it is immutable and safe for concurrent use. Input
// with a byte >= 0x80 is left to the regexp, as are programs with
// assertions other than ^ and $ (\b, multi-line) and patterns whose
// program has more than maxDFAInsts instructions or that need more than
// maxDFAStates states (the construction's work grows with both).
type dfa struct {
	// class[c] is byte c's class: bytes no state tells apart share one,
	// so that the table is small enough to stay in the nearest cache.
	class [256]uint8
	// next[s+class[c]] is the state after byte c in state s: dead,
	// nonASCII for a byte >= 0x80 (unless s accepts), and s itself when s
	// accepts, so that the loop does one lookup a byte. A state is the
	// offset of its row, its number times the number of classes.
	next    []int32
	classes int
	// accept[s]: the input read so far contains a match.
	accept []bool
	// acceptAtEnd[s]: the input matches if it ends in state s.
	acceptAtEnd []bool
}

const (
	maxDFAStates = 2048
	maxDFAInsts  = 512
	dead         = -1
	nonASCII     = -2
	start        = 0 // the state before any input
)

// match reports whether re (the dfa's pattern) matches s.
func (a *dfa) match(re *regexp.Regexp, s []byte) bool {
	st, next := int32(start), a.next
	for _, c := range s {
		st = next[int(st)+int(a.class[c])]
		if st < 0 {
			if st == nonASCII {
				return re.Match(s)
			}
			return false
		}
	}
	n := int(st) / a.classes
	return a.accept[n] || a.acceptAtEnd[n]
}

// compress gives the bytes whose columns of next (a row of 256 a state)
// are equal one class, and makes next a row of classes a state.
func (a *dfa) compress() {
	rows := len(a.next) / 256
	sameColumn := func(c, d int) bool {
		for s := range rows {
			if a.next[s*256+c] != a.next[s*256+d] {
				return false
			}
		}
		return true
	}
	var first []int // a byte of each class
	for c := range 256 {
		id := slices.IndexFunc(first, func(d int) bool { return sameColumn(c, d) })
		if id < 0 {
			id, first = len(first), append(first, c)
		}
		a.class[c] = uint8(id) // at most 129 classes: 128 bytes and the rest
	}
	a.classes = len(first)
	next := make([]int32, 0, rows*a.classes)
	for s := range rows {
		for _, c := range first {
			t := a.next[s*256+c]
			if t >= 0 {
				t *= int32(a.classes)
			}
			next = append(next, t)
		}
	}
	a.next = next
}

// newDFA returns the dfa of re, or nil.
func newDFA(re *regexp.Regexp) *dfa {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil || len(prog.Inst) > maxDFAInsts {
		return nil
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth && syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0 {
			return nil
		}
	}
	b := &dfaBuilder{prog: prog, index: map[string]int32{}}
	// A state is the set of instructions threads wait at: runes to read,
	// matches, and $ assertions not yet true. Search is unanchored: a new
	// thread starts at every position (^ lets only the first one through).
	b.state(b.closure(nil, uint32(prog.Start), true, false), true)
	for s := 0; s < len(b.sets); s++ {
		if b.a.accept[s] {
			for range 256 {
				b.a.next = append(b.a.next, int32(s))
			}
			continue
		}
		for c := range 128 {
			var next []uint32
			for _, pc := range b.sets[s] {
				if in := &prog.Inst[pc]; consumes(in, rune(c)) {
					next = b.closure(next, in.Out, false, false)
				}
			}
			next = b.closure(next, uint32(prog.Start), false, false)
			id := b.state(next, false)
			if len(b.sets) > maxDFAStates {
				return nil
			}
			b.a.next = append(b.a.next, id)
		}
		for range 128 {
			b.a.next = append(b.a.next, nonASCII)
		}
	}
	b.a.compress()
	return &b.a
}

type dfaBuilder struct {
	prog  *syntax.Prog
	sets  [][]uint32
	index map[string]int32
	a     dfa
}

// state returns the id of the state of the instruction set pcs.
func (b *dfaBuilder) state(pcs []uint32, first bool) int32 {
	slices.Sort(pcs)
	pcs = slices.Compact(pcs)
	var key strings.Builder
	if first {
		key.WriteString("^") // ^ holds at the end of empty input only here
	}
	for _, pc := range pcs {
		key.WriteString(strconv.FormatUint(uint64(pc), 36))
		key.WriteByte(',')
	}
	if id, ok := b.index[key.String()]; ok {
		return id
	}
	if len(pcs) == 0 && !first {
		return dead
	}
	id := int32(len(b.sets))
	b.index[key.String()] = id
	b.sets = append(b.sets, pcs)
	accept, atEnd := false, false
	for _, pc := range pcs {
		switch b.prog.Inst[pc].Op {
		case syntax.InstMatch:
			accept = true
		case syntax.InstEmptyWidth:
			for _, p := range b.closure(nil, pc, first, true) {
				atEnd = atEnd || b.prog.Inst[p].Op == syntax.InstMatch
			}
		}
	}
	b.a.accept = append(b.a.accept, accept)
	b.a.acceptAtEnd = append(b.a.acceptAtEnd, atEnd)
	return id
}

// closure adds to set the instructions reachable from pc without reading
// input, where ^ holds if begin and $ if end. Unmet $ assertions stay in
// the set, to be tried at the end; unmet ^ ones never hold again.
func (b *dfaBuilder) closure(set []uint32, pc uint32, begin, end bool) []uint32 {
	seen := map[uint32]bool{}
	var walk func(pc uint32)
	walk = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &b.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			walk(in.Out)
			walk(in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			walk(in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			switch {
			case op&syntax.EmptyBeginText != 0 && !begin:
			case op&syntax.EmptyEndText != 0 && !end:
				set = append(set, pc)
			default:
				walk(in.Out)
			}
		case syntax.InstFail:
		default: // runes and match
			set = append(set, pc)
		}
	}
	walk(pc)
	return set
}

// consumes reports whether in reads r.
func consumes(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRune:
		return in.MatchRune(r)
	case syntax.InstRune1:
		return r == in.Rune[0]
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	return false
}
