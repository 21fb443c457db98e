package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/gateway"
)

// bareProxy serves a bare httputil.ReverseProxy to one upstream, with the
// Transport settings the gateway uses (gateway.NewTransport with its
// defaults) and no policy: the reference the gateway's throughput is
// measured against. It runs until SIGINT or SIGTERM.
func bareProxy(args []string, stdout, stderr io.Writer) error {
	fs := flags("bareproxy", stderr)
	listen := fs.String("listen", "127.0.0.1:18086", "listen address")
	upstream := fs.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:18081")
	cert := fs.String("tls-cert", "", "serve TLS (HTTP/2 by ALPN) with this PEM certificate")
	key := fs.String("tls-key", "", "the certificate's PEM private key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("-upstream %q: want an http(s) URL", *upstream)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.SetXForwarded() },
		Transport: gateway.NewTransport(&gateway.Options{}),
		ErrorLog:  log.New(stderr, "bareproxy: ", 0),
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// The server settings of frontdoor serve's defaults that cost per
	// request (timeouts); its connection caps are not reached by a bench.
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 32 << 10}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; srv.Close() }()
	if *cert != "" {
		// The standard library's TLS server: TLS 1.2 minimum, as frontdoor
		// serve.
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		fmt.Fprintf(stdout, "bareproxy: https://%s -> %s\n", ln.Addr(), u)
		err = srv.ServeTLS(ln, *cert, *key)
	} else {
		fmt.Fprintf(stdout, "bareproxy: http://%s -> %s\n", ln.Addr(), u)
		err = srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
