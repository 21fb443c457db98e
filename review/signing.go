package review

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// trustedKey is one parsed key of frontdoor.cue signingKeys.
type trustedKey struct {
	handle  string
	pgp     string        // armored OpenPGP public key, or
	sshKey  ssh.PublicKey // an SSH public key
	invalid bool
}

// parseKeys reads the signing keys of g, sorted by handle.
func parseKeys(g *Governance) []trustedKey {
	handles := make([]string, 0, len(g.SigningKeys))
	for h := range g.SigningKeys {
		handles = append(handles, h)
	}
	slices.Sort(handles)
	var out []trustedKey
	for _, h := range handles {
		for _, k := range g.SigningKeys[h] {
			tk := trustedKey{handle: h}
			switch {
			case strings.Contains(k, "-----BEGIN PGP PUBLIC KEY BLOCK-----"):
				if _, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k)); err != nil {
					tk.invalid = true
				}
				tk.pgp = k
			default:
				pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k))
				if err != nil {
					tk.invalid = true
				}
				tk.sshKey = pk
			}
			out = append(out, tk)
		}
	}
	return out
}

// CheckSignatures is strict mode: every commit of the pull request must be
// signed, with an OpenPGP or SSH key that the base revision's frontdoor.cue
// lists in signingKeys, and the key's handle must own every path the commit
// touches (the ownership rule of Authority, applied to the signer). Each
// problem is positioned at the first file of the commit it concerns.
func CheckSignatures(r *Range, base *Governance) (compiler.Diagnostics, error) {
	keys := parseKeys(base)
	var ds compiler.Diagnostics
	for _, k := range keys {
		if k.invalid {
			ds = append(ds, diag("frontdoor.cue", 1, 1, compiler.CodeBadSigningKey,
				fmt.Sprintf("a signing key of %s is neither an armored OpenPGP public key nor an SSH public key", k.handle), ""))
		}
	}
	commits, err := r.Commits()
	if err != nil {
		return nil, err
	}
	for _, c := range commits {
		changes, err := commitChanges(c)
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			continue
		}
		first := changes[0].Path
		name := fmt.Sprintf("commit %s (%q by %s)", c.Hash.String()[:12], subject(c.Message), c.Author.Name)
		if strings.TrimSpace(c.PGPSignature) == "" {
			ds = append(ds, diag(first, 1, 1, compiler.CodeUnsigned, name+" is not signed",
				"strict mode needs every commit signed by a key listed in frontdoor.cue signingKeys"))
			continue
		}
		signers, kind, err := verifyCommit(c, keys)
		if err != nil {
			return nil, err
		}
		if kind == "" {
			ds = append(ds, diag(first, 1, 1, compiler.CodeUnverifiableSign, name+" carries a signature that is neither OpenPGP nor SSH", ""))
			continue
		}
		if len(signers) == 0 {
			ds = append(ds, diag(first, 1, 1, compiler.CodeUntrustedSigner,
				fmt.Sprintf("%s has an %s signature that no key in frontdoor.cue signingKeys verifies", name, kind),
				"sign with a key listed for your handle, or have the operator add your key first"))
			continue
		}
		for _, ch := range changes {
			if slices.ContainsFunc(signers, func(s string) bool { return pathOwner(base, ch.Path, s).ok }) {
				continue
			}
			ds = append(ds, diag(ch.Path, 1, 1, compiler.CodeSignerNotOwner,
				fmt.Sprintf("%s is signed by %s, who may not change %s (owners: %s)", name, strings.Join(signers, ", "), ch.Path, list(ownerOf(base, ch.Path))),
				"have an owner of the path make and sign the commit"))
		}
	}
	return ds.Sort(), nil
}

func subject(msg string) string {
	s, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return s
}

// verifyCommit returns the handles whose keys verify the commit's signature
// and the signature's kind ("OpenPGP", "SSH", or "" when unknown).
func verifyCommit(c *object.Commit, keys []trustedKey) ([]string, string, error) {
	sig := c.PGPSignature
	var signers []string
	switch {
	case strings.Contains(sig, "-----BEGIN PGP SIGNATURE-----"):
		for _, k := range keys {
			if k.pgp == "" || k.invalid || slices.Contains(signers, k.handle) {
				continue
			}
			if _, err := c.Verify(k.pgp); err == nil {
				signers = append(signers, k.handle)
			}
		}
		return signers, "OpenPGP", nil
	case strings.Contains(sig, "-----BEGIN SSH SIGNATURE-----"):
		msg, err := payload(c)
		if err != nil {
			return nil, "", err
		}
		for _, k := range keys {
			if k.sshKey == nil || slices.Contains(signers, k.handle) {
				continue
			}
			if VerifySSH(k.sshKey, "git", msg, []byte(sig)) == nil {
				signers = append(signers, k.handle)
			}
		}
		return signers, "SSH", nil
	}
	return nil, "", nil
}

// payload returns what a commit's signature signs: the commit object without
// its signature header.
func payload(c *object.Commit) ([]byte, error) {
	o := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(o); err != nil {
		return nil, fmt.Errorf("encoding commit %s: %w", c.Hash, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("encoding commit %s: %w", c.Hash, err)
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// VerifySSH checks an armored SSH signature (the sshsig format of OpenSSH's
// PROTOCOL.sshsig, what `ssh-keygen -Y sign` and git's gpg.format=ssh write)
// of msg in namespace by key.
func VerifySSH(key ssh.PublicKey, namespace string, msg, armored []byte) error {
	const begin, end = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
	s := string(armored)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return errors.New("not an armored SSH signature")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s[i+len(begin):j]), ""))
	if err != nil {
		return fmt.Errorf("decoding SSH signature: %w", err)
	}
	rd := &sshReader{b: raw}
	magic := rd.bytes(6)
	version := rd.uint32()
	pub := rd.string()
	ns := rd.string()
	_ = rd.string() // reserved
	hashAlg := rd.string()
	sigBlob := rd.string()
	if rd.err != nil {
		return fmt.Errorf("parsing SSH signature: %w", rd.err)
	}
	if string(magic) != "SSHSIG" || version != 1 {
		return errors.New("not an SSHSIG version 1 signature")
	}
	if string(ns) != namespace {
		return fmt.Errorf("signature namespace %q, want %q", ns, namespace)
	}
	if !bytes.Equal(pub, key.Marshal()) {
		return errors.New("signed by another key")
	}
	var h hash.Hash
	switch string(hashAlg) {
	case "sha512":
		h = sha512.New()
	case "sha256":
		h = sha256.New()
	default:
		return fmt.Errorf("unsupported hash %q", hashAlg)
	}
	h.Write(msg)
	var signed bytes.Buffer
	signed.WriteString("SSHSIG")
	for _, f := range [][]byte{ns, nil, hashAlg, h.Sum(nil)} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		signed.Write(n[:])
		signed.Write(f)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(sigBlob, sig); err != nil {
		return fmt.Errorf("parsing SSH signature blob: %w", err)
	}
	return key.Verify(signed.Bytes(), sig)
}

// sshReader reads the SSH wire encoding; the first error sticks.
type sshReader struct {
	b   []byte
	err error
}

func (r *sshReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *sshReader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *sshReader) string() []byte {
	return r.bytes(int(r.uint32()))
}
