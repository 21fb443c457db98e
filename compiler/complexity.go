package compiler

import (
	"fmt"
	"strconv"

	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// Bounds of what a file may ask CUE to build, checked on its syntax
// before it is evaluated (see checkComplexity).
const (
	// maxNesting is how deeply comprehensions (or the for clauses of one)
	// may nest.
	maxNesting = 3
	// maxGenerated is how many elements one list or struct may have, or
	// one comprehension, list.Range, list.Repeat or strings.Repeat may
	// produce (CUE's time grows faster than linearly with it).
	maxGenerated = 5_000
	// maxExpansion is how many values a file may expand to once every
	// reference is replaced by what it names.
	maxExpansion = 200_000
)

// complexity estimates, on a file's syntax, how much CUE would build:
// each value counts one, a reference counts as much as what it names, a
// comprehension as its body times the elements it iterates over. The
// estimate is an upper bound for what configuration files do, cheap to
// compute, and refuses the constructs that make CUE's evaluation blow up
// (a long list.Range, nested comprehensions, a value doubled by
// references again and again) before CUE sees them.
type complexity struct {
	memo    map[ast.Node]int64
	busy    map[ast.Node]bool
	problem string
	at      pos
}

// checkComplexity returns a message and a position if f is too complex to
// evaluate, else "".
func checkComplexity(f *ast.File) (string, pos) {
	c := &complexity{memo: map[ast.Node]int64{}, busy: map[ast.Node]bool{}}
	total := c.weigh(f, 0)
	if c.problem == "" && total > maxExpansion {
		c.fail(f, "the file expands to more than %d values once its references are followed", maxExpansion)
	}
	return c.problem, c.at
}

func (c *complexity) fail(n ast.Node, format string, args ...any) {
	if c.problem == "" {
		c.problem, c.at = fmt.Sprintf(format, args...), tokPos(n.Pos())
	}
}

// add and mul saturate just past maxExpansion.
func add(a, b int64) int64 { return min(a+b, maxExpansion+1) }
func mul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > (maxExpansion+1)/b {
		return maxExpansion + 1
	}
	return min(a*b, maxExpansion+1)
}

// weigh returns the weight of n; depth counts enclosing comprehensions.
func (c *complexity) weigh(n ast.Node, depth int) int64 {
	if n == nil || c.problem != "" {
		return 0
	}
	switch x := n.(type) {
	case *ast.Ident:
		return c.ref(x)
	case *ast.Comprehension:
		return c.comprehension(x, depth)
	case *ast.CallExpr:
		if w, ok := c.generator(x, depth); ok {
			return w
		}
	case *ast.LetClause:
		// Counted where it is used.
		return 1
	case *ast.ListLit:
		c.tooMany(x, len(x.Elts), "a list")
	case *ast.StructLit:
		c.tooMany(x, len(x.Elts), "a struct")
	case *ast.File:
		c.tooMany(x, len(x.Decls), "the file")
	}
	w := int64(1)
	ast.Walk(n, func(ch ast.Node) bool {
		if ch == n {
			return true
		}
		if _, ok := ch.(*ast.LetClause); !ok {
			w = add(w, c.weigh(ch, depth))
		}
		return false
	}, nil)
	return w
}

func (c *complexity) tooMany(n ast.Node, count int, what string) {
	if count > maxGenerated {
		c.fail(n, "%s has more than %d elements", what, maxGenerated)
	}
}

// ref weighs a reference as what it names, once per use.
func (c *complexity) ref(x *ast.Ident) int64 {
	var target ast.Node
	switch t := x.Node.(type) {
	case *ast.LetClause:
		target = t.Expr
	case *ast.Alias:
		target = t.Expr
	case ast.Expr:
		target = t
	default:
		return 1
	}
	if w, ok := c.memo[target]; ok {
		return w
	}
	if c.busy[target] {
		return 1 // a cycle: CUE reports it
	}
	c.busy[target] = true
	w := c.weigh(target, 0)
	delete(c.busy, target)
	c.memo[target] = w
	return w
}

func (c *complexity) comprehension(x *ast.Comprehension, depth int) int64 {
	times := int64(1)
	for _, cl := range x.Clauses {
		fc, ok := cl.(*ast.ForClause)
		if !ok {
			continue
		}
		depth++
		if depth > maxNesting {
			c.fail(fc, "comprehensions nest more than %d deep", maxNesting)
			return 0
		}
		times = mul(times, c.elements(fc.Source, depth))
		if times > maxGenerated {
			c.fail(fc, "a comprehension produces more than %d elements", maxGenerated)
			return 0
		}
	}
	w := mul(times, c.weigh(x.Value, depth))
	if x.Fallback != nil {
		w = add(w, c.weigh(x.Fallback.Body, depth))
	}
	return w
}

// elements estimates how many elements a comprehension's source has.
func (c *complexity) elements(src ast.Expr, depth int) int64 {
	switch s := src.(type) {
	case *ast.ListLit:
		n := int64(0)
		for _, e := range s.Elts {
			if cm, ok := e.(*ast.Comprehension); ok {
				n = add(n, c.comprehension(cm, depth))
			} else {
				n = add(n, 1)
			}
		}
		return n
	case *ast.StructLit:
		return int64(len(s.Elts))
	}
	return c.weigh(src, depth)
}

// generator weighs the standard library's calls that produce many values
// from few characters; ok is false for other calls.
func (c *complexity) generator(x *ast.CallExpr, depth int) (int64, bool) {
	sel, ok := x.Fun.(*ast.SelectorExpr)
	if !ok {
		return 0, false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return 0, false
	}
	pkgPath := pkg.Name
	if spec, ok := pkg.Node.(*ast.ImportSpec); ok {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil {
			pkgPath = p
		}
	}
	fn, _, _ := ast.LabelName(sel.Sel)
	name := pkgPath + "." + fn
	lits := make([]int64, len(x.Args))
	literal := true
	for i, a := range x.Args {
		v, ok := intLit(a)
		lits[i], literal = v, literal && ok
	}
	var n int64
	switch name {
	case "list.Range":
		if !literal || len(lits) != 3 || lits[2] == 0 {
			c.fail(x, "list.Range must be written with literal integers")
			return 0, true
		}
		if d := (lits[1] - lits[0]) / lits[2]; d > 0 {
			n = d + 1
		}
	case "list.Repeat", "strings.Repeat":
		if len(x.Args) != 2 || !literalCount(x.Args[1]) {
			c.fail(x, "%s must be given a literal count", name)
			return 0, true
		}
		n = lits[1]
		if name == "list.Repeat" {
			n = mul(n, c.weigh(x.Args[0], depth))
		}
	default:
		return 0, false
	}
	if n > maxGenerated {
		c.fail(x, "%s produces more than %d elements", name, maxGenerated)
		return 0, true
	}
	return max(n, 1), true
}

// intLit returns the value of an integer literal, possibly negated.
func intLit(e ast.Expr) (int64, bool) {
	neg := int64(1)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, e = -1, u.X
	}
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.INT {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(bl.Value, "_", ""), 0, 64)
	return neg * v, err == nil
}

func literalCount(e ast.Expr) bool {
	_, ok := intLit(e)
	return ok
}
