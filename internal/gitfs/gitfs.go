// Package gitfs is the one read-only fs.FS view of a git commit's tree,
// read straight from the object store without a checkout: the compiler
// reads configuration through it (validate --git, check-pr, diff) and so
// does the gateway's git source.
//
// Symbolic links and submodules are listed, so that a walk reports them,
// but never read: reading one through repofs is refused, as in a
// directory.
package gitfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/frontdoor-dev/frontdoor/internal/gitignore"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// Open opens the git repository at repoDir (bare or not), resolves ref
// (a branch, tag, commit hash or revision such as HEAD~1) and returns the
// commit's tree as a read-only fs.FS, read straight from the object store
// without a checkout. generation is the number of commits on the
// first-parent chain up to and including the commit: it grows along a
// branch.
//
// The returned fs.FS is safe for concurrent use.
func Open(repoDir, ref string) (fsys fs.FS, commit string, generation uint64, err error) {
	repo, err := OpenRepository(repoDir)
	if err != nil {
		return nil, "", 0, err
	}
	h, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, "", 0, fmt.Errorf("resolving revision %q in %s: %w", ref, repoDir, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, "", 0, fmt.Errorf("reading commit %s: %w", h, err)
	}
	for p := c; ; {
		generation++
		if p.NumParents() == 0 {
			break
		}
		if p, err = p.Parent(0); err != nil {
			return nil, "", 0, fmt.Errorf("walking first parents of %s: %w", h, err)
		}
	}
	if fsys, err = Commit(repo, c); err != nil {
		return nil, "", 0, err
	}
	return fsys, h.String(), generation, nil
}

// objectCacheSize bounds the objects a repository opened by
// OpenRepository keeps decoded (go-git's default is 96 MiB per
// repository): a tree is read once, and a blob mostly once, so what it
// holds is mostly dead bytes that stay live with a compile's heap under
// its soft memory limit; a few MiB still keep the delta bases of
// configuration files.
const objectCacheSize = 4 * cache.MiByte

// maxOpenPacks is how many pack files a repository opened by
// OpenRepository keeps open between reads, instead of opening its pack
// again for each object; they are closed when the repository is
// collected.
const maxOpenPacks = 8

// OpenRepository opens the git repository at repoDir (bare or not, a
// linked worktree included) for reading many objects: its packs stay
// open and it keeps a bounded object cache.
func OpenRepository(repoDir string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", repoDir, err)
	}
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return repo, nil
	}
	fast := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRU(objectCacheSize), filesystem.Options{MaxOpenDescriptors: maxOpenPacks})
	r, err := git.Open(fast, nil)
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", repoDir, err)
	}
	return r, nil
}

// Commit returns the tree of commit c in repo as a read-only fs.FS, its
// files dated c's committer time. It is safe for concurrent use.
func Commit(repo *git.Repository, c *object.Commit) (fs.FS, error) {
	return CommitFrom(nil, repo, c)
}

// CommitFrom is Commit, reusing the index of prev, a tree of the same
// repository that Commit or CommitFrom returned (nil: none), for every
// subtree whose tree ID is unchanged: only the subtrees that differ are
// read. The result is the same as Commit's.
func CommitFrom(prev fs.FS, repo *git.Repository, c *object.Commit) (fs.FS, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of %s: %w", c.Hash, err)
	}
	p, _ := prev.(*gitFS)
	if p != nil && p.repo != repo {
		p = nil
	}
	g := &gitFS{repo: repo, files: map[string]gitEntry{}, dirs: map[string][]gitEntry{}, trees: map[string]plumbing.Hash{}, when: c.Committer.When}
	if err := g.indexFrom(p, tree.Hash, ""); err != nil {
		return nil, fmt.Errorf("reading tree of %s: %w", c.Hash, err)
	}
	return g, nil
}

// gitFS is an fs.FS over one commit's tree, indexed once at open.
type gitFS struct {
	mu    sync.Mutex // go-git's object storage is not safe for concurrent reads
	repo  *git.Repository
	files map[string]gitEntry      // by path
	dirs  map[string][]gitEntry    // path → sorted entries ("" is the root)
	trees map[string]plumbing.Hash // path → tree ID ("" is the root)
	// shadowed is set if a path is both a file and a directory (a tree
	// with two entries of one name, which git refuses to make): only then
	// can a listed file be under a file or a link.
	shadowed bool
	when     time.Time
}

// gitEntry is one tree entry. Sizes are not indexed (that would read every
// blob); they are read when asked for.
type gitEntry struct {
	name string
	path string
	mode filemode.FileMode
	hash plumbing.Hash
}

var (
	_ fs.ReadFileFS      = (*gitFS)(nil)
	_ fs.ReadDirFS       = (*gitFS)(nil)
	_ repofs.LimitReader = (*gitFS)(nil)
)

// indexFrom indexes the tree h at dir, copying prev's index of it if prev
// has the same tree there.
func (g *gitFS) indexFrom(prev *gitFS, h plumbing.Hash, dir string) error {
	if prev != nil {
		if ph, ok := prev.trees[dir]; ok && ph == h {
			g.copyFrom(prev, dir)
			return nil
		}
	}
	t, err := g.repo.TreeObject(h)
	if err != nil {
		return fmt.Errorf("tree %s: %w", dir, err)
	}
	g.trees[dir] = h
	ents := make([]gitEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		p := join(dir, e.Name)
		ge := gitEntry{name: e.Name, path: p, mode: e.Mode, hash: e.Hash}
		if e.Mode == filemode.Dir {
			if _, ok := g.files[p]; ok {
				g.shadowed = true
			}
			if err := g.indexFrom(prev, e.Hash, p); err != nil {
				return err
			}
		} else {
			if _, ok := g.dirs[p]; ok {
				g.shadowed = true
			}
			// A submodule is listed (so that the walk reports it), never read.
			g.files[p] = ge
		}
		ents = append(ents, ge)
	}
	slices.SortFunc(ents, func(a, b gitEntry) int { return strings.Compare(a.name, b.name) })
	g.dirs[dir] = ents
	return nil
}

// join is path.Join(dir, name), without cleaning a plain name.
func join(dir, name string) string {
	switch {
	case name == "" || name == "." || name == ".." || strings.Contains(name, "/"):
		return path.Join(dir, name)
	case dir == "":
		return name
	}
	return dir + "/" + name
}

// copyFrom copies prev's index of the directory dir and all below it; the
// entry slices are shared, never written once indexed.
func (g *gitFS) copyFrom(prev *gitFS, dir string) {
	ents := prev.dirs[dir]
	g.dirs[dir] = ents
	g.shadowed = g.shadowed || prev.shadowed
	g.trees[dir] = prev.trees[dir]
	for _, e := range ents {
		if e.mode == filemode.Dir {
			g.copyFrom(prev, e.path)
		} else {
			g.files[e.path] = e
		}
	}
}

func key(name string) string {
	if name == "." {
		return ""
	}
	return name
}

// GitTree marks the tree as a git tree for the layout walk: every file in
// it is in git, so one .gitignore ignores is still scanned for secrets.
func (*gitFS) GitTree() {}

var _ gitignore.Tree = (*gitFS)(nil)

// Open opens a file or directory of the tree.
func (g *gitFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if ents, ok := g.dirs[key(name)]; ok {
		return &gitDir{info: gitInfo{name: path.Base(name), mode: fs.ModeDir | 0o555, when: g.when}, ents: g.dirEntries(ents)}, nil
	}
	b, err := g.ReadFile(name)
	if err != nil {
		return nil, err
	}
	info := g.info(g.files[name])
	info.size = int64(len(b))
	return &gitFile{info: info, r: strings.NewReader(string(b))}, nil
}

// ReadFile returns a blob's contents.
func (g *gitFS) ReadFile(name string) ([]byte, error) { return g.ReadFileLimit(name, 1<<63-1) }

// ReadFileLimit implements repofs.LimitReader: it refuses a symbolic link
// (on the way or at the end), a submodule and a blob larger than max,
// without reading it.
func (g *gitFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	e, err := g.blobEntry(name)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	blob, err := g.repo.BlobObject(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if blob.Size > max {
		return nil, &repofs.RefusedError{Path: name, Through: name, Err: repofs.ErrTooLarge, Size: blob.Size, Limit: max}
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, nil
}

// BlobID returns the git blob ID of the file name, without reading it, if
// ReadFileLimit would read it (but for its size): a file whose contents
// are known by their ID need not be read again.
func (g *gitFS) BlobID(name string) (string, bool) {
	e, err := g.blobEntry(name)
	if err != nil {
		return "", false
	}
	return e.hash.String(), true
}

// blobEntry is the entry of the file name, refused if it is not a plain
// blob or is reached through a symbolic link or a submodule.
func (g *gitFS) blobEntry(name string) (gitEntry, error) {
	if !fs.ValidPath(name) {
		return gitEntry{}, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	if e, ok := g.files[name]; ok && !g.shadowed {
		// Every directory above a listed file is a directory.
		return e, entryRefusal(name, e)
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if e, ok := g.files[p]; ok {
			if err := entryRefusal(name, e); err != nil {
				return gitEntry{}, err
			}
			return gitEntry{}, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
		}
	}
	e, ok := g.files[name]
	if !ok {
		if _, isDir := g.dirs[key(name)]; isDir {
			return gitEntry{}, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
		}
		return gitEntry{}, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return e, entryRefusal(name, e)
}

// entryRefusal refuses what is not a plain blob: a symbolic link (mode
// 120000) or a submodule (a gitlink); nil for a file.
func entryRefusal(name string, e gitEntry) error {
	switch e.mode {
	case filemode.Symlink:
		return &repofs.RefusedError{Path: name, Through: e.path, Err: repofs.ErrSymlink}
	case filemode.Submodule:
		return &repofs.RefusedError{Path: name, Through: e.path, Err: repofs.ErrNotRegular}
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
		return nil
	}
	return &repofs.RefusedError{Path: name, Through: e.path, Err: repofs.ErrNotRegular}
}

// ReadDir lists a directory, sorted by name.
func (g *gitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	ents, ok := g.dirs[key(name)]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return g.dirEntries(ents), nil
}

func (g *gitFS) dirEntries(ents []gitEntry) []fs.DirEntry {
	des := make([]gitDirEntry, len(ents))
	out := make([]fs.DirEntry, len(ents))
	for i, e := range ents {
		des[i] = gitDirEntry{g: g, e: e}
		out[i] = &des[i]
	}
	return out
}

// gitDirEntry is a directory entry; its Info reads the blob's size from the
// object store only when asked (walking the tree never does).
type gitDirEntry struct {
	g *gitFS
	e gitEntry
}

func (d gitDirEntry) Name() string      { return d.e.name }
func (d gitDirEntry) IsDir() bool       { return d.e.mode == filemode.Dir }
func (d gitDirEntry) Type() fs.FileMode { return d.g.info(d.e).mode.Type() }
func (d gitDirEntry) Info() (fs.FileInfo, error) {
	info := d.g.info(d.e)
	if info.Mode().IsRegular() {
		d.g.mu.Lock()
		obj, err := d.g.repo.Storer.EncodedObject(plumbing.BlobObject, d.e.hash)
		d.g.mu.Unlock()
		if err != nil {
			return nil, &fs.PathError{Op: "stat", Path: d.e.path, Err: err}
		}
		info.size = obj.Size()
	}
	return info, nil
}

func (g *gitFS) info(e gitEntry) gitInfo {
	var mode fs.FileMode
	switch e.mode {
	case filemode.Dir:
		mode = fs.ModeDir | 0o555
	case filemode.Symlink:
		mode = fs.ModeSymlink | 0o777
	case filemode.Submodule:
		mode = fs.ModeIrregular | 0o555
	case filemode.Executable:
		mode = 0o555
	default:
		mode = 0o444
	}
	return gitInfo{name: e.name, mode: mode, when: g.when}
}

type gitInfo struct {
	name string
	size int64
	mode fs.FileMode
	when time.Time
}

func (i gitInfo) Name() string       { return i.name }
func (i gitInfo) Size() int64        { return i.size }
func (i gitInfo) Mode() fs.FileMode  { return i.mode }
func (i gitInfo) ModTime() time.Time { return i.when }
func (i gitInfo) IsDir() bool        { return i.mode.IsDir() }
func (i gitInfo) Sys() any           { return nil }

type gitFile struct {
	info gitInfo
	r    *strings.Reader
}

func (f *gitFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *gitFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *gitFile) Close() error               { return nil }

type gitDir struct {
	info gitInfo
	ents []fs.DirEntry
	off  int
}

func (d *gitDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *gitDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *gitDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *gitDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
