package compiler

import "testing"

func TestBaseConfigIsValid(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	if len(res.Diagnostics) > 0 {
		t.Fatalf("got diagnostics:\n%s", renderDiags(res.Diagnostics))
	}
	if res.Snapshot == nil || len(res.Bytes) == 0 {
		t.Fatal("got no snapshot")
	}
	t.Logf("%s", res.Bytes)
}
