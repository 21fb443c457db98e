package snapshot

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Signatures are ed25519 over the canonical snapshot bytes, stored beside the
// snapshot (snapshot.json.sig) as one line of standard base64.

// SignatureSuffix is appended to a snapshot's file name for its signature.
const SignatureSuffix = ".sig"

// ErrBadSignature is returned when no trusted key verifies a signature.
var ErrBadSignature = errors.New("signature does not verify with any trusted key")

// GenerateKey returns a new ed25519 key pair as PEM: the private key in PKCS #8
// and the public key in PKIX form.
func GenerateKey() (privPEM, pubPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding private key: %w", err)
	}
	pb, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), nil
}

// ParsePrivateKey reads an ed25519 private key in PKCS #8 PEM.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	return parseKey[ed25519.PrivateKey](b, "private key", "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
}

// ParsePublicKey reads an ed25519 public key in PKIX PEM.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	return parseKey[ed25519.PublicKey](b, "public key", "PUBLIC KEY", x509.ParsePKIXPublicKey)
}

// parseKey reads the key of PEM block type block in b with parse; it must
// be a K.
func parseKey[K any](b []byte, what, block string, parse func([]byte) (any, error)) (K, error) {
	var key K
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != block {
		return key, fmt.Errorf("parsing %s: no PEM %s block", what, block)
	}
	k, err := parse(blk.Bytes)
	if err != nil {
		return key, fmt.Errorf("parsing %s: %w", what, err)
	}
	key, ok := k.(K)
	if !ok {
		return key, fmt.Errorf("parsing %s: %T is not ed25519", what, k)
	}
	return key, nil
}

// Sign returns the signature file contents for the snapshot bytes b: the
// base64 ed25519 signature of their digest ("sha256:<hex>", see Digest),
// which commits to every byte. A verifier hashes the bytes once, for the
// digest it checks anyway, and verifies a signature over 71 bytes, not over
// tens of megabytes a second time.
func Sign(priv ed25519.PrivateKey, b []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(Digest(b)))) + "\n")
}

// VerifySignature checks sig (signature file contents) over the snapshot
// bytes b against the trusted keys. It returns ErrBadSignature when none
// verifies it.
func VerifySignature(trusted []ed25519.PublicKey, b, sig []byte) error {
	return VerifyDigestSignature(trusted, Digest(b), sig)
}

// VerifyDigestSignature is VerifySignature for a snapshot whose digest the
// caller computed: digest must be Digest of the bytes the signature is
// meant for.
func VerifyDigestSignature(trusted []ed25519.PublicKey, digest string, sig []byte) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("malformed signature: %w", ErrBadSignature)
	}
	for _, k := range trusted {
		if ed25519.Verify(k, []byte(digest), raw) {
			return nil
		}
	}
	return ErrBadSignature
}
