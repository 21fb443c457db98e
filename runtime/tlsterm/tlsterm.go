// Package tlsterm terminates TLS at the gateway: the server's TLS and
// HTTP/2 settings, and the certificate of each environment host (SNI),
// read from files on the gateway host and reloaded when they change.
//
// Private keys are never part of the configuration repository or the
// snapshot: the operator names their files on the command line.
package tlsterm

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// cipherSuites are the TLS 1.2 suites the gateway accepts: ECDHE key
// exchange (forward secrecy) with an AEAD only. TLS 1.3's suites are not
// configurable and are all AEAD.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// CipherSuites returns the TLS 1.2 cipher suites the gateway accepts.
func CipherSuites() []uint16 { return append([]uint16(nil), cipherSuites...) }

// ServerConfig returns the gateway's server TLS configuration over certs:
// TLS 1.2 at least (1.3 whenever the client has it, as crypto/tls always
// chooses the highest common version), ECDHE with AEAD ciphers for 1.2,
// the standard library's key exchange preferences (hybrid post-quantum
// first), and ALPN offering HTTP/2 then HTTP/1.1. It asks no client for a
// certificate: see AskClientCertificates.
func ServerConfig(certs *Certificates) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   CipherSuites(),
		GetCertificate: certs.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// ClientAuth is the gateway's client certificate policy where it asks for
// one (see AskClientCertificates).
const ClientAuth = tls.RequestClientCert

// AskClientCertificates makes c, a ServerConfig, ask the clients that name
// a server name (SNI, "" for none) for which want reports true for a TLS
// client certificate, for the APIs that require mutual TLS; a client
// without one still connects. The gateway pins an app's certificates by
// their SHA-256 fingerprints, so there is no CA to verify a chain against
// (VerifyClientCertIfGiven would verify against the system roots and
// refuse an app's self-signed certificate): ClientAuth is RequestClientCert.
// The handshake still makes the client prove it holds the certificate's
// key, and the request path checks the fingerprint and the validity dates
// on the routes that require it (auth.CheckClientCertificate), so that an
// expired certificate is refused with a reason instead of a TLS alert and
// never breaks the APIs that do not ask for one. want is called once per
// handshake and must be safe for concurrent use.
func AskClientCertificates(c *tls.Config, want func(serverName string) bool) {
	asking := c.Clone()
	asking.ClientAuth = ClientAuth
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if want(hello.ServerName) {
			return asking, nil
		}
		return nil, nil
	}
}

// HTTP/2 limits of the gateway's server (see HTTP2Config).
const (
	// MaxConcurrentStreams bounds the requests one HTTP/2 connection has
	// in flight.
	MaxConcurrentStreams = 256
	// http2PingTimeout closes a connection whose peer does not answer a
	// ping in time.
	http2PingTimeout = 15 * time.Second
	// http2WriteByteTimeout closes a connection on which no byte could be
	// written for this long (a peer that stopped reading).
	http2WriteByteTimeout = 30 * time.Second
)

// HTTP2Config returns the HTTP/2 settings of the gateway's server. Header
// sizes follow http.Server.MaxHeaderBytes; net/http's server bounds the
// rest (rapid resets, control frame floods, flow-control windows).
func HTTP2Config() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams: MaxConcurrentStreams,
		PingTimeout:          http2PingTimeout,
		WriteByteTimeout:     http2WriteByteTimeout,
	}
}

// Configure makes srv serve TLS with certs' certificates, HTTP/2 to
// clients that negotiate it and HTTP/1.1 to the others. Serve with
// srv.ServeTLS(ln, "", "").
func Configure(srv *http.Server, certs *Certificates) {
	srv.TLSConfig = ServerConfig(certs)
	srv.HTTP2 = HTTP2Config()
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	srv.Protocols = p
}

// Pair names the certificate and key files served to clients asking for
// Host (by SNI).
type Pair struct {
	Host     string
	CertFile string
	KeyFile  string
}

// ParsePair parses HOST=CERT,KEY (the --tls-cert flag).
func ParsePair(s string) (Pair, error) {
	host, files, ok := strings.Cut(s, "=")
	cert, key, ok2 := strings.Cut(files, ",")
	if !ok || !ok2 || cert == "" || key == "" || strings.Contains(key, ",") {
		return Pair{}, fmt.Errorf("TLS certificate %q: want HOST=CERT_FILE,KEY_FILE", s)
	}
	h, err := normalHost(host)
	if err != nil {
		return Pair{}, fmt.Errorf("TLS certificate %q: %w", s, err)
	}
	return Pair{Host: h, CertFile: cert, KeyFile: key}, nil
}

// normalHost returns host in lower case, or an error when it is not a
// host name (no port, no wildcard: a certificate is named per host).
func normalHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "" || len(h) > 253 {
		return "", errors.New("want a host name")
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return "", fmt.Errorf("host %q: want a DNS name (letters, digits, '-' and '.')", host)
		}
	}
	return h, nil
}
