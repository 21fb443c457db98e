package tlsterm_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/runtime/tlsterm"
)

const (
	hostA = "sandbox.api.test"
	hostB = "int.api.test"
)

// site is a gateway-like TLS server over certificate files in dir.
type site struct {
	ca    *tlstest.CA
	dir   string
	certs *tlsterm.Certificates
	addr  string
	logs  *syncBuffer
}

type syncBuffer = testutil.SyncBuffer

// writePair writes a new certificate for host (issued by ca) as
// dir/host.crt and dir/host.key, and returns its serial number.
func writePair(t testing.TB, ca *tlstest.CA, dir, host string) *big.Int {
	t.Helper()
	c, k := ca.Issue(t, host)
	tlstest.WriteFile(t, filepath.Join(dir, host+".crt"), c)
	tlstest.WriteFile(t, filepath.Join(dir, host+".key"), k)
	return tlstest.SerialOf(t, c)
}

// newSite serves "proto host" over TLS with the certificates of hosts;
// watch starts the file watcher.
func newSite(t testing.TB, watch bool, hosts ...string) *site {
	t.Helper()
	s := &site{ca: tlstest.NewCA(t, "test CA"), dir: t.TempDir(), logs: &syncBuffer{}}
	var pairs []tlsterm.Pair
	for _, h := range hosts {
		writePair(t, s.ca, s.dir, h)
		pairs = append(pairs, tlsterm.Pair{Host: h, CertFile: filepath.Join(s.dir, h+".crt"), KeyFile: filepath.Join(s.dir, h+".key")})
	}
	log := slog.New(slog.NewTextHandler(s.logs, nil))
	var err error
	s.certs, err = tlsterm.Load(tlsterm.CertificatesOptions{Pairs: pairs, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.Proto+" "+r.TLS.ServerName)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	tlsterm.Configure(srv, s.certs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	if watch {
		ctx, cancel := context.WithCancel(context.Background())
		ready, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			if err := s.certs.Watch(ctx, ready); err != nil {
				t.Error(err)
			}
		}()
		t.Cleanup(func() { cancel(); <-done })
		select {
		case <-ready:
		case <-done:
		}
	}
	return s
}

// client returns an HTTP client trusting the site's CA that dials the
// site whatever the URL's host.
func (s *site) client(h2 bool, keepAlive bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, s.addr)
		},
		ForceAttemptHTTP2: h2,
		DisableKeepAlives: !keepAlive,
	}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// served returns the certificate the site serves a client configured by
// cfg.
func (s *site) served(t testing.TB, cfg *tls.Config) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", s.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// serial returns the serial of the certificate served for host, verified
// against the site's CA.
func (s *site) serial(t testing.TB, host string) *big.Int {
	t.Helper()
	return s.served(t, &tls.Config{ServerName: host, RootCAs: s.ca.Pool()}).SerialNumber
}

func get(t testing.TB, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSNIPicksTheCertificateOfEachHost(t *testing.T) {
	s := newSite(t, false, hostA, hostB)
	for _, host := range []string{hostA, hostB} {
		t.Run(host, func(t *testing.T) {
			// Verification against the CA with ServerName host fails
			// unless the certificate is host's.
			got := s.served(t, &tls.Config{ServerName: host, RootCAs: s.ca.Pool()}).DNSNames
			if len(got) != 1 || got[0] != host {
				t.Errorf("got a certificate for %v, want %s", got, host)
			}
		})
	}
}

func TestAClientWithoutServerNameGetsTheFirstCertificate(t *testing.T) {
	s := newSite(t, false, hostA, hostB)
	got := s.served(t, &tls.Config{InsecureSkipVerify: true}).DNSNames
	if len(got) != 1 || got[0] != hostA {
		t.Errorf("got a certificate for %v, want %s", got, hostA)
	}
}

func TestProtocolIsNegotiatedWithALPN(t *testing.T) {
	s := newSite(t, false, hostA)
	for _, tc := range []struct {
		name string
		h2   bool
		want string
	}{
		{"an HTTP/2 client speaks HTTP/2", true, "HTTP/2.0 " + hostA},
		{"an HTTP/1.1 client speaks HTTP/1.1", false, "HTTP/1.1 " + hostA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(t, s.client(tc.h2, true), "https://"+hostA+"/"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTLSVersionsAndCiphers(t *testing.T) {
	s := newSite(t, false, hostA)
	for _, tc := range []struct {
		name     string
		min, max uint16
		ciphers  []uint16
		want     uint16 // 0: the handshake fails
	}{
		{"TLS 1.3 is chosen when the client has it", tls.VersionTLS12, tls.VersionTLS13, nil, tls.VersionTLS13},
		{"TLS 1.2 is accepted", tls.VersionTLS12, tls.VersionTLS12, nil, tls.VersionTLS12},
		{"TLS 1.1 is refused", tls.VersionTLS10, tls.VersionTLS11, nil, 0},
		{"TLS 1.0 is refused", tls.VersionTLS10, tls.VersionTLS10, nil, 0},
		{"TLS 1.2 with CBC only is refused", tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, 0},
		{"TLS 1.2 without ECDHE is refused", tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", s.addr, &tls.Config{ServerName: hostA, RootCAs: s.ca.Pool(), MinVersion: tc.min, MaxVersion: tc.max, CipherSuites: tc.ciphers})
			if tc.want == 0 {
				if err == nil {
					c.Close()
					t.Fatal("the handshake succeeded, want it refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.ConnectionState().Version; got != tc.want {
				t.Errorf("got version %x, want %x", got, tc.want)
			}
		})
	}
}

func TestCertificateRotationUnderLoadFailsNoRequest(t *testing.T) {
	s := newSite(t, true, hostA)
	keep, fresh := s.client(true, true), s.client(false, false)
	stop := make(chan struct{})
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range 4 {
		// Half the clients keep their connections (HTTP/2), half make a
		// full handshake per request.
		c := keep
		if i%2 == 1 {
			c = fresh
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Get("https://" + hostA + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = errors.New(res.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	start := time.Now()
	var last *big.Int
	for range 5 {
		last = writePair(t, s.ca, s.dir, hostA)
		waitServed(t, s, hostA, last)
	}
	// Keep the load on for the rest of 2 s.
	time.Sleep(max(0, 2*time.Second-time.Since(start)))
	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during rotation, first: %v", n, n+ok.Load(), firstErr.Load())
	}
	if ok.Load() == 0 {
		t.Error("no request succeeded")
	}
}

// waitServed polls until the certificate served for host has serial want.
func waitServed(t testing.TB, s *site, host string, want *big.Int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.serial(t, host).Cmp(want) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("certificate %s not served after 10 s; logs:\n%s", want, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestABadReplacementIsKeptOut(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, s *site)
		want  string // in the error
	}{
		{"a key of another certificate", func(t *testing.T, s *site) {
			c, _ := s.ca.Issue(t, hostA)
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".crt"), c)
		}, "private key does not match"},
		{"a certificate for another host", func(t *testing.T, s *site) {
			c, k := s.ca.Issue(t, "other.test")
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".crt"), c)
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".key"), k)
		}, "valid for other.test, not "},
		{"an expired certificate", func(t *testing.T, s *site) {
			c, k := s.ca.IssueLeaf(t, tlstest.Leaf{Hosts: []string{hostA}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".crt"), c)
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".key"), k)
		}, "expired"},
		{"a certificate not valid yet", func(t *testing.T, s *site) {
			c, k := s.ca.IssueLeaf(t, tlstest.Leaf{Hosts: []string{hostA}, NotBefore: time.Now().Add(time.Hour)})
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".crt"), c)
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".key"), k)
		}, "not valid before"},
		{"garbage", func(t *testing.T, s *site) {
			tlstest.WriteFile(t, filepath.Join(s.dir, hostA+".crt"), []byte("not a certificate\n"))
		}, "failed to find any PEM data"},
		{"a missing key", func(t *testing.T, s *site) {
			os.Remove(filepath.Join(s.dir, hostA+".key"))
		}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, false, hostA)
			before := s.serial(t, hostA)
			tc.write(t, s)
			err := s.certs.Reload()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reload() = %v, want an error with %q", err, tc.want)
			}
			if got := s.serial(t, hostA); got.Cmp(before) != 0 {
				t.Errorf("serving certificate %s, want the previous one %s", got, before)
			}
			st := s.certs.Status()
			if len(st) != 1 || !strings.Contains(st[0].Error, tc.want) || st[0].Serial != before.String() {
				t.Errorf("status %+v, want the serving certificate %s with the error", st, before)
			}
			if !strings.Contains(s.logs.String(), "previous one keeps serving") {
				t.Errorf("the refusal is not logged:\n%s", s.logs.String())
			}
		})
	}
}

func TestAGoodReplacementClearsTheError(t *testing.T) {
	s := newSite(t, false, hostA)
	os.Remove(filepath.Join(s.dir, hostA+".key"))
	if s.certs.Reload() == nil {
		t.Fatal("Reload() without the key succeeded")
	}
	want := writePair(t, s.ca, s.dir, hostA)
	if err := s.certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := s.serial(t, hostA); got.Cmp(want) != 0 {
		t.Errorf("serving %s, want %s", got, want)
	}
	if st := s.certs.Status(); st[0].Error != "" {
		t.Errorf("status keeps the error %q", st[0].Error)
	}
}

func TestLoadRefusesABadPair(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	writePair(t, ca, dir, hostA)
	_, err := tlsterm.Load(tlsterm.CertificatesOptions{Pairs: []tlsterm.Pair{{Host: hostB, CertFile: filepath.Join(dir, hostA+".crt"), KeyFile: filepath.Join(dir, hostA+".key")}}})
	if err == nil || !strings.Contains(err.Error(), hostB) {
		t.Errorf("Load() = %v, want an error naming %s", err, hostB)
	}
}

func TestDirectoryPairsAreReadAndNewHostsAdded(t *testing.T) {
	ca := tlstest.NewCA(t, "test CA")
	dir := t.TempDir()
	writePair(t, ca, dir, hostA)
	certs, err := tlsterm.Load(tlsterm.CertificatesOptions{Dir: dir, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	want := writePair(t, ca, dir, hostB)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	cert, err := certs.GetCertificate(&tls.ClientHelloInfo{ServerName: strings.ToUpper(hostB)})
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf.SerialNumber.Cmp(want) != 0 {
		t.Errorf("%s gets certificate %s, want %s", hostB, cert.Leaf.SerialNumber, want)
	}
}

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want tlsterm.Pair
		err  bool
	}{
		{in: "Api.Example.org=/etc/tls/a.crt,/etc/tls/a.key", want: tlsterm.Pair{Host: "api.example.org", CertFile: "/etc/tls/a.crt", KeyFile: "/etc/tls/a.key"}},
		{in: "api.example.org=a.crt", err: true},
		{in: "a.crt,a.key", err: true},
		{in: "=a.crt,a.key", err: true},
		{in: "api.example.org:443=a.crt,a.key", err: true},
		{in: "*.example.org=a.crt,a.key", err: true},
		{in: "api.example.org=a.crt,a.key,b.key", err: true},
		{in: "api.example.org=,a.key", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tlsterm.ParsePair(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("got %+v, %v; want %+v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

// TestServerConfigOffersOnlyAEADCiphersFor12 guards the cipher list: every
// suite is ECDHE with an AEAD, none insecure.
func TestServerConfigOffersOnlyAEADCiphersFor12(t *testing.T) {
	secure := map[uint16]*tls.CipherSuite{}
	for _, c := range tls.CipherSuites() {
		secure[c.ID] = c
	}
	for _, id := range tlsterm.CipherSuites() {
		c := secure[id]
		if c == nil {
			t.Errorf("%s is not among crypto/tls's secure suites", tls.CipherSuiteName(id))
			continue
		}
		if !strings.HasPrefix(c.Name, "TLS_ECDHE_") || !(strings.Contains(c.Name, "_GCM_") || strings.Contains(c.Name, "CHACHA20_POLY1305")) {
			t.Errorf("%s is not ECDHE with an AEAD", c.Name)
		}
	}
}
