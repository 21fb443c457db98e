package gateway_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/tlstest"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// clientCert writes a client certificate and key as dir/name.crt and
// dir/name.key and returns the certificate's digest.
func clientCert(t *testing.T, dir, name string) [32]byte {
	t.Helper()
	c, k := tlstest.NewCA(t, "client CA").IssueLeaf(t, tlstest.Leaf{Client: true})
	tlstest.WriteFile(t, filepath.Join(dir, name+".crt"), c)
	tlstest.WriteFile(t, filepath.Join(dir, name+".key"), k)
	blk, _ := pem.Decode(c)
	return sha256.Sum256(blk.Bytes)
}

func TestUpstreamClientCertificateIsPresentedOverTLS(t *testing.T) {
	dir := t.TempDir()
	want := clientCert(t, dir, credName)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || sha256.Sum256(r.TLS.PeerCertificates[0].Raw) != want {
			http.Error(w, "wrong client certificate", http.StatusForbidden)
			return
		}
		io.WriteString(w, "mtls "+r.URL.Path+" "+r.Header.Get("X-Frontdoor-App"))
	}))
	up.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	up.StartTLS()
	defer up.Close()
	roots := x509.NewCertPool()
	roots.AddCert(up.Certificate())
	e := newEnv(t, envOptions{credDir: dir, tlsConfig: &tls.Config{RootCAs: roots}, edit: func(s *snapshot.Snapshot) {
		for i := range s.Routes {
			if s.Routes[i].API == "pub/cred" {
				s.Routes[i].Upstream = up.URL + "/secure"
			}
		}
	}})
	r := e.get("/pub/cred/v1/x", "apikey", portalKey)
	if r.code != http.StatusOK || r.body != "mtls /secure/x acme/portal" {
		t.Errorf("got %d %q, want 200 %q", r.code, r.body, "mtls /secure/x acme/portal")
	}
}
