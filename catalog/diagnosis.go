package catalog

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// diagView is a capture window on a publisher's page: the public record
// of a look at live traffic. It never names the app or the approvers.
type diagView struct {
	API         *apiView
	Environment string
	Start, End  timeView
	Reason      string
	Requester   string
	OneApp      bool
	Bodies      bool
	Reference   string
}

// timeView is an instant for the page: machine-readable and in words.
type timeView struct{ ISO, Text string }

func instant(s string) timeView {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return timeView{Text: s}
	}
	return timeView{ISO: s, Text: t.UTC().Format("15:04 on 2 January 2006") + " UTC"}
}

// diagnosisWindows lists the windows of pv's APIs, newest first.
func (m *model) diagnosisWindows(pv *pubView) []diagView {
	var out []diagView
	for _, av := range append(slices.Clone(pv.APIs), pv.Retired...) {
		for _, d := range av.a.Diagnosis {
			out = append(out, diagView{
				API: av, Environment: d.Environment, Start: instant(d.Start), End: instant(d.End),
				Reason: d.Reason, Requester: d.RequesterOrganisation, OneApp: d.App != "",
				Bodies: d.CaptureBodies && !av.a.SpecialCategory, Reference: d.Approval.Reference,
			})
		}
	}
	slices.SortStableFunc(out, func(a, b diagView) int {
		return cmp.Or(strings.Compare(b.Start.ISO, a.Start.ISO), strings.Compare(a.API.Title, b.API.Title))
	})
	return out
}
