package compiler

import (
	"testing"
	"testing/fstest"
)

// withOpendata returns the base with publishers/acme/apis/opendata.cue
// ending in extra.
func withOpendata(t *testing.T, extra string) fstest.MapFS {
	t.Helper()
	fsys := baseFS(t)
	const p = "publishers/acme/apis/opendata.cue"
	fsys[p] = &fstest.MapFile{Data: append(append([]byte(nil), fsys[p].Data...), "\n"+extra+"\n"...), Mode: 0o644}
	return fsys
}

func TestAnAPIsWebSocketDeclarationReachesTheSnapshot(t *testing.T) {
	for _, tc := range []struct {
		extra string
		want  bool
	}{
		{"", false},
		{"websocket: false", false},
		{"websocket: true", true},
	} {
		t.Run(tc.extra, func(t *testing.T) {
			res := mustCompile(t, withOpendata(t, tc.extra), testOptions())
			if len(res.Diagnostics) > 0 {
				t.Fatalf("got diagnostics:\n%s", renderDiags(res.Diagnostics))
			}
			if err := snapshotSchema(t).Validate(decodeJSON(t, res.Bytes)); err != nil {
				t.Errorf("the snapshot does not validate: %v", err)
			}
			for _, a := range res.Snapshot.APIs {
				if a.ID == "acme/opendata" {
					if a.WebSocket != tc.want {
						t.Errorf("got websocket %v, want %v", a.WebSocket, tc.want)
					}
					return
				}
			}
			t.Fatal("acme/opendata is not in the snapshot")
		})
	}
}

func TestAWebSocketDeclarationThatIsNotABooleanIsRefused(t *testing.T) {
	res := mustCompile(t, withOpendata(t, `websocket: "yes"`), testOptions())
	if len(res.Diagnostics) == 0 {
		t.Fatal("got no diagnostic")
	}
	sh := newShapes()
	fast, slow := newEvaluator(sh, Limits{}, false), newEvaluator(sh, Limits{}, true)
	for _, extra := range []string{`websocket: "yes"`, "websocket: true", "websocket: 1"} {
		fsys := withOpendata(t, extra)
		checkFastPathAgrees(t, sh, fast, slow, "publishers/acme/apis/opendata.cue", fsys["publishers/acme/apis/opendata.cue"].Data)
	}
}
