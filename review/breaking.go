package review

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/oasref"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/report"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// CheckBreaking compares, with oasdiff, the OpenAPI document of every API
// whose document (or a file of its apis directory, which $refs may name)
// changed between the two revisions, and reports each breaking change: an
// error (FD621) without a major version bump, a warning (FD622) with one. A
// document that does not load on either side is skipped with a warning
// (FD623); the compiler reports its errors. For an API launched in
// production (in either revision) whose document is removed, or added
// without operations (after an earlier pull request removed it), that is
// a breaking change too.
//
// The major version is the API's (its .cue version, which the compiler keeps
// equal to the document's info.version major).
func CheckBreaking(ctx context.Context, baseFS, headFS fs.FS, changes []report.Change) ([]report.SpecChange, compiler.Diagnostics, error) {
	r, err := newCueReader()
	if err != nil {
		return nil, nil, err
	}
	// The APIs directories changed: a change to a file of a document
	// (an operation or schema file in a subdirectory) is one too.
	changedDirs := map[string]bool{}
	for _, ch := range changes {
		if parts := strings.SplitN(ch.Path, "/", 4); len(parts) == 4 && parts[0] == "publishers" && parts[2] == "apis" {
			changedDirs[path.Join(parts[:3]...)] = true
		}
	}
	var out []report.SpecChange
	var ds compiler.Diagnostics
	pubs, _ := fs.ReadDir(headFS, "publishers")
	for _, p := range pubs {
		dir := path.Join("publishers", p.Name(), "apis")
		if !changedDirs[dir] {
			continue
		}
		ents, _ := fs.ReadDir(headFS, dir)
		for _, e := range ents {
			name, ok := strings.CutSuffix(e.Name(), ".cue")
			if !ok || e.IsDir() {
				continue
			}
			apiFile := path.Join(dir, e.Name())
			hv, ok, err := r.read(headFS, apiFile)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				continue
			}
			bv, ok, err := r.read(baseFS, apiFile)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				continue // a new API: nothing to break
			}
			if unreleased(bv) {
				continue // a v0 API in development has no consumers to break
			}
			hs, bs := specPath(dir, name, hv), specPath(dir, name, bv)
			hb, err1 := repofs.ReadFile(headFS, hs, compiler.DefaultLimits.SpecFile)
			bb, err2 := repofs.ReadFile(baseFS, bs, compiler.DefaultLimits.SpecFile)
			api := p.Name() + "/" + name
			bump := major(str(hv, "version")) > major(str(bv, "version"))
			add := func(c report.SpecChange) {
				c.API, c.MajorBump = api, bump
				if c.Spec == "" {
					c.Spec = hs
				}
				if c.File == "" {
					c.File, c.Line, c.Col = hs, 1, 1
				}
				out = append(out, c)
				code, hint := compiler.CodeBreaking, "make the change compatible, or publish a new major version"
				msg := fmt.Sprintf("breaking change to %s without a major version bump: %s", api, c.Text)
				if bump {
					code, hint = compiler.CodeBreakingMajor, ""
					msg = fmt.Sprintf("breaking change to %s (new major version): %s", api, c.Text)
				}
				ds = append(ds, diag(c.File, c.Line, c.Col, code, msg, hint))
			}
			if err1 != nil || err2 != nil {
				// A launched API's consumers rely on its operations: its
				// document may not go, nor come back (after going in an
				// earlier pull request) without operations.
				if err1 != nil && err2 != nil {
					continue
				}
				launched, err := launchedMajor(r, baseFS, headFS, p.Name(), name, major(str(bv, "version")))
				if err != nil {
					return nil, nil, err
				}
				if !launched {
					continue
				}
				if err1 != nil {
					add(report.SpecChange{Spec: bs, ID: "api-document-removed", File: apiFile, Line: line(hv, "spec"),
						Text: fmt.Sprintf("its OpenAPI document %s is removed, and every operation with it", bs)})
					continue
				}
				doc, err := loadDoc(ctx, headFS, dir, hs, hb)
				if err != nil {
					ds = append(ds, diag(hs, 1, 1, compiler.CodeSpecUncompared,
						fmt.Sprintf("OpenAPI document of %s could not be read: %v", api, err), "run `frontdoor validate` for the document's own errors"))
					continue
				}
				if operations(doc) == 0 {
					add(report.SpecChange{ID: "api-document-without-operations",
						Text: fmt.Sprintf("its OpenAPI document %s declares no operations, though the API has launched", hs)})
				}
				continue
			}
			changes, err := compareSpecs(ctx, baseFS, headFS, dir, bs, hs, bb, hb)
			if err != nil {
				ds = append(ds, diag(hs, 1, 1, compiler.CodeSpecUncompared,
					fmt.Sprintf("OpenAPI document of %s could not be compared with the base revision's: %v", api, err), "run `frontdoor validate` for the document's own errors"))
				continue
			}
			for _, c := range changes {
				add(c)
			}
		}
	}
	return out, ds.Sort(), nil
}

// unreleased reports whether an API was in development at major version 0
// in the base revision: it has no consumers to break, so its document may
// change freely (semantic versioning allows it before 1.0.0, and the
// placeholder document that frontdoor new api writes needs it).
func unreleased(base cue.Value) bool {
	return str(base, "status") == snapshot.StatusInDevelopment && major(str(base, "version")) == 0
}

// launchedMajor reports whether the operator approved version major of
// pub/api for production, in either revision.
func launchedMajor(r *cueReader, baseFS, headFS fs.FS, pub, api string, major int) (bool, error) {
	for _, fsys := range []fs.FS{baseFS, headFS} {
		v, ok, err := r.read(fsys, "approvals/launch/"+pub+"."+api+".cue")
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		var l struct {
			Approvals []struct {
				Major       int    `json:"major"`
				Environment string `json:"environment"`
			} `json:"approvals"`
		}
		if v.Decode(&l) != nil {
			continue
		}
		for _, a := range l.Approvals {
			if a.Major == major && a.Environment == "production" {
				return true, nil
			}
		}
	}
	return false, nil
}

// operations counts a document's operations.
func operations(doc *openapi3.T) int {
	n := 0
	if doc.Paths != nil {
		for _, item := range doc.Paths.Map() {
			n += len(item.Operations())
		}
	}
	return n
}

// specPath is the repository path of an API's OpenAPI document.
func specPath(dir, name string, v cue.Value) string {
	if s := str(v, "spec"); s != "" {
		return path.Join(dir, s)
	}
	return path.Join(dir, name+".yaml")
}

// major returns the major number of a semantic version, -1 when unreadable.
func major(v string) int {
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	if err != nil {
		return -1
	}
	return n
}

// loadDoc loads an OpenAPI document from fsys with positions (origins) and
// its $refs resolved inside dir, never over the network.
func loadDoc(ctx context.Context, fsys fs.FS, dir, file string, data []byte) (doc *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed document %s: %v", file, r)
		}
	}()
	doc, err = loadFiles(ctx, fsys, dir, file, data, nil, true)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", file, err)
	}
	if doc.Info == nil {
		return nil, errors.New("document has no info")
	}
	return doc, nil
}

// compareSpecs runs oasdiff's breaking-change checks on two documents.
func compareSpecs(ctx context.Context, baseFS, headFS fs.FS, dir, baseFile, headFile string, baseData, headData []byte) (out []report.SpecChange, err error) {
	bd, err := loadDoc(ctx, baseFS, dir, baseFile, baseData)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	hd, err := loadDoc(ctx, headFS, dir, headFile, headData)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("oasdiff: %v", r)
		}
	}()
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(),
		&load.SpecInfo{Url: baseFile, Spec: bd, Version: bd.Info.Version},
		&load.SpecInfo{Url: headFile, Spec: hd, Version: hd.Info.Version})
	if err != nil {
		return nil, fmt.Errorf("oasdiff: %w", err)
	}
	l := checker.NewDefaultLocalizer()
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, sources, checker.ERR)
	for _, c := range found {
		sc := report.SpecChange{
			Operation: c.GetOperation(),
			Path:      c.GetPath(),
			ID:        c.GetId(),
			Text:      c.GetUncolorizedText(l),
		}
		if src := c.GetRevisionSource(); src != nil && src.File != "" && src.Line > 0 {
			sc.File, sc.Line, sc.Col = strings.TrimPrefix(src.File, "/"), src.Line, max(src.Column, 1)
		} else if src := c.GetBaseSource(); src != nil && src.File != "" && src.Line > 0 {
			// Gone from the head: positioned at the head document's start,
			// saying where it was.
			sc.Text += fmt.Sprintf(" (was %s:%d in the base revision)", strings.TrimPrefix(src.File, "/"), src.Line)
		}
		if sc.Operation != "" && !strings.Contains(sc.Text, sc.Path) {
			sc.Text = fmt.Sprintf("%s %s: %s", sc.Operation, sc.Path, sc.Text)
		}
		out = append(out, sc)
	}
	slices.SortStableFunc(out, func(a, b report.SpecChange) int {
		return strings.Compare(a.Path+" "+a.Operation+" "+a.ID, b.Path+" "+b.Operation+" "+b.ID)
	})
	return out, nil
}

// loadFiles loads the document file of dir (its bytes data) and the files
// its $refs reach, as the compiler reads them (oasref.Load): only files
// inside dir, through the repository's file rules (never a link, never over
// the network). Each path read is added to read when it is not nil.
func loadFiles(ctx context.Context, fsys fs.FS, dir, file string, data []byte, read map[string]bool, origin bool) (*openapi3.T, error) {
	readFile := func(p string) ([]byte, error) {
		p = path.Clean(p)
		if !strings.HasPrefix(p, dir+"/") {
			return nil, fmt.Errorf("reference %s is outside %s", p, dir)
		}
		if read != nil {
			read[p] = true
		}
		return repofs.ReadFile(fsys, p, compiler.DefaultLimits.SpecFile)
	}
	ld, err := oasref.Load(ctx, data, file, oasref.Options{Read: readFile, Origin: origin, FromBytes: true})
	if err != nil {
		return nil, err
	}
	return ld.Doc, nil
}
