package compiler

import (
	"bytes"
	"testing"
)

func TestCompiledSnapshotBytesAreTheCanonicalFormOfTheSnapshot(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	s := *res.Snapshot
	want, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Bytes, want) {
		t.Errorf("got\n%s\nwant\n%s", res.Bytes, want)
	}
}
