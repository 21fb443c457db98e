package accesslog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

type fakeClock = testutil.Clock

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

func newLogger(t *testing.T, clock *fakeClock, o Options) *Logger {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	o.Now = clock.Now
	o.ErrorLog = slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func entry(clock *fakeClock) Entry {
	return Entry{
		Time:        clock.Now(),
		RequestID:   "req-1",
		Method:      "GET",
		Path:        "/personal-demographics/FHIR/R4/Patient/9434765919",
		Query:       "identifier=943+476+5870&_count=1",
		Status:      200,
		Latency:     12345 * time.Microsecond,
		BytesOut:    512,
		App:         "acme/pharmacy-finder",
		Org:         "acme",
		API:         "nhs-digital/personal-demographics",
		Environment: "production",
		AccessMode:  "app-level0",
		ClientIP:    netip.MustParseAddr("203.0.113.77"),
		UserAgent:   "curl/8.0",
	}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestEntryIsOneRedactedJSONLine(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{})
	l.Log(entry(clock))
	l.Flush()
	lines := readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	got := lines[0]
	want := map[string]any{
		"time":        "2025-03-01T12:00:00Z",
		"msg":         "access",
		"requestId":   "req-1",
		"method":      "GET",
		"path":        "/personal-demographics/FHIR/R4/Patient/[nhs-number]",
		"query":       "identifier=[nhs-number]&_count=1",
		"status":      200.0,
		"latencyMs":   12.345,
		"bytesOut":    512.0,
		"app":         "acme/pharmacy-finder",
		"org":         "acme",
		"api":         "nhs-digital/personal-demographics",
		"environment": "production",
		"accessMode":  "app-level0",
		"clientIp":    "203.0.113.0",
		"userAgent":   "curl/8.0",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("field %s: got %v, want %v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("got unexpected field %s", k)
		}
	}
}

func TestFieldsAreEscapedAsJSON(t *testing.T) {
	long := strings.Repeat("x", maxUserAgent-5) + "9434765919 tail"
	tests := []struct {
		name      string
		field, in string
		want      string
		setUA     bool
	}{
		{name: "quotes and backslashes are escaped", field: "query", in: `a="b\c"`, want: `a="b\c"`},
		{name: "control characters are escaped", field: "query", in: "a=\x00\n\t\x1f", want: "a=\x00\n\t\x1f"},
		{name: "invalid UTF-8 becomes the replacement character", field: "userAgent", in: "agent\xff/1", want: "agent\ufffd/1", setUA: true},
		{name: "a long user agent is cut after redaction", field: "userAgent", in: long, want: (strings.Repeat("x", maxUserAgent-5) + Redacted)[:maxUserAgent], setUA: true},
		{name: "a redacted query keeps its other characters", field: "query", in: "nhs=9434765919&q=\"x\"", want: "nhs=[nhs-number]&q=\"x\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := testutil.NewClock(day("2025-03-01"))
			l := newLogger(t, clock, Options{})
			e := entry(clock)
			if tc.setUA {
				e.UserAgent = tc.in
			} else {
				e.Query = tc.in
			}
			l.Log(e)
			l.Flush()
			lines := readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))
			if got := lines[0][tc.field]; got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEntriesGoToOneFilePerDay(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{})
	l.Log(entry(clock))
	l.Log(entry(clock))
	l.Flush()
	clock.Set(day("2025-03-02"))
	l.Log(entry(clock))
	l.Flush()
	for file, want := range map[string]int{"access-2025-03-01.jsonl": 2, "access-2025-03-02.jsonl": 1} {
		if got := len(readLines(t, filepath.Join(l.dir, file))); got != want {
			t.Errorf("%s: got %d lines, want %d", file, got, want)
		}
	}
	a, err := readAggregate(l.dir, "2025-03-01")
	if err != nil || a == nil {
		t.Fatalf("got aggregate %v, %v; want the first day's aggregate at rollover", a, err)
	}
	if a.Requests != 2 {
		t.Fatalf("got %d requests in the first day's aggregate, want 2", a.Requests)
	}
}

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	slices.Sort(names)
	return names
}

func TestExpiredFilesAreDeleted(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir,
		"access-2024-12-01.jsonl",   // 90 days before 2025-03-01: kept
		"access-2024-11-30.jsonl",   // 91 days: deleted
		"aggregate-2024-11-30.json", // kept for 730 days
		"aggregate-2023-03-01.json", // 731 days: deleted
		"access-notadate.jsonl",     // not ours: kept
		"notes.txt",                 // not ours: kept
	)
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{Dir: dir})
	want := []string{
		"access-2024-12-01.jsonl", "access-2025-03-01.jsonl", "access-notadate.jsonl",
		"aggregate-2024-11-30.json", "notes.txt",
	}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("at start: got %q, want %q", got, want)
	}

	// A day later, the oldest access file expires at rollover.
	clock.Set(day("2025-03-02"))
	l.Flush()
	want = []string{
		"access-2025-03-01.jsonl", "access-2025-03-02.jsonl", "access-notadate.jsonl",
		"aggregate-2024-11-30.json", "aggregate-2025-03-01.json", "notes.txt",
	}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after rollover: got %q, want %q", got, want)
	}
}

func TestRetentionFollowsThePlatformPolicy(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "access-2025-02-20.jsonl", "access-2025-02-25.jsonl", "aggregate-2025-02-20.json")
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{Dir: dir, LogRetentionDays: 7})
	l.SetRetention(7, 5)
	clock.Set(day("2025-03-02"))
	l.Flush()
	want := []string{"access-2025-02-25.jsonl", "access-2025-03-01.jsonl", "access-2025-03-02.jsonl", "aggregate-2025-03-01.json"}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAggregateHasPercentilesAndNoIdentifiers(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{Replica: "gw-7"})
	for i := 1; i <= 1000; i++ {
		e := entry(clock)
		e.Latency = time.Duration(i) * 100 * time.Microsecond // 0.1 ms … 100 ms
		l.Log(e)
	}
	for i := 0; i < 10; i++ {
		e := entry(clock)
		e.Status = 503
		l.Log(e)
	}
	e := entry(clock)
	e.Status = 429
	l.Log(e)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(l.dir, "aggregate-2025-03-01.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"203.0.113", "9434765919", "[nhs-number]", "Patient", "req-1", "curl", "identifier"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("aggregate contains %q", secret)
		}
	}
	var a Aggregate
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if a.Replica != "gw-7" {
		t.Errorf("aggregate names replica %q, want gw-7", a.Replica)
	}
	if a.Requests != 1011 || a.Errors != 10 || a.ClientErrors != 1 {
		t.Fatalf("got requests %d, errors %d, client errors %d; want 1011, 10, 1", a.Requests, a.Errors, a.ClientErrors)
	}
	if len(a.Groups) != 3 {
		t.Fatalf("got %d groups, want 3 (statuses 200, 429, 503)", len(a.Groups))
	}
	g := a.Groups[0]
	if g.Status != 200 || g.Count != 1000 || g.API != "nhs-digital/personal-demographics" || g.App != "acme/pharmacy-finder" {
		t.Fatalf("got first group %+v, want 1000 requests with status 200", g)
	}
	for _, p := range []struct {
		name      string
		got, want float64
	}{{"p50", g.P50Ms, 50}, {"p95", g.P95Ms, 95}, {"p99", g.P99Ms, 99}} {
		if p.got < p.want*0.97 || p.got > p.want*1.03 {
			t.Errorf("%s: got %vms, want %vms ± 3%%", p.name, p.got, p.want)
		}
	}
}

func TestARestartedLoggerMergesTheDaysAggregate(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(day("2025-03-01"))
	for run := 0; run < 2; run++ {
		l := newLogger(t, clock, Options{Dir: dir})
		for i := 0; i < 5; i++ {
			l.Log(entry(clock))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a, err := readAggregate(dir, "2025-03-01")
	if err != nil {
		t.Fatal(err)
	}
	if a.Requests != 10 || len(a.Groups) != 1 || a.Groups[0].Count != 10 {
		t.Fatalf("got %d requests in %d groups, want 10 in 1", a.Requests, len(a.Groups))
	}
	if got := len(readLines(t, filepath.Join(dir, "access-2025-03-01.jsonl"))); got != 10 {
		t.Fatalf("got %d lines, want 10 (appended)", got)
	}
}

func TestLogDropsInsteadOfBlockingWhenTheQueueIsFull(t *testing.T) {
	// A Logger whose writer is not running: the queue fills up.
	l := &Logger{ch: make(chan Entry, 2)}
	for i := 0; i < 5; i++ {
		l.Log(Entry{})
	}
	if got := l.Dropped(); got != 3 {
		t.Fatalf("got %d dropped, want 3", got)
	}
}

func TestLogAfterCloseIsDropped(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Log(entry(clock))
	l.Flush()
	if got := l.Dropped(); got != 1 {
		t.Fatalf("got %d dropped, want 1", got)
	}
}

func TestConcurrentLoggingWritesEveryEntry(t *testing.T) {
	clock := testutil.NewClock(day("2025-03-01"))
	l := newLogger(t, clock, Options{Buffer: 100000})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				e := entry(clock)
				e.RequestID = fmt.Sprint(g, "-", i)
				l.Log(e)
			}
		}()
	}
	wg.Wait()
	l.Flush()
	if got := len(readLines(t, filepath.Join(l.dir, "access-2025-03-01.jsonl"))); got != 4000 {
		t.Fatalf("got %d lines, want 4000", got)
	}
}

func BenchmarkLog(b *testing.B) {
	clock := testutil.NewClock(day("2025-03-01"))
	l, err := New(Options{Dir: b.TempDir(), Now: clock.Now, Buffer: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := entry(clock)
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
	b.StopTimer()
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
}

// BenchmarkWrite is the writer goroutine's cost per entry: redaction,
// encoding, buffered write and aggregation, of an entry with NHS numbers
// in its path and query, and of a typical one (a generated request ID and
// trace ID, a path without a number).
func BenchmarkWrite(b *testing.B) {
	clock := testutil.NewClock(day("2025-03-01"))
	typical := entry(clock)
	typical.RequestID, typical.TraceID = "0af7651916cd43dd8448eb211c80319c", [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	typical.Path, typical.Query = "/nhs-digital/personal-demographics/FHIR/R4/Patient", "_count=10"
	for _, bc := range []struct {
		name string
		e    Entry
	}{{"numbers", entry(clock)}, {"typical", typical}} {
		b.Run(bc.name, func(b *testing.B) {
			l := &Logger{dir: b.TempDir(), now: clock.Now, loc: time.UTC, errorLog: slog.Default()}
			l.logDays.Store(90)
			l.aggDays.Store(730)
			if err := l.open(clock.Now()); err != nil {
				b.Fatal(err)
			}
			defer l.closeDay()
			b.ReportAllocs()
			for b.Loop() {
				c := bc.e
				l.write(&c)
			}
		})
	}
}
