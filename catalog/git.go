package catalog

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ChangesFromGit lists, newest first, at most limit changes to publishers
// and APIs made by the commits reachable from ref (default HEAD) in the git
// repository at repoDir (or a parent of it). Each commit gives one Change per
// API or publisher whose configuration, specification, onboarding or launch
// approval it touched, diffed against its first parent.
//
// Changes carry only what the configuration repository makes public anyway:
// the commit hash, its committer date and the files touched. Commit messages
// and author names are left out, since they may name people; grants and
// consumer files are never listed.
func ChangesFromGit(repoDir, ref string, limit int) ([]Change, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", repoDir, err)
	}
	if ref == "" {
		ref = "HEAD"
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	prefix, err := subdir(repo, repoDir)
	if err != nil {
		return nil, err
	}
	iter, err := repo.Log(&git.LogOptions{From: *hash, Order: git.LogOrderCommitterTime})
	if err != nil {
		return nil, fmt.Errorf("walking history from %s: %w", ref, err)
	}
	defer iter.Close()
	var out []Change
	err = iter.ForEach(func(c *object.Commit) error {
		if limit > 0 && len(out) >= limit {
			return storer.ErrStop
		}
		changes, err := commitChanges(c, prefix)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if limit > 0 && len(out) >= limit {
				break
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("walking history from %s: %w", ref, err)
	}
	return out, nil
}

// subject is what a file path is about.
type subject struct {
	api, publisher string
	what           string // e.g. "specification", "launch approval"
}

// classify maps a configuration repository path to the API or publisher it
// concerns; ok is false for files the catalogue does not show.
func classify(p string) (s subject, ok bool) {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 3 && parts[0] == "publishers" && parts[2] == "publisher.cue":
		return subject{publisher: parts[1], what: "publisher details"}, true
	case len(parts) == 4 && parts[0] == "publishers" && parts[2] == "apis":
		ext := path.Ext(parts[3])
		name := strings.TrimSuffix(parts[3], ext)
		what := "specification"
		if ext == ".cue" {
			what = "configuration"
		}
		return subject{api: parts[1] + "/" + name, publisher: parts[1], what: what}, true
	case len(parts) == 3 && parts[0] == "approvals" && parts[1] == "onboarding" && strings.HasSuffix(parts[2], ".cue"):
		return subject{publisher: strings.TrimSuffix(parts[2], ".cue"), what: "onboarding approval"}, true
	case len(parts) == 3 && parts[0] == "approvals" && parts[1] == "launch" && strings.HasSuffix(parts[2], ".cue"):
		pub, api, ok := strings.Cut(strings.TrimSuffix(parts[2], ".cue"), ".")
		if !ok {
			return s, false
		}
		return subject{api: pub + "/" + api, publisher: pub, what: "launch approval"}, true
	}
	return s, false
}

// subdir returns the path of dir inside repo's work tree ("" for its root),
// so that a configuration repository kept in a subdirectory is understood.
func subdir(repo *git.Repository, dir string) (string, error) {
	wt, err := repo.Worktree()
	if err != nil {
		return "", nil // a bare repository: dir is its root
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	root := wt.Filesystem.Root()
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", nil
	}
	return filepath.ToSlash(rel) + "/", nil
}

func commitChanges(c *object.Commit, prefix string) ([]Change, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", c.Hash, err)
	}
	var parent *object.Tree
	if c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			return nil, fmt.Errorf("reading parent of %s: %w", c.Hash, err)
		}
		if parent, err = p.Tree(); err != nil {
			return nil, fmt.Errorf("reading parent of %s: %w", c.Hash, err)
		}
	}
	diff, err := object.DiffTree(parent, tree)
	if err != nil {
		return nil, fmt.Errorf("diffing commit %s: %w", c.Hash, err)
	}
	type acc struct {
		subject
		whats   []string
		added   bool
		removed bool
	}
	byKey := map[string]*acc{}
	for _, ch := range diff {
		name := ch.To.Name
		if name == "" {
			name = ch.From.Name
		}
		name, under := strings.CutPrefix(name, prefix)
		if !under {
			continue
		}
		s, ok := classify(name)
		if !ok {
			continue
		}
		key := "p:" + s.publisher
		if s.api != "" {
			key = "a:" + s.api
		}
		a := byKey[key]
		if a == nil {
			a = &acc{subject: s}
			byKey[key] = a
		}
		if !slices.Contains(a.whats, s.what) {
			a.whats = append(a.whats, s.what)
		}
		if s.what == "configuration" || s.what == "publisher details" {
			a.added = ch.From.Name == ""
			a.removed = ch.To.Name == ""
		}
	}
	var out []Change
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		a := byKey[key]
		slices.Sort(a.whats)
		who := a.api
		kind := "API"
		if who == "" {
			who, kind = a.publisher, "Publisher"
		}
		verb := "updated"
		switch {
		case a.added:
			verb = "added"
		case a.removed:
			verb = "removed"
		}
		out = append(out, Change{
			Date:        c.Committer.When.UTC(),
			Commit:      c.Hash.String(),
			APIID:       a.api,
			PublisherID: a.publisher,
			Title:       fmt.Sprintf("%s %s %s", kind, who, verb),
			Summary:     fmt.Sprintf("Commit %s changed the %s of %s %s.", c.Hash.String()[:12], strings.Join(a.whats, " and "), strings.ToLower(kind), who),
		})
	}
	return out, nil
}

// CommitTime returns the committer time of ref (default HEAD) in the git
// repository at repoDir (or a parent of it): a deterministic generation time
// for a catalogue built from that commit.
func CommitTime(repoDir, ref string) (time.Time, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return time.Time{}, fmt.Errorf("opening git repository %s: %w", repoDir, err)
	}
	if ref == "" {
		ref = "HEAD"
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return time.Time{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	c, err := repo.CommitObject(*hash)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading commit %s: %w", hash, err)
	}
	return c.Committer.When.UTC(), nil
}
