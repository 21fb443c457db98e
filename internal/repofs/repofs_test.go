package repofs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// tree makes a directory with a regular file, links of every kind, a FIFO
// and a secret outside it, and returns the repository's root.
func tree(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "repo")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "d"), 0o755))
	must(os.WriteFile(filepath.Join(root, "d", "ok.yaml"), []byte("ok: true\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "big.yaml"), make([]byte, 100), 0o644))
	must(os.WriteFile(filepath.Join(top, "secret"), []byte("secret"), 0o644))
	must(os.Symlink("../secret", filepath.Join(root, "README.yaml")))
	must(os.Symlink("d/ok.yaml", filepath.Join(root, "inside.yaml")))
	must(os.Symlink("d", filepath.Join(root, "linkdir")))
	must(os.Symlink("/dev/zero", filepath.Join(root, ".zero")))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.yaml"), 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	return root
}

func TestDirReadsOnlyRegularFilesReachedWithoutALink(t *testing.T) {
	root := tree(t)
	fsys, err := repofs.Dir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		max  int64
		want error // nil: read
	}{
		{"d/ok.yaml", 0, nil},
		{"README.yaml", 0, repofs.ErrSymlink},
		{"inside.yaml", 0, repofs.ErrSymlink},
		{"linkdir/ok.yaml", 0, repofs.ErrSymlink},
		{".zero", 0, repofs.ErrSymlink},
		{"fifo.yaml", 0, repofs.ErrNotRegular},
		{"big.yaml", 99, repofs.ErrTooLarge},
		{"big.yaml", 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := repofs.ReadFile(fsys, tc.name, tc.max)
			if tc.want == nil {
				if err != nil || len(b) == 0 {
					t.Fatalf("got %q, %v; want the file", b, err)
				}
				return
			}
			var re *repofs.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", b, err, tc.want)
			}
			if _, err := fs.ReadFile(fsys, tc.name); tc.want != repofs.ErrTooLarge && err == nil {
				t.Errorf("fs.ReadFile read %s through the fs.FS", tc.name)
			}
		})
	}
}

func TestDirRefusesPathsLeavingTheRoot(t *testing.T) {
	fsys, err := repofs.Dir(tree(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../secret", "/etc/passwd", "d/../../secret"} {
		if b, err := repofs.ReadFile(fsys, name, 0); err == nil {
			t.Errorf("%s: got %q, want an error", name, b)
		}
	}
}

func TestReadFileRefusesLinksOfAnyFS(t *testing.T) {
	m := fstest.MapFS{
		"d/ok.yaml":   {Data: []byte("ok")},
		"README.yaml": {Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink},
		"l":           {Data: []byte("d"), Mode: fs.ModeSymlink},
	}
	for name, want := range map[string]error{"README.yaml": repofs.ErrSymlink, "l/ok.yaml": repofs.ErrSymlink, "d/ok.yaml": nil} {
		_, err := repofs.ReadFile(m, name, 0)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
}

func TestReadFileNeverReadsPastTheLimit(t *testing.T) {
	m := fstest.MapFS{"f": {Data: make([]byte, 1000)}}
	_, err := repofs.ReadFile(m, "f", 10)
	var re *repofs.RefusedError
	if !errors.As(err, &re) || re.Limit != 10 {
		t.Fatalf("got %v, want a refusal at 10 bytes", err)
	}
}

// BenchmarkReadTree reads every file of the tree in FRONTDOOR_CORPUS_DIR
// as fs.ReadFile over os.DirFS does and as ReadFile does, over os.DirFS
// and over Dir, to show what the checks cost per file.
func BenchmarkReadTree(b *testing.B) {
	dir := os.Getenv("FRONTDOOR_CORPUS_DIR")
	if dir == "" {
		b.Skip("FRONTDOOR_CORPUS_DIR is not set")
	}
	var names []string
	if err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	safe, err := repofs.Dir(dir)
	if err != nil {
		b.Fatal(err)
	}
	plain := os.DirFS(dir)
	for _, bc := range []struct {
		name string
		read func(string) ([]byte, error)
	}{
		{"fs.ReadFile/os.DirFS", func(p string) ([]byte, error) { return fs.ReadFile(plain, p) }},
		{"ReadFile/os.DirFS", func(p string) ([]byte, error) { return repofs.ReadFile(plain, p, 1<<20) }},
		{"ReadFile/Dir", func(p string) ([]byte, error) { return repofs.ReadFile(safe, p, 1<<20) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				for _, p := range names {
					if _, err := bc.read(p); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/file")
		})
	}
}
