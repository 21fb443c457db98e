package review

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

// grantEntry is one grant of a grants file, as written.
type grantEntry struct {
	App         string `json:"app"`
	API         string `json:"api"`
	Environment string `json:"environment"`
	AccessMode  string `json:"accessMode"`
	ApprovedBy  string `json:"approvedBy"`
	Date        string `json:"date"`
	Expires     string `json:"expires"`
	RateLimit   *struct {
		Limit int    `json:"limit"`
		Per   string `json:"per"`
	} `json:"rateLimit"`
	line int
}

// key is the grant's identity: (app, API, environment, access mode).
func (g grantEntry) key() string {
	return g.App + "|" + g.API + "|" + g.Environment + "|" + g.AccessMode
}

// same reports whether two grants are written alike (positions aside).
func (g grantEntry) same(o grantEntry) bool {
	g.line, o.line = 0, 0
	if (g.RateLimit == nil) != (o.RateLimit == nil) || g.RateLimit != nil && *g.RateLimit != *o.RateLimit {
		return false
	}
	g.RateLimit, o.RateLimit = nil, nil
	return g == o
}

// readGrants reads the grants of a grants file; ok is false when it is
// missing or does not evaluate.
func readGrants(r *cueReader, fsys fs.FS, p string) (gs []grantEntry, ok bool, err error) {
	ok, err = r.readList(fsys, p, "grants", func(v cue.Value) {
		var g grantEntry
		if v.Decode(&g) == nil {
			g.line = max(v.Pos().Line(), 1)
			gs = append(gs, g)
		}
	})
	return gs, ok, err
}

// readList calls each for every element of the list at field of file p;
// ok is false when the file is missing, does not evaluate or holds no
// such list.
func (r *cueReader) readList(fsys fs.FS, p, field string, each func(cue.Value)) (ok bool, err error) {
	if fsys == nil {
		return false, nil
	}
	v, ok, err := r.read(fsys, p)
	if err != nil || !ok {
		return false, err
	}
	it, err := v.LookupPath(cue.ParsePath(field)).List()
	if err != nil {
		return false, nil
	}
	for it.Next() {
		each(it.Value())
	}
	return true, nil
}

// grantsPath splits publishers/<pub>/grants/<org>.cue.
func grantsPath(p string) (pub, org string, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[0] != "publishers" || parts[2] != "grants" || !strings.HasSuffix(parts[3], ".cue") {
		return "", "", false
	}
	return parts[1], strings.TrimSuffix(parts[3], ".cue"), true
}

// newGrants returns the grants of head's file p that the file did not
// hold before: by identity when byKey, else any grant written differently.
func newGrants(r *cueReader, beforeFS, headFS fs.FS, p string, byKey bool) ([]grantEntry, error) {
	head, ok, err := readGrants(r, headFS, p)
	if err != nil || !ok {
		return nil, err
	}
	before, _, err := readGrants(r, beforeFS, p)
	if err != nil {
		return nil, err
	}
	var out []grantEntry
	for _, g := range head {
		if !slices.ContainsFunc(before, func(b grantEntry) bool {
			if byKey {
				return b.key() == g.key()
			}
			return b.same(g)
		}) {
			out = append(out, g)
		}
	}
	return out, nil
}

// DeprecatedGrants reports each grant that the changes add to an API that
// is deprecated in the head revision (FD607), at its line: deprecated APIs
// accept no new grants. Grants that existed before keep working until the
// API is retired.
func DeprecatedGrants(beforeFS, headFS fs.FS, changes []report.Change) (compiler.Diagnostics, error) {
	if !slices.ContainsFunc(changes, func(ch report.Change) bool { _, _, ok := grantsPath(ch.Path); return ok && ch.Action != report.Deleted }) {
		return nil, nil
	}
	r, err := newCueReader()
	if err != nil {
		return nil, err
	}
	status := map[string]string{} // "pub/api" -> head status
	var ds compiler.Diagnostics
	for _, ch := range changes {
		pub, org, ok := grantsPath(ch.Path)
		if !ok || ch.Action == report.Deleted {
			continue
		}
		gs, err := newGrants(r, beforeFS, headFS, ch.Path, true)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			id := pub + "/" + g.API
			st, known := status[id]
			if !known {
				if v, ok, err := r.read(headFS, "publishers/"+pub+"/apis/"+g.API+".cue"); err != nil {
					return nil, err
				} else if ok {
					st = str(v, "status")
				}
				status[id] = st
			}
			if st != "deprecated" {
				continue
			}
			ds = append(ds, diag(ch.Path, g.line, 1, compiler.CodeDeprecatedGrant,
				fmt.Sprintf("app %s of org %s is newly granted %s access to %s (%s), but the API is deprecated and accepts no new grants", g.App, org, g.Environment, id, g.AccessMode),
				"grant the API's successor instead"))
		}
	}
	return ds, nil
}

// consumerOwners returns who holds consumer organisation org for the
// pull request: its owners in the base and head revisions, and, when the
// pull request registers it, the pull request's author.
func (a *Authority) consumerOwners(org string, registered map[string]bool) []string {
	var out []string
	if o := a.Base.Consumers[org]; o != nil {
		out = append(out, o.Owners...)
	}
	if a.Head != nil {
		if o := a.Head.Consumers[org]; o != nil {
			out = append(out, o.Owners...)
		}
	}
	if registered[org] {
		out = append(out, a.Actor)
	}
	return out
}

// checkSelfApproval applies "nobody approves access for an organisation
// they own" to a changed grants file: its author, the pull request's
// approvers and each new or changed grant's approvedBy must not hold the
// consumer organisation (see consumerOwners). Publisher ownership does not
// excuse it.
func (a *Authority) checkSelfApproval(r *cueReader, ch report.Change, registered map[string]bool) (compiler.Diagnostics, error) {
	pub, org, ok := grantsPath(ch.Path)
	if !ok || ch.Action == report.Deleted {
		return nil, nil
	}
	owners := a.consumerOwners(org, registered)
	if len(owners) == 0 {
		return nil, nil
	}
	var ds compiler.Diagnostics
	line := 1
	if ch.Action == report.Modified {
		line = firstChangedLine(a.BeforeFS, a.HeadFS, ch.Path)
	}
	hint := "ask an owner of publisher " + pub + " who does not own " + org + " to grant and approve the access"
	// An actor who owns the consumer in the base and not the publisher is
	// already refused by the ownership rule (pathOwner), with this code.
	if isIn(owners, a.Actor) && pathOwner(a.Base, ch.Path, a.Actor).code != compiler.CodeSelfGrant {
		how := "owns"
		if registered[org] {
			how = "registers in this pull request"
		}
		ds = append(ds, diag(ch.Path, line, 1, compiler.CodeSelfGrant,
			fmt.Sprintf("%s may not change %s: %s %s consumer organisation %s, and nobody grants access to an organisation they own", a.Actor, ch.Path, a.Actor, how, org), hint))
	}
	for _, ap := range a.Approvers {
		if isIn(owners, ap) && !strings.EqualFold(ap, a.Actor) {
			ds = append(ds, diag(ch.Path, line, 1, compiler.CodeSelfGrant,
				fmt.Sprintf("%s approves %s but owns consumer organisation %s: nobody approves access for an organisation they own", ap, ch.Path, org), hint))
		}
	}
	gs, err := newGrants(r, a.BeforeFS, a.HeadFS, ch.Path, false)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if isIn(owners, g.ApprovedBy) {
			ds = append(ds, diag(ch.Path, g.line, 1, compiler.CodeSelfGrant,
				fmt.Sprintf("grant of %s/%s to app %s is approved by %s, who owns consumer organisation %s: nobody approves access for an organisation they own", pub, g.API, g.App, g.ApprovedBy, org), hint))
		}
	}
	return ds, nil
}
