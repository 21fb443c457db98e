package compiler

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// runsOfBase64 is the plain reading of findDER's candidates: every maximal
// run of base64 bytes, with its offset and length.
func runsOfBase64(t []byte) [][2]int {
	var runs [][2]int
	for i := 0; i < len(t); {
		if !isB64(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && isB64(t[j]) {
			j++
		}
		runs = append(runs, [2]int{i, j - i})
		i = j
	}
	return runs
}

// TestFindDERSkipsNoCandidateRun checks the skipping scan against every
// maximal run of base64 in random texts: each run of OpenSSH's prefix and
// of a key's length is reported at its offset, whatever the bytes around it.
func TestFindDERSkipsNoCandidateRun(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab+/_- \n.:\\")
	for range 2000 {
		var b []byte
		for range r.IntN(400) {
			if r.IntN(12) == 0 {
				b = append(b, opensshB64...)
			}
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		var want []int
		for _, run := range runsOfBase64(b) {
			if run[1] >= minDER && run[1] <= maxDER && slices.Equal(b[run[0]:run[0]+len(opensshB64)], []byte(opensshB64)) {
				want = append(want, run[0])
			}
		}
		var got []int
		for _, h := range findDER(b) {
			got = append(got, h.off)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("in %q: got runs at %v, want %v", b, got, want)
		}
	}
}
