package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// UpstreamTLSFailure is an upstream whose TLS handshake failed, as /status
// shows it: the upstream, the reason and crypto/tls's error (which names
// certificates and hosts, never keys). It is cleared by the next request
// the upstream answers.
type UpstreamTLSFailure struct {
	Upstream    string    `json:"upstream"`
	Environment string    `json:"environment"`
	API         string    `json:"api"`
	Reason      string    `json:"reason"`
	Error       string    `json:"error"`
	Count       uint64    `json:"count"`
	Last        time.Time `json:"last"`
}

// maxTLSFailures bounds the upstreams tracked.
const maxTLSFailures = 1024

// tlsFailures tracks upstream TLS failures by environment and upstream.
// Safe for concurrent use; a request that succeeds pays one atomic load
// while no failure is tracked.
type tlsFailures struct {
	some atomic.Bool
	mu   sync.Mutex
	m    map[[2]string]*UpstreamTLSFailure
}

func (f *tlsFailures) record(env, upstream, api, reason string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[[2]string]*UpstreamTLSFailure{}
	}
	k := [2]string{env, upstream}
	e := f.m[k]
	if e == nil {
		if len(f.m) >= maxTLSFailures {
			return
		}
		e = &UpstreamTLSFailure{Upstream: upstream, Environment: env}
		f.m[k] = e
	}
	e.API, e.Reason, e.Error, e.Last = api, reason, err.Error(), time.Now().UTC()
	e.Count++
	f.some.Store(true)
}

// ok clears the failure of t in env, if any.
func (f *tlsFailures) ok(env string, t *target) {
	if !f.some.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, [2]string{env, t.upstream()})
	f.some.Store(len(f.m) > 0)
}

func (f *tlsFailures) list() []UpstreamTLSFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]UpstreamTLSFailure, 0, len(f.m))
	for _, e := range f.m {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b UpstreamTLSFailure) int {
		return strings.Compare(a.Environment+"\x00"+a.Upstream, b.Environment+"\x00"+b.Upstream)
	})
	return out
}

// UpstreamTLSFailures returns the upstreams whose last request failed in
// the TLS handshake, sorted by environment and upstream.
func (p *Proxy) UpstreamTLSFailures() []UpstreamTLSFailure { return p.tlsFails.list() }

// tlsFailureReason classifies a TLS failure of an upstream request: the
// reason clients and /status see; ok is false for other errors.
func tlsFailureReason(err error) (reason string, ok bool) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &unknown):
		return "certificate signed by an unknown authority", true
	case errors.As(err, &hostname):
		return "certificate not valid for the upstream's host name", true
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return "certificate expired or not yet valid", true
		}
		return "certificate invalid", true
	case errors.As(err, &verify):
		return "certificate not verified", true
	case errors.As(err, &record):
		return "the upstream does not speak TLS", true
	case errors.As(err, &op) && op.Op == "remote error":
		// The upstream sent an alert: e.g. it refused the gateway's client
		// certificate (mTLS).
		return "handshake refused by the upstream (" + op.Err.Error() + ")", true
	}
	return "", false
}

// upstreamFailure logs a failed upstream request and maps it to a failure:
// a TLS failure is told apart (its reason is safe for clients: it names no
// host), and recorded for /status.
func (p *Proxy) upstreamFailure(api, env string, t *target, err error, reqID string) *failure {
	upstream := t.upstream()
	if reason, ok := tlsFailureReason(err); ok {
		p.tlsFails.record(env, upstream, api, reason, err)
		p.log.Error("upstream TLS handshake failed", "api", api, "env", env, "upstream", upstream,
			"reason", reason, "err", err, "request_id", reqID)
		return &failure{kind: kindUpstreamTLS, detail: "the gateway refused the TLS connection to the API's backend: " + reason}
	}
	p.log.Warn("upstream request failed", "api", api, "env", env, "upstream", upstream, "err", err, "request_id", reqID)
	if isTimeout(err) {
		return &failure{kind: kindGatewayTimeout, detail: "the API's backend did not answer in time"}
	}
	return &failure{kind: kindBadGateway, detail: "the API's backend could not be reached or failed"}
}

// upstream names t's upstream as logs and /status show it.
func (t *target) upstream() string { return t.scheme + "://" + t.host }
