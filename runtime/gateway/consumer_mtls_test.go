package gateway_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/runtime/auth"
	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/tlsterm"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// mtlsClient is a consumer's TLS client certificate.
type mtlsClient struct {
	cert tls.Certificate
	sum  string // hex SHA-256 of its DER bytes
}

func newMTLSClient(t *testing.T, ca *tlstest.CA, l tlstest.Leaf) mtlsClient {
	t.Helper()
	l.Client = true
	c, k := ca.IssueLeaf(t, l)
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(cert.Certificate[0])
	return mtlsClient{cert, hex.EncodeToString(s[:])}
}

// requireMTLS makes pub/keyed require mutual TLS in the sandbox and
// registers certificates: app ID -> fingerprints.
func requireMTLS(certs map[string][]string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		for i := range s.APIs {
			if s.APIs[i].ID != "pub/keyed" {
				continue
			}
			for j := range s.APIs[i].Environments {
				if s.APIs[i].Environments[j].Name == snapshot.EnvSandbox {
					s.APIs[i].Environments[j].MutualTLS = true
				}
			}
		}
		for i := range s.Routes {
			if s.Routes[i].API == "pub/keyed" && s.Routes[i].Environment == snapshot.EnvSandbox {
				s.Routes[i].MutualTLS = true
			}
		}
		for i := range s.Consumers {
			for j := range s.Consumers[i].Apps {
				a := &s.Consumers[i].Apps[j]
				for n, sum := range certs[a.ID] {
					a.ClientCertificates = append(a.ClientCertificates, snapshot.ClientCertificate{ID: "c" + string(rune('0'+n)), SHA256: sum})
				}
			}
		}
	}
}

// serveTLS serves e's gateway over TLS as serve does (tlsterm's server
// configuration, HTTP/2 by ALPN) and returns its URL.
func serveTLS(t *testing.T, e *env, ca *tlstest.CA) string {
	t.Helper()
	dir := t.TempDir()
	c, k := ca.Issue(t, sandboxHost, prodHost, "127.0.0.1")
	tlstest.WriteFile(t, filepath.Join(dir, "gw.crt"), c)
	tlstest.WriteFile(t, filepath.Join(dir, "gw.key"), k)
	certs, err := tlsterm.Load(tlsterm.CertificatesOptions{Pairs: []tlsterm.Pair{{Host: sandboxHost, CertFile: filepath.Join(dir, "gw.crt"), KeyFile: filepath.Join(dir, "gw.key")}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.gw)
	tlsterm.Configure(srv.Config, certs)
	tlsterm.AskClientCertificates(srv.Config.TLSConfig, e.gw.WantsClientCertificate)
	srv.TLS = srv.Config.TLSConfig
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// mtlsGet sends GET path with kv headers to url over TLS (HTTP/2 when h2),
// presenting cert when it is not nil, and returns the status, the
// problem's detail and the negotiated protocol.
func mtlsGet(t *testing.T, ca *tlstest.CA, url, path string, cert *tls.Certificate, h2 bool, kv ...string) (int, string, string) {
	t.Helper()
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: sandboxHost}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = sandboxHost
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
		Reason string `json:"reason"`
	}
	json.Unmarshal(b, &p)
	return resp.StatusCode, p.Type + " " + p.Detail + " reason=" + p.Reason, resp.Proto
}

func TestAnAPIRequiringMutualTLSAdmitsOnlyTheIdentifiedAppsCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "consumers CA")
	portal := newMTLSClient(t, ca, tlstest.Leaf{})
	spare := newMTLSClient(t, ca, tlstest.Leaf{})
	other := newMTLSClient(t, ca, tlstest.Leaf{})
	stranger := newMTLSClient(t, ca, tlstest.Leaf{})
	expired := newMTLSClient(t, ca, tlstest.Leaf{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	early := newMTLSClient(t, ca, tlstest.Leaf{NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)})
	selfSigned := newMTLSClient(t, tlstest.NewCA(t, "an app's own CA"), tlstest.Leaf{})
	e := newEnv(t, envOptions{edit: requireMTLS(map[string][]string{
		"acme/portal": {portal.sum, spare.sum, expired.sum, early.sum, selfSigned.sum},
		"acme/other":  {other.sum},
	})})
	url := serveTLS(t, e, ca)
	for _, proto := range []struct {
		name string
		h2   bool
	}{{"HTTP/1.1", false}, {"HTTP/2", true}} {
		for _, tc := range []struct {
			name   string
			cert   *mtlsClient
			want   int
			reason string
		}{
			{"the app's certificate is accepted", &portal, http.StatusOK, ""},
			{"the app's second certificate is accepted", &spare, http.StatusOK, ""},
			{"a certificate from no known CA is accepted by its fingerprint", &selfSigned, http.StatusOK, ""},
			{"no certificate is refused", nil, http.StatusUnauthorized, auth.CodeClientCertRequired},
			{"an unregistered certificate is refused", &stranger, http.StatusForbidden, auth.CodeClientCertNotAllowed},
			{"another app's certificate is refused", &other, http.StatusForbidden, auth.CodeClientCertNotAllowed},
			{"an expired registered certificate is refused", &expired, http.StatusUnauthorized, auth.CodeClientCertExpired},
			{"a registered certificate not yet valid is refused", &early, http.StatusUnauthorized, auth.CodeClientCertExpired},
		} {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				var cert *tls.Certificate
				if tc.cert != nil {
					cert = &tc.cert.cert
				}
				code, detail, got := mtlsGet(t, ca, url, "/pub/keyed/v1/x", cert, proto.h2, "apikey", portalKey)
				if code != tc.want {
					t.Errorf("got %d (%s), want %d", code, detail, tc.want)
				}
				if wantProto := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[proto.h2]; got != wantProto {
					t.Errorf("negotiated %s, want %s", got, wantProto)
				}
				if tc.want != http.StatusOK {
					if info, ok := gateway.LookupReason(tc.reason); !strings.HasSuffix(detail, " reason="+tc.reason) || !ok || info.Status != tc.want {
						t.Errorf("refusal %q: want the documented reason %s", detail, tc.reason)
					}
				}
			})
		}
	}
}

func TestAnAPINotRequiringMutualTLSIgnoresClientCertificates(t *testing.T) {
	ca := tlstest.NewCA(t, "consumers CA")
	portal := newMTLSClient(t, ca, tlstest.Leaf{})
	stranger := newMTLSClient(t, ca, tlstest.Leaf{})
	expired := newMTLSClient(t, ca, tlstest.Leaf{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	e := newEnv(t, envOptions{edit: requireMTLS(map[string][]string{"acme/portal": {portal.sum}})})
	url := serveTLS(t, e, ca)
	for _, tc := range []struct {
		name string
		cert *tls.Certificate
	}{{"no certificate", nil}, {"an unregistered certificate", &stranger.cert}, {"an expired certificate", &expired.cert}} {
		for _, h2 := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				if code, detail, _ := mtlsGet(t, ca, url, "/pub/custom/v1/x", tc.cert, h2, "apikey", portalKey); code != http.StatusOK {
					t.Errorf("got %d (%s), want 200", code, detail)
				}
			})
		}
	}
}

func TestMutualTLSIsRequiredOnlyInTheEnvironmentThatDeclaresIt(t *testing.T) {
	e := newEnv(t, envOptions{edit: requireMTLS(nil)})
	// Production: no mutual TLS; the portal's grant there has expired, so
	// the refusal comes from the entitlement (403), not from a missing
	// certificate (401).
	if r := e.get("/pub/keyed/v1/x", "apikey", portalKey, "Host", prodHost); r.code != http.StatusForbidden {
		t.Errorf("production: got %d %s, want 403 from the entitlement", r.code, r.body)
	}
}

func TestMutualTLSOverPlainHTTPIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{edit: requireMTLS(nil)})
	r := e.get("/pub/keyed/v1/x", "apikey", portalKey)
	var p problem
	json.Unmarshal([]byte(r.body), &p)
	if r.code != http.StatusUnauthorized || p.Detail == "" {
		t.Errorf("got %d %s, want 401 with a detail", r.code, r.body)
	}
}

func TestOnlyHostsWithRoutesRequiringMutualTLSAskForACertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "consumers CA")
	portal := newMTLSClient(t, ca, tlstest.Leaf{})
	for _, tc := range []struct {
		name       string
		edit       func(*snapshot.Snapshot)
		serverName string
		asked      bool
	}{
		{"the sandbox host, where a route requires it", requireMTLS(nil), sandboxHost, true},
		{"no server name: the default environment, sandbox", requireMTLS(nil), "", true},
		{"the production host, where no route requires it", requireMTLS(nil), prodHost, false},
		{"no route requires it anywhere", nil, sandboxHost, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{edit: tc.edit})
			url := serveTLS(t, e, ca)
			asked := false
			conf := &tls.Config{RootCAs: ca.Pool(), ServerName: tc.serverName, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				asked = true
				return &portal.cert, nil
			}}
			if tc.serverName == "" {
				conf.ServerName = "127.0.0.1" // verified, but an IP address is never sent as SNI
			}
			c, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), conf)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if asked != tc.asked {
				t.Errorf("asked for a certificate = %v, want %v", asked, tc.asked)
			}
		})
	}
}

func TestARequestToAnotherHostThanItsConnectionsIsStillChecked(t *testing.T) {
	ca := tlstest.NewCA(t, "consumers CA")
	portal := newMTLSClient(t, ca, tlstest.Leaf{})
	e := newEnv(t, envOptions{edit: requireMTLS(map[string][]string{"acme/portal": {portal.sum}})})
	url := serveTLS(t, e, ca)
	// A connection to the production host is not asked for a certificate;
	// a request on it naming the sandbox host is refused, not let through.
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: prodHost, Certificates: []tls.Certificate{portal.cert}}
	tr := &http.Transport{TLSClientConfig: conf, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, url+"/pub/keyed/v1/x", nil)
	req.Host = sandboxHost
	req.Header.Set("apikey", portalKey)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("got %d, want 401: the connection carries no certificate", resp.StatusCode)
	}
}
