package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Site is a built catalogue: a set of files by slash-separated path relative
// to the site's root (e.g. "apis/nhsbsa/exemptions/index.html"). It is
// immutable once Build returns and safe for concurrent readers.
type Site struct {
	// Notices are things a publisher may want to fix, one line each, sorted:
	// e.g. an OpenAPI document that could not be read.
	Notices []string

	mu    sync.Mutex
	files map[string][]byte
	names []string
}

func newSite() *Site { return &Site{files: make(map[string][]byte)} }

// add records a file; safe for concurrent use while building.
func (s *Site) add(name string, data []byte) {
	s.mu.Lock()
	s.files[name] = data
	s.mu.Unlock()
}

func (s *Site) finish() { s.names = sortedKeys(s.files) }

// Files returns the paths of the site's files, sorted.
func (s *Site) Files() []string { return slices.Clone(s.names) }

// File returns the content of the file at name.
func (s *Site) File(name string) ([]byte, bool) {
	b, ok := s.files[name]
	return b, ok
}

// manifestName lists, in an output directory, the files the last Write wrote,
// so the next Write can remove those the site no longer has (and nothing
// else).
const manifestName = ".frontdoor-catalog"

// Write writes the site into dir, creating it if needed. A file whose bytes
// are unchanged is not rewritten; files written by an earlier Write that the
// site no longer has are removed. Other files in dir are left alone. It
// returns the number of files written.
func (s *Site) Write(dir string) (written int, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("writing catalogue: %w", err)
	}
	for _, name := range s.names {
		data := s.files[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := writeFileAtomic(p, data); err != nil {
			return written, fmt.Errorf("writing catalogue: %w", err)
		}
		written++
	}
	// Remove what the previous build wrote and this one did not.
	mp := filepath.Join(dir, manifestName)
	if old, err := os.ReadFile(mp); err == nil {
		for _, name := range strings.Split(string(old), "\n") {
			if name == "" || !fs.ValidPath(name) {
				continue
			}
			if _, ok := s.files[name]; ok {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return written, fmt.Errorf("writing catalogue: removing stale file: %w", err)
			}
			removeEmptyParents(dir, filepath.Dir(p))
		}
	}
	manifest := []byte(strings.Join(s.names, "\n") + "\n")
	if old, err := os.ReadFile(mp); err != nil || !bytes.Equal(old, manifest) {
		if err := writeFileAtomic(mp, manifest); err != nil {
			return written, fmt.Errorf("writing catalogue: %w", err)
		}
	}
	return written, nil
}

func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
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

// Leaks returns, sorted, "file: string" for every file of the site that
// contains one of forbidden (compared case-insensitively; empty strings are
// ignored). Callers pass what must never be published, such as consumers'
// contact names and email addresses, to check a site before writing it.
func (s *Site) Leaks(forbidden []string) []string {
	var out []string
	for _, name := range s.names {
		data := bytes.ToLower(s.files[name])
		for _, f := range forbidden {
			if f != "" && bytes.Contains(data, bytes.ToLower([]byte(f))) {
				out = append(out, name+": "+f)
			}
		}
	}
	return out
}
