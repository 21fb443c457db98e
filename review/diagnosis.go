package review

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/report"
)

// windowEntry is one capture window of approvals/diagnosis: what
// check-pr judges, and the whole window as written, to tell a new or
// rewritten window from one the file held before.
type windowEntry struct {
	CoApprovedBy string `json:"coApprovedBy"`
	Start        string `json:"start"`
	End          string `json:"end"`
	written      string
	line         int
}

// diagnosisPath splits approvals/diagnosis/<pub>.<api>.cue.
func diagnosisPath(p string) (pub string, ok bool) {
	name, ok := strings.CutPrefix(p, "approvals/diagnosis/")
	if !ok || strings.Contains(name, "/") {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ".cue")
	pub, _, dot := strings.Cut(name, ".")
	return pub, ok && dot
}

// readWindows reads the windows of a diagnosis file; nothing when it is
// missing or does not evaluate (the compiler reports that).
func readWindows(r *cueReader, fsys fs.FS, p string) (ws []windowEntry, err error) {
	_, err = r.readList(fsys, p, "windows", func(v cue.Value) {
		var w windowEntry
		if all, err := v.MarshalJSON(); err == nil && v.Decode(&w) == nil {
			w.written, w.line = string(all), max(v.Pos().Line(), 1)
			ws = append(ws, w)
		}
	})
	return ws, err
}

// checkDiagnosis judges the capture windows a change adds or rewrites: an
// owner of the publisher must have consented (coApprovedBy, an owner in
// the base revision, among those who authorised the pull request; FD631),
// and the window must not be over already (FD632). The operator's
// authority over approvals/ is judged with every other path.
func (a *Authority) checkDiagnosis(r *cueReader, ch report.Change) (compiler.Diagnostics, error) {
	pub, ok := diagnosisPath(ch.Path)
	if !ok || ch.Action == report.Deleted {
		return nil, nil
	}
	head, err := readWindows(r, a.HeadFS, ch.Path)
	if err != nil {
		return nil, err
	}
	before, err := readWindows(r, a.BeforeFS, ch.Path)
	if err != nil {
		return nil, err
	}
	var owners []string
	if o := a.Base.Publishers[pub]; o != nil && o.Readable {
		owners = o.Owners
	}
	now := a.Now
	if now.IsZero() {
		now = time.Now()
	}
	var ds compiler.Diagnostics
	for _, w := range head {
		if slices.ContainsFunc(before, func(b windowEntry) bool { b.line = w.line; return b == w }) {
			continue
		}
		switch {
		case !isIn(owners, w.CoApprovedBy):
			ds = append(ds, diag(ch.Path, w.line, 1, compiler.CodeDiagnosisNotCoApproved,
				fmt.Sprintf("window from %s: coApprovedBy %q is not an owner of publisher %s in the base revision (owners: %s)", w.Start, w.CoApprovedBy, pub, list(owners)),
				"an owner of the publisher consents to every look at its traffic"))
		case !isIn(a.authorisers(), w.CoApprovedBy):
			ds = append(ds, diag(ch.Path, w.line, 1, compiler.CodeDiagnosisNotCoApproved,
				fmt.Sprintf("window from %s: the publisher's co-approver %s did not author or approve the pull request", w.Start, w.CoApprovedBy),
				"ask "+w.CoApprovedBy+" to approve the pull request (--approver for reviewers)"))
		}
		if end, err := time.Parse(time.RFC3339, w.End); err == nil && !end.After(now) {
			ds = append(ds, diag(ch.Path, w.line, 1, compiler.CodeDiagnosisOver,
				fmt.Sprintf("window from %s to %s is over already: it could record nothing", w.Start, w.End),
				"remove it, or give it a start and end to come"))
		}
	}
	return ds, nil
}
