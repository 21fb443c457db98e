package compiler

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/internal/gitignore"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/schema"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// fileKind is the role of a file in the repository layout.
type fileKind int

const (
	kindIgnored fileKind = iota
	kindPlatform
	kindOnboarding
	kindLaunch
	kindDiagnosis
	kindPublisher
	kindAPI
	kindSpec
	kindGrants
	kindConsumer
	// kindSpecPart is another file under an API directory (Markdown...):
	// part of a spec if one references it, else outside the layout.
	kindSpecPart
)

// def returns the schema definition files of the kind are checked against.
func (k fileKind) def() string {
	switch k {
	case kindPlatform:
		return schema.DefPlatform
	case kindOnboarding:
		return schema.DefOnboarding
	case kindLaunch:
		return schema.DefLaunch
	case kindDiagnosis:
		return schema.DefDiagnosis
	case kindPublisher:
		return schema.DefPublisher
	case kindAPI:
		return schema.DefAPI
	case kindGrants:
		return schema.DefGrants
	case kindConsumer:
		return schema.DefConsumer
	}
	return ""
}

// validID reports whether s matches the schema's #ID (checked against it
// by TestIDPatternAgreesWithSchema).
func validID(s string) bool { return snapshot.IsID(s) }

// layoutFile is one file of the repository, classified by its path.
type layoutFile struct {
	path string
	kind fileKind
	// pub, api and org are the IDs the path names, as the kind has them.
	pub, api, org string
	// blob is the file's git blob ID, when the compile's file system knows
	// it and the compile has a cache (see withBlobIDs); "" otherwise.
	blob string
}

// ignoredName reports whether a path is allowed anywhere and ignored:
// anything under a directory or file whose name starts with a dot
// (.github/**, .gitignore, .editorconfig...), and README*, CODEOWNERS,
// LICENSE*, NOTICE* and CONTRIBUTING* files.
func ignoredName(p string) bool {
	if strings.HasPrefix(p, ".") || strings.Contains(p, "/.") {
		return true
	}
	// An ASCII name is compared folding case; any other as upper case.
	base := path.Base(p)
	same := strings.EqualFold
	if !asciiOnly(base) {
		base, same = strings.ToUpper(base), func(a, b string) bool { return a == b }
	}
	if same(base, "CODEOWNERS") {
		return true
	}
	for _, prefix := range []string{"README", "LICENSE", "LICENCE", "NOTICE", "CONTRIBUTING"} {
		if len(base) >= len(prefix) && same(base[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// asciiOnly reports whether s is ASCII, whose upper case is found byte by
// byte (not so "ſ", whose upper case is "S").
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// specExt reports whether name has an OpenAPI document extension.
func specExt(name string) bool {
	switch path.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// classify places one path in the layout. A non-empty code means the path
// is outside the layout or badly named; msg and hint then explain it.
func classify(p string) (f layoutFile, code, msg, hint string) {
	f.path = p
	if ignoredName(p) {
		return f, "", "", ""
	}
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 1 && p == "frontdoor.cue":
		f.kind = kindPlatform
		return f, "", "", ""
	case len(parts) == 3 && parts[0] == "approvals":
		return classifyApproval(f, parts)
	case len(parts) >= 3 && parts[0] == "publishers":
		return classifyPublisherFile(f, parts)
	case len(parts) == 3 && parts[0] == "consumers" && parts[2] == "consumer.cue":
		if !validID(parts[1]) {
			return badName(f, parts[1], "consumer organisation")
		}
		f.kind, f.org = kindConsumer, parts[1]
		return f, "", "", ""
	}
	return outsideLayout(f)
}

func badName(f layoutFile, id, what string) (layoutFile, string, string, string) {
	return f, codeBadFileName, fmt.Sprintf("%s %q is not a valid ID", what, id),
		"use lowercase letters, digits and inner hyphens, at most 64 characters"
}

func outsideLayout(f layoutFile) (layoutFile, string, string, string) {
	return f, codeOutsideLayout, "file is outside the repository layout",
		"see `frontdoor explain FD501` for the layout; README.md, CODEOWNERS and dot-files are ignored"
}

// classifyApproval places approvals/onboarding/<pub>.cue and
// approvals/launch/<pub>.<api>.cue and approvals/diagnosis/<pub>.<api>.cue.
func classifyApproval(f layoutFile, parts []string) (layoutFile, string, string, string) {
	name, ok := strings.CutSuffix(parts[2], ".cue")
	if !ok {
		return outsideLayout(f)
	}
	switch parts[1] {
	case "onboarding":
		if !validID(name) {
			return badName(f, name, "publisher")
		}
		f.kind, f.pub = kindOnboarding, name
		return f, "", "", ""
	case "launch", "diagnosis":
		pub, api, ok := strings.Cut(name, ".")
		if !ok {
			return f, codeBadFileName, fmt.Sprintf("%s file %q is not named <publisher>.<api>.cue", parts[1], parts[2]),
				"name it after the publisher and the API, e.g. acme.patient-lookup.cue"
		}
		if !validID(pub) {
			return badName(f, pub, "publisher")
		}
		if !validID(api) {
			return badName(f, api, "API")
		}
		f.kind, f.pub, f.api = kindLaunch, pub, api
		if parts[1] == "diagnosis" {
			f.kind = kindDiagnosis
		}
		return f, "", "", ""
	}
	return outsideLayout(f)
}

// classifyPublisherFile places the files under publishers/<pub>/.
func classifyPublisherFile(f layoutFile, parts []string) (layoutFile, string, string, string) {
	pub := parts[1]
	switch {
	case len(parts) == 3 && parts[2] == "publisher.cue":
		f.kind = kindPublisher
	case len(parts) == 4 && parts[2] == "apis" && strings.HasSuffix(parts[3], ".cue"):
		api := strings.TrimSuffix(parts[3], ".cue")
		if !validID(api) {
			return badName(f, api, "API")
		}
		f.kind, f.api = kindAPI, api
	case len(parts) >= 4 && parts[2] == "apis" && specExt(f.path):
		f.kind = kindSpec
	case len(parts) >= 4 && parts[2] == "apis":
		f.kind = kindSpecPart
	case len(parts) == 4 && parts[2] == "grants" && strings.HasSuffix(parts[3], ".cue"):
		org := strings.TrimSuffix(parts[3], ".cue")
		if !validID(org) {
			return badName(f, org, "consumer organisation")
		}
		f.kind, f.org = kindGrants, org
	default:
		return outsideLayout(f)
	}
	if !validID(pub) {
		return badName(f, pub, "publisher")
	}
	f.pub = pub
	return f, "", "", ""
}

// repoFiles lists and classifies every file of fsys, in lexical order.
// Diagnostics report files outside the layout; the error is for I/O.
// Ignored files and files outside the layout are listed as kindIgnored:
// they are only scanned for secrets (rule 9 holds for every file). The
// .git directory of a working tree is not part of the configuration.
//
// What the repository's .gitignore files ignore (build output such as
// out/) is never configuration either. In a git tree every file is in
// git, so an ignored one is still scanned for secrets; in a directory an
// ignored file is not in git and not published, so it is skipped unread.
func repoFiles(fsys fs.FS, sink *diagSink) ([]layoutFile, error) {
	var files []layoutFile
	_, inGit := fsys.(gitignore.Tree)
	err := gitignore.Walk(fsys, inGit, func(p string, d fs.DirEntry, ignored bool) error {
		if d.Name() == ".git" { // a worktree's or submodule's pointer file
			return nil
		}
		f, code, msg, hint := classify(p)
		if ignored {
			if !inGit {
				return nil
			}
			f, code = layoutFile{path: p, kind: kindIgnored}, ""
		}
		if t := d.Type(); !t.IsRegular() {
			if code == "" && f.kind == kindIgnored {
				// Never read: a link here is refused if something names it.
				return nil
			}
			// A link to a file or a directory, a device, a FIFO, a
			// submodule: refused without reading what it points at.
			reason := repofs.ErrNotRegular
			if t&fs.ModeSymlink != 0 {
				reason = repofs.ErrSymlink
			}
			reportRefusal(p, pos{}, &repofs.RefusedError{Path: p, Through: p, Err: reason}, "", sink)
			return nil
		}
		if code != "" {
			sink.add(p, pos{}, code, hint, "%s", msg)
			f.kind = kindIgnored
		}
		if f.kind == kindIgnored {
			// Read only to be scanned for secrets.
			files = append(files, layoutFile{path: p, kind: kindIgnored})
			return nil
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b layoutFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}
