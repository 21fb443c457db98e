package compiler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// Session compiles one configuration directory again and again (dev),
// told between compiles which paths changed. What it read of a file that
// has not changed since stands for the file: the file is not read again,
// its evaluation is found in the cache by the digest of its bytes (as a
// git tree's files are by blob ID), and the file list is walked again only
// when a change adds, removes or replaces something other than a file's
// contents. The result is a cold compile's (TestSessionCompilesAsACold*).
//
// The session trusts its caller to report every change (a watcher of the
// directory): a change it is not told of is not seen. Changed and Compile
// are serialised.
type Session struct {
	dir   fs.FS
	cache *Cache
	prior *Result

	mu     sync.Mutex // held by Compile and Changed
	known  sync.Map   // path → *knownFile, of files unchanged since read
	listed *listing   // nil: walk the tree again
	// kept are the decoded outcomes of the last compile, by cache key,
	// and used those of this one: a file's value or a grants file's
	// entitlements is taken from the last compile rather than decoded
	// from the cache again. They are only read once made.
	kept, used *sync.Map
	// last is the snapshot of the last encoding and secs its members as
	// written; merged its entitlements before they were sorted.
	last   *snapshot.Snapshot
	secs   map[string]snapshot.Section
	merged []snapshot.Entitlement
	// merging is this compile's merged, until it is encoded.
	merging []snapshot.Entitlement
}

// keptOutcome is an evaluation or a grants file's check, decoded.
type keptOutcome struct {
	v     any
	size  int64
	diags Diagnostics
}

// knownFile is a file as a compile of the session read it.
type knownFile struct {
	id   string // digest of data
	data []byte // its bytes, but for configuration files (see remember)
}

// listing is the file list of the last walk and what it reported.
type listing struct {
	files []layoutFile
	diags Diagnostics
	paths map[string]bool
	// met are the files the walk reported on and the directories above
	// them and above the listed files.
	met map[string]bool
}

// NewSession returns a session over directory dir, opened with OpenDir.
// cache, if nil, is a new one in memory.
func NewSession(dir string, cache *Cache) (*Session, error) {
	fsys, err := repofs.Dir(dir)
	if err != nil {
		return nil, err
	}
	if cache == nil {
		cache, _ = NewCache("", 0) // in memory: never fails
	}
	return &Session{dir: fsys, cache: cache}, nil
}

// Changed tells the session that the files or directories at paths
// (slash-separated, relative to the directory) may have changed since the
// last compile; all tells it that anything may have (events were lost).
func (s *Session) Changed(paths []string, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if all {
		s.known.Clear()
		s.listed = nil
		return
	}
	var dirs map[string]bool // paths that may be directories
	for _, p := range paths {
		p = path.Clean(p)
		if p == "." || p == ".." || strings.HasPrefix(p, "../") {
			s.known.Clear()
			s.listed = nil
			return
		}
		s.known.Delete(p)
		if s.listed != nil && path.Base(p) != ".gitignore" {
			fi, err := fs.Lstat(s.dir, p)
			if s.listed.paths[p] && err == nil && fi.Mode().IsRegular() {
				continue // a listed file's new contents
			}
			if errors.Is(err, fs.ErrNotExist) && !s.listed.paths[p] && !s.listed.met[p] {
				// Gone, and the walk met nothing at or under it (an
				// editor's temporary file): walking again finds the same.
				continue
			}
		}
		// Something else than a listed file's contents: a file added,
		// removed or refused, a directory, a .gitignore. The tree is
		// walked again, and whatever was under p is unknown now.
		s.listed = nil
		if dirs == nil {
			dirs = map[string]bool{}
		}
		dirs[p] = true
	}
	if dirs != nil {
		s.forgetUnder(dirs)
	}
}

// forgetUnder forgets every file under one of the directories dirs.
func (s *Session) forgetUnder(dirs map[string]bool) {
	s.known.Range(func(k, _ any) bool {
		for d := path.Dir(k.(string)); d != "."; d = path.Dir(d) {
			if dirs[d] {
				s.known.Delete(k)
				break
			}
		}
		return true
	})
}

// Compile compiles the directory as it is now. opts.Cache is the
// session's; a compile lends the next its model when only grants files
// changed (Options.Prior).
func (s *Session) Compile(ctx context.Context, opts Options) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	opts.Cache = s.cache
	if !opts.KeepModel && opts.SpecLoaded == nil {
		opts.Reusable, opts.Prior = true, s.prior
	}
	if s.kept == nil {
		s.kept = new(sync.Map)
	}
	s.used = new(sync.Map)
	res, err := compile(ctx, &sessionFS{FS: s.dir, s: s}, opts)
	if err != nil {
		return nil, err
	}
	s.kept, s.used = s.used, nil
	// Only what a later compile may reuse: not the snapshot and its bytes.
	s.prior = nil
	if res.state != nil {
		s.prior = &Result{state: res.state}
	}
	return res, nil
}

// files returns the file list, walking the tree only when a change may
// have changed it.
func (s *Session) files(fsys fs.FS, sink *diagSink) ([]layoutFile, error) {
	if s.listed == nil {
		var walked diagSink
		files, err := repoFiles(fsys, &walked)
		if err != nil {
			return nil, err
		}
		l := &listing{files: files, diags: walked.list, paths: make(map[string]bool, len(files)), met: map[string]bool{}}
		above := func(p string) {
			for d := path.Dir(p); d != "." && d != "/" && !l.met[d]; d = path.Dir(d) {
				l.met[d] = true
			}
		}
		for _, f := range files {
			l.paths[f.path] = true
			above(f.path)
		}
		for _, d := range walked.list {
			l.met[d.File] = true
			above(d.File)
		}
		s.listed = l
	}
	sink.list = append(sink.list, s.listed.diags...)
	return s.listed.files, nil
}

// sessionFS is the directory as a compile of a session reads it.
type sessionFS struct {
	fs.FS
	s *Session
}

var (
	_ blobIDs            = (*sessionFS)(nil)
	_ repofs.LimitReader = (*sessionFS)(nil)
	_ fs.ReadFileFS      = (*sessionFS)(nil)
	_ fs.ReadDirFS       = (*sessionFS)(nil)
	_ fs.StatFS          = (*sessionFS)(nil)
)

// BlobID returns the digest of a file read by an earlier compile and
// unchanged since.
func (f *sessionFS) BlobID(name string) (string, bool) {
	if k, ok := f.s.known.Load(name); ok {
		return k.(*knownFile).id, true
	}
	return "", false
}

// ReadFileLimit reads the file, or returns the bytes read of it before if
// it has not changed since and the session kept them.
func (f *sessionFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	if k, ok := f.s.known.Load(name); ok {
		if kf := k.(*knownFile); kf.data != nil && int64(len(kf.data)) <= max {
			return kf.data, nil
		}
	}
	b, err := repofs.ReadFile(f.FS, name, max)
	if err == nil {
		f.s.remember(name, b)
	}
	return b, err
}

func (f *sessionFS) ReadFile(name string) ([]byte, error) { return f.ReadFileLimit(name, 1<<63-1) }

func (f *sessionFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(f.FS, name) }

func (f *sessionFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(f.FS, name) }

func (f *sessionFS) String() string { return fmt.Sprint(f.FS) }

// readKey is the cache key of the evaluation of file lf read as src: in a
// session, the key its digest stands for when it is not read again.
func (c *compilation) readKey(lf layoutFile, src []byte) cacheKey {
	if _, ok := c.fsys.(*sessionFS); ok {
		return blobKey(&c.identity, lf, contentID(src))
	}
	return fileKey(&c.identity, lf, src)
}

// contentID is the digest a session knows a file's bytes by.
func contentID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// remember records the bytes read of a file. A configuration file's
// evaluation is cached, so only its digest is kept; other files (OpenAPI
// documents and what they refer to) are read again by every compile that
// encodes, so their bytes are kept too.
func (s *Session) remember(name string, b []byte) {
	kf := &knownFile{id: contentID(b)}
	if !strings.HasSuffix(name, ".cue") {
		kf.data = b
	}
	s.known.Store(name, kf)
}

// session returns the session compiling, if any.
func (c *compilation) session() *Session {
	if f, ok := c.fsys.(*sessionFS); ok {
		return f.s
	}
	return nil
}

// keep keeps an outcome decoded or computed under k for the session's
// next compile.
func (c *compilation) keep(k cacheKey, v any, size int64, diags Diagnostics) {
	if s := c.session(); s != nil {
		s.used.Store(k, &keptOutcome{v: v, size: size, diags: diags})
	}
}

// kept returns the outcome kept under k by the session's last compile.
func (c *compilation) kept(k cacheKey) (*keptOutcome, bool) {
	s := c.session()
	if s == nil {
		return nil, false
	}
	o, ok := s.kept.Load(k)
	if !ok {
		return nil, false
	}
	s.used.Store(k, o)
	return o.(*keptOutcome), true
}

// getFile is Cache.getFile, or the value the session kept.
func (c *compilation) getFile(k cacheKey, lf layoutFile) (any, int64, Diagnostics, bool) {
	if o, ok := c.kept(k); ok {
		return o.v, o.size, o.diags, true
	}
	v, size, diags, ok := c.opts.Cache.getFile(k, lf)
	if ok {
		c.keep(k, v, size, diags)
	}
	return v, size, diags, ok
}

// grantsKept returns the outcome of a grants file's check the session
// kept under k.
func (c *compilation) grantsKept(k cacheKey) (grantsOutcome, bool) {
	o, ok := c.kept(k)
	if !ok {
		return grantsOutcome{}, false
	}
	ents, _ := o.v.([]snapshot.Entitlement)
	return grantsOutcome{Size: o.size, Diags: o.diags, ents: ents}, true
}

// presort gives s the sorted entitlements of the session's last encoding
// when it has the same ones, so that sorting them again finds them in
// order.
func (c *compilation) presort(s *snapshot.Snapshot) {
	sess := c.session()
	if sess == nil {
		return
	}
	merged := s.Entitlements
	if sess.last != nil && sameEntitlements(sess.merged, merged) {
		s.Entitlements = slices.Clone(sess.last.Entitlements)
	} else {
		merged = slices.Clone(merged) // s's are sorted in place
	}
	sess.merging = merged
}

// encode encodes snapshot s. A session's compile takes a member's bytes
// and digest from its last encoding when the member is the same: most
// edits change one or two of them, and encoding and hashing a large
// snapshot's every member is most of a recompile.
func (c *compilation) encode(s *snapshot.Snapshot) ([]byte, error) {
	sess := c.session()
	if sess == nil {
		return s.Encode()
	}
	reuse := map[string]snapshot.Section{}
	if p := sess.last; p != nil {
		for name, same := range map[string]bool{
			"entitlements": sameEntitlements(p.Entitlements, s.Entitlements),
			"routes":       reflect.DeepEqual(p.Routes, s.Routes),
			"consumers":    reflect.DeepEqual(p.Consumers, s.Consumers),
			"publishers":   reflect.DeepEqual(p.Publishers, s.Publishers),
			"platform":     reflect.DeepEqual(p.Platform, s.Platform),
		} {
			if sec, ok := sess.secs[name]; ok && same {
				reuse[name] = sec
			}
		}
	}
	var apis []snapshot.API
	var items [][]byte
	if p := sess.last; p != nil {
		apis, items = p.APIs, sess.secs["apis"].Items
	}
	b, secs, err := s.EncodeReusing(reuse, apis, items)
	if err != nil {
		return nil, err
	}
	sess.last, sess.secs, sess.merged = s, secs, sess.merging
	return b, nil
}

// sameEntitlements reports whether a and b are equal lists.
func sameEntitlements(a, b []snapshot.Entitlement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if (x.RateLimit == nil) != (y.RateLimit == nil) || x.RateLimit != nil && *x.RateLimit != *y.RateLimit {
			return false
		}
		x.RateLimit, y.RateLimit = nil, nil
		if x != y {
			return false
		}
	}
	return true
}

// listFiles is repoFiles, or the session's list of its files.
func listFiles(fsys fs.FS, sink *diagSink) ([]layoutFile, error) {
	if f, ok := fsys.(*sessionFS); ok {
		return f.s.files(fsys, sink)
	}
	return repoFiles(fsys, sink)
}
