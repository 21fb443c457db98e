// Command propagation measures how long a commit pushed to a git server
// takes to be served by every gateway replica following the branch
// (scripts/bench-propagation.sh; DESIGN.md, "Targets": ≤ 2 s with the
// webhook). It runs the replicas test's setup (package e2e): a git daemon
// on loopback, three `frontdoor serve --source git` processes and two
// upstreams, then pushes commits that move an open API's sandbox upstream
// and times push → every replica's gateway answering from the new commit's
// upstream with its generation.
//
//	propagation [-bin FRONTDOOR] [-webhook-pushes 10] [-poll-pushes 5] [-poll 2s] [-json FILE]
//
// With the webhook the replicas poll hourly and the pushes follow each
// other at once; polling only, each push waits a random part of the poll
// interval first, so that pushes land at every phase of the replicas'
// ticks.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/frontdoor-dev/frontdoor/test/e2e"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// result is one mode's measures, in milliseconds.
type result struct {
	Mode     string    `json:"mode"`
	Pushes   int       `json:"pushes"`
	PollMS   int64     `json:"poll_ms"`
	TargetMS int64     `json:"target_ms"`
	MS       []float64 `json:"all_serving_ms"`
	PushMS   []float64 `json:"push_ms"`
	MinMS    float64   `json:"min_ms"`
	MedianMS float64   `json:"median_ms"`
	MaxMS    float64   `json:"max_ms"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("propagation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "", "frontdoor binary (default: go build one)")
	configDir := fs.String("config", "", "configuration directory (default: the module's examples/national-health-platform)")
	webhookN := fs.Int("webhook-pushes", 10, "pushes with the webhook")
	pollN := fs.Int("poll-pushes", 5, "pushes with polling only")
	poll := fs.Duration("poll", 2*time.Second, "poll interval of the polling-only run")
	replicas := fs.Int("replicas", 3, "gateway replicas")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := config{bin: *bin, config: *configDir, webhookN: *webhookN, pollN: *pollN, poll: *poll, replicas: *replicas, jsonOut: *jsonOut}
	if err := bench(cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "propagation: %v\n", err)
		return 1
	}
	return 0
}

// config is what the flags set.
type config struct {
	bin, config     string
	webhookN, pollN int
	poll            time.Duration
	replicas        int
	jsonOut         string
}

func bench(cfg config, stdout, stderr io.Writer) error {
	ctx := context.Background()
	root, err := e2e.ModuleRoot(".")
	if err != nil {
		return err
	}
	if cfg.config == "" {
		cfg.config = filepath.Join(root, "examples", "national-health-platform")
	}
	work, err := os.MkdirTemp("", "frontdoor-propagation-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if cfg.bin == "" {
		fmt.Fprintln(stderr, "propagation: building frontdoor")
		if cfg.bin, err = e2e.Build(ctx, root, work); err != nil {
			return err
		}
	}
	var results []result
	if cfg.webhookN > 0 {
		r, err := measure(ctx, e2e.ClusterOptions{
			Binary: cfg.bin, Config: cfg.config, Dir: filepath.Join(work, "webhook"), Replicas: cfg.replicas,
			Poll: time.Hour, WebhookSecret: []byte("bench-webhook-secret"),
		}, cfg.webhookN, stderr)
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		r.Mode, r.TargetMS = "webhook", 2000
		results = append(results, r)
	}
	if cfg.pollN > 0 {
		r, err := measure(ctx, e2e.ClusterOptions{
			Binary: cfg.bin, Config: cfg.config, Dir: filepath.Join(work, "poll"), Replicas: cfg.replicas, Poll: cfg.poll,
		}, cfg.pollN, stderr)
		if err != nil {
			return fmt.Errorf("polling: %w", err)
		}
		r.Mode, r.PollMS, r.TargetMS = "polling", cfg.poll.Milliseconds(), (cfg.poll + time.Second).Milliseconds()
		results = append(results, r)
	}

	fmt.Fprintf(stdout, "push → %d replicas serving the commit (ms; from the push returning to the last replica's gateway answering from it)\n\n", cfg.replicas)
	fmt.Fprintf(stdout, "| %-14s | %6s | %7s | %7s | %7s | %11s | %13s |\n", "mode", "pushes", "min", "median", "max", "target", "max / target")
	fmt.Fprintf(stdout, "|%s|%s|%s|%s|%s|%s|%s|\n", "----------------", "--------", "---------", "---------", "---------", "-------------", "---------------")
	for _, r := range results {
		mode := r.Mode
		if r.PollMS > 0 {
			mode = fmt.Sprintf("polling %gs", float64(r.PollMS)/1000)
		}
		fmt.Fprintf(stdout, "| %-14s | %6d | %7.0f | %7.0f | %7.0f | %11s | %13.2f |\n",
			mode, r.Pushes, r.MinMS, r.MedianMS, r.MaxMS, fmt.Sprintf("<= %d", r.TargetMS), r.MaxMS/float64(r.TargetMS))
	}
	fmt.Fprintln(stdout)
	for _, r := range results {
		pushMed := median(r.PushMS)
		verdict := "met"
		if r.MaxMS > float64(r.TargetMS) {
			verdict = "NOT met"
		}
		fmt.Fprintf(stdout, "%s: median %.0f ms, max %.0f ms (target <= %d ms: %s); git push itself took median %.0f ms (not counted)\n",
			r.Mode, r.MedianMS, r.MaxMS, r.TargetMS, verdict, pushMed)
	}
	if cfg.jsonOut != "" {
		b, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", cfg.jsonOut, err)
		}
	}
	return nil
}

// measure starts a cluster and times n pushes, alternating the probe API's
// upstream.
func measure(ctx context.Context, opts e2e.ClusterOptions, n int, stderr io.Writer) (r result, err error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return r, err
	}
	c, err := e2e.StartCluster(ctx, opts)
	if errors.Is(err, e2e.ErrNoGit) {
		return r, fmt.Errorf("%w (apt-get install git)", err)
	}
	if err != nil {
		return r, err
	}
	defer func() {
		c.Close()
		if err != nil {
			for _, rep := range c.Replicas {
				fmt.Fprintf(stderr, "log of replica %s (tail):\n%s\n", rep.Opts.Name, rep.LogTail(2000))
			}
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := c.WaitServing(wctx, c.Head); err != nil {
		return r, fmt.Errorf("the first commit: %w", err)
	}
	mode := "webhook"
	if opts.WebhookSecret == nil {
		mode = "polling " + opts.Poll.String()
	}
	for i := range n {
		if opts.WebhookSecret == nil {
			// A random phase of the poll interval (this is a benchmark:
			// sampling the phase is the point).
			time.Sleep(rand.N(opts.Poll))
		}
		up := []string{"b", "a"}[i%2]
		p, err := c.PushUpstream(ctx, up)
		if err != nil {
			return r, err
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if opts.WebhookSecret != nil {
			if err := c.Webhook(pctx, p); err != nil {
				cancel()
				return r, err
			}
		}
		took, err := c.WaitServing(pctx, p)
		cancel()
		if err != nil {
			return r, err
		}
		all := slices.Max(took)
		r.MS = append(r.MS, ms(all))
		r.PushMS = append(r.PushMS, ms(p.Took))
		fmt.Fprintf(stderr, "propagation: %s push %d/%d (%.7s, generation %d): all serving after %v (per replica %v)\n",
			mode, i+1, n, p.Commit, p.Generation, all.Round(time.Millisecond), roundAll(took))
	}
	r.Pushes = n
	sorted := slices.Sorted(slices.Values(r.MS))
	r.MinMS, r.MedianMS, r.MaxMS = sorted[0], median(sorted), sorted[len(sorted)-1]
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
