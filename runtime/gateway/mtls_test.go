package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// clientCert writes a self-signed client certificate and key as
// dir/name.crt and dir/name.key and returns the certificate's digest.
func clientCert(t *testing.T, dir, name string) [32]byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "frontdoor gateway"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return sha256.Sum256(der)
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
