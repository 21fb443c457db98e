package verify

import "bytes"

// itemCount returns the number of objects directly in the JSON array raw.
// It is a sizing hint for decoding, not a parser: it checks nothing, and on
// input that is not well-formed it may return anything.
func itemCount(raw []byte) int {
	n := 0
	scanJSON(raw, func(c byte, depth int, _ []byte) {
		if c == '{' && depth == 1 {
			n++
		}
	})
	return n
}

// scanJSON calls f for each string of b (c is '"', str its contents as
// written) and each brace or bracket outside strings (c is that byte), with
// the depth before it. Like its callers, it checks nothing.
func scanJSON(b []byte, f func(c byte, depth int, str []byte)) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			end := stringEnd(b, i+1)
			f(c, depth, b[i+1:end])
			i = end
		case '{', '[':
			f(c, depth, nil)
			depth++
		case '}', ']':
			depth--
			f(c, depth, nil)
		}
	}
}

// stringEnd returns the index of the quote closing the JSON string whose
// contents start at b[i], or len(b).
func stringEnd(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
		i++
	}
}
