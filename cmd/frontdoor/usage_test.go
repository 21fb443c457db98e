package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/runtime/admin"
	"github.com/frontdoor-dev/frontdoor/runtime/control"
	usagedata "github.com/frontdoor-dev/frontdoor/usage"
)

type readyController struct{}

func (readyController) Ready() bool            { return true }
func (readyController) Status() control.Status { return control.Status{Ready: true} }

// A replica's days fetched from its admin listener and also read from a copy
// of its access log directory count once.
func TestUsageFetchesFromAdminListenersWithoutDoubleCounting(t *testing.T) {
	logs := t.TempDir()
	for _, day := range []string{"2026-11-01", "2026-11-02"} {
		a := usagedata.Aggregate{Replica: "gw-1", Date: day, Requests: 40, Groups: []usagedata.Group{
			usagedata.NewGroup("production", "pub/api", "org/app", 200, usagedata.Hist{usagedata.BucketOf(1500): 40}),
		}}
		b, _ := json.Marshal(a)
		os.WriteFile(filepath.Join(logs, "aggregate-"+day+".json"), b, 0o640)
	}
	srv := httptest.NewServer(admin.New(admin.Options{Controller: readyController{}, AggregateDir: logs}))
	defer srv.Close()

	var stdout, stderr bytes.Buffer
	if code := run([]string{"usage", srv.URL, logs, srv.URL + "/"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var d usagedata.Dataset
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if got := *d.Environments[0].APIs[0].Months[0].Requests.Value; got != 80 {
		t.Fatalf("got %d requests in November, want 80 (two days of 40, each counted once)", got)
	}
	if !strings.Contains(stderr.String(), srv.URL+": 2 daily aggregates") {
		t.Errorf("stderr: %s", stderr.String())
	}

	stderr.Reset()
	if code := run([]string{"usage", "--since", "2026-11-02", srv.URL}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), ": 1 daily aggregates") {
		t.Errorf("--since fetched: exit %d, %s", code, stderr.String())
	}
}
