package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/admin"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	"github.com/frontdoor-dev/frontdoor/runtime/diagnosis"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
)

// ReplicaOptions configure one gateway replica: `frontdoor serve --source
// git` (or --source dir) on loopback ports of its own choosing.
type ReplicaOptions struct {
	// Name labels the replica in errors and its log file.
	Name string
	// Binary is the frontdoor binary.
	Binary string
	// Dir, when set, makes the replica compile this configuration
	// directory (--source dir) instead of following a git branch.
	Dir string
	// Repo and Branch are what the replica follows (--source git).
	Repo, Branch string
	// Poll is the git poll interval.
	Poll time.Duration
	// WebhookSecretFile enables POST /-/sync; empty disables it.
	WebhookSecretFile string
	// StateDir keeps the last-known-good snapshot and git cache across
	// restarts.
	StateDir string
	// LogFile receives the replica's log (appended to across restarts).
	LogFile string
	// ExtraArgs are appended to the serve command line, e.g.
	// --ratelimit-redis ADDR --replicas 3.
	ExtraArgs []string
}

// Replica is a running gateway replica.
type Replica struct {
	Opts ReplicaOptions
	// Gateway and Admin are the listeners' base URLs ("http://127.0.0.1:N").
	Gateway, Admin string

	proc
	client *http.Client
}

// StartReplica starts a replica and waits until it listens (not until it
// is ready: see Ready). Stop it with Kill.
func StartReplica(ctx context.Context, opts ReplicaOptions) (*Replica, error) {
	r := &Replica{Opts: opts, client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	return r, r.Start(ctx)
}

// Start starts the replica (again, after Kill) and waits until it
// listens; its ports change at every start.
func (r *Replica) Start(ctx context.Context) error {
	if r.cmd != nil {
		return fmt.Errorf("replica %s is running", r.Opts.Name)
	}
	o := r.Opts
	args := []string{"serve", "--source", "git", "--repo", o.Repo, "--branch", cmp.Or(o.Branch, "main"),
		"--poll", o.Poll.String()}
	if o.Dir != "" {
		args = []string{"serve", "--source", "dir", "--dir", o.Dir}
	}
	// Requests reach the replicas by address: sandbox is named as the
	// default environment explicitly.
	// Plain HTTP on loopback: the replicas' TLS is not what is measured.
	args = append(args, "--state", o.StateDir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--env", "sandbox", "--no-tls")
	if o.WebhookSecretFile != "" {
		args = append(args, "--webhook-secret-file", o.WebhookSecretFile)
	}
	args = append(args, o.ExtraArgs...)
	logf, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("replica %s: opening log: %w", o.Name, err)
	}
	defer logf.Close() // the child has its own descriptor
	fmt.Fprintf(logf, "=== %s: frontdoor %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(o.Binary, args...)
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("replica %s: %w", o.Name, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("replica %s: starting %s: %w", o.Name, o.Binary, err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	// serve prints its two listeners' URLs, then nothing more.
	addrs := make(chan [2]string, 1)
	go func() {
		var a [2]string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "gateway: "); ok {
				a[0], _, _ = strings.Cut(rest, " ")
			} else if rest, ok := strings.CutPrefix(line, "admin:"); ok {
				a[1] = strings.TrimSuffix(strings.TrimSpace(rest), "/status")
			}
			if a[0] != "" && a[1] != "" {
				addrs <- a
				break
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(r.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case a := <-addrs:
		r.Gateway, r.Admin = a[0], a[1]
		return nil
	case <-r.done:
		r.cmd = nil
		return fmt.Errorf("replica %s exited at start: %v; log:\n%s", o.Name, cmd.ProcessState, tail(o.LogFile, 2000))
	case <-ctx.Done():
		r.Kill()
		return fmt.Errorf("replica %s did not print its listeners: %w", o.Name, ctx.Err())
	}
}

// Kill kills the replica's process group at once and waits for it.
func (r *Replica) Kill() { r.kill() }

// Exited reports whether the replica's process has exited.
func (r *Replica) Exited() bool { return r.exited() }

// get sends GET url.
func (r *Replica) get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return r.client.Do(req)
}

// Status returns /status, strictly decoded.
func (r *Replica) Status(ctx context.Context) (control.Status, error) {
	var st control.Status
	resp, err := r.get(ctx, r.Admin+"/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("replica %s: /status: %s", r.Opts.Name, resp.Status)
	}
	// serve adds its TLS state and diagnosis windows beside the
	// controller's (admin.Options.TLS, Diagnosis).
	var full struct {
		control.Status
		TLS       json.RawMessage          `json:"tls"`
		Diagnosis []diagnosis.WindowStatus `json:"diagnosis"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&full); err != nil {
		return st, fmt.Errorf("replica %s: decoding /status: %w", r.Opts.Name, err)
	}
	return full.Status, nil
}

// Response is what a request through the gateway got.
type Response struct {
	Code int
	// Generation is the X-Frontdoor-Generation header (0 if absent).
	Generation uint64
	Body       string
}

// Get sends GET path through the gateway.
func (r *Replica) Get(ctx context.Context, path string) (Response, error) {
	resp, err := r.get(ctx, r.Gateway+path)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return Response{}, fmt.Errorf("replica %s: reading %s: %w", r.Opts.Name, path, err)
	}
	out := Response{Code: resp.StatusCode, Body: string(body)}
	if g := resp.Header.Get(gateway.GenerationHeader); g != "" {
		if out.Generation, err = strconv.ParseUint(g, 10, 64); err != nil {
			return out, fmt.Errorf("replica %s: %s %q: %w", r.Opts.Name, gateway.GenerationHeader, g, err)
		}
	}
	return out, nil
}

// Webhook POSTs body to /-/sync signed with secret (as a forge does, in
// X-Hub-Signature-256) and returns the status code.
func (r *Replica) Webhook(ctx context.Context, secret, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Admin+"/-/sync", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	if secret != nil {
		req.Header.Set(admin.SignatureHeader, admin.Sign(secret, body))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// LogTail returns about the last n bytes of the replica's log.
func (r *Replica) LogTail(n int) string { return tail(r.Opts.LogFile, n) }
