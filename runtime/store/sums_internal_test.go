package store

import (
	"hash/maphash"
	"testing"
)

func TestSumOfLargeInputsInPiecesEqualsWholeHashes(t *testing.T) {
	b := make([]byte, 3*sumPiece+17)
	for i := range b {
		b[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, sumPiece - 1, sumPiece, sumPiece + 1, len(b)} {
		want := contentSum{maphash.Bytes(sumSeeds[0], b[:n]), maphash.Bytes(sumSeeds[1], b[:n])}
		if got := sumOf(b[:n]); got != want {
			t.Errorf("sumOf of %d bytes = %x, want %x", n, got, want)
		}
	}
}
