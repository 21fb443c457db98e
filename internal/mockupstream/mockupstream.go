// Package mockupstream runs stand-in backends for a snapshot's APIs, so that
// the demo and tests can send real requests through the gateway without the
// publishers' services. Each mock answers every request with a JSON echo of
// what reached it: the API, method, path, query and the identity headers the
// gateway set.
package mockupstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Echo is the body every mock returns.
type Echo struct {
	API     string            `json:"api"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query,omitempty"`
	Headers map[string]string `json:"headers"`
}

// Servers is a set of running mocks. Close stops them all.
type Servers struct {
	// Addrs maps each listening address to the API it stands in for.
	Addrs map[string]string
	srvs  []*http.Server
	wg    sync.WaitGroup
}

// Start listens on every loopback upstream address that routes of env in
// snap point at and serves an echo there. Upstreams that are not on a
// loopback address are skipped. It fails if an address is already taken.
func Start(snap *snapshot.Snapshot, env string) (*Servers, error) {
	s := &Servers{Addrs: map[string]string{}}
	for _, r := range snap.Routes {
		if r.Environment != env {
			continue
		}
		u, err := url.Parse(r.Upstream)
		if err != nil || !isLoopback(u.Hostname()) {
			continue
		}
		if _, dup := s.Addrs[u.Host]; dup {
			continue
		}
		headers := identityHeaders(snap, r.API)
		ln, err := net.Listen("tcp", u.Host)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("mock upstream for %s: %w", r.API, err)
		}
		srv := &http.Server{Handler: Handler(r.API, headers), ReadHeaderTimeout: 5 * time.Second}
		s.Addrs[u.Host] = r.API
		s.srvs = append(s.srvs, srv)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	return s, nil
}

// Close stops every mock and waits for them.
func (s *Servers) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// Handler echoes each request as JSON, reporting the listed headers (and
// X-Request-ID) when present.
func Handler(api string, headers []string) http.Handler {
	headers = append(slices.Clone(headers), "X-Request-ID")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := Echo{API: api, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: map[string]string{}}
		for _, h := range headers {
			if v := r.Header.Get(h); v != "" {
				e.Headers[h] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	})
}

func identityHeaders(snap *snapshot.Snapshot, api string) []string {
	a, ok := snap.API(api)
	if !ok {
		return nil
	}
	return a.IdentityHeaders.Names()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
