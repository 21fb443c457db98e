package compiler

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secretMarker is the content of a file outside the repository; no
// diagnostic may ever show it.
const secretMarker = "root:x:0:0:SECRET-MARKER"

// fsCase is a repository on disk: the base configuration changed by setup.
type fsCase struct {
	name string
	// setup changes the repository in dir; outside is a directory beside
	// it holding secret.txt (secretMarker).
	setup func(t *testing.T, dir, outside string)
	// want is the code the compile must report at file.
	file, want string
}

const patientsSpec = "publishers/acme/apis/patients.yaml"

// refTo makes patients.yaml $ref target for the id parameter's schema.
func refTo(target string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, patientsSpec)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "            type: string", "            $ref: \""+target+"\"", 1)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func fsCases() []fsCase {
	apis := func(dir string) string { return filepath.Join(dir, "publishers/acme/apis") }
	return []fsCase{
		{"a $ref to README.yaml linked out of the repository", func(t *testing.T, dir, out string) {
			symlink(t, filepath.Join(out, "secret.txt"), filepath.Join(apis(dir), "README.yaml"))
			refTo("README.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref to a dot-file linked out of the repository", func(t *testing.T, dir, out string) {
			symlink(t, filepath.Join(out, "secret.txt"), filepath.Join(apis(dir), ".x.yaml"))
			refTo(".x.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref to a link to /dev/zero", func(t *testing.T, dir, _ string) {
			symlink(t, "/dev/zero", filepath.Join(apis(dir), "README.yaml"))
			refTo("README.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref to a FIFO", func(t *testing.T, dir, _ string) {
			if err := syscall.Mkfifo(filepath.Join(apis(dir), "README.yaml"), 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			refTo("README.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref to a link that stays inside the repository", func(t *testing.T, dir, _ string) {
			if err := os.WriteFile(filepath.Join(apis(dir), "schema.yaml"), []byte("type: string\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			symlink(t, "schema.yaml", filepath.Join(apis(dir), "README.yaml"))
			refTo("README.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref through a linked directory", func(t *testing.T, dir, out string) {
			symlink(t, out, filepath.Join(apis(dir), ".shared"))
			refTo(".shared/secret.txt")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref climbing out with ../", func(t *testing.T, dir, out string) {
			refTo("../../../../"+filepath.Base(out)+"/secret.txt")(t, dir)
		}, patientsSpec, codeSpecRef},
		{"a grants file linked out of the repository", func(t *testing.T, dir, out string) {
			p := filepath.Join(dir, "publishers/acme/grants/clinic.cue")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			symlink(t, filepath.Join(out, "secret.txt"), p)
		}, "publishers/acme/grants/clinic.cue", codeNotRegular},
		{"a grants file that is a FIFO", func(t *testing.T, dir, _ string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "publishers/acme/grants/other.cue"), 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}, "publishers/acme/grants/other.cue", codeNotRegular},
		{"a publisher directory linked out of the repository", func(t *testing.T, dir, out string) {
			symlink(t, out, filepath.Join(dir, "publishers/other"))
		}, "publishers/other", codeNotRegular},
	}
}

// copyBase copies testdata/base into a new directory and returns it, with
// a directory beside it holding a secret.
func copyBase(t *testing.T) (dir, outside string) {
	t.Helper()
	root := t.TempDir()
	dir, outside = filepath.Join(root, "repo"), filepath.Join(root, "outside")
	if err := os.CopyFS(dir, os.DirFS("testdata/base")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(secretMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, outside
}

// compileWithin compiles fsys, failing the test if it takes longer than a
// deadline (a FIFO or a device would block or never end).
func compileWithin(t *testing.T, fsys fs.FS) *Result {
	t.Helper()
	type out struct {
		res *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := Compile(context.Background(), fsys, testOptions())
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatalf("Compile: %v", o.err)
		}
		return o.res
	case <-time.After(30 * time.Second):
		t.Fatal("compile did not finish")
	}
	return nil
}

func assertRefused(t *testing.T, res *Result, file, code string) {
	t.Helper()
	text := renderDiags(res.Diagnostics)
	if strings.Contains(text, "SECRET-MARKER") || strings.Contains(text, "root:x") {
		t.Errorf("a diagnostic shows the content of a file outside the repository:\n%s", text)
	}
	found := false
	for _, d := range res.Diagnostics {
		found = found || (d.File == file && d.Code == code)
	}
	if !found {
		t.Errorf("got no %s at %s; diagnostics:\n%s", code, file, text)
	}
	if res.Snapshot != nil {
		t.Error("got a snapshot")
	}
}

// TestDirectoryModeReadsOnlyRegularFilesInsideTheRepository compiles a
// repository on disk with links, FIFOs and escapes, through OpenDir.
func TestDirectoryModeReadsOnlyRegularFilesInsideTheRepository(t *testing.T) {
	for _, tc := range fsCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := copyBase(t)
			tc.setup(t, dir, outside)
			fsys, err := OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			assertRefused(t, compileWithin(t, fsys), tc.file, tc.want)
		})
	}
}

// TestOSDirFSIsHeldToTheSameRule compiles the same repositories through
// os.DirFS, which follows links: the compiler's own reads refuse them.
func TestOSDirFSIsHeldToTheSameRule(t *testing.T) {
	for _, tc := range fsCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := copyBase(t)
			tc.setup(t, dir, outside)
			assertRefused(t, compileWithin(t, os.DirFS(dir)), tc.file, tc.want)
		})
	}
}

func gitCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return strings.TrimSpace(string(b))
}

// TestGitModeRefusesSymlinksAndSubmodules commits links (mode 120000) and
// a submodule (a gitlink) and compiles the commit from the object store.
func TestGitModeRefusesSymlinksAndSubmodules(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	cases := []struct {
		name       string
		setup      func(t *testing.T, dir string)
		file, want string
	}{
		{"a $ref to README.yaml linked to /etc/passwd", func(t *testing.T, dir string) {
			symlink(t, "/etc/passwd", filepath.Join(dir, "publishers/acme/apis/README.yaml"))
			refTo("README.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref to a dot-file linked inside the repository", func(t *testing.T, dir string) {
			symlink(t, "patients.yaml", filepath.Join(dir, "publishers/acme/apis/.x.yaml"))
			refTo(".x.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref through a linked directory", func(t *testing.T, dir string) {
			symlink(t, ".", filepath.Join(dir, "publishers/acme/apis/.d"))
			refTo(".d/patients.yaml")(t, dir)
		}, patientsSpec, codeNotRegular},
		{"a $ref climbing out with ../", func(t *testing.T, dir string) {
			refTo("../../../../etc/passwd")(t, dir)
		}, patientsSpec, codeSpecRef},
		{"a $ref climbing into another publisher with ../", func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "publishers/other/apis"), 0o755); err != nil {
				t.Fatal(err)
			}
			refTo("../../other/apis/x.yaml")(t, dir)
		}, patientsSpec, codeSpecRef},
		{"a grants file that is a link", func(t *testing.T, dir string) {
			symlink(t, "/etc/passwd", filepath.Join(dir, "publishers/acme/grants/other.cue"))
		}, "publishers/acme/grants/other.cue", codeNotRegular},
		{"a submodule in the layout", func(t *testing.T, dir string) {
			gitCLI(t, dir, "update-index", "--add", "--cacheinfo", "160000,0123456789abcdef0123456789abcdef01234567,publishers/acme/grants/sub.cue")
		}, "publishers/acme/grants/sub.cue", codeNotRegular},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := copyBase(t)
			gitCLI(t, dir, "init", "-q")
			gitCLI(t, dir, "add", "-A")
			tc.setup(t, dir)
			// Links are staged; the submodule is staged by its setup
			// (add -A would drop a gitlink with nothing on disk).
			gitCLI(t, dir, "add", "-A", "--", ".", ":(exclude)publishers/acme/grants/sub.cue")
			gitCLI(t, dir, "commit", "-q", "-m", "config")
			fsys, _, _, err := OpenGit(dir, "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			assertRefused(t, compileWithin(t, fsys), tc.file, tc.want)
		})
	}
}
