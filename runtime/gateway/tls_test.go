package gateway_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/tracecontext"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// traceIDField matches the access log's trace ID field.
var traceIDField = regexp.MustCompile(`,"traceId":"[0-9a-f]{32}"`)

// tlsUpstream is an https upstream serving whichever certificate cert
// holds.
type tlsUpstream struct {
	*httptest.Server
	cert atomic.Pointer[tls.Certificate]
}

func newTLSUpstream(t *testing.T, cert tls.Certificate) *tlsUpstream {
	t.Helper()
	u := &tlsUpstream{}
	u.cert.Store(&cert)
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls "+r.URL.Path)
	}))
	// httptest serves its own certificate to clients that send no server
	// name (an IP address) unless Certificates is set.
	u.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{*u.cert.Load()}}, nil
	}}
	u.StartTLS()
	t.Cleanup(u.Close)
	return u
}

// routeOpenTo routes pub/open's routes (every environment) to url.
func routeOpenTo(url string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		for i := range s.Routes {
			if s.Routes[i].API == "pub/open" {
				s.Routes[i].Upstream = url + "/secure"
			}
		}
	}
}

func TestUpstreamTLSIsVerifiedAgainstTheEnvironmentsCABundle(t *testing.T) {
	ca := tlstest.NewCA(t, "upstream CA")
	up := newTLSUpstream(t, ca.TLSCertificate(t, "127.0.0.1"))
	for _, tc := range []struct {
		name string
		cas  map[string]*x509.CertPool
		want int
	}{
		{"no bundle: the system roots do not know the CA", nil, http.StatusBadGateway},
		{"the sandbox bundle holds the CA", map[string]*x509.CertPool{snapshot.EnvSandbox: ca.Pool()}, http.StatusOK},
		{"another environment's bundle does not apply", map[string]*x509.CertPool{snapshot.EnvIntegration: ca.Pool()}, http.StatusBadGateway},
		{"the sandbox bundle holds another CA", map[string]*x509.CertPool{snapshot.EnvSandbox: tlstest.NewCA(t, "other").Pool()}, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{upstreamCAs: tc.cas, edit: routeOpenTo(up.URL)})
			r := e.get("/pub/open/v1/x")
			if r.code != tc.want {
				t.Fatalf("got %d %s, want %d", r.code, r.body, tc.want)
			}
			if tc.want == http.StatusOK && r.body != "tls /secure/x" {
				t.Errorf("got %q, want %q", r.body, "tls /secure/x")
			}
		})
	}
}

func TestUpstreamCertificateErrorsAreClear(t *testing.T) {
	ca := tlstest.NewCA(t, "upstream CA")
	for _, tc := range []struct {
		name   string
		cert   func(t *testing.T) tls.Certificate
		reason string
		err    string // in the logged and reported error
	}{
		{"unknown authority", func(t *testing.T) tls.Certificate {
			return tlstest.NewCA(t, "rogue CA").TLSCertificate(t, "127.0.0.1")
		}, "certificate signed by an unknown authority", "x509: certificate signed by unknown authority"},
		{"another host", func(t *testing.T) tls.Certificate {
			return ca.TLSCertificate(t, "elsewhere.test")
		}, "certificate not valid for the upstream's host name", "x509: cannot validate certificate for 127.0.0.1"},
		{"expired", func(t *testing.T) tls.Certificate {
			c, k := ca.IssueLeaf(t, tlstest.Leaf{Hosts: []string{"127.0.0.1"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
			cert, err := tls.X509KeyPair(c, k)
			if err != nil {
				t.Fatal(err)
			}
			return cert
		}, "certificate expired or not yet valid", "x509: certificate has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newTLSUpstream(t, tc.cert(t))
			e := newEnv(t, envOptions{upstreamCAs: map[string]*x509.CertPool{snapshot.EnvSandbox: ca.Pool()}, edit: routeOpenTo(up.URL)})
			r := e.get("/pub/open/v1/x")
			p := decodeProblem(t, r)
			if p.Status != http.StatusBadGateway || p.Type != gateway.ProblemTypeBase+"upstream-tls" || !strings.HasSuffix(p.Detail, ": "+tc.reason) {
				t.Errorf("got %+v, want a 502 upstream-tls problem ending with %q", p, tc.reason)
			}
			if strings.Contains(p.Detail, "127.0.0.1") {
				t.Errorf("the client learns the upstream's address: %q", p.Detail)
			}
			fails := e.gw.UpstreamTLSFailures()
			if len(fails) != 1 {
				t.Fatalf("got %d TLS failures, want 1: %+v", len(fails), fails)
			}
			f := fails[0]
			if f.Upstream != up.URL || f.Environment != snapshot.EnvSandbox || f.API != "pub/open" || f.Reason != tc.reason || !strings.Contains(f.Error, tc.err) || f.Count != 1 {
				t.Errorf("got %+v, want upstream %s in sandbox for pub/open, reason %q, error with %q", f, up.URL, tc.reason, tc.err)
			}
			if logs := e.gatewayLogs(); !strings.Contains(logs, "upstream TLS handshake failed") || !strings.Contains(logs, tc.err) {
				t.Errorf("the logs do not say why:\n%s", logs)
			}
		})
	}
}

func TestAnUpstreamTLSFailureIsClearedOnceTheUpstreamAnswers(t *testing.T) {
	ca := tlstest.NewCA(t, "upstream CA")
	up := newTLSUpstream(t, ca.TLSCertificate(t, "elsewhere.test"))
	e := newEnv(t, envOptions{upstreamCAs: map[string]*x509.CertPool{snapshot.EnvSandbox: ca.Pool()}, edit: routeOpenTo(up.URL)})
	if r := e.get("/pub/open/v1/x"); r.code != http.StatusBadGateway {
		t.Fatalf("got %d, want 502", r.code)
	}
	good := ca.TLSCertificate(t, "127.0.0.1")
	up.cert.Store(&good)
	if r := e.get("/pub/open/v1/x"); r.code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	if fails := e.gw.UpstreamTLSFailures(); len(fails) != 0 {
		t.Errorf("got %+v, want no failure", fails)
	}
}

func TestAnUpstreamNotSpeakingTLSIsToldApart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
	go plain.Serve(ln)
	t.Cleanup(func() { plain.Close() })
	e := newEnv(t, envOptions{edit: routeOpenTo("https://" + ln.Addr().String())})
	p := decodeProblem(t, e.get("/pub/open/v1/x"))
	if p.Type != gateway.ProblemTypeBase+"upstream-tls" || !strings.Contains(p.Detail, "does not speak TLS") {
		t.Errorf("got %+v, want an upstream-tls problem saying the upstream does not speak TLS", p)
	}
}

// upstreamTrace returns the span context a traceparent value names, as
// the propagator reads it (not valid when it does not parse).
func upstreamTrace(v string) trace.SpanContext {
	parent, _ := tracecontext.Start(http.Header{"Traceparent": {v}})
	return parent
}

func TestTraceContextReachesTheUpstream(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name      string
		header    []string
		continues bool
		state     string // the tracestate the upstream receives
	}{
		{"a valid traceparent is continued with its tracestate", []string{"traceparent", parent, "tracestate", "vendor=x"}, true, "vendor=x"},
		{"repeated tracestate headers reach the upstream as one list", []string{"traceparent", parent, "tracestate", "a=1", "tracestate", "b=2"}, true, "a=1,b=2"},
		{"an invalid tracestate is dropped, the trace continued", []string{"traceparent", parent, "tracestate", "Not A Member"}, true, ""},
		{"no traceparent starts a trace", nil, false, ""},
		{"a tracestate without traceparent is dropped", []string{"tracestate", "vendor=x"}, false, ""},
		{"a malformed traceparent starts a trace without its tracestate", []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "tracestate", "vendor=x"}, false, ""},
		{"two traceparents start a trace", []string{"traceparent", parent, "traceparent", parent, "tracestate", "vendor=x"}, false, ""},
		{"an upper-case traceparent starts a trace", []string{"traceparent", strings.ToUpper(parent)}, false, ""},
		{"version ff starts a trace", []string{"traceparent", "ff" + parent[2:]}, false, ""},
		{"version 00 with more fields starts a trace", []string{"traceparent", parent + "-00"}, false, ""},
		{"a zero trace id starts a trace", []string{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, false, ""},
		{"a zero parent id starts a trace", []string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, false, ""},
		{"a higher version with more fields is continued", []string{"traceparent", "cc" + parent[2:] + "-what-the-future-holds"}, true, ""},
		{"a Connection header cannot remove the gateway's traceparent", []string{"traceparent", parent, "connection", "traceparent"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			e := newEnv(t, envOptions{accessLog: dir})
			if r := e.get("/pub/open/v1/x", tc.header...); r.code != http.StatusOK {
				t.Fatalf("got %d %s", r.code, r.body)
			}
			h := e.up.last(t).Header
			got := upstreamTrace(h.Get("Traceparent"))
			if !got.IsValid() || len(h["Traceparent"]) != 1 {
				t.Fatalf("the upstream got traceparent %q, want one valid", h["Traceparent"])
			}
			want := upstreamTrace(parent)
			if continues := got.TraceID() == want.TraceID(); continues != tc.continues {
				t.Errorf("trace continued = %v, want %v", continues, tc.continues)
			}
			if got.SpanID() == want.SpanID() {
				t.Error("the upstream's parent span is the client's, want the gateway's")
			}
			if s := strings.Join(h.Values("Tracestate"), ","); s != tc.state {
				t.Errorf("tracestate %q, want %q", s, tc.state)
			}
			e.alog.Flush()
			if log := readAccessLog(t, dir); !strings.Contains(log, `"traceId":"`+got.TraceID().String()+`"`) {
				t.Errorf("the access log lacks trace id %s:\n%s", got.TraceID(), log)
			}
		})
	}
}

func TestARefusedRequestIsLoggedWithATraceID(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOptions{accessLog: dir})
	if r := e.get("/pub/keyed/v1/x", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); r.code != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", r.code)
	}
	e.alog.Flush()
	if log := readAccessLog(t, dir); !strings.Contains(log, `"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"`) {
		t.Errorf("the access log lacks the client's trace id:\n%s", log)
	}
}

// fakeSpans records the spans the gateway starts and ends.
type fakeSpans struct {
	mu      sync.Mutex
	next    []trace.SpanContext
	parents []trace.SpanContext
	ends    []gateway.SpanEnd
	flags   trace.TraceFlags
}

func (f *fakeSpans) Start(_ context.Context, next, parent trace.SpanContext, _ string) (trace.TraceFlags, func(gateway.SpanEnd)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = append(f.next, next)
	if parent.IsValid() {
		f.parents = append(f.parents, parent)
	}
	return f.flags, func(e gateway.SpanEnd) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.ends = append(f.ends, e)
	}
}

func TestTheUpstreamGetsTheSpanOfTheGatewaysRecorder(t *testing.T) {
	spans := &fakeSpans{flags: trace.FlagsSampled}
	e := newEnv(t, envOptions{spans: spans})
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
	if r := e.get("/pub/open/v1/x", "traceparent", parent); r.code != http.StatusOK {
		t.Fatalf("got %d %s", r.code, r.body)
	}
	got := upstreamTrace(e.up.last(t).Header.Get("Traceparent"))
	spans.mu.Lock()
	defer spans.mu.Unlock()
	if len(spans.next) != 1 || len(spans.ends) != 1 || len(spans.parents) != 1 {
		t.Fatalf("started %d spans (%d with a parent), ended %d; want 1 each", len(spans.next), len(spans.parents), len(spans.ends))
	}
	if got.TraceID() != spans.next[0].TraceID() || got.SpanID() != spans.next[0].SpanID() {
		t.Errorf("the upstream's parent is %v, want the recorded span %v", got, spans.next[0])
	}
	if got.TraceFlags() != trace.FlagsSampled {
		t.Errorf("flags %v, want the recorder's sampling decision %v", got.TraceFlags(), trace.FlagsSampled)
	}
	if p := upstreamTrace(parent); !spans.parents[0].Equal(p) {
		t.Errorf("span parent %v, want the client's %v", spans.parents[0], p)
	}
	if end := spans.ends[0]; end.Status != http.StatusOK || end.API != "pub/open" || end.Environment != snapshot.EnvSandbox {
		t.Errorf("span ended with %+v, want 200 for pub/open in sandbox", end)
	}
}
