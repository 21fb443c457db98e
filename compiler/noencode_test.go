package compiler

import (
	"reflect"
	"testing"
)

func TestACompileThatDoesNotEncodeBuildsTheSameSnapshot(t *testing.T) {
	fsys := baseFS(t)
	full := mustCompile(t, fsys, testOptions())
	opts := testOptions()
	opts.NoEncode = true
	model := mustCompile(t, fsys, opts)
	if full.Snapshot == nil || len(full.Bytes) == 0 {
		t.Fatal("the base configuration does not compile")
	}
	if model.Bytes != nil || model.Digest != "" || model.Snapshot.Sections != nil {
		t.Errorf("NoEncode encoded: %d bytes, digest %q, sections %v", len(model.Bytes), model.Digest, model.Snapshot.Sections)
	}
	if renderDiags(model.Diagnostics) != renderDiags(full.Diagnostics) {
		t.Errorf("diagnostics differ:\n%s\n%s", renderDiags(model.Diagnostics), renderDiags(full.Diagnostics))
	}
	// Encoding it later gives the same bytes, and the same snapshot
	// (encoding sets the section digests).
	b, err := model.Snapshot.Encode()
	if err != nil || string(b) != string(full.Bytes) {
		t.Errorf("the unencoded snapshot encodes to other bytes (%v)", err)
	}
	if !reflect.DeepEqual(model.Snapshot, full.Snapshot) {
		t.Error("the snapshots differ")
	}
}
