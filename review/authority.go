package review

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/report"
)

// Authority is what a pull request is judged with: the governance of the
// base revision (who owns what before the change), the head revision's files
// (to position diagnostics and read changed owners lists and categories), and
// who authorised the change.
//
// The authority model (governance rule 8):
//
//   - publishers/<pub>/** belongs to the owners listed in the base revision's
//     publishers/<pub>/publisher.cue. A directory for a publisher that does not
//     exist in the base is created by the operator's owners only: the operator
//     onboards publishers; from the next pull request on, the new publisher's
//     own owners hold it. Grants (publishers/<pub>/grants/<org>.cue) are the
//     publisher's, never the consumer's: nobody approves access for an
//     organisation they own or register in the same pull request, as its
//     author, an approving reviewer or a grant's approvedBy, even when they
//     own the publisher too (FD602, see checkSelfApproval).
//   - consumers/<org>/** belongs to the owners in the base revision's
//     consumers/<org>/consumer.cue. Anyone may register a new consumer
//     organisation (a new directory): registration gives no access by itself,
//     only publishers grant access.
//   - frontdoor.cue, approvals/** and every other path (CODEOWNERS,
//     .github/**, README.md...: whoever controls CI controls the checks)
//     belong to the operator's owners.
//   - An owners list changes only by someone already on it (FD604); the
//     department's list also needs a department owner's approval.
//   - A publisher category added or changed needs both approvers recorded in
//     approvedBy, each an owner of its side in the base, two different people,
//     and both among those who authorised the pull request: its author and its
//     approving reviewers (Approvers). Removing a category is the operator's
//     alone (the compiler then refuses publishers still using it).
//
// When the base revision's owners file does not evaluate, the directory falls
// back to the operator's owners, so that a broken file can still be repaired
// and is never open to everyone.
type Authority struct {
	// Base is the governance of the base revision: who may change what.
	Base *Governance
	// Before is the governance the pull request started from (its merge
	// base), to tell what it changes; nil means Base.
	Before *Governance
	// Head is the governance of the head revision.
	Head *Governance
	// BeforeFS and HeadFS are the files the pull request started from and
	// ends with (for positions).
	BeforeFS, HeadFS fs.FS
	// Actor is the forge handle of the pull request's author.
	Actor string
	// Approvers are the handles of reviewers who approved the pull request.
	Approvers []string
	// Now is when the pull request is judged (default: the clock).
	Now time.Time
}

func (a *Authority) before() *Governance {
	if a.Before != nil {
		return a.Before
	}
	return a.Base
}

// authorisers are everyone who authorised the pull request.
func (a *Authority) authorisers() []string {
	return append([]string{a.Actor}, a.Approvers...)
}

// owner is the verdict of the ownership rule on one path for one handle.
type owner struct {
	ok   bool
	code string
	msg  string
	hint string
}

// pathOwner applies the ownership rule: may who change p, according to g?
func pathOwner(g *Governance, p, who string) owner {
	parts := strings.Split(p, "/")
	operator := func(what string) owner {
		if isIn(g.OperatorOwners, who) {
			return owner{ok: true}
		}
		return owner{code: compiler.CodeNotOperator,
			msg:  fmt.Sprintf("%s may not change %s: %s belongs to the platform operator (owners: %s)", who, p, what, list(g.OperatorOwners)),
			hint: "ask an operator owner to make this change"}
	}
	switch {
	case len(parts) >= 3 && parts[0] == "publishers":
		pub := parts[1]
		o := g.Publishers[pub]
		if o == nil {
			if isIn(g.OperatorOwners, who) {
				return owner{ok: true}
			}
			return owner{code: compiler.CodeNewPublisher,
				msg:  fmt.Sprintf("%s may not create publisher %s: new publishers are onboarded by the platform operator (owners: %s)", who, pub, list(g.OperatorOwners)),
				hint: "ask the operator to onboard the publisher; its owners hold publishers/" + pub + "/ afterwards"}
		}
		if !o.Readable {
			return operator(fmt.Sprintf("publisher %s, whose publisher.cue does not evaluate in the base revision,", pub))
		}
		if isIn(o.Owners, who) {
			return owner{ok: true}
		}
		if len(parts) == 4 && parts[2] == "grants" {
			org := strings.TrimSuffix(parts[3], ".cue")
			if c := g.Consumers[org]; c != nil && isIn(c.Owners, who) {
				return owner{code: compiler.CodeSelfGrant,
					msg:  fmt.Sprintf("%s may not change %s: a consumer never grants itself access; grants to %s are publisher %s's to give (owners: %s)", who, p, org, pub, list(o.Owners)),
					hint: "ask publisher " + pub + " to grant the access"}
			}
		}
		return owner{code: compiler.CodeNotOwner,
			msg:  fmt.Sprintf("%s may not change %s: it belongs to publisher %s (owners: %s)", who, p, pub, list(o.Owners)),
			hint: "ask an owner of " + pub + " to make this change"}
	case len(parts) >= 3 && parts[0] == "consumers":
		org := parts[1]
		o := g.Consumers[org]
		if o == nil {
			return owner{ok: true} // anyone may register a new consumer organisation
		}
		if !o.Readable {
			return operator(fmt.Sprintf("consumer %s, whose consumer.cue does not evaluate in the base revision,", org))
		}
		if isIn(o.Owners, who) {
			return owner{ok: true}
		}
		return owner{code: compiler.CodeNotOwner,
			msg:  fmt.Sprintf("%s may not change %s: it belongs to consumer organisation %s (owners: %s)", who, p, org, list(o.Owners)),
			hint: "ask an owner of " + org + " to make this change"}
	case p == "frontdoor.cue":
		return operator("the platform policy")
	case parts[0] == "approvals":
		return operator("approvals")
	}
	return operator("this repository-wide file")
}

func list(handles []string) string {
	if len(handles) == 0 {
		return "none"
	}
	return strings.Join(handles, ", ")
}

// Check judges every change and returns the violations, sorted. The error
// is for files that cannot be read.
func (a *Authority) Check(changes []report.Change) (compiler.Diagnostics, error) {
	var ds compiler.Diagnostics
	// Consumer organisations this pull request registers: its author
	// holds them as an owner would.
	registered := map[string]bool{}
	for _, ch := range changes {
		if parts := strings.Split(ch.Path, "/"); len(parts) >= 3 && parts[0] == "consumers" && ch.Action == report.Added && a.Base.Consumers[parts[1]] == nil {
			registered[parts[1]] = true
		}
	}
	var r *cueReader
	for _, ch := range changes {
		ds = append(ds, a.checkOne(ch)...)
		_, _, grants := grantsPath(ch.Path)
		_, diagnosis := diagnosisPath(ch.Path)
		if !grants && !diagnosis {
			continue
		}
		if r == nil {
			var err error
			if r, err = newCueReader(); err != nil {
				return nil, err
			}
		}
		if diagnosis {
			dds, err := a.checkDiagnosis(r, ch)
			if err != nil {
				return nil, err
			}
			ds = append(ds, dds...)
			continue
		}
		sds, err := a.checkSelfApproval(r, ch, registered)
		if err != nil {
			return nil, err
		}
		ds = append(ds, sds...)
	}
	if slices.ContainsFunc(changes, func(c report.Change) bool { return c.Path == "frontdoor.cue" && c.Action != report.Deleted }) {
		ds = append(ds, a.checkPlatform()...)
	}
	return ds.Sort(), nil
}

func (a *Authority) checkOne(ch report.Change) compiler.Diagnostics {
	v := pathOwner(a.Base, ch.Path, a.Actor)
	// An owners list changed by someone not on it is reported as such.
	if ch.Action == report.Modified {
		parts := strings.Split(ch.Path, "/")
		var before, after *Owned
		switch {
		case len(parts) == 3 && parts[0] == "publishers" && parts[2] == "publisher.cue":
			before, after = a.before().Publishers[parts[1]], a.Head.Publishers[parts[1]]
		case len(parts) == 3 && parts[0] == "consumers" && parts[2] == "consumer.cue":
			before, after = a.before().Consumers[parts[1]], a.Head.Consumers[parts[1]]
		}
		var now *Owned // the owners in the base revision
		if len(parts) == 3 && parts[0] == "publishers" {
			now = a.Base.Publishers[parts[1]]
		} else if len(parts) == 3 {
			now = a.Base.Consumers[parts[1]]
		}
		if before != nil && after != nil && now != nil && before.Readable && after.Readable && !sameSet(before.Owners, after.Owners) && !isIn(now.Owners, a.Actor) {
			return compiler.Diagnostics{diag(ch.Path, after.OwnersLine, 1, compiler.CodeOwnersChange,
				fmt.Sprintf("%s may not change the owners of %s: only an existing owner may (owners in the base: %s)", a.Actor, parts[1], list(now.Owners)),
				"ask an existing owner to change the list; nobody adds themselves")}
		}
	}
	if v.ok || a.generatedCodeOwners(ch) {
		return nil
	}
	l := 1
	if ch.Action == report.Modified {
		l = firstChangedLine(a.BeforeFS, a.HeadFS, ch.Path)
	}
	return compiler.Diagnostics{diag(ch.Path, l, 1, v.code, v.msg, v.hint)}
}

// generatedCodeOwners reports whether ch leaves CODEOWNERS exactly as
// `frontdoor codeowners` generates it from the head's owners lists: such a
// change follows those lists, whose own changes are judged by their owners,
// so registering a consumer organisation may bring CODEOWNERS up to date.
func (a *Authority) generatedCodeOwners(ch report.Change) bool {
	if ch.Path != "CODEOWNERS" || ch.Action == report.Deleted || !a.Head.Platform {
		return false
	}
	b, err := repofs.ReadFile(a.HeadFS, ch.Path, compiler.DefaultLimits.ConfigFile)
	return err == nil && string(b) == CodeOwners(a.Head)
}

// checkPlatform checks frontdoor.cue's owners lists and categories.
func (a *Authority) checkPlatform() compiler.Diagnostics {
	const file = "frontdoor.cue"
	var ds compiler.Diagnostics
	b, was, h := a.Base, a.before(), a.Head
	if !b.Platform || !was.Platform || !h.Platform {
		return nil
	}
	if !sameSet(was.OperatorOwners, h.OperatorOwners) && !isIn(b.OperatorOwners, a.Actor) {
		ds = append(ds, diag(file, h.lines["operator.owners"], 1, compiler.CodeOwnersChange,
			fmt.Sprintf("%s may not change operator.owners: only an existing operator owner may (owners in the base: %s)", a.Actor, list(b.OperatorOwners)),
			"ask an existing operator owner to change the list"))
	}
	if !sameSet(was.DepartmentOwners, h.DepartmentOwners) && !slices.ContainsFunc(a.authorisers(), func(s string) bool { return isIn(b.DepartmentOwners, s) }) {
		ds = append(ds, diag(file, h.lines["department.owners"], 1, compiler.CodeOwnersChange,
			fmt.Sprintf("department.owners changed without the approval of an existing department owner (owners in the base: %s)", list(b.DepartmentOwners)),
			"a department owner must approve the pull request (passed to check-pr with --approver)"))
	}
	ds = append(ds, a.coApprovals("publisher category", compiler.CodeCategoryApprovers, was.Categories, h.Categories)...)
	ds = append(ds, a.coApprovals("recipient category", compiler.CodePolicyApprovers, was.RecipientCategories, h.RecipientCategories)...)
	ds = append(ds, a.coApprovals("purpose", compiler.CodePolicyApprovers, was.Purposes, h.Purposes)...)
	return ds
}

// coApprovals checks each entry of platform policy (what: publisher
// category, recipient category, purpose) added or changed between was and
// head: an operator owner and a department owner of the base, two
// different people, both authorising the pull request.
func (a *Authority) coApprovals(what, code string, was, head map[string]Category) compiler.Diagnostics {
	var ds compiler.Diagnostics
	b := a.Base
	ids := make([]string, 0, len(head))
	for id := range head {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := head[id]
		old, existed := was[id]
		old.Line = c.Line
		if existed && old == c {
			continue
		}
		var missing []string
		auth := a.authorisers()
		switch {
		case !isIn(b.OperatorOwners, c.Operator):
			missing = append(missing, fmt.Sprintf("approvedBy.operator %q is not an operator owner (%s)", c.Operator, list(b.OperatorOwners)))
		case !isIn(auth, c.Operator):
			missing = append(missing, fmt.Sprintf("the operator approver %s did not author or approve the pull request", c.Operator))
		}
		switch {
		case !isIn(b.DepartmentOwners, c.Department):
			missing = append(missing, fmt.Sprintf("approvedBy.department %q is not a department owner (%s)", c.Department, list(b.DepartmentOwners)))
		case !isIn(auth, c.Department):
			missing = append(missing, fmt.Sprintf("the department approver %s did not author or approve the pull request", c.Department))
		}
		if c.Operator != "" && strings.EqualFold(c.Operator, c.Department) {
			missing = append(missing, "the operator and department approvers must be two different people")
		}
		if len(missing) == 0 {
			continue
		}
		verb := "added"
		if existed {
			verb = "changed"
		}
		ds = append(ds, diag("frontdoor.cue", c.Line, 1, code,
			fmt.Sprintf("%s %s %s without both approvals: %s", what, id, verb, strings.Join(missing, "; ")),
			"a "+what+" needs an operator owner and a department owner, both approving the pull request (--approver for reviewers)"))
	}
	return ds
}

func sameSet(a, b []string) bool {
	norm := func(s []string) []string {
		out := make([]string, len(s))
		for i, x := range s {
			out[i] = strings.ToLower(x)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

// firstChangedLine returns the first line of the head's file that differs
// from the base's (1 when unknown).
func firstChangedLine(baseFS, headFS fs.FS, p string) int {
	if baseFS == nil || headFS == nil {
		return 1
	}
	b, err1 := fs.ReadFile(baseFS, p)
	h, err2 := fs.ReadFile(headFS, p)
	if err1 != nil || err2 != nil {
		return 1
	}
	bl, hl := bytes.Split(b, []byte("\n")), bytes.Split(h, []byte("\n"))
	for i := range hl {
		if i >= len(bl) || !bytes.Equal(bl[i], hl[i]) {
			return i + 1
		}
	}
	return max(len(hl)-1, 1)
}

// ownerOf names who owns a path, for messages and CODEOWNERS.
func ownerOf(g *Governance, p string) []string {
	parts := strings.Split(p, "/")
	if len(parts) >= 2 && parts[0] == "publishers" {
		if o := g.Publishers[parts[1]]; o != nil && o.Readable {
			return o.Owners
		}
	}
	if len(parts) >= 2 && parts[0] == "consumers" {
		if o := g.Consumers[parts[1]]; o != nil && o.Readable {
			return o.Owners
		}
	}
	return g.OperatorOwners
}
