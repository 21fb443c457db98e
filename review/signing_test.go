package review

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

func newPGPKey(t *testing.T, name string) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return e, b.String()
}

// signedRepo is the example platform with signing keys for an nhsbsa owner
// and an mhra owner, committed on main; the test then commits on a branch.
func signedRepo(t *testing.T, keys map[string][]string) (*testRepo, string) {
	t.Helper()
	r := newTestRepo(t)
	r.copyTree(example)
	b, err := json.Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	r.Write("frontdoor.cue", r.read("frontdoor.cue")+"\nsigningKeys: "+string(b)+"\n")
	base := r.Commit("the platform", nil)
	r.branch("pr")
	return r, base
}

func strictCheck(t *testing.T, r *testRepo, base string) compiler.Diagnostics {
	t.Helper()
	rg, err := OpenRange(r.Dir, base, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := rg.FS(rg.Base)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadGovernance(fsys)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := CheckSignatures(rg, g)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func codes(ds compiler.Diagnostics) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	return strings.Join(out, ",")
}

func TestStrictModeAcceptsCommitsSignedByAnOwnersKey(t *testing.T) {
	owner, pub := newPGPKey(t, "nhsbsa-api-team")
	r, base := signedRepo(t, map[string][]string{"nhsbsa-api-team": {pub}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.Commit("dental-contracts is stable", &git.CommitOptions{SignKey: owner})
	if ds := strictCheck(t, r, base); len(ds) != 0 {
		t.Errorf("got %v, want no diagnostics", ds)
	}
}

func TestStrictModeRefusesUnsignedCommits(t *testing.T) {
	_, pub := newPGPKey(t, "nhsbsa-api-team")
	r, base := signedRepo(t, map[string][]string{"nhsbsa-api-team": {pub}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.Commit("dental-contracts is stable", nil)
	ds := strictCheck(t, r, base)
	if got, want := codes(ds), compiler.CodeUnsigned; got != want {
		t.Fatalf("got codes %q, want %q (%v)", got, want, ds)
	}
	if got, want := ds[0].File, "publishers/nhsbsa/apis/dental-contracts.cue"; got != want {
		t.Errorf("got file %q, want %q", got, want)
	}
}

func TestStrictModeRefusesKeysNotListed(t *testing.T) {
	_, pub := newPGPKey(t, "nhsbsa-api-team")
	stranger, _ := newPGPKey(t, "stranger")
	r, base := signedRepo(t, map[string][]string{"nhsbsa-api-team": {pub}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.Commit("dental-contracts is stable", &git.CommitOptions{SignKey: stranger})
	if got, want := codes(strictCheck(t, r, base)), compiler.CodeUntrustedSigner; got != want {
		t.Errorf("got codes %q, want %q", got, want)
	}
}

func TestStrictModeRefusesSignersWhoDoNotOwnWhatTheyTouch(t *testing.T) {
	_, nhsbsa := newPGPKey(t, "nhsbsa-api-team")
	mhraKey, mhra := newPGPKey(t, "mhra-digital")
	r, base := signedRepo(t, map[string][]string{"nhsbsa-api-team": {nhsbsa}, "mhra-digital": {mhra}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.Commit("dental-contracts is stable", &git.CommitOptions{SignKey: mhraKey})
	ds := strictCheck(t, r, base)
	if got, want := codes(ds), compiler.CodeSignerNotOwner; got != want {
		t.Fatalf("got codes %q, want %q", got, want)
	}
	if !strings.Contains(ds[0].Message, "signed by mhra-digital, who may not change publishers/nhsbsa/apis/dental-contracts.cue") {
		t.Errorf("got message %q, want it to name the signer and the path", ds[0].Message)
	}
}

func TestStrictModeKeysComeFromTheBaseRevision(t *testing.T) {
	key, pub := newPGPKey(t, "nhsbsa-api-team")
	r, base := signedRepo(t, map[string][]string{})
	// The pull request adds its own key and signs with it: not trusted.
	b, _ := json.Marshal(map[string][]string{"nhsbsa-api-team": {pub}})
	r.replace("frontdoor.cue", "signingKeys: {}", "signingKeys: "+string(b))
	r.Commit("trust me", &git.CommitOptions{SignKey: key})
	if got, want := codes(strictCheck(t, r, base)), compiler.CodeUntrustedSigner; got != want {
		t.Errorf("got codes %q, want %q", got, want)
	}
}

// sshKeygenSigner signs with `ssh-keygen -Y sign`, as git does with
// gpg.format=ssh.
type sshKeygenSigner struct {
	t   *testing.T
	key string
}

func (s sshKeygenSigner) Sign(msg io.Reader) ([]byte, error) {
	b, err := io.ReadAll(msg)
	if err != nil {
		return nil, err
	}
	f := filepath.Join(s.t.TempDir(), "msg")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", s.key, f).CombinedOutput(); err != nil {
		s.t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	return os.ReadFile(f + ".sig")
}

func newSSHKey(t *testing.T) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return key, strings.TrimSpace(string(pub))
}

func TestStrictModeAcceptsSSHSignaturesOfAnOwner(t *testing.T) {
	key, pub := newSSHKey(t)
	r, base := signedRepo(t, map[string][]string{"nhsbsa-api-team": {pub}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	r.Commit("dental-contracts is stable", &git.CommitOptions{Signer: sshKeygenSigner{t, key}})
	if ds := strictCheck(t, r, base); len(ds) != 0 {
		t.Errorf("got %v, want no diagnostics", ds)
	}
}

func TestSSHSignatureOfAnotherMessageDoesNotVerify(t *testing.T) {
	key, pub := newSSHKey(t)
	sig, err := sshKeygenSigner{t, key}.Sign(strings.NewReader("the message"))
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySSH(pk, "git", []byte("the message"), sig); err != nil {
		t.Fatalf("got %v verifying the signed message, want nil", err)
	}
	if err := VerifySSH(pk, "git", []byte("another message"), sig); err == nil {
		t.Error("got nil verifying another message, want an error")
	}
	if err := VerifySSH(pk, "file", []byte("the message"), sig); err == nil {
		t.Error("got nil verifying in another namespace, want an error")
	}
}

func TestStrictModeDoesNotChargeAMergeWithWhatItBringsIn(t *testing.T) {
	nhsbsaKey, nhsbsa := newPGPKey(t, "nhsbsa-api-team")
	mhraKey, mhra := newPGPKey(t, "mhra-digital")
	r, _ := signedRepo(t, map[string][]string{"nhsbsa-api-team": {nhsbsa}, "mhra-digital": {mhra}})
	r.replace("publishers/nhsbsa/apis/dental-contracts.cue", `"beta"`, `"stable"`)
	mine := r.Commit("dental-contracts is stable", &git.CommitOptions{SignKey: nhsbsaKey})
	// Meanwhile on master, MHRA changes its own API.
	r.checkout("master")
	r.replace("publishers/mhra/publisher.cue", "owners:", "// MHRA.\nowners:")
	theirs := r.Commit("mhra comment", &git.CommitOptions{SignKey: mhraKey})
	mhraFile := r.read("publishers/mhra/publisher.cue")
	// The pull request merges master in, signed by its author.
	r.checkout("pr")
	r.Write("publishers/mhra/publisher.cue", mhraFile)
	r.Commit("merge master", &git.CommitOptions{SignKey: nhsbsaKey, Parents: []plumbing.Hash{plumbing.NewHash(mine), plumbing.NewHash(theirs)}})
	if ds := strictCheck(t, r, "master"); len(ds) != 0 {
		t.Errorf("got %v, want no diagnostics", ds)
	}
}
