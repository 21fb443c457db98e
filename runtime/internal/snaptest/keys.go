package snaptest

import (
	"crypto/ed25519"
	"testing"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// KeyPair returns a new signing key pair, parsed from the PEM that
// frontdoor keygen writes.
func KeyPair(tb testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	tb.Helper()
	privPEM, pubPEM, err := snapshot.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	priv, err := snapshot.ParsePrivateKey(privPEM)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := snapshot.ParsePublicKey(pubPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return priv, pub
}
