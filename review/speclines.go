package review

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/report"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// specLines says, publisher by publisher, how each changed OpenAPI file of
// the pull request changes its APIs' documents: a document added, removed
// or changed, or a file it references ($ref) added, removed or changed. A
// changed file no document reads is mentioned too. The snapshot records
// only the digest of each document's own file, so this is read from the
// files themselves.
func specLines(ctx context.Context, baseFS, headFS fs.FS, changes []report.Change, base, head *snapshot.Snapshot) (map[string][]string, error) {
	// The changed OpenAPI files, by apis directory.
	byDir := map[string][]report.Change{}
	for _, ch := range changes {
		parts := strings.Split(ch.Path, "/")
		if len(parts) != 4 || parts[0] != "publishers" || parts[2] != "apis" || strings.HasSuffix(ch.Path, ".cue") {
			continue
		}
		dir := path.Dir(ch.Path)
		byDir[dir] = append(byDir[dir], ch)
	}
	out := map[string][]string{}
	if len(byDir) == 0 {
		return out, nil
	}
	r, err := newCueReader()
	if err != nil {
		return nil, err
	}
	for _, dir := range sortedKeys(byDir) {
		pub := strings.Split(dir, "/")[1]
		// What each API's document reads, on either side.
		reads := map[string][2]map[string]bool{} // API name -> base, head
		docs := map[string][2]string{}           // API name -> base, head document path
		for side, fsys := range []fs.FS{baseFS, headFS} {
			ents, _ := fs.ReadDir(fsys, dir)
			for _, e := range ents {
				name, ok := strings.CutSuffix(e.Name(), ".cue")
				if !ok || e.IsDir() {
					continue
				}
				v, ok, err := r.read(fsys, path.Join(dir, e.Name()))
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
				doc := specPath(dir, name, v)
				d, rd := docs[name], reads[name]
				d[side] = doc
				rd[side] = documentFiles(ctx, fsys, dir, doc)
				docs[name], reads[name] = d, rd
			}
		}
		var ls []string
		claimed := map[string]bool{}
		for _, name := range sortedKeys(docs) {
			label := apiLabelOf(base, head, pub+"/"+name)
			d, rd := docs[name], reads[name]
			var refs []string
			for _, ch := range byDir[dir] {
				p := ch.Path
				inBase, inHead := rd[0][p], rd[1][p]
				if !inBase && !inHead {
					continue
				}
				claimed[p] = true
				switch {
				case p == d[1] && ch.Action == report.Added:
					ls = append(ls, fmt.Sprintf("API %s's OpenAPI document %s is added", label, p))
				case p == d[0] && ch.Action == report.Deleted:
					ls = append(ls, fmt.Sprintf("API %s's OpenAPI document %s is removed", label, p))
				case p == d[1] || p == d[0]:
					ls = append(ls, fmt.Sprintf("API %s's OpenAPI document changes (%s)", label, p))
				default:
					refs = append(refs, fmt.Sprintf("%s %s", p, ch.Action))
				}
			}
			if len(refs) > 0 {
				ls = append(ls, fmt.Sprintf("API %s's OpenAPI document changes: referenced file %s", label, strings.Join(refs, ", ")))
			}
		}
		for _, ch := range byDir[dir] {
			if !claimed[ch.Path] {
				ls = append(ls, fmt.Sprintf("OpenAPI file %s, which no API's document reads, is %s", ch.Path, ch.Action))
			}
		}
		if len(ls) > 0 {
			out[pub] = append(out[pub], ls...)
		}
	}
	return out, nil
}

// documentFiles returns the repository paths an OpenAPI document reads:
// itself and every file its $refs reach inside dir. It is empty when the
// document does not exist; a document that does not load reads what was
// read until it failed.
func documentFiles(ctx context.Context, fsys fs.FS, dir, file string) map[string]bool {
	read := map[string]bool{}
	data, err := repofs.ReadFile(fsys, file, compiler.DefaultLimits.SpecFile)
	if err != nil {
		return read
	}
	read[file] = true
	func() {
		defer func() { _ = recover() }() // a malformed document reads what it read
		_, _ = loadFiles(ctx, fsys, dir, file, data, read, false)
	}()
	return read
}

// apiLabelOf names an API as the report does ("pub/api v1"), from the head
// or else the base snapshot.
func apiLabelOf(base, head *snapshot.Snapshot, id string) string {
	for _, s := range []*snapshot.Snapshot{head, base} {
		if s == nil {
			continue
		}
		if a, ok := s.API(id); ok {
			return apiName(a)
		}
	}
	return id
}

// addPublisherLines appends lines to publisher pub's group, adding the
// group in its place when the summary has none.
func addPublisherLines(r *report.Summary, pub, name string, lines []string) {
	for i := range r.Groups {
		if r.Groups[i].Kind == "publisher" && r.Groups[i].ID == pub {
			r.Groups[i].Lines = append(r.Groups[i].Lines, lines...)
			return
		}
	}
	at := slices.IndexFunc(r.Groups, func(g report.Group) bool {
		return g.Kind == "consumer" || g.Kind == "publisher" && g.ID > pub
	})
	if at < 0 {
		at = len(r.Groups)
	}
	r.Groups = slices.Insert(r.Groups, at, report.Group{Kind: "publisher", ID: pub, Name: name, Lines: lines})
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
