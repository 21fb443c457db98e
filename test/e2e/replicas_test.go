package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
	"github.com/frontdoor-dev/frontdoor/runtime/verify"
)

// moduleRoot is the repository root, from this package's directory.
var moduleRoot = filepath.Join("..", "..")

// The frontdoor binary, built once per test run (not with -race: the
// replicas are what is tested, not raced).
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// frontdoor returns the frontdoor binary, skipping the test when git or go
// is missing or in -short mode.
func frontdoor(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end with real processes: not in -short mode")
	}
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "frontdoor-e2e-"); binary.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		binary.path, binary.err = Build(ctx, moduleRoot, binary.dir)
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// startCluster starts three replicas and waits until they serve the first
// commit.
func startCluster(t *testing.T, poll time.Duration, secret []byte) *Cluster {
	t.Helper()
	bin := frontdoor(t)
	dir := t.TempDir()
	c, err := StartCluster(t.Context(), ClusterOptions{
		Binary: bin, Config: filepath.Join(moduleRoot, "examples", "national-health-platform"),
		Dir: dir, Replicas: 3, Poll: poll, WebhookSecret: secret,
	})
	if errors.Is(err, ErrNoGit) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			for _, r := range c.Replicas {
				t.Logf("log of replica %s:\n%s", r.Opts.Name, r.LogTail(4000))
			}
		}
	})
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitServing(ctx, c.Head); err != nil {
		t.Fatalf("the first commit: %v", err)
	}
	for _, r := range c.Replicas {
		if ok, err := r.Ready(ctx); !ok || err != nil {
			t.Fatalf("replica %s /readyz: got ready=%v (%v), want ready", r.Opts.Name, ok, err)
		}
	}
	t.Logf("3 replicas serving generation %d %v after start", c.Head.Generation, time.Since(start).Round(time.Millisecond))
	return c
}

// propagate sends the webhook for p if asked, waits until all replicas
// serve p, failing after within, and logs how long it took.
func propagate(t *testing.T, c *Cluster, p Push, within time.Duration, webhook bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	how := "polling every " + c.Opts.Poll.String()
	if webhook {
		how = "webhook"
		if err := c.Webhook(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	took, err := c.WaitServing(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push → 3 replicas serving %.7s (%s): %v (per replica %v; push took %v)",
		p.Commit, how, slices.Max(took).Round(time.Millisecond), took, p.Took.Round(time.Millisecond))
}

func TestThreeReplicasFollowTheBranchWithTheWebhook(t *testing.T) {
	secret := []byte("e2e-webhook-secret")
	// Polls far apart: only the webhook can make the replicas fetch.
	c := startCluster(t, time.Hour, secret)

	t.Run("a pushed commit is served by all three after the webhook", func(t *testing.T) {
		p, err := c.PushUpstream(t.Context(), "b")
		if err != nil {
			t.Fatal(err)
		}
		propagate(t, c, p, 10*time.Second, true)
	})

	t.Run("a bad commit leaves all three serving the previous one with positioned errors", func(t *testing.T) {
		good := c.Head
		const badFile = "publishers/ukhsa/grants/healthy-apps.cue"
		bad, err := c.Commit(t.Context(), "ukhsa: grant to an app that does not exist", func(w *WorkTree) error {
			return w.WriteFile(badFile, `// A grant to an app that Healthy Apps does not have.
grants: [
	{app: "ghost-app", api: "dashboard-metrics", environment: "sandbox", accessMode: "open", approvedBy: "ukhsa-api-owner", date: "2026-08-03"},
]
`)
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := c.Webhook(ctx, bad); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Replicas {
			var st control.Status
			err := WaitUntil(ctx, 10*time.Millisecond, "replica "+r.Opts.Name+" to refuse "+bad.Commit, func() (bool, error) {
				st, err = r.Status(ctx)
				return err == nil && st.LastAttempt != nil && st.LastAttempt.Commit == bad.Commit, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if a := st.LastAttempt; a.Outcome != control.OutcomeRefused || a.Reason != verify.ReasonCompile {
				t.Errorf("replica %s last attempt: got %s (%s), want %s (%s)", r.Opts.Name, a.Outcome, a.Reason, control.OutcomeRefused, verify.ReasonCompile)
			}
			if !slices.ContainsFunc(st.LastAttempt.Errors, func(d source.Diagnostic) bool {
				return d.File == badFile && d.Line == 3 && d.Col == 3 && d.Code == "FD204"
			}) {
				t.Errorf("replica %s errors: got %+v, want FD204 at %s:3:3", r.Opts.Name, st.LastAttempt.Errors, badFile)
			}
			if st.Active == nil || st.Active.Commit != good.Commit {
				t.Errorf("replica %s active: got %+v, want commit %s", r.Opts.Name, st.Active, good.Commit)
			}
			resp, err := r.Get(ctx, ProbePath)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.Upstreams[good.Upstream].Body(); resp.Generation != good.Generation || resp.Body != want {
				t.Errorf("replica %s served generation %d %q, want %d %q", r.Opts.Name, resp.Generation, resp.Body, good.Generation, want)
			}
		}

		t.Run("and a fix converges", func(t *testing.T) {
			if err := c.Work.Remove(badFile); err != nil {
				t.Fatal(err)
			}
			fix, err := c.PushUpstream(t.Context(), "a")
			if err != nil {
				t.Fatal(err)
			}
			propagate(t, c, fix, 10*time.Second, true)
		})
	})

	t.Run("a replica restarted while git is down serves its last-known-good at once", func(t *testing.T) {
		r := c.Replicas[0]
		head := c.Head
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		err := WaitUntil(ctx, 10*time.Millisecond, "replica "+r.Opts.Name+" to persist "+head.Commit, func() (bool, error) {
			got, err := r.PersistedCommit()
			return got == head.Commit, err
		})
		if err != nil {
			t.Fatal(err)
		}
		r.Kill()
		c.Git.Stop()
		start := time.Now()
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		err = WaitUntil(ctx, 10*time.Millisecond, "replica "+r.Opts.Name+" to be ready", func() (bool, error) { return r.Ready(ctx) })
		if err != nil {
			t.Fatal(err)
		}
		ready := time.Since(start)
		t.Logf("replica %s ready %v after its restart, git down", r.Opts.Name, ready.Round(time.Millisecond))
		if ready > 5*time.Second {
			t.Errorf("ready after %v, want within 5s", ready)
		}
		resp, err := r.Get(ctx, ProbePath)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Upstreams[head.Upstream].Body(); resp.Generation != head.Generation || resp.Body != want {
			t.Errorf("served generation %d %q, want %d %q", resp.Generation, resp.Body, head.Generation, want)
		}
		var st control.Status
		err = WaitUntil(ctx, 10*time.Millisecond, "the failed fetch in /status", func() (bool, error) {
			st, err = r.Status(ctx)
			return err == nil && st.Source != nil && st.Source.LastError != "", err
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Active == nil || st.Active.Source != "state" || st.Active.Commit != head.Commit {
			t.Errorf("active: got %+v, want commit %s from the state directory", st.Active, head.Commit)
		}

		t.Run("and follows the branch again once git is back", func(t *testing.T) {
			if err := c.Git.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			p, err := c.PushUpstream(t.Context(), "b")
			if err != nil {
				t.Fatal(err)
			}
			propagate(t, c, p, 10*time.Second, true)
		})
	})
}

func TestThreeReplicasConvergeByPollingAlone(t *testing.T) {
	const poll = time.Second
	c := startCluster(t, poll, nil)
	// Without a secret the webhook is refused: only polling is left.
	if code, err := c.Replicas[0].Webhook(t.Context(), []byte("any"), []byte(`{}`)); err != nil || code != 401 {
		t.Fatalf("webhook without a configured secret: got %d (%v), want 401", code, err)
	}
	p, err := c.PushUpstream(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	// The poll plus slack for a loaded CI machine under -race.
	propagate(t, c, p, poll+9*time.Second, false)
}
