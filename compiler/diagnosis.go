package compiler

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// approvalUseDays is how long a diagnosis approval stays usable: a window
// must start within this many days of its approval date.
const approvalUseDays = 30

func diagnosisPath(pub, api string) string { return "approvals/diagnosis/" + pub + "." + api + ".cue" }

// checkDiagnosis checks approvals/diagnosis (capture windows on live
// traffic): the operator approves, an owner of the publisher co-approves,
// a window lasts at most 24 hours in an environment the API is deployed to,
// never records bodies of special-category data, and is encrypted to a
// valid age key.
func checkDiagnosis(s *diagSink, m *model) {
	files := both(m.diagnosis, m.partial.diagnosis)
	for _, id := range sortedKeys(files) {
		pub, api, _ := strings.Cut(id, "/")
		file := diagnosisPath(pub, api)
		df := files[id]
		switch {
		case !m.failedOrPresent(publisherPath(pub), m.publishers[pub] != nil):
			s.add(file, df.At.self, codeUnknownPublisher, "name the file <publisher>.<api>.cue", "diagnosis approval for unknown publisher %q", pub)
			continue
		case !m.failedOrPresent(apiPath(pub, api), m.apis[id] != nil):
			s.add(file, df.At.self, codeUnknownAPI, "name the file <publisher>.<api>.cue", "diagnosis approval for unknown API %s", id)
			continue
		}
		gs := m.gaps[file]
		for i := range df.Windows {
			w := &df.Windows[i]
			lacks := func(f string) bool { return gs.lacks("windows", strconv.Itoa(i), f) }
			checkDiagnosisWindow(s, m, file, pub, id, w, lacks)
		}
	}
}

func checkDiagnosisWindow(s *diagSink, m *model, file, pub, id string, w *diagnosisWindow, lacks func(string) bool) {
	if !lacks("approvedBy") && !operatorOwner(m.platform, w.ApprovedBy) {
		s.add(file, w.At.of("approvedBy"), codeNotOperator, "approvedBy must be one of operator.owners in frontdoor.cue", "%q is not an operator owner", w.ApprovedBy)
	}
	if p := m.publishers[pub]; p != nil && !lacks("coApprovedBy") && !slices.Contains(p.Owners, w.CoApprovedBy) {
		s.add(file, w.At.of("coApprovedBy"), codeDiagnosisCoApprover, "coApprovedBy must be one of the owners in "+publisherPath(pub),
			"%q is not an owner of publisher %s", w.CoApprovedBy, pub)
	}
	a := m.apis[id]
	if a != nil && !lacks("environment") {
		if _, ok := a.Environments[w.Environment]; !ok {
			s.add(file, w.At.of("environment"), codeEnvNotDeployed, "name an environment of "+apiPath(pub, strings.TrimPrefix(id, pub+"/")),
				"%s is not deployed to %s", id, w.Environment)
		}
	}
	if a != nil && a.SpecialCategory && w.CaptureBodies {
		s.add(file, w.At.of("captureBodies"), codeDiagnosisBodies, "set captureBodies: false; headers and statuses are still recorded",
			"%s carries special-category data: its bodies are never recorded", id)
	}
	if w.App != "" && !lacks("app") {
		org, app, _ := strings.Cut(w.App, "/")
		if c := m.consumers[org]; c != nil {
			if _, ok := c.Apps[app]; !ok {
				s.add(file, w.At.of("app"), codeUnknownApp, "name an app of "+consumerPath(org), "unknown app %s", w.App)
			}
		} else if !m.failed[consumerPath(org)] {
			s.add(file, w.At.of("app"), codeUnknownConsumer, "name an app as <org>/<app>", "unknown consumer %q", org)
		}
	}
	if !lacks("recipient") {
		if _, err := age.ParseX25519Recipient(w.Recipient); err != nil {
			s.add(file, w.At.of("recipient"), codeDiagnosisRecipient, "an age public key (age1…) of the operator, e.g. from age-keygen -y",
				"recipient is not a valid age public key")
		}
	}
	if !lacks("start") && !lacks("end") && !lacks("date") {
		checkWindowTimes(s, file, w)
	}
}

// checkWindowTimes checks the window's length and that its approval came
// before it and was used in time.
func checkWindowTimes(s *diagSink, file string, w *diagnosisWindow) {
	start, err1 := time.Parse(time.RFC3339, w.Start)
	end, err2 := time.Parse(time.RFC3339, w.End)
	approved, err3 := time.Parse(time.DateOnly, w.Date)
	switch {
	case err1 != nil:
		s.add(file, w.At.of("start"), codeDiagnosisWindow, "a real time, RFC 3339 with a time zone", "invalid start %q", w.Start)
	case err2 != nil:
		s.add(file, w.At.of("end"), codeDiagnosisWindow, "a real time, RFC 3339 with a time zone", "invalid end %q", w.End)
	case err3 != nil:
		checkDate(s, file, w.At.of("date"), w.Date)
	case !end.After(start):
		s.add(file, w.At.of("end"), codeDiagnosisWindow, "end after start", "the window ends at %s, not after its start", w.End)
	case end.Sub(start) > snapshot.MaxDiagnosisWindow:
		s.add(file, w.At.of("end"), codeDiagnosisWindow, "end at most 24 hours after start; open another window if needed",
			"the window lasts %s, more than 24 hours", end.Sub(start))
	case approved.After(end):
		s.add(file, w.At.of("date"), codeDiagnosisExpired, "approve a window before it ends",
			"approved on %s, after the window ended: an approval cannot cover traffic already gone", w.Date)
	case start.Sub(approved) > approvalUseDays*24*time.Hour:
		s.add(file, w.At.of("date"), codeDiagnosisExpired, "approve the window again, within 30 days of its start",
			"the approval of %s expired before the window starts (approvals are used within %d days)", w.Date, approvalUseDays)
	}
}

// diagnosisWindows returns the snapshot's windows of API id, sorted.
func diagnosisWindows(m *model, id string) []snapshot.Diagnosis {
	df := m.diagnosis[id]
	if df == nil {
		return nil
	}
	var out []snapshot.Diagnosis
	for _, w := range df.Windows {
		start, _ := time.Parse(time.RFC3339, w.Start)
		end, _ := time.Parse(time.RFC3339, w.End)
		// Whole seconds, inside the approved window.
		if t := start.Truncate(time.Second); t.Before(start) {
			start = t.Add(time.Second)
		}
		end = end.Truncate(time.Second)
		out = append(out, snapshot.Diagnosis{
			Approval:     snapshot.Approval{By: w.ApprovedBy, Date: w.Date, Reference: w.Reference},
			CoApprovedBy: w.CoApprovedBy, Reason: w.Reason, RequesterOrganisation: w.Requester.Organisation,
			Environment: w.Environment, App: w.App,
			Start: start.UTC().Format(time.RFC3339), End: end.UTC().Format(time.RFC3339),
			CaptureBodies: w.CaptureBodies, Recipient: w.Recipient, MaxBytes: w.MaxBytes,
		})
	}
	slices.SortStableFunc(out, func(a, b snapshot.Diagnosis) int {
		return cmp.Or(strings.Compare(a.Start, b.Start), strings.Compare(a.Environment, b.Environment), strings.Compare(a.App, b.App))
	})
	return out
}
