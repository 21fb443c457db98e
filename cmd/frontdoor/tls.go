package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
	"github.com/frontdoor-dev/frontdoor/runtime/tlsterm"
)

// tlsFlags are the gateway's TLS settings: the certificates it serves on
// --listen, and the CA bundles it verifies upstreams with.
type tlsFlags struct {
	certs []string // HOST=CERT,KEY
	dir   string
	// noTLS serves plain HTTP (behind a load balancer that terminates
	// TLS); required tells whether the command needs it said (serve) or
	// serves plain HTTP when no certificate is named (dev, tests).
	noTLS, required bool
	upstreamCA      []string // ENV=BUNDLE
}

func addTLSFlags(c *cobra.Command, t *tlsFlags) {
	f := c.Flags()
	f.StringArrayVar(&t.certs, "tls-cert", nil, "serve TLS on --listen with this certificate for HOST (SNI): HOST=CERT_FILE,KEY_FILE (PEM); repeatable; the first one also answers clients that name no known host; reloaded when the files change")
	f.StringVar(&t.dir, "tls-dir", "", "serve TLS with every HOST.crt and HOST.key pair in this directory (SNI); reloaded when it changes")
	f.BoolVar(&t.noTLS, "no-tls", false, "serve plain HTTP on --listen, for a load balancer in front that terminates TLS (logged as a warning)")
	f.StringArrayVar(&t.upstreamCA, "upstream-ca", nil, "verify the https upstreams of environment ENV against this PEM CA bundle instead of the system roots: ENV=BUNDLE_FILE; repeatable")
}

// gatewayTLS is what runGateway serves TLS with: nil for plain HTTP.
type gatewayTLS struct {
	certs *tlsterm.Certificates
}

// load reads the certificates; it returns nil when the gateway serves
// plain HTTP.
func (t *tlsFlags) load(log *slog.Logger) (*gatewayTLS, error) {
	named := len(t.certs) > 0 || t.dir != ""
	switch {
	case t.noTLS && named:
		return nil, errors.New("--no-tls with --tls-cert or --tls-dir: choose one")
	case t.noTLS:
		log.Warn("serving plain HTTP (--no-tls): requests and their data cross the network unencrypted unless a load balancer in front terminates TLS")
		return nil, nil
	case !named && t.required:
		return nil, errors.New("serve needs --tls-cert HOST=CERT,KEY or --tls-dir DIR (or --no-tls behind a load balancer that terminates TLS)")
	case !named:
		return nil, nil
	}
	opts := tlsterm.CertificatesOptions{Dir: t.dir, Log: log}
	for _, s := range t.certs {
		p, err := tlsterm.ParsePair(s)
		if err != nil {
			return nil, err
		}
		opts.Pairs = append(opts.Pairs, p)
	}
	certs, err := tlsterm.Load(opts)
	if err != nil {
		return nil, err
	}
	for _, s := range certs.Status() {
		log.Info("TLS certificate", "host", s.Host, "file", s.CertFile, "not_after", s.NotAfter)
	}
	return &gatewayTLS{certs: certs}, nil
}

// scheme is the gateway's URL scheme.
func (g *gatewayTLS) scheme() string {
	if g == nil {
		return "http"
	}
	return "https"
}

// configure makes srv serve TLS and HTTP/2, asking for client certificates
// where proxy's routes require mutual TLS, and reloads the certificates
// when their files change until ctx is done.
func (g *gatewayTLS) configure(ctx context.Context, srv *http.Server, proxy *gateway.Proxy, log *slog.Logger) {
	if g == nil {
		return
	}
	tlsterm.Configure(srv, g.certs)
	tlsterm.AskClientCertificates(srv.TLSConfig, proxy.WantsClientCertificate)
	go func() {
		if err := g.certs.Watch(ctx, nil); err != nil {
			log.Error("TLS certificates will not be reloaded", "err", err)
		}
	}()
}

// status is the "tls" section of /status.
func (g *gatewayTLS) status(proxy *gateway.Proxy) func() any {
	return func() any {
		s := struct {
			Certificates []tlsterm.CertificateStatus  `json:"certificates"`
			Upstreams    []gateway.UpstreamTLSFailure `json:"upstreamFailures"`
		}{Upstreams: proxy.UpstreamTLSFailures()}
		if g != nil {
			s.Certificates = g.certs.Status()
		}
		return s
	}
}

// upstreamRoots reads the --upstream-ca bundles by environment.
func (t *tlsFlags) upstreamRoots() (map[string]*x509.CertPool, error) {
	if len(t.upstreamCA) == 0 {
		return nil, nil
	}
	roots := map[string]*x509.CertPool{}
	for _, s := range t.upstreamCA {
		env, file, ok := strings.Cut(s, "=")
		if !ok || env == "" || file == "" {
			return nil, fmt.Errorf("--upstream-ca %q: want ENV=BUNDLE_FILE", s)
		}
		if roots[env] != nil {
			return nil, fmt.Errorf("--upstream-ca: two bundles for environment %s", env)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--upstream-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("--upstream-ca: %s holds no PEM certificate", file)
		}
		roots[env] = pool
	}
	return roots, nil
}
