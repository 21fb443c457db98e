// Package gitignore tells which paths of a repository its .gitignore files
// ignore, as git does, for a walk of an fs.FS in fs.WalkDir order. The
// patterns are go-git's (plumbing/format/gitignore); this package only
// reads the .gitignore files, safely, and applies git's rule that nothing
// under an ignored directory can be re-included.
//
// Only the repository's own .gitignore files count: not .git/info/exclude
// nor a user's global excludes, which differ from one machine to another.
package gitignore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
)

// Tree is implemented by a file system that is a git tree: every file it
// holds is in git, whether a .gitignore ignores it or not.
type Tree interface{ GitTree() }

// MaxFile is the size limit of one .gitignore file.
const MaxFile = 1 << 20

// Matcher answers for one walk; it is not safe for concurrent use.
type Matcher struct {
	fsys     fs.FS
	patterns []gitignore.Pattern
	ignored  map[string]bool // directories ignored, by path
}

// New returns a matcher for a walk of fsys.
func New(fsys fs.FS) *Matcher {
	return &Matcher{fsys: fsys, ignored: map[string]bool{}}
}

// Dir is called as the walk enters directory dir ("." for the root),
// before any of its entries. It reports whether dir is ignored.
func (m *Matcher) Dir(dir string) bool {
	if dir != "." && (m.ignored[path.Dir(dir)] || m.match(dir, true)) {
		m.ignored[dir] = true
		return true
	}
	return false
}

// Load reads the .gitignore of directory dir, entered and not ignored,
// whose patterns then apply below dir. A .gitignore that is not a regular
// file (a symbolic link) is not read.
func (m *Matcher) Load(dir string) error {
	name := path.Join(dir, ".gitignore")
	b, err := repofs.ReadFile(m.fsys, name, MaxFile)
	var refused *repofs.RefusedError
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.As(err, &refused):
		return nil
	case err != nil:
		return fmt.Errorf("reading %s: %w", name, err)
	}
	var domain []string
	if dir != "." {
		domain = strings.Split(dir, "/")
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSuffix(string(line), "\r")
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		m.patterns = append(m.patterns, gitignore.ParsePattern(s, domain))
	}
	return nil
}

// Walk walks fsys in lexical order, as fs.WalkDir does, and calls fn for
// every entry that is not a directory, with whether the repository's
// .gitignore files ignore it. The .git directory is skipped. An ignored
// directory is not read unless keepIgnored (a git tree, whose every file is
// in git). A directory's .gitignore is read only when the directory lists
// one.
func Walk(fsys fs.FS, keepIgnored bool, fn func(p string, d fs.DirEntry, ignored bool) error) error {
	m := New(fsys)
	var walk func(dir string) error
	walk = func(dir string) error {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return fmt.Errorf("walking %s: %w", dir, err)
		}
		if !m.ignored[dir] && slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return e.Name() == ".gitignore" }) {
			if err := m.Load(dir); err != nil {
				return err
			}
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			if !e.IsDir() {
				if err := fn(p, e, m.File(p)); err != nil {
					return err
				}
				continue
			}
			if e.Name() == ".git" || m.Dir(p) && !keepIgnored {
				continue
			}
			if err := walk(p); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(".")
}

// File reports whether file p, in a directory already entered, is ignored.
func (m *Matcher) File(p string) bool {
	return m.ignored[path.Dir(p)] || m.match(p, false)
}

func (m *Matcher) match(p string, isDir bool) bool {
	return len(m.patterns) > 0 && gitignore.NewMatcher(m.patterns).Match(strings.Split(p, "/"), isDir)
}
