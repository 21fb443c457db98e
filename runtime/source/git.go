package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/frontdoor-dev/frontdoor/internal/gitfs"
	"github.com/frontdoor-dev/frontdoor/internal/redact"
)

// Defaults of the git source.
const (
	DefaultPoll         = 30 * time.Second
	DefaultFetchTimeout = 2 * time.Minute
)

// ErrForcePush is the error of a fetched head that does not descend from
// the last one, when force pushes are refused.
var ErrForcePush = errors.New("branch was force-pushed: new head does not descend from the last one")

// OpenFunc returns the tree of commit in repo as an fs.FS, and the
// generation to compile it with. The default, OpenCommit, reads the tree
// straight from the object store (internal/gitfs) and uses the committer
// time in Unix seconds: deterministic, so that every replica compiling a
// commit produces the same snapshot, and increasing along a branch in
// practice.
type OpenFunc func(repo *git.Repository, commit *object.Commit) (fs.FS, uint64, error)

// OpenCommit is the default OpenFunc.
func OpenCommit(repo *git.Repository, c *object.Commit) (fs.FS, uint64, error) {
	fsys, err := gitfs.Commit(repo, c)
	if err != nil {
		return nil, 0, err
	}
	return fsys, uint64(max(c.Committer.When.Unix(), 0)), nil
}

// Git fetches one branch of a repository (single branch, no tags) into a
// bare cache repository, every Poll and whenever Trigger is called, and
// compiles each new head.
//
// By default the branch's history is fetched (incrementally after the
// first time): a head that does not descend from the last one is then
// recognised, and refused, or with AllowForcePush followed even if its
// generation is lower. With Shallow (which needs AllowForcePush and an Open
// whose generation needs no history, such as OpenCommit's) only the head's
// tree is fetched, at depth 1.
type Git struct {
	// URL of the repository (any transport go-git supports).
	URL string
	// Branch to follow, default "main".
	Branch string
	// CacheDir holds the bare cache repository; it survives restarts.
	CacheDir string
	// Poll interval, default DefaultPoll.
	Poll time.Duration
	// Timeout bounds one fetch, default DefaultFetchTimeout.
	Timeout time.Duration
	// AllowForcePush follows a head that does not descend from the last.
	AllowForcePush bool
	// Shallow fetches at depth 1.
	Shallow bool
	// Since is the commit already being served (e.g. the last-known-good
	// snapshot's): it is not recompiled, and force pushes are judged
	// against it.
	Since string
	// Compile compiles a commit's tree.
	Compile CompileFunc
	// Open defaults to OpenCommit.
	Open OpenFunc
	// Log defaults to slog.Default().
	Log *slog.Logger

	trigger
}

var (
	_ Source    = (*Git)(nil)
	_ Triggerer = (*Git)(nil)
)

// Name returns "git".
func (g *Git) Name() string { return "git" }

func (g *Git) branch() string {
	if g.Branch == "" {
		return "main"
	}
	return g.Branch
}

// Run fetches at once, then every Poll and on every Trigger.
func (g *Git) Run(ctx context.Context, out chan<- Revision) error {
	if g.URL == "" || g.CacheDir == "" || g.Compile == nil {
		return errors.New("git source: url, cache dir and compile function are required")
	}
	if g.Shallow && !g.AllowForcePush {
		return errors.New("git source: a shallow fetch cannot tell a force push, allow them to fetch shallow")
	}
	log := orDefault(g.Log).With("source", g.Name(), "url", redact.URL(g.URL), "branch", g.branch())
	repo, err := g.openCache()
	if err != nil {
		return fmt.Errorf("git source: %w", err)
	}
	last := g.Since
	tick := time.NewTicker(cmpOr(g.Poll, DefaultPoll))
	defer tick.Stop()
	trigger := g.triggered()
	for {
		rev := g.sync(ctx, repo, last)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if rev.Err != nil {
			log.Warn("sync failed", "err", rev.Err)
		} else if !rev.Unchanged {
			// Bytes or Diagnostics: this head has been judged; do not
			// compile it again.
			last = rev.Commit
		}
		if !send(ctx, out, rev) {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		case <-trigger:
		}
	}
}

// openCache opens the cache repository, creating it and pointing its origin
// at URL as needed.
func (g *Git) openCache() (*git.Repository, error) {
	if err := os.MkdirAll(g.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache dir: %w", err)
	}
	repo, err := git.PlainOpen(g.CacheDir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(g.CacheDir, true)
	}
	if err != nil {
		return nil, fmt.Errorf("opening cache repository %s: %w", g.CacheDir, err)
	}
	// The cache's configuration keeps the URL masked; each fetch names the
	// real one (see sync).
	want := &config.RemoteConfig{Name: git.DefaultRemoteName, URLs: []string{redact.URL(g.URL)}, Fetch: []config.RefSpec{g.refSpec()}}
	if r, err := repo.Remote(git.DefaultRemoteName); err == nil {
		if c := r.Config(); slices.Equal(c.URLs, want.URLs) && slices.Equal(c.Fetch, want.Fetch) {
			return repo, nil
		}
		if err := repo.DeleteRemote(git.DefaultRemoteName); err != nil {
			return nil, fmt.Errorf("resetting origin: %w", err)
		}
	}
	if _, err := repo.CreateRemote(want); err != nil {
		return nil, fmt.Errorf("setting origin: %w", err)
	}
	return repo, nil
}

func (g *Git) refSpec() config.RefSpec {
	b := g.branch()
	return config.RefSpec("+refs/heads/" + b + ":refs/remotes/origin/" + b)
}

// sync fetches the branch and, if its head is new, compiles it.
func (g *Git) sync(ctx context.Context, repo *git.Repository, last string) Revision {
	rev := Revision{Source: g.Name()}
	opts := &git.FetchOptions{
		RemoteName: git.DefaultRemoteName,
		RefSpecs:   []config.RefSpec{g.refSpec()},
		Tags:       git.NoTags,
		Force:      true,
	}
	if g.Shallow {
		opts.Depth = 1
	}
	opts.RemoteURL, opts.Auth = splitCredentials(g.URL)
	fctx, cancel := context.WithTimeout(ctx, cmpOr(g.Timeout, DefaultFetchTimeout))
	err := repo.FetchContext(fctx, opts)
	cancel()
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		rev.Err = redact.Error(fmt.Errorf("fetching %s %s: %w", redact.URL(g.URL), g.branch(), err))
		return rev
	}
	ref, err := repo.Reference(plumbing.NewRemoteReferenceName(git.DefaultRemoteName, g.branch()), true)
	if err != nil {
		rev.Err = fmt.Errorf("resolving origin/%s: %w", g.branch(), err)
		return rev
	}
	head := ref.Hash().String()
	rev.Commit = head
	if head == last {
		rev.Unchanged = true
		return rev
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		rev.Err = fmt.Errorf("reading commit %s: %w", head, err)
		return rev
	}
	forced := false
	if last != "" && !g.Shallow {
		err := descends(repo, commit, last)
		switch {
		case errors.Is(err, ErrForcePush) && g.AllowForcePush:
			forced = true
		case err != nil:
			rev.Err = err
			return rev
		}
	}
	open := g.Open
	if open == nil {
		open = OpenCommit
	}
	fsys, gen, err := open(repo, commit)
	if err != nil {
		rev.Err = err
		return rev
	}
	rev = compile(ctx, g.Name(), g.Compile, CompileInput{FS: fsys, Commit: head, Generation: gen})
	rev.AllowRollback = forced
	return rev
}

// descends returns nil if commit descends from the commit last, and an
// error wrapping ErrForcePush if it does not.
func descends(repo *git.Repository, commit *object.Commit, last string) error {
	old, err := repo.CommitObject(plumbing.NewHash(last))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// The old head is not in the cache (history rewritten before we
		// fetched it, or a fresh cache): it is not in the new history.
		return fmt.Errorf("%w (%s is not in the fetched history of %s)", ErrForcePush, short(last), short(commit.Hash.String()))
	}
	if err != nil {
		return fmt.Errorf("reading commit %s: %w", last, err)
	}
	ok, err := old.IsAncestor(commit)
	if err != nil {
		return fmt.Errorf("checking that %s descends from %s: %w", short(commit.Hash.String()), short(last), err)
	}
	if !ok {
		return fmt.Errorf("%w (%s does not descend from %s)", ErrForcePush, short(commit.Hash.String()), short(last))
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// splitCredentials returns an http(s) URL without its userinfo, and the
// userinfo as basic authentication for the fetch: the credentials then
// never reach any message go-git writes with the remote's URL. Other URLs
// are returned as they are, with no authentication.
func splitCredentials(raw string) (string, transport.AuthMethod) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return raw, nil
	}
	pw, _ := u.User.Password()
	auth := &githttp.BasicAuth{Username: u.User.Username(), Password: pw}
	u.User = nil
	return u.String(), auth
}
