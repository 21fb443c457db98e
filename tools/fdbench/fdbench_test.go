package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// example compiles the example platform into dir/snapshot.json.
func example(t *testing.T, dir string) string {
	t.Helper()
	res, err := compiler.Compile(context.Background(), os.DirFS(filepath.Join("..", "..", "examples", "national-health-platform")), compiler.Options{Generation: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bytes) == 0 {
		t.Fatalf("the example does not compile: %v", res.Diagnostics)
	}
	p := filepath.Join(dir, "snapshot.json")
	if err := os.WriteFile(p, res.Bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyPair(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	priv, pub, err := snapshot.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "k.key")
	if err := os.WriteFile(p, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, pub
}

func readSigned(t *testing.T, path string, pub []byte) *snapshot.Snapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(path + snapshot.SignatureSuffix)
	if err != nil {
		t.Fatal(err)
	}
	k, err := snapshot.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := snapshot.VerifySignature([]ed25519.PublicKey{k}, b, sig); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d, err := os.ReadFile(path + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(d)); got != snapshot.Digest(b) {
		t.Fatalf("digest file says %s, snapshot is %s", got, snapshot.Digest(b))
	}
	s, err := snapshot.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Consistent(); err != nil {
		t.Fatal(err)
	}
	canon, err := s.Encode()
	if err != nil || !bytes.Equal(canon, b) {
		t.Fatalf("%s is not canonical (err %v)", path, err)
	}
	return s
}

func TestPrepareClonesTheBenchAPIToExactlyNRoutesAndGrantsTheKey(t *testing.T) {
	dir := t.TempDir()
	in := example(t, dir)
	key, pub := keyPair(t, dir)
	out := filepath.Join(dir, "out")
	var stdout bytes.Buffer
	err := prepare([]string{"-in", in, "-o", out, "-upstream", "http://127.0.0.1:9", "-apikey", "secret", "-routes", "25", "-sign-key", key, "-generation", "9"}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := readSigned(t, filepath.Join(out, "snapshot.json"), pub)
	if len(s.Routes) != 25 {
		t.Errorf("got %d routes, want 25", len(s.Routes))
	}
	if s.Generation != 9 {
		t.Errorf("got generation %d, want 9", s.Generation)
	}
	for _, r := range s.Routes {
		if r.Upstream != "http://127.0.0.1:9" {
			t.Errorf("route %s: got upstream %q, want the benchmark's", r.BasePath, r.Upstream)
		}
	}
	vars := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		k, v, _ := strings.Cut(l, "=")
		vars[k] = v
	}
	sum := sha256.Sum256([]byte("secret"))
	app, ok := s.App(vars["app"])
	if !ok || !slices.ContainsFunc(app.APIKeys, func(k snapshot.APIKey) bool { return k.SHA256 == hex.EncodeToString(sum[:]) }) {
		t.Fatalf("app %q does not hold the key's hash", vars["app"])
	}
	if !slices.ContainsFunc(s.Entitlements, func(e snapshot.Entitlement) bool {
		return e.App == app.ID && e.API == vars["api"] && e.AccessMode == snapshot.ModeAppLevel0 && e.Environment == snapshot.EnvSandbox
	}) {
		t.Errorf("no app-level0 entitlement of %s to %s", app.ID, vars["api"])
	}
	if vars["routes"] != "25" {
		t.Errorf("printed routes=%s, want 25", vars["routes"])
	}
}

func TestStagedGenerationsArePublishedSignedAndCanonical(t *testing.T) {
	dir := t.TempDir()
	in := example(t, dir)
	key, pub := keyPair(t, dir)
	stageDir := filepath.Join(dir, "stage")
	out := filepath.Join(dir, "feed", "snapshot.json")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := stage([]string{"-in", in, "-o", stageDir, "-sign-key", key, "-n", "3", "-start", "10", "-change-grant"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	first := readSigned(t, filepath.Join(stageDir, "000000000010", "snapshot.json"), pub)
	second := readSigned(t, filepath.Join(stageDir, "000000000011", "snapshot.json"), pub)
	_, base, err := readSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(first.Entitlements, base.Entitlements) || !reflect.DeepEqual(second.Entitlements, base.Entitlements) {
		t.Error("-change-grant did not change a grant in every other generation")
	}
	if err := feed([]string{"-staged", stageDir, "-o", out, "-every", "1ms"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := readSigned(t, out, pub); s.Generation != 12 {
		t.Errorf("got generation %d, want 12", s.Generation)
	}
	// The published files are the last staged ones (links to them, so that
	// replacing one never frees a snapshot's blocks during a measurement).
	for _, suffix := range []string{"", snapshot.SignatureSuffix, ".sha256"} {
		a, errA := os.Stat(out + suffix)
		b, errB := os.Stat(filepath.Join(stageDir, "000000000012", "snapshot.json"+suffix))
		if errA != nil || errB != nil || !os.SameFile(a, b) {
			t.Errorf("published snapshot.json%s is not the last staged one (%v, %v)", suffix, errA, errB)
		}
	}
	if left, _ := filepath.Glob(filepath.Dir(out) + "/*.feed"); len(left) > 0 {
		t.Errorf("temporary links left: %v", left)
	}
}

func TestChartDrawsOneBarPerContenderAndMetric(t *testing.T) {
	r := Results{Title: "t <&>", Rate: 3000, Results: []Result{
		{Name: "frontdoor", RPS: 30000, P99Ms: 1.5},
		{Name: "nginx", RPS: 50000, P99Ms: 1},
		{Name: "caddy", RPS: 15000, P99Ms: 2},
	}}
	svg := renderSVG(r)
	dec := xml.NewDecoder(strings.NewReader(svg))
	bars := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid SVG: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			bars++
		}
	}
	// One background rectangle, then a bar per contender in each panel.
	if want := 1 + 2*len(r.Results); bars != want {
		t.Errorf("got %d rects, want %d", bars, want)
	}
}
