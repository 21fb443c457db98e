package compiler

import (
	"bytes"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func TestSpecLoadedGetsEverySingleFileDocumentAndBuiltTheSnapshot(t *testing.T) {
	_, in := readCase(t, "testdata/golden/multi-file-spec.txtar")
	fsys := overlay(t, baseFS(t), in)
	var mu sync.Mutex
	loaded := map[string][]byte{}
	var built []*snapshot.Snapshot
	opts := testOptions()
	opts.SpecLoaded = func(id string, data []byte, doc *openapi3.T) {
		mu.Lock()
		defer mu.Unlock()
		if doc == nil || doc.Paths == nil {
			t.Errorf("%s: got no document model", id)
		}
		loaded[id] = data
	}
	opts.Built = func(s *snapshot.Snapshot, specs map[string][]byte) { built = append(built, s) }
	res := mustCompile(t, fsys, opts)
	if res.Diagnostics.HasErrors() {
		t.Fatalf("got diagnostics:\n%s", renderDiags(res.Diagnostics))
	}
	if len(built) != 1 || built[0] != res.Snapshot {
		t.Errorf("Built was called %d times, want once with the result's snapshot", len(built))
	}
	var single []string
	for id, data := range res.Specs {
		if id == "acme/opendata" {
			continue // several files: the loader would resolve it its own way
		}
		single = append(single, id)
		if !bytes.Equal(loaded[id], data) {
			t.Errorf("%s: SpecLoaded got other bytes than Result.Specs", id)
		}
	}
	if _, ok := loaded["acme/opendata"]; ok {
		t.Error("SpecLoaded got a document of several files")
	}
	if len(single) == 0 || len(loaded) != len(single) {
		t.Errorf("SpecLoaded got %q, want %q", slices.Sorted(maps.Keys(loaded)), single)
	}
}

func TestSpecLoadedSkipsWhatTheLoaderRewrites(t *testing.T) {
	for name, doc := range map[string]string{
		"timestamp": "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths: {}\nx-when: 2024-06-01\n",
		"tag":       "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0, description: !md hi}\npaths: {}\n",
		"int key":   "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths: {}\nx-codes: {200: ok}\n",
		"alias":     "openapi: 3.0.3\ninfo: {title: &t t, version: 1.0.0, description: *t}\npaths: {}\n",
		"infinity":  "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths: {}\nx-max: .inf\n",
		"NEL":       "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"t\u0085\", \"version\": \"1.0.0\"}, \"paths\": {}}",
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if loaderReadsAsIs([]byte(doc), &root) {
			t.Errorf("%s: got read as is, want not", name)
		}
	}
	plain := "openapi: 3.0.3\ninfo: {title: 't', version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: OK}}\n"
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(plain), &root); err != nil {
		t.Fatal(err)
	}
	if !loaderReadsAsIs([]byte(plain), &root) {
		t.Error("a plain document: got not read as is")
	}
}
