package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/gitignore"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/report"
)

// PullRequest describes a pull request to check.
type PullRequest struct {
	// Repo is the git repository's directory.
	Repo string
	// Base and Head are revisions (the target branch and the pull request's
	// head).
	Base, Head string
	// Actor is the forge handle of the author.
	Actor string
	// Approvers are the handles of reviewers who approved it.
	Approvers []string
	// Strict requires every commit signed by an owner's trusted key.
	Strict bool
	// Cache, if set, keeps files' evaluations for the compiles (see
	// compiler.Cache).
	Cache *compiler.Cache
	// Sized, if set, is called by DiffGit before it compiles, with whether
	// only grants files change (the head then reuses the base's model, and
	// less is live at once), so that the caller may size its memory.
	Sized func(grantsOnly bool)
}

// CheckPR checks a pull request's authority (and signatures in strict mode)
// and its OpenAPI documents' compatibility. The error is for I/O and usage
// problems; findings are in report.Output.Diagnostics.
func CheckPR(ctx context.Context, pr PullRequest) (*report.Output, error) {
	if strings.TrimSpace(pr.Actor) == "" {
		return nil, fmt.Errorf("no actor: pass --actor or set GITHUB_ACTOR")
	}
	r, err := OpenRange(pr.Repo, pr.Base, pr.Head)
	if err != nil {
		return nil, err
	}
	changes, err := r.Changes()
	if err != nil {
		return nil, err
	}
	// Strict mode checks every path of every commit, which the net
	// changes may not show: it reads every directory's owners.
	scope := scopeOf(changes)
	if pr.Strict {
		scope = nil
	}
	a, err := r.authority(pr.Actor, pr.Approvers, scope)
	if err != nil {
		return nil, err
	}
	ds, err := a.Check(changes)
	if err != nil {
		return nil, err
	}
	dep, err := DeprecatedGrants(a.BeforeFS, a.HeadFS, changes)
	if err != nil {
		return nil, err
	}
	ds = append(ds, dep...)
	if pr.Strict {
		sig, err := CheckSignatures(r, a.Base)
		if err != nil {
			return nil, err
		}
		ds = append(ds, sig...)
	}
	breaking, bds, err := CheckBreaking(ctx, a.BeforeFS, a.HeadFS, changes)
	if err != nil {
		return nil, err
	}
	ds = append(ds, bds...)
	return &report.Output{Command: "check-pr", Base: pr.Base, Head: pr.Head, Actor: pr.Actor, Changes: changes, Breaking: breaking, Diagnostics: ds.Sort()}, nil
}

// authority reads the three revisions' governance, the owners of the
// directories in scope only (nil: all).
func (r *Range) authority(actor string, approvers []string, scope *governanceScope) (*Authority, error) {
	a := &Authority{Actor: actor, Approvers: approvers}
	baseFS, err := r.FS(r.Base)
	if err != nil {
		return nil, err
	}
	if a.BeforeFS, err = r.FS(r.MergeBase); err != nil {
		return nil, err
	}
	if a.HeadFS, err = r.FS(r.Head); err != nil {
		return nil, err
	}
	if a.Base, err = readGovernance(baseFS, scope); err != nil {
		return nil, err
	}
	if a.Before, err = readGovernance(a.BeforeFS, scope); err != nil {
		return nil, err
	}
	if a.Head, err = readGovernance(a.HeadFS, scope); err != nil {
		return nil, err
	}
	return a, nil
}

// Side is one side of a diff: a configuration to compile.
type Side struct {
	// FS holds the configuration.
	FS fs.FS
	// Name is what to call it (a revision or a directory).
	Name string
	// Commit and Generation are recorded in its snapshot.
	Commit     string
	Generation uint64
}

// DiffOptions tune Diff.
type DiffOptions struct {
	// Now is the day grants' expiry is checked against (default today).
	Now time.Time
	// Changes are the changed paths; nil means compare the two file
	// systems.
	Changes []report.Change
	// Authority, if set, also checks the changes' authority.
	Authority *Authority
	// Cache, if set, keeps files' evaluations: base and head share the
	// files they have in common (see compiler.Cache).
	Cache *compiler.Cache
}

// Diff compiles both sides and says what changes for whom, with the
// breaking OpenAPI changes (and authority violations, with
// DiffOptions.Authority). When a side does not compile there is no
// semantic diff: Output.Summary is nil and the head's errors are reported.
func Diff(ctx context.Context, base, head Side, opts DiffOptions) (*report.Output, error) {
	out := &report.Output{Command: "diff", Base: base.Name, Head: head.Name}
	// The head reuses what the base computed of the files other than
	// grants when they are the same (compiler.Options.Prior): only then
	// does the base keep it, which would otherwise stay live for nothing.
	reusable := opts.Changes != nil && grantsOnly(opts.Changes)
	compile := func(s Side, prior *compiler.Result) (*compiler.Result, error) {
		return compiler.Compile(ctx, s.FS, compiler.Options{Commit: s.Commit, Generation: max(s.Generation, 1), Now: opts.Now, Cache: opts.Cache, NoEncode: true,
			Reusable: prior == nil && reusable, Prior: prior})
	}
	br, err := compile(base, nil)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", base.Name, err)
	}
	hr, err := compile(head, br)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", head.Name, err)
	}
	changes := opts.Changes
	if changes == nil {
		if changes, err = fsChanges(base.FS, head.FS); err != nil {
			return nil, err
		}
	}
	var ds compiler.Diagnostics
	switch {
	case hr.Diagnostics.HasErrors():
		ds = append(ds, diag("frontdoor.cue", 1, 1, compiler.CodeHeadInvalid,
			fmt.Sprintf("%s does not compile (%s): what changes cannot be told until they are fixed", head.Name, compiler.Count(hr.Diagnostics.Errors(), "error")), "run `frontdoor validate`"))
		ds = append(ds, hr.Diagnostics...)
	case br.Diagnostics.HasErrors():
		ds = append(ds, diag("frontdoor.cue", 1, 1, compiler.CodeHeadInvalid,
			fmt.Sprintf("%s does not compile (%s): what changes cannot be told", base.Name, compiler.Count(br.Diagnostics.Errors(), "error")), "compare with a revision that compiles"))
	default:
		out.Summary = Compare(br.Snapshot, hr.Snapshot)
		lines, err := specLines(ctx, base.FS, head.FS, changes, br.Snapshot, hr.Snapshot)
		if err != nil {
			return nil, err
		}
		for _, pub := range sortedKeys(lines) {
			name := pub
			if p, ok := hr.Snapshot.Publisher(pub); ok {
				name = p.Name
			} else if p, ok := br.Snapshot.Publisher(pub); ok {
				name = p.Name
			}
			addPublisherLines(out.Summary, pub, name, lines[pub])
		}
		dep, err := DeprecatedGrants(base.FS, head.FS, changes)
		if err != nil {
			return nil, err
		}
		ds = append(ds, dep...)
	}
	breaking, bds, err := CheckBreaking(ctx, base.FS, head.FS, changes)
	if err != nil {
		return nil, err
	}
	out.Breaking = breaking
	ds = append(ds, bds...)
	if opts.Authority != nil {
		out.Actor = opts.Authority.Actor
		ads, err := opts.Authority.Check(changes)
		if err != nil {
			return nil, err
		}
		ds = append(ds, ads...)
	}
	out.Diagnostics = ds.Sort()
	return out, nil
}

// DiffGit diffs two revisions of a git repository: what head changes since
// it branched from base (their merge base, as the forge shows a pull
// request). With an actor, authority is checked too, as check-pr does.
func DiffGit(ctx context.Context, pr PullRequest, now time.Time) (*report.Output, error) {
	r, err := OpenRange(pr.Repo, pr.Base, pr.Head)
	if err != nil {
		return nil, err
	}
	changes, err := r.Changes()
	if err != nil {
		return nil, err
	}
	opts := DiffOptions{Now: now, Changes: changes, Cache: pr.Cache}
	if pr.Sized != nil {
		pr.Sized(grantsOnly(changes))
	}
	var beforeFS, headFS fs.FS
	if pr.Actor != "" {
		a, err := r.authority(pr.Actor, pr.Approvers, scopeOf(changes))
		if err != nil {
			return nil, err
		}
		opts.Authority = a
		beforeFS, headFS = a.BeforeFS, a.HeadFS
	} else {
		if beforeFS, err = r.FS(r.MergeBase); err != nil {
			return nil, err
		}
		if headFS, err = r.FS(r.Head); err != nil {
			return nil, err
		}
	}
	return Diff(ctx,
		Side{FS: beforeFS, Name: pr.Base, Commit: r.MergeBase.Hash.String()},
		Side{FS: headFS, Name: pr.Head, Commit: r.Head.Hash.String()}, opts)
}

// grantsOnly reports whether every change is to a grants file.
func grantsOnly(changes []report.Change) bool {
	return !slices.ContainsFunc(changes, func(c report.Change) bool {
		_, _, ok := grantsPath(c.Path)
		return !ok
	})
}

// fsChanges compares two directories file by file. Dot-files and
// dot-directories such as .git are skipped, and so is what their
// .gitignore files ignore (build output): it is not in git, so no pull
// request changes it.
func fsChanges(a, b fs.FS) ([]report.Change, error) {
	list := func(fsys fs.FS) (map[string]bool, error) {
		m := map[string]bool{}
		err := gitignore.Walk(fsys, false, func(p string, _ fs.DirEntry, ignored bool) error {
			if !ignored && !slices.ContainsFunc(strings.Split(p, "/"), func(seg string) bool { return strings.HasPrefix(seg, ".") }) {
				m[p] = true
			}
			return nil
		})
		return m, err
	}
	am, err := list(a)
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	bm, err := list(b)
	if err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	var out []report.Change
	for p := range am {
		if !bm[p] {
			out = append(out, report.Change{Path: p, Action: report.Deleted})
			continue
		}
		x, err1 := repofs.ReadFile(a, p, compiler.DefaultLimits.SpecFile)
		y, err2 := repofs.ReadFile(b, p, compiler.DefaultLimits.SpecFile)
		if refused(err1) || refused(err2) {
			// A link, a device or a file over the limit is never read:
			// it counts as changed (the compile refuses it anyway).
			out = append(out, report.Change{Path: p, Action: report.Modified})
			continue
		}
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("reading %s: %w", p, cmpErr(err1, err2))
		}
		if !bytes.Equal(x, y) {
			out = append(out, report.Change{Path: p, Action: report.Modified})
		}
	}
	for p := range bm {
		if !am[p] {
			out = append(out, report.Change{Path: p, Action: report.Added})
		}
	}
	slices.SortFunc(out, func(x, y report.Change) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

// refused reports whether err is a refusal to read a file (see repofs).
func refused(err error) bool {
	var re *repofs.RefusedError
	return errors.As(err, &re)
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
