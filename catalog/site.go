package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
)

// Site is a built catalogue: a set of files by slash-separated path relative
// to the site's root (e.g. "apis/nhsbsa/exemptions/index.html"). It is
// immutable once Build returns and safe for concurrent readers.
//
// A Site holds every file in memory (some 40 KB per API); to write a large
// catalogue to disk, BuildDir streams it instead.
type Site struct {
	// Notices are things a publisher may want to fix, one line each, sorted:
	// e.g. an OpenAPI document that could not be read.
	Notices []string

	mu    sync.Mutex
	files map[string][]byte
	names []string
}

func newSite() *Site { return &Site{files: make(map[string][]byte)} }

// put records a copy of a file; safe for concurrent use while building.
func (s *Site) put(name string, data []byte) error {
	data = bytes.Clone(data)
	s.mu.Lock()
	s.files[name] = data
	s.mu.Unlock()
	return nil
}

func (s *Site) finish() { s.names = slices.Sorted(maps.Keys(s.files)) }

// Files returns the paths of the site's files, sorted.
func (s *Site) Files() []string { return slices.Clone(s.names) }

// File returns the content of the file at name.
func (s *Site) File(name string) ([]byte, bool) {
	b, ok := s.files[name]
	return b, ok
}

// manifestName lists, in an output directory, the files the last build
// wrote, so the next can remove those the site no longer has (and nothing
// else).
const manifestName = ".frontdoor-catalog"

// dirWriter writes a site into a directory as its files are made, safe for
// concurrent use. A file whose bytes equal those on disk is left alone; a
// changed one is written to a temporary file beside it, and commit renames
// every temporary file into place, so that a build that fails (or shows a
// forbidden string) changes nothing visible. A directory the site adds is
// made under a temporary name beside its place, its files written straight
// into it, and commit renames it into place: one rename for a whole new
// tree (all of a new site but its root's few files) instead of one per
// file. Files are compared as they come, so no more than the pages being
// rendered are ever in memory.
type dirWriter struct {
	dir       string
	forbidden []forbiddenString

	mu      sync.Mutex
	names   []string
	pending []pendingFile
	newDirs map[string]string // directory the site adds → its temporary name
	dirs    map[string]string // directory of the site → where its files are written
	created int               // files written in new directories
	leaks   []string
}

type pendingFile struct{ tmp, dst string }

type forbiddenString struct {
	s     string
	lower []byte
}

func newDirWriter(dir string, forbidden []string) (*dirWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing catalogue: %w", err)
	}
	w := &dirWriter{dir: dir, newDirs: map[string]string{}, dirs: map[string]string{dir: dir}}
	for _, f := range forbidden {
		if f != "" {
			w.forbidden = append(w.forbidden, forbiddenString{s: f, lower: bytes.ToLower([]byte(f))})
		}
	}
	return w, nil
}

// put compares the file at name with data and, if they differ, writes data
// to a temporary file that commit moves into place. data is not retained.
func (w *dirWriter) put(name string, data []byte) error {
	if !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") {
		return fmt.Errorf("writing catalogue: invalid file name %q", name)
	}
	var leaks []string
	if len(w.forbidden) > 0 {
		lower := bytes.ToLower(data)
		for _, f := range w.forbidden {
			if bytes.Contains(lower, f.lower) {
				leaks = append(leaks, name+": "+f.s)
			}
		}
	}
	w.mu.Lock()
	w.names = append(w.names, name)
	w.leaks = append(w.leaks, leaks...)
	w.mu.Unlock()

	p := filepath.Join(w.dir, filepath.FromSlash(name))
	at, isNew, err := w.dirFor(filepath.Dir(p))
	if err != nil {
		return fmt.Errorf("writing catalogue: %w", err)
	}
	if isNew {
		if err := writeNew(filepath.Join(at, filepath.Base(p)), data); err != nil {
			return fmt.Errorf("writing catalogue: %w", err)
		}
		w.mu.Lock()
		w.created++
		w.mu.Unlock()
		return nil
	}
	if sameContent(p, data) {
		return nil
	}
	tmp, err := writeTemp(p, data)
	if err != nil {
		return fmt.Errorf("writing catalogue: %w", err)
	}
	w.mu.Lock()
	w.pending = append(w.pending, pendingFile{tmp: tmp, dst: p})
	w.mu.Unlock()
	return nil
}

// dirFor returns where the files of dir, a directory of the site, are
// written: dir itself if it exists, else its place in the temporary
// directory of the new directory it is in (isNew), made if needed.
func (w *dirWriter) dirFor(dir string) (at string, isNew bool, err error) {
	w.mu.Lock()
	at, ok := w.dirs[dir]
	w.mu.Unlock()
	if ok {
		return at, at != dir, nil
	}
	parent := filepath.Dir(dir)
	pat, parentNew, err := w.dirFor(parent) // ends at w.dir, which is known
	if err != nil {
		return "", false, err
	}
	switch {
	case parentNew:
		// Inside a new directory: new too.
		at = filepath.Join(pat, filepath.Base(dir))
		if err := os.Mkdir(at, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", false, err
		}
	case dirExists(dir):
		at = dir
	default:
		if at, err = w.newDir(dir); err != nil {
			return "", false, err
		}
	}
	w.mu.Lock()
	w.dirs[dir] = at
	w.mu.Unlock()
	return at, at != dir, nil
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// newDir makes the temporary directory beside dir that commit renames to
// dir, once.
func (w *dirWriter) newDir(dir string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if tmp, ok := w.newDirs[dir]; ok {
		return tmp, nil
	}
	for {
		tmp := filepath.Join(filepath.Dir(dir), ".tmp-"+filepath.Base(dir)+"-"+strconv.FormatUint(rand.Uint64(), 36))
		err := os.Mkdir(tmp, 0o755)
		if err == nil {
			w.newDirs[dir] = tmp
			return tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
}

// sameContent reports whether the file at p holds exactly data, reading it
// in pieces.
func sameContent(p string, data []byte) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false
	}
	var buf [16 << 10]byte
	return sameBytes(f, data, buf[:])
}

// sameBytes reports whether f holds exactly data, reading it into buf.
func sameBytes(f *os.File, data, buf []byte) bool {
	for len(data) > 0 {
		n, err := f.Read(buf[:min(len(buf), len(data))])
		if n == 0 || !bytes.Equal(buf[:n], data[:n]) {
			return false
		}
		data = data[n:]
		if err != nil && len(data) > 0 {
			return false
		}
	}
	n, _ := f.Read(buf[:1])
	return n == 0
}

// writeNew writes data to p, a file that must not exist yet.
func writeNew(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	return fill(f, p, data)
}

// writeTemp writes data to a new temporary file beside p and returns its
// name.
func writeTemp(p string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", err
	}
	return f.Name(), fill(f, p, data)
}

// fill writes data to f, a file just made for p, with mode 0644 whatever
// the umask, and closes it; on failure it removes f.
func fill(f *os.File, p string, data []byte) error {
	_, werr := f.Write(data)
	merr := f.Chmod(0o644)
	cerr := f.Close()
	if err := errors.Join(werr, merr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// abort removes the temporary files, the directories made for them that
// are left empty, and the new directories.
func (w *dirWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.abortLocked()
}

func (w *dirWriter) abortLocked() {
	for _, pf := range w.pending {
		os.Remove(pf.tmp)
		removeEmptyParents(w.dir, filepath.Dir(pf.tmp))
	}
	for _, tmp := range w.newDirs {
		os.RemoveAll(tmp)
	}
	w.pending, w.newDirs = nil, nil
}

// commit moves every changed file into place, removes the files an earlier
// write made that the site no longer has, updates the manifest and returns
// the number of files written.
func (w *dirWriter) commit() (written int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, dir := range slices.Sorted(maps.Keys(w.newDirs)) {
		if err := os.Rename(w.newDirs[dir], dir); err != nil {
			w.abortLocked()
			return 0, fmt.Errorf("writing catalogue: %w", err)
		}
		delete(w.newDirs, dir)
	}
	written = w.created
	slices.SortFunc(w.pending, func(a, b pendingFile) int { return strings.Compare(a.dst, b.dst) })
	for i, pf := range w.pending {
		if err := os.Rename(pf.tmp, pf.dst); err != nil {
			for _, rest := range w.pending[i:] {
				os.Remove(rest.tmp)
			}
			w.pending = nil
			return written, fmt.Errorf("writing catalogue: %w", err)
		}
		written++
	}
	w.pending = nil
	slices.Sort(w.names)
	// Remove what the previous build wrote and this one did not.
	mp := filepath.Join(w.dir, manifestName)
	if old, err := os.ReadFile(mp); err == nil {
		for _, name := range strings.Split(string(old), "\n") {
			if name == "" || !fs.ValidPath(name) {
				continue
			}
			if _, ok := slices.BinarySearch(w.names, name); ok {
				continue
			}
			p := filepath.Join(w.dir, filepath.FromSlash(name))
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return written, fmt.Errorf("writing catalogue: removing stale file: %w", err)
			}
			removeEmptyParents(w.dir, filepath.Dir(p))
		}
	}
	manifest := []byte(strings.Join(w.names, "\n") + "\n")
	if !sameContent(mp, manifest) {
		if err := atomicfile.Write(mp, manifest, 0o644); err != nil {
			return written, fmt.Errorf("writing catalogue: %w", err)
		}
	}
	return written, nil
}

// removeEmptyParents removes dir and its parents up to (not including) root
// while they are empty.
func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// FS returns the site as a read-only file system of its files (no
// directories are listed).
func (s *Site) FS() fs.FS { return siteFS{s} }

type siteFS struct{ s *Site }

func (f siteFS) Open(name string) (fs.File, error) {
	data, err := f.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{name: path.Base(name), Reader: bytes.NewReader(data), size: int64(len(data))}, nil
}

func (f siteFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	data, ok := f.s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(data), nil
}

type memFile struct {
	name string
	*bytes.Reader
	size int64
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m, nil }
func (m *memFile) Close() error               { return nil }
func (m *memFile) Name() string               { return m.name }
func (m *memFile) Size() int64                { return m.size }
func (m *memFile) Mode() fs.FileMode          { return 0o444 }
func (m *memFile) ModTime() time.Time         { return time.Time{} }
func (m *memFile) IsDir() bool                { return false }
func (m *memFile) Sys() any                   { return nil }

// ContentSecurityPolicy is sent with every response of Handler. The site has
// no inline script or style and makes no request to another origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves a built site from fsys (a Site's FS, or os.DirFS of a
// directory it was written to) with security headers. A path ending in "/"
// serves its index.html; a directory path without the slash is redirected.
// Only GET and HEAD are allowed; nothing is listed.
func Handler(fsys fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
			http.NotFound(w, r)
			return
		}
		name := strings.TrimPrefix(p, "/")
		if name == "" || strings.HasSuffix(name, "/") {
			name += "index.html"
		}
		if !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") {
			http.NotFound(w, r)
			return
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			if _, ierr := fs.Stat(fsys, name+"/index.html"); ierr == nil {
				target := p + "/"
				if r.URL.RawQuery != "" {
					target += "?" + r.URL.RawQuery
				}
				http.Redirect(w, r, target, http.StatusMovedPermanently)
				return
			}
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", contentType(name))
		h.Set("Cache-Control", "public, max-age=300")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	})
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json"
	case ".atom":
		return "application/atom+xml"
	case ".yaml", ".yml":
		return "application/yaml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

var _ io.ReadSeeker = (*memFile)(nil)
