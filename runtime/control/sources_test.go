package control_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/runtime/admin"
	"github.com/frontdoor-dev/frontdoor/runtime/internal/snaptest"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// servedBy waits until the gateway answers from the named upstream and
// returns the generation that served it.
func (h *harness) servedBy(within time.Duration, name string) string {
	h.t.Helper()
	var gen string
	waitFor(h.t, within, "a response from "+name, func() bool {
		var body string
		_, gen, body = h.get("/pub0/api0/v1/x")
		return isFrom(body, name)
	})
	return gen
}

func TestDirSourceServesAnEditWithinASecond(t *testing.T) {
	a, b, c := upstream(t, "a"), upstream(t, "b"), upstream(t, "c")
	root := t.TempDir()
	cfg := filepath.Join(root, filepath.FromSlash(snaptest.ConfigFile))
	testutil.WriteFile(t, cfg, []byte(a.URL+"\n"))
	h := newHarness(t, harnessOptions{})
	h.run(&source.Dir{Root: root, Compile: snaptest.Compile, Log: quietLog(), NextGeneration: func() uint64 { return h.ctrl.ActiveGeneration() + 1 }})
	gen1 := h.servedBy(5*time.Second, "a")

	testutil.WriteFile(t, cfg, []byte(b.URL+"\n"))
	gen2 := h.servedBy(time.Second, "b")
	if n1, n2 := atoi(gen1), atoi(gen2); n2 <= n1 {
		t.Errorf("generation after the edit: got %d, want more than %d", n2, n1)
	}

	t.Run("invalid edit keeps the old snapshot and reports positioned errors", func(t *testing.T) {
		testutil.WriteFile(t, cfg, []byte(b.URL+"\n!oops\n"))
		waitFor(t, time.Second, "a compile refusal", func() bool {
			a := h.status().LastAttempt
			return a != nil && a.Reason == verify.ReasonCompile
		})
		errs := h.status().LastAttempt.Errors
		want := source.Diagnostic{File: snaptest.ConfigFile, Line: 2, Col: 1, Code: "FD999", Message: "broken: oops", Hint: "remove the !"}
		if len(errs) != 1 || errs[0] != want {
			t.Errorf("got errors %+v, want %+v", errs, want)
		}
		if _, gen, body := h.get("/pub0/api0/v1/x"); gen != gen2 || !isFrom(body, "b") {
			t.Errorf("got generation %q %q, want %s from b", gen, body, gen2)
		}
	})

	t.Run("an editor's save by rename is seen", func(t *testing.T) {
		tmp := filepath.Join(filepath.Dir(cfg), ".upstream.txt.swp")
		testutil.WriteFile(t, tmp, []byte(c.URL+"\n"))
		if err := os.Rename(tmp, cfg); err != nil {
			t.Fatal(err)
		}
		h.servedBy(time.Second, "c")
	})

	t.Run("a new subdirectory is watched", func(t *testing.T) {
		before := h.ctrl.ActiveGeneration()
		dir := filepath.Join(root, "publishers", "new")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		waitFor(t, time.Second, "a recompile after mkdir", func() bool { return h.ctrl.ActiveGeneration() > before })
		before = h.ctrl.ActiveGeneration()
		testutil.WriteFile(t, filepath.Join(dir, "publisher.cue"), []byte("x"))
		waitFor(t, time.Second, "a recompile after a file in the new directory", func() bool { return h.ctrl.ActiveGeneration() > before })
	})
}

func TestFileSourceServesANewSignedSnapshot(t *testing.T) {
	priv, pub := snaptest.KeyPair(t)
	a, b := upstream(t, "a"), upstream(t, "b")
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.json")
	publish := func(gen uint64, up string) {
		raw := snaptest.Encode(t, snaptest.Small(gen, up))
		testutil.WriteFile(t, path+".sig.tmp", snapshot.Sign(priv, raw))
		testutil.WriteFile(t, path+".tmp", raw)
		os.Rename(path+".sig.tmp", path+snapshot.SignatureSuffix)
		os.Rename(path+".tmp", path)
	}
	publish(1, a.URL)
	h := newHarness(t, harnessOptions{trust: []ed25519.PublicKey{pub}})
	h.run(&source.File{Path: path, Log: quietLog()})
	h.servedBy(5*time.Second, "a")
	publish(2, b.URL)
	if gen := h.servedBy(time.Second, "b"); gen != "2" {
		t.Errorf("got generation %q, want 2", gen)
	}
}

// gitHarness serves a repository with git daemon to a gateway using the git
// source, triggered by the webhook.
type gitHarness struct {
	*harness
	server *gitServer
	repo   *gitRepo
	src    *source.Git
}

const secret = "s3cret"

func newGitHarness(t *testing.T, allowForcePush bool, stateDir string, server *gitServer, shallow ...bool) *gitHarness {
	t.Helper()
	g := &gitHarness{server: server}
	if g.server == nil {
		g.server = startGitServer(t)
	}
	g.src = &source.Git{URL: g.server.URL("config.git"), Branch: "main", CacheDir: filepath.Join(t.TempDir(), "cache"),
		Poll: time.Hour, AllowForcePush: allowForcePush, Compile: snaptest.Compile, Log: quietLog()}
	g.src.Shallow = len(shallow) > 0 && shallow[0]
	g.harness = newHarness(t, harnessOptions{secret: secret, sync: g.src.Trigger, stateDir: stateDir})
	return g
}

func (g *gitHarness) webhook(signature string) int {
	g.t.Helper()
	body := []byte(`{"ref":"refs/heads/main"}`)
	req, _ := http.NewRequest(http.MethodPost, g.admin.URL+"/-/sync", bytes.NewReader(body))
	if signature == "good" {
		signature = admin.Sign([]byte(secret), body)
	}
	if signature != "" {
		req.Header.Set(admin.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// refusedKeeping triggers the source, waits for /status to show a source
// error that contains what, and checks that the upstream named serving still serves.
func (g *gitHarness) refusedKeeping(t *testing.T, what, serving string) {
	t.Helper()
	g.src.Trigger()
	waitFor(t, 5*time.Second, "a source error with "+what+" in /status", func() bool {
		s := g.status().Source
		return s != nil && strings.Contains(s.LastError, what)
	})
	if _, _, body := g.get("/pub0/api0/v1/x"); !isFrom(body, serving) {
		t.Errorf("got %q, want %s still serving", body, serving)
	}
}

func TestGitSourceFollowsTheBranch(t *testing.T) {
	a, b, c := upstream(t, "a"), upstream(t, "b"), upstream(t, "c")
	g := newGitHarness(t, false, "", nil)
	g.repo = g.server.NewRepo("config.git")
	first := g.repo.Commit(map[string]string{snaptest.ConfigFile: a.URL}, false)
	g.run(g.src)
	gen := g.servedBy(5*time.Second, "a")
	if want := strconv.FormatInt(g.repo.Time().Unix(), 10); gen != want {
		t.Errorf("generation: got %s, want the commit time %s", gen, want)
	}
	if st := g.status(); st.Active == nil || st.Active.Commit != first {
		t.Errorf("status active: got %+v, want commit %s", st.Active, first)
	}

	t.Run("webhook with a bad or missing HMAC is refused", func(t *testing.T) {
		for _, sig := range []string{"", "sha256=00", "sha1=abc", admin.Sign([]byte("wrong"), []byte(`{"ref":"refs/heads/main"}`))} {
			if got := g.webhook(sig); got != http.StatusUnauthorized {
				t.Errorf("signature %q: got %d, want 401", sig, got)
			}
		}
	})

	t.Run("a new commit is served after the webhook", func(t *testing.T) {
		second := g.repo.Commit(map[string]string{snaptest.ConfigFile: b.URL}, false)
		if got := g.webhook("good"); got != http.StatusAccepted {
			t.Fatalf("webhook: got %d, want 202", got)
		}
		g.servedBy(2*time.Second, "b")
		if st := g.status(); st.Active.Commit != second || st.LastAttempt.Commit != second {
			t.Errorf("status: got %+v %+v, want commit %s", st.Active, st.LastAttempt, second)
		}
	})

	t.Run("server down keeps serving and shows the error", func(t *testing.T) {
		g.server.Down()
		g.repo.Commit(map[string]string{snaptest.ConfigFile: c.URL}, false) // pushed to the bare repository directly
		g.refusedKeeping(t, "fetching", "b")
		if got := g.metric("frontdoor_source_errors_total", "source", "git"); got < 1 {
			t.Errorf("source errors metric: got %v, want at least 1", got)
		}
		g.server.Up()
		g.src.Trigger()
		g.servedBy(5*time.Second, "c")
	})

	t.Run("a force push is refused", func(t *testing.T) {
		g.repo.Reset(first)
		g.repo.Commit(map[string]string{snaptest.ConfigFile: a.URL + "/forced"}, true)
		g.refusedKeeping(t, "force-pushed", "c")
	})
}

func TestGitSourceFollowsAForcePushWhenAllowed(t *testing.T) {
	for _, shallow := range []bool{false, true} {
		t.Run(fmt.Sprintf("shallow=%v", shallow), func(t *testing.T) { testFollowForcePush(t, shallow) })
	}
}

func testFollowForcePush(t *testing.T, shallow bool) {
	a, b := upstream(t, "a"), upstream(t, "b")
	g := newGitHarness(t, true, "", nil, shallow)
	g.repo = g.server.NewRepo("config.git")
	first := g.repo.Commit(map[string]string{snaptest.ConfigFile: a.URL}, false)
	g.repo.Commit(map[string]string{snaptest.ConfigFile: a.URL + "/2"}, false)
	g.run(g.src)
	g.servedBy(5*time.Second, "a")
	g.repo.Reset(first)
	forced := g.repo.Commit(map[string]string{snaptest.ConfigFile: b.URL}, true)
	g.src.Trigger()
	g.servedBy(5*time.Second, "b")
	if st := g.status(); st.Active.Commit != forced {
		t.Errorf("got commit %s, want %s", st.Active.Commit, forced)
	}
}

func TestRestartWithGitUnreachableServesThePersistedSnapshot(t *testing.T) {
	a := upstream(t, "a")
	state := t.TempDir()
	g := newGitHarness(t, false, state, nil)
	g.repo = g.server.NewRepo("config.git")
	g.repo.Commit(map[string]string{snaptest.ConfigFile: a.URL}, false)
	g.run(g.src)
	g.servedBy(5*time.Second, "a")
	waitFor(t, 5*time.Second, "the snapshot persisted", func() bool {
		_, err := os.Stat(filepath.Join(state, "current.json"))
		return err == nil
	})
	g.server.Down()

	start := time.Now()
	g2 := newGitHarness(t, false, state, g.server)
	if err := g2.ctrl.Restore(); err != nil {
		t.Fatal(err)
	}
	g2.src.Since = g2.ctrl.ActiveCommit()
	g2.run(g2.src)
	waitFor(t, time.Second, "/readyz 200", func() bool {
		resp, err := http.Get(g2.admin.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	t.Logf("ready %v after restart", time.Since(start))
	if _, _, body := g2.get("/pub0/api0/v1/x"); !isFrom(body, "a") {
		t.Errorf("got %q, want a", body)
	}
	waitFor(t, 5*time.Second, "the fetch error in /status", func() bool {
		s := g2.status().Source
		return s != nil && s.LastError != ""
	})
	if st := g2.status(); st.Active == nil || st.Active.Source != "state" {
		t.Errorf("status active: got %+v, want the state's", st.Active)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
