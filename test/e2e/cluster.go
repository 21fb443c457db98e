package e2e

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// The API whose sandbox upstream a push changes: open access, so that a
// request through the gateway needs no credentials.
const (
	// ProbeFile is the API's file in the configuration.
	ProbeFile = "publishers/ukhsa/apis/dashboard-metrics.cue"
	// ProbePath is a request path of the API, through the gateway.
	ProbePath = "/ukhsa/dashboard-metrics/v2/themes"
)

// sandboxUpstream matches the API's sandbox upstream in ProbeFile.
var sandboxUpstream = regexp.MustCompile(`(sandbox:\s*upstream:\s*)"[^"]*"`)

// ClusterOptions configure a Cluster.
type ClusterOptions struct {
	// Binary is the frontdoor binary.
	Binary string
	// Config is the configuration directory the first commit holds (e.g.
	// examples/national-health-platform); it must contain ProbeFile.
	Config string
	// Dir is the cluster's working directory: git repositories, replicas'
	// state and logs.
	Dir string
	// Replicas is the number of replicas, default 3.
	Replicas int
	// Poll is the replicas' git poll interval.
	Poll time.Duration
	// WebhookSecret enables the replicas' POST /-/sync; nil disables it.
	WebhookSecret []byte
}

// Cluster is a git server, a work tree pushing to it, two upstreams and
// gateway replicas following the branch. Its methods are not safe for
// concurrent use.
type Cluster struct {
	Opts      ClusterOptions
	Git       *GitServer
	Work      *WorkTree
	Replicas  []*Replica
	Upstreams map[string]*Upstream
	// Head is the last push.
	Head Push
}

// Push is a commit pushed to the git server.
type Push struct {
	Commit     string
	Generation uint64
	// Upstream names the probe API's upstream in the commit.
	Upstream string
	// At is when the push returned: the commit is on the server.
	At time.Time
	// Took is how long the push took.
	Took time.Duration
}

// StartCluster starts the git server, pushes Config as the first commit
// (the probe API's upstream set to "a") and starts the replicas, without
// waiting for them to be ready (see WaitServing). On error it stops what it
// started.
func StartCluster(ctx context.Context, opts ClusterOptions) (c *Cluster, err error) {
	opts.Replicas = cmp.Or(opts.Replicas, 3)
	c = &Cluster{Opts: opts, Upstreams: map[string]*Upstream{}}
	defer func() {
		if err != nil {
			c.Close()
			c = nil
		}
	}()
	for _, name := range []string{"a", "b"} {
		u, err := StartUpstream(name)
		if err != nil {
			return nil, err
		}
		c.Upstreams[name] = u
	}
	base := filepath.Join(opts.Dir, "git")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("creating git base: %w", err)
	}
	if c.Git, err = StartGit(ctx, base); err != nil {
		return nil, err
	}
	bare, err := c.Git.InitBare(ctx, "platform.git")
	if err != nil {
		return nil, err
	}
	if c.Work, err = NewWorkTree(ctx, filepath.Join(opts.Dir, "work"), bare); err != nil {
		return nil, err
	}
	if err := os.CopyFS(c.Work.Dir, os.DirFS(opts.Config)); err != nil {
		return nil, fmt.Errorf("copying %s: %w", opts.Config, err)
	}
	// The probe polls anonymously from one address, and anonymous callers
	// of one network share one app's quota: raise it for the probe API.
	probe := filepath.Join(c.Work.Dir, ProbeFile)
	f, err := os.OpenFile(probe, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", probe, err)
	}
	_, err = f.WriteString("rateLimits: app: {limit: 10000, per: \"second\"}\n")
	if err := errors.Join(err, f.Close()); err != nil {
		return nil, fmt.Errorf("writing %s: %w", probe, err)
	}
	if _, err := c.PushUpstream(ctx, "a"); err != nil {
		return nil, err
	}
	secretFile := ""
	if opts.WebhookSecret != nil {
		secretFile = filepath.Join(opts.Dir, "webhook-secret")
		if err := os.WriteFile(secretFile, opts.WebhookSecret, 0o600); err != nil {
			return nil, fmt.Errorf("writing webhook secret: %w", err)
		}
	}
	for i := range opts.Replicas {
		name := "r" + strconv.Itoa(i+1)
		r, err := StartReplica(ctx, ReplicaOptions{
			Name: name, Binary: opts.Binary, Repo: c.Git.URL("platform.git"), Branch: "main",
			Poll: opts.Poll, WebhookSecretFile: secretFile,
			StateDir: filepath.Join(opts.Dir, name, "state"), LogFile: filepath.Join(opts.Dir, name+".log"),
		})
		if err != nil {
			return nil, err
		}
		c.Replicas = append(c.Replicas, r)
	}
	return c, nil
}

// Close stops the replicas, the git server and the upstreams.
func (c *Cluster) Close() {
	for _, r := range c.Replicas {
		r.Kill()
	}
	if c.Git != nil {
		c.Git.Stop()
	}
	for _, u := range c.Upstreams {
		u.Close()
	}
}

// Commit applies edit to the work tree, commits and pushes.
func (c *Cluster) Commit(ctx context.Context, msg string, edit func(w *WorkTree) error) (Push, error) {
	if err := edit(c.Work); err != nil {
		return Push{}, err
	}
	sha, err := c.Work.Commit(ctx, msg)
	if err != nil {
		return Push{}, err
	}
	gen, err := c.Work.Generation(ctx)
	if err != nil {
		return Push{}, err
	}
	start := time.Now()
	if err := c.Work.Push(ctx); err != nil {
		return Push{}, err
	}
	p := Push{Commit: sha, Generation: gen, Upstream: c.Head.Upstream, At: time.Now()}
	p.Took = p.At.Sub(start)
	c.Head = p
	return p, nil
}

// PushUpstream commits and pushes the probe API's sandbox upstream set to
// the named upstream.
func (c *Cluster) PushUpstream(ctx context.Context, name string) (Push, error) {
	u, ok := c.Upstreams[name]
	if !ok {
		return Push{}, fmt.Errorf("no upstream %q", name)
	}
	p, err := c.Commit(ctx, "dashboard-metrics: sandbox upstream "+name, func(w *WorkTree) error {
		src, err := w.ReadFile(ProbeFile)
		if err != nil {
			return err
		}
		if !sandboxUpstream.MatchString(src) {
			return fmt.Errorf("%s has no sandbox upstream to rewrite", ProbeFile)
		}
		return w.WriteFile(ProbeFile, sandboxUpstream.ReplaceAllString(src, `${1}"`+u.URL+`"`))
	})
	if err != nil {
		return Push{}, err
	}
	p.Upstream = name
	c.Head = p
	return p, nil
}

// Webhook sends every replica, at once, the push's webhook signed with the
// cluster's secret, as a forge fans out to its hooks; each must answer 202.
func (c *Cluster) Webhook(ctx context.Context, p Push) error {
	body := fmt.Appendf(nil, `{"ref":"refs/heads/main","after":%q}`, p.Commit)
	errs := make([]error, len(c.Replicas))
	var wg sync.WaitGroup
	for i, r := range c.Replicas {
		wg.Go(func() {
			code, err := r.Webhook(ctx, c.Opts.WebhookSecret, body)
			if err == nil && code != http.StatusAccepted {
				err = fmt.Errorf("replica %s: webhook: got %d, want 202", r.Opts.Name, code)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WaitServing waits until every replica serves the push: a request
// through its gateway carries the push's generation and reaches the push's
// upstream, and /status shows its commit active. It returns, per replica,
// the time from the push to the first such request.
func (c *Cluster) WaitServing(ctx context.Context, p Push) ([]time.Duration, error) {
	took := make([]time.Duration, len(c.Replicas))
	errs := make([]error, len(c.Replicas))
	var wg sync.WaitGroup
	for i, r := range c.Replicas {
		wg.Go(func() {
			took[i], errs[i] = c.waitServing(ctx, r, p)
		})
	}
	wg.Wait()
	return took, errors.Join(errs...)
}

func (c *Cluster) waitServing(ctx context.Context, r *Replica, p Push) (time.Duration, error) {
	want := c.Upstreams[p.Upstream].Body()
	var took time.Duration
	err := WaitUntil(ctx, 10*time.Millisecond, fmt.Sprintf("replica %s to serve generation %d from upstream %s", r.Opts.Name, p.Generation, p.Upstream), func() (bool, error) {
		if r.Exited() {
			return false, fmt.Errorf("replica %s exited; log:\n%s", r.Opts.Name, r.LogTail(2000))
		}
		resp, err := r.Get(ctx, ProbePath)
		if err != nil {
			return false, err
		}
		if resp.Generation != p.Generation || resp.Body != want {
			return false, fmt.Errorf("got generation %d, %d %q", resp.Generation, resp.Code, resp.Body)
		}
		took = time.Since(p.At)
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	// /status is updated just after the swap.
	err = WaitUntil(ctx, 10*time.Millisecond, fmt.Sprintf("replica %s /status to show commit %s active", r.Opts.Name, p.Commit), func() (bool, error) {
		st, err := r.Status(ctx)
		if err != nil {
			return false, err
		}
		if st.Active == nil || st.Active.Commit != p.Commit || st.Active.Generation != p.Generation {
			return false, fmt.Errorf("active %+v", st.Active)
		}
		return true, nil
	})
	return took, err
}

// Upstream is a stand-in backend answering every request with its name.
type Upstream struct {
	Name string
	URL  string
	srv  *http.Server
}

// StartUpstream serves an upstream on a free loopback port.
func StartUpstream(name string) (*Upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", name, err)
	}
	u := &Upstream{Name: name, URL: "http://" + ln.Addr().String()}
	body := u.Body()
	u.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go u.srv.Serve(ln)
	return u, nil
}

// Body is what the upstream answers.
func (u *Upstream) Body() string { return "upstream " + u.Name + "\n" }

// Close stops the upstream.
func (u *Upstream) Close() { u.srv.Close() }
