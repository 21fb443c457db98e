package report

import "fmt"

// Action is what a change did to a path.
type Action string

// Actions.
const (
	Added    Action = "added"
	Modified Action = "modified"
	Deleted  Action = "deleted"
)

// Change is one changed path. Renames are a deletion and an addition: both
// paths need their owners' authority.
type Change struct {
	Path   string `json:"path"`
	Action Action `json:"action"`
}

// SpecChange is one breaking change oasdiff found in an API's OpenAPI
// document.
type SpecChange struct {
	// API is "<pub>/<api>".
	API string `json:"api"`
	// Spec is the document's path in the repository.
	Spec string `json:"spec"`
	// Operation and Path name the operation concerned, if any.
	Operation string `json:"operation,omitempty"`
	Path      string `json:"path,omitempty"`
	// ID is oasdiff's rule ID, e.g. "api-path-removed-without-deprecation".
	ID string `json:"id"`
	// Text says what changed.
	Text string `json:"text"`
	// MajorBump is true when the change comes with a new major version.
	MajorBump bool `json:"majorBump"`
	// File, Line and Col position the change in the head revision (the
	// document's first line for removals, which the head has no place for).
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Summary is the semantic difference between two compiled snapshots: what
// changes for whom, in plain English, grouped by subject. Groups come in a
// fixed order (the platform, then publishers, then consumer organisations,
// each sorted by ID) and so do the lines within them: the same two
// snapshots always give the same report.
type Summary struct {
	Groups []Group `json:"groups"`
}

// Group is the changes of one subject.
type Group struct {
	// Kind is "platform", "publisher" or "consumer".
	Kind string `json:"kind"`
	// ID is the publisher's or consumer's ID (empty for the platform).
	ID string `json:"id,omitempty"`
	// Name is its display name.
	Name string `json:"name"`
	// Lines say what changes, one sentence each.
	Lines []string `json:"lines"`
}

// Title names the group: "platform (National Health API Platform)",
// "publisher nhsbsa (NHS Business Services Authority)".
func (g Group) Title() string {
	if g.Kind == "platform" {
		return fmt.Sprintf("platform (%s)", g.Name)
	}
	if g.Name == "" || g.Name == g.ID {
		return g.Kind + " " + g.ID
	}
	return fmt.Sprintf("%s %s (%s)", g.Kind, g.ID, g.Name)
}

// Empty reports whether nothing changes.
func (r *Summary) Empty() bool { return len(r.Groups) == 0 }

// Lines counts the report's lines.
func (r *Summary) Lines() int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Lines)
	}
	return n
}
