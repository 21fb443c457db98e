package compiler

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/frontdoor-dev/frontdoor/internal/testutil"
)

const ignoredKey = "-----BEGIN EC PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END EC PRIVATE KEY-----\n"

func codesIn(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.File + ":" + d.Code + " ")
	}
	return b.String()
}

func TestWhatGitignoreIgnoresInADirectoryIsNotConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		// want is a code the compile must report ("" for none at all).
		want, wantAt string
	}{
		{"build output under an ignored out/", map[string]string{
			".gitignore":               "/out/\n",
			"out/snapshot.json":        "{}",
			"out/snapshot.json.sha256": "x",
			"out/catalog/index.html":   "<html>",
		}, "", ""},
		{"an ignored file larger than any limit", map[string]string{
			".gitignore":    "bin/\n",
			"bin/frontdoor": strings.Repeat("x", 2<<20),
		}, "", ""},
		{"an ignored private key, which is not in git", map[string]string{
			".gitignore":  "*.key\n",
			"signing.key": ignoredKey,
		}, "", ""},
		{"a file outside the layout that is not ignored", map[string]string{
			".gitignore":        "/bin/\n",
			"out/snapshot.json": "{}",
		}, codeOutsideLayout, "out/snapshot.json"},
		{"a nested .gitignore ignoring a publisher's drafts", map[string]string{
			"publishers/acme/.gitignore":       "drafts/\n",
			"publishers/acme/drafts/notes.txt": "x",
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := copyBase(t)
			testutil.WriteTree(t, dir, tc.files)
			fsys, err := OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			res := compileWithin(t, fsys)
			if tc.want == "" {
				if len(res.Diagnostics) != 0 || res.Snapshot == nil {
					t.Fatalf("got %s, want a valid configuration", codesIn(res.Diagnostics))
				}
				return
			}
			if !strings.Contains(codesIn(res.Diagnostics), tc.wantAt+":"+tc.want+" ") {
				t.Errorf("got %s, want %s at %s", codesIn(res.Diagnostics), tc.want, tc.wantAt)
			}
		})
	}
}

func TestAnIgnoredFileInAGitTreeIsStillScannedForSecrets(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir, _ := copyBase(t)
	testutil.WriteTree(t, dir, map[string]string{".gitignore": "*.key\nout/\n", "signing.key": ignoredKey, "out/x.txt": "x"})
	gitCLI(t, dir, "init", "-q")
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "add", "-f", "signing.key") // committed despite .gitignore
	gitCLI(t, dir, "commit", "-q", "-m", "config")
	fsys, _, _, err := OpenGit(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	got := codesIn(compileWithin(t, fsys).Diagnostics)
	if got != "signing.key:"+codePEM+" " {
		t.Errorf("got %s, want only %s at signing.key", got, codePEM)
	}
}

func TestADirectoryAndItsGitTreeCompileAlikeWhenGitignoreIgnoresTrackedFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir, _ := copyBase(t)
	testutil.WriteTree(t, dir, map[string]string{".gitignore": "drafts/\n", "publishers/acme/drafts/old.cue": "not: configuration\n"})
	gitCLI(t, dir, "init", "-q")
	gitCLI(t, dir, "add", "-A")
	gitCLI(t, dir, "add", "-f", "publishers/acme/drafts/old.cue")
	gitCLI(t, dir, "commit", "-q", "-m", "config")
	gitFS, _, _, err := OpenGit(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	dirFS, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fromGit, fromDir := compileWithin(t, gitFS), compileWithin(t, dirFS)
	if len(fromGit.Diagnostics)+len(fromDir.Diagnostics) != 0 {
		t.Fatalf("got %s and %s, want both valid", codesIn(fromGit.Diagnostics), codesIn(fromDir.Diagnostics))
	}
	if !bytes.Equal(fromGit.Bytes, fromDir.Bytes) {
		t.Error("got different snapshots from the directory and its git tree")
	}
}
