package e2e

// Probes of replicas and work-tree edits that only the tests make.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Ready reports whether /readyz answers 200.
func (r *Replica) Ready(ctx context.Context) (bool, error) {
	resp, err := r.get(ctx, r.Admin+"/readyz")
	if err != nil {
		return false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// PersistedCommit returns the commit of the last-known-good snapshot in
// the replica's state directory ("" if there is none yet).
func (r *Replica) PersistedCommit() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.Opts.StateDir, "current.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var meta struct {
		Commit string `json:"commit"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", fmt.Errorf("replica %s: decoding current.json: %w", r.Opts.Name, err)
	}
	return meta.Commit, nil
}

// Metric returns the sum of the samples of the counter or gauge name on
// the replica's /metrics (0 when it has none).
func (r *Replica) Metric(ctx context.Context, name string) (float64, error) {
	resp, err := r.get(ctx, r.Admin+"/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("replica %s: /metrics: %s", r.Opts.Name, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("replica %s: /metrics: %w", r.Opts.Name, err)
	}
	var sum float64
	for _, m := range mfs[name].GetMetric() {
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
	}
	return sum, nil
}

// Remove deletes a file of the work tree (name is slash-separated).
func (w *WorkTree) Remove(name string) error {
	return os.Remove(filepath.Join(w.Dir, filepath.FromSlash(name)))
}
