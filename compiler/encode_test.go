package compiler

import (
	"bytes"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestEncodeSnapshotMatchesSnapshotEncode(t *testing.T) {
	res := mustCompile(t, baseFS(t), testOptions())
	s := res.Snapshot
	// Strings that need escaping, HTML, non-ASCII, control characters and
	// invalid UTF-8 must come out as encoding/json writes them.
	s.APIs[0].Description = "<b>Tom & \"Jerry\"</b>\n\ttab \\ é ü 😀 \u2028 \x01 \xff"
	s.APIs[0].Tags = nil
	s.Publishers[0].Website = "https://example.test/?a=1&b=<2>"
	s.Platform.IdentityProviders[0].Levels["é<"] = "nhs-login-p0"
	want, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeSnapshotMatchesOnAnEmptySnapshot(t *testing.T) {
	s := &snapshot.Snapshot{SchemaVersion: snapshot.SchemaVersion}
	want, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
}
