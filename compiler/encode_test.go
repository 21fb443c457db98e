package compiler

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestCompiledSnapshotBytesAreTheCanonicalFormOfTheSnapshot(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	raw, err := json.Marshal(res.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	want, err := snapshot.Canonical(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Bytes, want) {
		t.Errorf("got\n%s\nwant\n%s", res.Bytes, want)
	}
}
