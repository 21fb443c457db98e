package snaptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"sync"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// RSA keys are slow to generate: the tests of one package share three.
var (
	rsaOnce sync.Once
	rsaKeys [3]*rsa.PrivateKey
)

// RSAKey returns the shared 2048-bit RSA key i (0, 1 or 2): the same key
// for every call in one test binary. Safe for concurrent use.
func RSAKey(i int) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		for j := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[j] = k
		}
	})
	return rsaKeys[i]
}

// RSAJWK returns pub as a public signing JWK with kid and alg.
func RSAJWK(kid, alg string, pub *rsa.PublicKey) snapshot.JWK {
	return snapshot.JWK{
		Kid: kid, Kty: "RSA", Alg: alg, Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}
