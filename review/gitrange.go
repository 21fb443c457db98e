package review

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/report"
)

// Range is a pull request in a git repository: its base and head commits and
// their merge base. The pull request's changes are those from the merge base
// to the head (what `git diff BASE...HEAD` shows, and what the forge shows),
// so commits that reached the base branch after the pull request branched off
// are never attributed to it; authority is judged by the owners of the base
// commit itself, the most recent word on who owns what.
type Range struct {
	Dir                   string
	repo                  *git.Repository
	Base, Head, MergeBase *object.Commit
	// trees holds the file systems FS opened, by commit: the base is
	// often the merge base too.
	trees map[plumbing.Hash]fs.FS
	first fs.FS
}

// OpenRange opens the repository at dir and resolves base and head (any
// revision go-git understands: branch, tag, hash, HEAD~2...).
func OpenRange(dir, base, head string) (*Range, error) {
	repo, err := gitfs.OpenRepository(dir)
	if err != nil {
		return nil, err
	}
	r := &Range{Dir: dir, repo: repo}
	if r.Base, err = resolve(repo, base); err != nil {
		return nil, err
	}
	if r.Head, err = resolve(repo, head); err != nil {
		return nil, err
	}
	mbs, err := r.Base.MergeBase(r.Head)
	if err != nil {
		return nil, fmt.Errorf("finding the merge base of %s and %s: %w", base, head, err)
	}
	if len(mbs) == 0 {
		return nil, fmt.Errorf("%s and %s have no common ancestor", base, head)
	}
	// Several merge bases (criss-cross merges): take the lowest hash, for
	// determinism.
	slices.SortFunc(mbs, func(a, b *object.Commit) int { return compareHash(a.Hash, b.Hash) })
	r.MergeBase = mbs[0]
	return r, nil
}

func compareHash(a, b plumbing.Hash) int {
	return slices.Compare(a[:], b[:])
}

func resolve(repo *git.Repository, rev string) (*object.Commit, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("resolving revision %q: %w", rev, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", h, err)
	}
	return c, nil
}

// FS returns a commit's tree as a file system (see gitfs.Commit),
// opened once per commit. The file systems of a Range read its one
// repository: they must not be read concurrently with each other (go-git's
// storage is not safe for concurrent reads; each file system serialises
// only its own).
func (r *Range) FS(c *object.Commit) (fs.FS, error) {
	if fsys, ok := r.trees[c.Hash]; ok {
		return fsys, nil
	}
	// The first tree opened is indexed in full; the others reuse its
	// index of the subtrees they share with it.
	fsys, err := gitfs.CommitFrom(r.first, r.repo, c)
	if err != nil {
		return nil, err
	}
	if r.trees == nil {
		r.trees = map[plumbing.Hash]fs.FS{}
		r.first = fsys
	}
	r.trees[c.Hash] = fsys
	return fsys, nil
}

// Changes lists the paths the pull request changes, sorted.
func (r *Range) Changes() ([]report.Change, error) {
	return treeChanges(r.MergeBase, r.Head)
}

// treeChanges lists the paths that differ between two commits' trees, sorted
// by path. from may be nil (the empty tree).
func treeChanges(from, to *object.Commit) ([]report.Change, error) {
	var ft *object.Tree
	if from != nil {
		t, err := from.Tree()
		if err != nil {
			return nil, fmt.Errorf("reading tree of %s: %w", from.Hash, err)
		}
		ft = t
	}
	tt, err := to.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of %s: %w", to.Hash, err)
	}
	var out []report.Change
	if err := diffTrees(ft, tt, "", &out); err != nil {
		return nil, fmt.Errorf("diffing %s: %w", to.Hash, err)
	}
	slices.SortFunc(out, func(a, b report.Change) int {
		if a.Path != b.Path {
			if a.Path < b.Path {
				return -1
			}
			return 1
		}
		if a.Action < b.Action {
			return -1
		}
		if a.Action > b.Action {
			return 1
		}
		return 0
	})
	return out, nil
}

// diffTrees appends the files that differ between trees a and b (either
// may be nil: empty) under dir: what go-git's DiffTree lists, without
// reading the subtrees of directories whose tree IDs are the same (its
// tree walker reads every subdirectory of a directory it lists).
func diffTrees(a, b *object.Tree, dir string, out *[]report.Change) error {
	entries := func(t *object.Tree) map[string]object.TreeEntry {
		m := map[string]object.TreeEntry{}
		if t != nil {
			for _, e := range t.Entries {
				m[e.Name] = e
			}
		}
		return m
	}
	am, bm := entries(a), entries(b)
	// sub is the subtree named name of t if it is a directory there, nil
	// if it is not.
	sub := func(t *object.Tree, m map[string]object.TreeEntry, name string) (*object.Tree, error) {
		if e, ok := m[name]; !ok || e.Mode != filemode.Dir {
			return nil, nil
		}
		return t.Tree(name)
	}
	names := slices.Sorted(maps.Keys(am))
	for n := range bm {
		if _, ok := am[n]; !ok {
			names = append(names, n)
		}
	}
	for _, name := range names {
		ea, inA := am[name]
		eb, inB := bm[name]
		p := path.Join(dir, name)
		if inA && inB && ea.Hash == eb.Hash && leafMode(ea.Mode) == leafMode(eb.Mode) {
			continue
		}
		aLeaf, bLeaf := inA && ea.Mode != filemode.Dir, inB && eb.Mode != filemode.Dir
		switch {
		case aLeaf && bLeaf:
			*out = append(*out, report.Change{Path: p, Action: report.Modified})
			continue
		case aLeaf:
			*out = append(*out, report.Change{Path: p, Action: report.Deleted})
		case bLeaf:
			*out = append(*out, report.Change{Path: p, Action: report.Added})
		}
		sa, err := sub(a, am, name)
		if err != nil {
			return err
		}
		sb, err := sub(b, bm, name)
		if err != nil {
			return err
		}
		if sa != nil || sb != nil {
			if err := diffTrees(sa, sb, p, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// leafMode is a file's mode as git compares it: the deprecated
// group-writable mode is a regular file's.
func leafMode(m filemode.FileMode) filemode.FileMode {
	if m == filemode.Deprecated {
		return filemode.Regular
	}
	return m
}

// Commits lists the commits of the pull request (reachable from the head and
// not from the merge base), oldest first.
func (r *Range) Commits() ([]*object.Commit, error) {
	seen := map[plumbing.Hash]bool{}
	it := object.NewCommitPreorderIter(r.MergeBase, nil, nil)
	if err := it.ForEach(func(c *object.Commit) error { seen[c.Hash] = true; return nil }); err != nil {
		return nil, fmt.Errorf("walking %s: %w", r.MergeBase.Hash, err)
	}
	var out []*object.Commit
	it = object.NewCommitPreorderIter(r.Head, seen, nil)
	err := it.ForEach(func(c *object.Commit) error {
		out = append(out, c)
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("walking %s: %w", r.Head.Hash, err)
	}
	slices.Reverse(out)
	return out, nil
}

// commitChanges lists the paths one commit touches: against its parent, or
// for a merge, the paths that differ from every parent (what the merge
// itself decided, not what it brought in from either side).
func commitChanges(c *object.Commit) ([]report.Change, error) {
	if c.NumParents() == 0 {
		return treeChanges(nil, c)
	}
	var out []report.Change
	for i := range c.NumParents() {
		p, err := c.Parent(i)
		if err != nil {
			return nil, fmt.Errorf("reading parent of %s: %w", c.Hash, err)
		}
		chs, err := treeChanges(p, c)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out = chs
			continue
		}
		out = slices.DeleteFunc(out, func(ch report.Change) bool {
			return !slices.ContainsFunc(chs, func(o report.Change) bool { return o.Path == ch.Path })
		})
	}
	return out, nil
}
