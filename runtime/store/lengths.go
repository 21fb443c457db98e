package store

import "bytes"

// arrayLengths returns the number of objects in each array-valued member
// of the top-level JSON object b, by name (as written, escapes and all).
//
// It is a hint for sizing slices before decoding, not a parser: it checks
// nothing, and on input that is not well-formed it may return anything.
// Decoding into slices of the right capacity saves the decoder growing
// them: for 100,000 entitlements, growing by a quarter each time copies
// about five times the final slice and leaves that much garbage.
func arrayLengths(b []byte) map[string]int {
	out := map[string]int{}
	depth := 0
	var key []byte  // the last string read at depth 1
	var name []byte // the array being counted, at depth 2
	counting := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			end := stringEnd(b, i+1)
			if depth == 1 {
				key = b[i+1 : end]
			}
			i = end
		case '{', '[':
			if depth == 2 && counting && c == '{' {
				out[string(name)]++
			}
			depth++
			if depth == 2 {
				name, counting = key, c == '['
			}
		case '}', ']':
			depth--
		}
	}
	return out
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
