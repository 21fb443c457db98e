package review

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/report"
)

// Governance is who owns what in one revision of a configuration repository:
// the owners lists, the publisher categories with their approvers and the
// trusted signing keys. It is read leniently: a file that does not evaluate
// contributes nothing (the compiler reports why), so a broken file never
// hands its directory to someone else.
type Governance struct {
	// OperatorOwners and DepartmentOwners come from frontdoor.cue.
	OperatorOwners   []string
	DepartmentOwners []string
	// Categories by ID.
	Categories map[string]Category
	// RecipientCategories and Purposes by ID: platform policy of digital
	// onboarding, approved like publisher categories.
	RecipientCategories map[string]Category
	Purposes            map[string]Category
	// SigningKeys by handle: armored OpenPGP public keys or SSH
	// authorized-key lines.
	SigningKeys map[string][]string
	// Publishers and Consumers by ID; present when the directory has its
	// publisher.cue or consumer.cue file.
	Publishers map[string]*Owned
	Consumers  map[string]*Owned
	// Platform is true when frontdoor.cue evaluated.
	Platform bool
	// lines of frontdoor.cue fields, for positions: "operator.owners",
	// "department.owners", "category:<id>".
	lines map[string]int
}

// Category is a publisher category, a recipient category or a purpose,
// with its two approvers.
type Category struct {
	Description string
	Operator    string
	Department  string
	Date        string
	// Line is the category's line in frontdoor.cue.
	Line int
}

// Owned is a publisher or consumer directory and its owners.
type Owned struct {
	// Owners is nil when the file did not evaluate.
	Owners []string
	// Readable is true when the file evaluated.
	Readable bool
	// OwnersLine is the line of the owners field (1 when unknown).
	OwnersLine int
}

// isIn reports whether handle is in list (case-insensitive, as forge handles
// are).
func isIn(list []string, handle string) bool {
	return handle != "" && slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, handle) })
}

// ReadGovernance reads the governance of the repository in fsys.
func ReadGovernance(fsys fs.FS) (*Governance, error) { return readGovernance(fsys, nil) }

// governanceScope names the publisher and consumer directories whose
// owners a check needs; a nil scope is every directory.
type governanceScope struct{ publishers, consumers map[string]bool }

// scopeOf is the scope of checking changes: the directories they touch,
// and the consumer organisation of each grants file; every directory when
// CODEOWNERS changes (it may be regenerated from every owners list).
func scopeOf(changes []report.Change) *governanceScope {
	sc := &governanceScope{publishers: map[string]bool{}, consumers: map[string]bool{}}
	for _, ch := range changes {
		if ch.Path == "CODEOWNERS" {
			return nil
		}
		parts := strings.Split(ch.Path, "/")
		if len(parts) < 3 {
			continue
		}
		switch parts[0] {
		case "publishers":
			sc.publishers[parts[1]] = true
		case "consumers":
			sc.consumers[parts[1]] = true
		}
		if _, org, ok := grantsPath(ch.Path); ok {
			sc.consumers[org] = true
		}
	}
	return sc
}

// has reports whether the scope covers directory id of kind dir.
func (sc *governanceScope) has(dir, id string) bool {
	switch {
	case sc == nil:
		return true
	case dir == "publishers":
		return sc.publishers[id]
	default:
		return sc.consumers[id]
	}
}

// readGovernance reads frontdoor.cue and the owners of the directories in
// scope.
func readGovernance(fsys fs.FS, scope *governanceScope) (*Governance, error) {
	r, err := newCueReader()
	if err != nil {
		return nil, err
	}
	g := &Governance{
		Categories:  map[string]Category{},
		SigningKeys: map[string][]string{},
		Publishers:  map[string]*Owned{},
		Consumers:   map[string]*Owned{},
		lines:       map[string]int{},
	}
	if v, ok, err := r.read(fsys, "frontdoor.cue"); err != nil {
		return nil, err
	} else if ok {
		g.Platform = true
		g.OperatorOwners = stringList(v, "operator.owners")
		g.DepartmentOwners = stringList(v, "department.owners")
		g.lines["operator.owners"] = line(v, "operator.owners")
		g.lines["department.owners"] = line(v, "department.owners")
		g.Categories = categories(v, "publisherCategories")
		g.RecipientCategories = categories(v, "recipientCategories")
		g.Purposes = categories(v, "purposes")
		if it, err := v.LookupPath(cue.ParsePath("signingKeys")).Fields(); err == nil {
			for it.Next() {
				var keys []string
				if err := it.Value().Decode(&keys); err == nil {
					g.SigningKeys[it.Selector().Unquoted()] = keys
				}
			}
		}
	}
	for _, kind := range []struct {
		dir, file string
		into      map[string]*Owned
	}{{"publishers", "publisher.cue", g.Publishers}, {"consumers", "consumer.cue", g.Consumers}} {
		ents, err := fs.ReadDir(fsys, kind.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", kind.dir, err)
		}
		for _, e := range ents {
			if !e.IsDir() || !scope.has(kind.dir, e.Name()) {
				continue
			}
			p := path.Join(kind.dir, e.Name(), kind.file)
			if _, err := fs.Stat(fsys, p); err != nil {
				continue
			}
			o := &Owned{OwnersLine: 1}
			v, ok, err := r.read(fsys, p)
			if err != nil {
				return nil, err
			}
			if ok {
				o.Readable = true
				o.Owners = stringList(v, "owners")
				o.OwnersLine = line(v, "owners")
			}
			kind.into[e.Name()] = o
		}
	}
	return g, nil
}

// ReadValue evaluates one configuration file of fsys as plain data, with
// the schema's definitions in scope; ok is false when it is missing, refused
// or does not evaluate. The error is for I/O failures only.
func ReadValue(fsys fs.FS, name string) (cue.Value, bool, error) {
	r, err := newCueReader()
	if err != nil {
		return cue.Value{}, false, err
	}
	return r.read(fsys, name)
}

// cueReader evaluates configuration files as plain data, with the schema's
// definitions in scope (files may refer to #RateLimit and the like).
type cueReader struct {
	ctx    *cue.Context
	schema cue.Value
}

func newCueReader() (*cueReader, error) {
	ctx := cuecontext.New()
	v, err := compiler.LoadSchema(ctx)
	if err != nil {
		return nil, err
	}
	return &cueReader{ctx: ctx, schema: v}, nil
}

// read evaluates one file; ok is false when it is missing or does not
// evaluate. The error is for I/O failures only.
func (r *cueReader) read(fsys fs.FS, name string) (cue.Value, bool, error) {
	b, err := repofs.ReadFile(fsys, name, compiler.DefaultLimits.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) || refused(err) {
		return cue.Value{}, false, nil
	}
	if err != nil {
		return cue.Value{}, false, fmt.Errorf("reading %s: %w", name, err)
	}
	v := r.ctx.CompileBytes(b, cue.Filename(name), cue.Scope(r.schema))
	if v.Err() != nil {
		return cue.Value{}, false, nil
	}
	return v, true, nil
}

// categories reads the co-approved entries of frontdoor.cue's field f.
func categories(v cue.Value, f string) map[string]Category {
	out := map[string]Category{}
	it, err := v.LookupPath(cue.ParsePath(f)).Fields()
	if err != nil {
		return out
	}
	for it.Next() {
		c := it.Value()
		out[it.Selector().Unquoted()] = Category{
			Description: str(c, "description"),
			Operator:    str(c, "approvedBy.operator"),
			Department:  str(c, "approvedBy.department"),
			Date:        str(c, "approvedBy.date"),
			Line:        max(c.Pos().Line(), 1),
		}
	}
	return out
}

func str(v cue.Value, p string) string {
	s, _ := v.LookupPath(cue.ParsePath(p)).String()
	return s
}

// stringList decodes a list of strings, or nil.
func stringList(v cue.Value, p string) []string {
	var out []string
	if err := v.LookupPath(cue.ParsePath(p)).Decode(&out); err != nil {
		return nil
	}
	return out
}

// line returns the line of a field, 1 when unknown.
func line(v cue.Value, p string) int {
	return max(v.LookupPath(cue.ParsePath(p)).Pos().Line(), 1)
}
