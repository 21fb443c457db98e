package compiler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/frontdoor-dev/frontdoor/internal/oasref"
	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// specDoc is a loaded OpenAPI document: its YAML node tree (for positions)
// and the kin-openapi model with every $ref resolved.
type specDoc struct {
	root *yaml.Node
	od   *oasref.Document // root with the references OpenAPI forbids inlined
	doc  *openapi3.T
	// oneFile is true when the document is all in one file, decoded as
	// written: nothing was inlined and no $ref read another file.
	oneFile bool
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// lineOf returns the line a YAML message names, or 0.
func lineOf(msg string) int {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return l
	}
	return 0
}

// parseSpec is the parser layer: the document loaded with oasref.Load
// (YAML or JSON syntax, an OpenAPI 3.x document, kin-openapi's model with
// $refs resolved through fsys relative to file, never outside dir nor over
// the network), its decoded values scanned for secrets. It reports
// problems into sink and returns nil then.
func parseSpec(ctx context.Context, fsys fs.FS, dir, file string, data []byte, sink *diagSink) *specDoc {
	ld, err := oasref.Load(ctx, data, file, oasref.Options{Read: func(p string) ([]byte, error) { return readRef(fsys, dir, p) }, Origin: true})
	if ld == nil {
		e := err.(*oasref.Error)
		sink.add(file, pos{int32(e.Line), 1}, codeSpecSyntax, "fix the YAML or JSON syntax", "%s", strings.TrimPrefix(e.Err.Error(), "yaml: "))
		return nil
	}
	// The file's bytes were scanned with the others (compile.go); its
	// decoded values are scanned here, from the tree parsed once.
	rescan(file, data, sink).yaml(ld.Root, "")
	var (
		structure *oasref.StructureError
		refs      oasref.Errors
	)
	switch {
	case err == nil:
		return &specDoc{root: ld.Root, od: ld.Tree, doc: ld.Doc, oneFile: ld.OneFile}
	case errors.Is(err, oasref.ErrNotOpenAPI3):
		notOpenAPI3(file, ld.Root, sink)
	case errors.As(err, &structure):
		sink.add(file, pos{1, 1}, codeSpecSyntax, "the document does not have the structure of an OpenAPI object", "%s", plainMessage(structure.Error()))
	case errors.As(err, &refs):
		for _, e := range refs {
			sink.list = append(sink.list, refDiagnostic(e))
		}
	case reportRefusal(file, refPos(ld.Root, err.Error()), err, "--max-spec-file", sink):
	default:
		// A file that parses but does not decode as the object its
		// references say: the loader read it last.
		if _, yerr, ok := strings.Cut(err.Error(), "yaml error: "); ok && ld.Last != "" {
			sink.add(ld.Last, pos{int32(max(1, lineOf(yerr))), 1}, codeSpecSyntax, "the file must hold the OpenAPI object its references say it does",
				"%s", plainMessage(yerr))
			return nil
		}
		sink.add(file, refPos(ld.Root, err.Error()), codeSpecRef, "correct the reference, or add the file or component it names", "unresolved reference: %s", plainMessage(err.Error()))
	}
	return nil
}

// notOpenAPI3 reports a document that is not an OpenAPI 3.x object.
func notOpenAPI3(file string, root *yaml.Node, sink *diagSink) {
	top := docMapping(root)
	if top == nil {
		sink.add(file, pos{1, 1}, codeSpecNotOAS3, "an OpenAPI document is a mapping with an openapi field", "not an OpenAPI document")
		return
	}
	version, vpos := mapValue(top, "openapi")
	if version == nil {
		p := pos{1, 1}
		if _, sp := mapValue(top, "swagger"); sp.line > 0 {
			p = sp
		}
		sink.add(file, p, codeSpecNotOAS3, "convert the document to OpenAPI 3", "document has no openapi field (Swagger 2.0 is not supported)")
		return
	}
	sink.add(file, vpos, codeSpecNotOAS3, "use OpenAPI 3.0 or 3.1", "unsupported OpenAPI version %q", version.Value)
}

// loaderReadsAsIs reports whether kin-openapi's Loader decodes data, whose
// YAML node tree is root, exactly as the compiler does: straight from the
// tree. The loader reads a document holding U+0085 as JSON, and before
// decoding retags timestamps, application tags (!md) and non-string mapping
// keys as strings, checks aliases and refuses infinities (prepareScalars in
// kin-openapi); for such documents the two models may differ.
func loaderReadsAsIs(data []byte, root *yaml.Node) bool {
	if bytes.Contains(data, []byte("\u0085")) {
		return false
	}
	var asIs func(n *yaml.Node) bool
	asIs = func(n *yaml.Node) bool {
		switch n.Kind {
		case yaml.AliasNode:
			return false
		case yaml.ScalarNode:
			switch {
			case n.Tag == "!!timestamp", strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!"):
				return false
			case n.Tag == "!!float":
				switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
				case ".inf", ".nan":
					return false
				}
			}
		case yaml.MappingNode:
			for i := 0; i < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
					return false
				}
			}
		}
		for _, c := range n.Content {
			if !asIs(c) {
				return false
			}
		}
		return true
	}
	return asIs(root)
}

// readRef reads the target of a $ref: a file of the repository inside dir.
func readRef(fsys fs.FS, dir, p string) ([]byte, error) {
	if dir != "." && !strings.HasPrefix(p, dir+"/") {
		return nil, fmt.Errorf("outside %s", dir)
	}
	b, err := repofs.ReadFile(fsys, p, 0)
	if err != nil {
		if re := (*repofs.RefusedError)(nil); errors.As(err, &re) {
			return nil, re
		}
		return nil, errors.New("file not found")
	}
	return b, nil
}

// limitFS reads every file of fsys through repofs with one size limit.
type limitFS struct {
	fs.FS
	max int64
}

func (l limitFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	return repofs.ReadFile(l.FS, name, min(max, l.max))
}

func (l limitFS) ReadFile(name string) ([]byte, error) { return l.ReadFileLimit(name, l.max) }

// readsFS is a limitFS that records the files read through it: those the
// $refs of the documents read name. Safe for concurrent use.
type readsFS struct {
	limitFS
	mu   *sync.Mutex
	read map[string]bool
}

func (r readsFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	r.mu.Lock()
	r.read[name] = true
	r.mu.Unlock()
	return r.limitFS.ReadFileLimit(name, max)
}

func (r readsFS) ReadFile(name string) ([]byte, error) { return r.ReadFileLimit(name, r.max) }

// refDiagnostic reports a reference that does not resolve, or a referenced
// file that does not parse, where it is written.
func refDiagnostic(e *oasref.Error) Diagnostic {
	at := pos{int32(e.Line), int32(e.Col)}
	var refused diagSink
	if reportRefusal(e.File, at, e.Err, "--max-spec-file", &refused) {
		return refused.list[0]
	}
	switch {
	case e.Ref == "":
		return newDiag(e.File, at, codeSpecSyntax, "fix the YAML or JSON syntax", plainMessage(e.Err.Error()))
	case errors.Is(e.Err, oasref.ErrRemote):
		return newDiag(e.File, at, codeSpecRef, "frontdoor never fetches a URL: copy what it names into the repository beside the document and refer to it by a relative path; only the platform's security schemes may be named by URL, as "+oasref.BuiltinSchemeRef,
			fmt.Sprintf("unresolved reference %s: %s", e.Ref, plainMessage(e.Err.Error())))
	case errors.Is(e.Err, oasref.ErrNeedsBundling):
		return newDiag(e.File, at, codeSpecRef, "the document needs bundling here: write the object in place, or make the $ref name a file or component that exists so that it can be inlined",
			fmt.Sprintf("reference %s: %s", e.Ref, plainMessage(e.Err.Error())))
	}
	return newDiag(e.File, at, codeSpecRef, "correct the reference, or add the file or component it names",
		fmt.Sprintf("unresolved reference %s: %s", e.Ref, plainMessage(e.Err.Error())))
}

// goType is a Go type name in a decoder's message, with the words that
// introduce it.
var goType = regexp.MustCompile(`(Go struct field [\w.]+ of type |Go value of type |into )?(\[\])*\*?\b(openapi3|yaml|json|url|time)\.\w+(\.\w+)?|map\[string\](interface \{\}|any)|\binterface \{\}|into (\[\])*(string|bool|int|int64|uint64|float64)\b`)

// plainMessage removes Go type names from a decoder's message.
func plainMessage(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	return goType.ReplaceAllStringFunc(msg, func(m string) string {
		if f, ok := strings.CutPrefix(m, "Go struct field "); ok {
			f, _, _ = strings.Cut(f, " of type")
			if i := strings.LastIndexByte(f, '.'); i >= 0 {
				f = f[i+1:]
			}
			return "field " + f
		}
		if strings.HasPrefix(m, "into ") {
			return "into a value of the expected kind"
		}
		return "a value of the expected kind"
	})
}

// refPos finds the $ref of the document that the message names.
func refPos(root *yaml.Node, msg string) pos {
	best := pos{1, 1}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode && v.Value != "" {
					ref, _, _ := strings.Cut(v.Value, "#")
					if ref == "" {
						ref = v.Value
					}
					if strings.Contains(msg, path.Base(ref)) || strings.Contains(msg, v.Value) {
						best = pos{int32(v.Line), int32(v.Column)}
						return true
					}
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
	return best
}

func docMapping(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		return root.Content[0]
	}
	return nil
}

// mapValue returns the value of key in a mapping node and its position.
func mapValue(m *yaml.Node, key string) (*yaml.Node, pos) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, pos{}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			return v, pos{int32(v.Line), int32(v.Column)}
		}
	}
	return nil, pos{}
}

// yamlPos returns the position of the value at a path of keys (or list
// indices), or of its deepest existing ancestor.
func yamlPos(root *yaml.Node, keys ...string) pos {
	n := docMapping(root)
	best := pos{1, 1}
	for _, k := range keys {
		if n == nil {
			break
		}
		if n.Kind == yaml.SequenceNode {
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(n.Content) {
				break
			}
			n = n.Content[i]
			best = pos{int32(n.Line), int32(n.Column)}
			continue
		}
		v, p := mapValue(n, k)
		if v == nil {
			break
		}
		n, best = v, p
	}
	return best
}

// checkSpecs reads every OpenAPI document once, scans it for secrets, and
// resolves, parses and checks the document of every API, in parallel.
// specs are the documents of the layout.
func (c *compilation) checkSpecs(ctx context.Context, m *model, specs []layoutFile) error {
	type job struct {
		id   string
		a    *apiFile
		gaps gaps // of an API that failed its schema
	}
	jobs := map[string][]job{} // by document
	// The document of an API that failed its schema is checked too, as
	// far as what is left of the API allows.
	apis := both(m.apis, m.partial.apis)
	for _, id := range sortedKeys(apis) {
		a := apis[id]
		pub, name, _ := strings.Cut(id, "/")
		afile := apiPath(pub, name)
		gs := m.gaps[afile]
		if gs.lacks("spec") {
			continue
		}
		var spec string
		if a.Spec != "" {
			p, ok := cleanSpecPath(pub, a.Spec)
			if !ok {
				c.diags.add(afile, a.At.of("spec"), codeSpecOutside, "spec is relative to "+specDir(pub)+"/", "spec %s is outside %s", a.Spec, specDir(pub))
				continue
			}
			if !m.specFiles[p] {
				c.diags.add(afile, a.At.of("spec"), codeSpecMissing, "add "+p+" or correct spec", "OpenAPI document %s not found", p)
				continue
			}
			spec = p
		} else if p := path.Join(specDir(pub), name+".yaml"); m.specFiles[p] {
			spec = p
		} else {
			continue
		}
		jobs[spec] = append(jobs[spec], job{id, a, gs})
	}
	reads := readsFS{limitFS{c.fsys, c.opts.Limits.SpecFile}, new(sync.Mutex), map[string]bool{}}
	loaded := make([]*specRef, len(specs))
	err := c.pool(ctx, len(specs), func(ev *evaluator, sink *diagSink, i int) error {
		lf := specs[i]
		js, named := jobs[lf.path]
		// A document found in the cache by its blob ID is read only if
		// one of its checks is not cached.
		doc := c.unreadSpec(lf, named, sink)
		if doc == nil {
			// Read into bytes of its own: they go into the snapshot.
			data, err := c.evalSpec(ev, lf, sink)
			if err != nil || data == nil {
				return err
			}
			doc = &specDocument{data: data, id: c.specID(lf, data)}
		}
		if !named {
			// A document no API names (one its $refs read, or any
			// other): its decoded values are scanned for secrets.
			rescan(lf.path, doc.data, sink).yamlDocs(doc.data)
			return nil
		}
		for _, j := range js {
			pub, _, _ := strings.Cut(j.id, "/")
			envs := serverBases(m.platform, j.a, j.gaps)
			sfs, hit, done := c.cachedSpec(j.id, apiPath(pub, strings.TrimPrefix(j.id, pub+"/")), m.major[j.id], envs, lf.path, doc, reads, sink)
			if hit {
				continue
			}
			if err := c.readSpec(lf, doc); err != nil {
				return err
			}
			if sd := parseSpec(ctx, sfs, specDir(pub), lf.path, doc.data, sink); sd != nil {
				checkSpec(ctx, j.id, j.a, j.gaps, m.major[j.id], envs, lf.path, sd, sink)
				// A document of several files is resolved by the
				// loader in ways that depend on how it was loaded.
				if c.opts.SpecLoaded != nil && j.gaps == nil && sd.oneFile && loaderReadsAsIs(doc.data, sd.root) {
					c.opts.SpecLoaded(j.id, doc.data, sd.doc)
				}
			}
			done()
		}
		if doc.sum == "" {
			if err := c.readSpec(lf, doc); err != nil {
				return err
			}
			doc.digest()
		}
		if c.opts.NoEncode {
			doc.data = nil // only the digest goes into the snapshot
		}
		loaded[i] = &specRef{path: lf.path, bytes: doc.data, digest: doc.sum}
		return nil
	})
	if err != nil {
		return err
	}
	// Other files under API directories are part of a spec when one of
	// its $refs reads them (Markdown pulled in by $ref).
	for _, p := range m.specParts {
		if !reads.read[p] {
			c.diags.add(p, pos{}, codeOutsideLayout, "files under an API's directory other than OpenAPI documents are part of a spec only when its $refs name them",
				"file is outside the repository layout: no OpenAPI document references it")
		}
	}
	for i, lf := range specs {
		for _, j := range jobs[lf.path] {
			if j.gaps == nil && loaded[i] != nil {
				m.specs[j.id] = *loaded[i]
			}
		}
	}
	return nil
}

// serverBases returns the base URLs, without a final slash and with the
// scheme and host in lower case, of the platform's environments the API is
// deployed to (all of them if its environments are not known): the
// prefixes of its document's absolute server URLs.
func serverBases(p *platformFile, a *apiFile, gs gaps) []string {
	if p == nil {
		return nil
	}
	for name := range a.Environments {
		if _, ok := p.Environments[name]; !ok {
			return nil // reported (FD205); its servers are not checked against a guess
		}
	}
	var out []string
	for _, name := range sortedKeys(p.Environments) {
		if _, ok := a.Environments[name]; !ok && !gs.lacks("environments") && len(a.Environments) > 0 {
			continue
		}
		u, err := url.Parse(p.Environments[name].BaseURL)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, strings.TrimSuffix(strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host)+u.Path, "/"))
	}
	return out
}

// checkSpec validates a loaded document and checks that it agrees with its
// API: servers, security schemes and version, as far as the API's gaps
// allow.
func checkSpec(ctx context.Context, id string, a *apiFile, gs gaps, major int, envs []string, file string, sd *specDoc, s *diagSink) {
	checkSpecValid(ctx, file, sd, s)
	if !gs.lacks("version") {
		checkSpecServers(id, major, envs, file, sd, s)
	}
	checkSpecSecurity(a, gs, file, sd, s)
	if !gs.lacks("version") {
		checkSpecVersion(a, major, file, sd, s)
	}
}

// checkSpecValid reports what kin-openapi finds invalid, where it was read.
func checkSpecValid(ctx context.Context, file string, sd *specDoc, s *diagSink) {
	doc := sd.doc
	opts := []openapi3.ValidationOption{openapi3.DisableExamplesValidation(), openapi3.EnableMultiError()}
	if err := validateSpec(ctx, doc, opts); err != nil {
		for _, e := range flattenErrors(err) {
			at, p := validationPos(sd, e)
			msg := e.Error()
			if at != file {
				// In another file, reached from every operation that uses
				// it: the problem once, without the path to it.
				msg = innermost(e).Error()
			}
			s.add(at, p, codeSpecInvalid, "see the OpenAPI specification", "%s", plainMessage(msg))
		}
	}
}

// checkSpecServers checks that every server URL is an environment's base
// URL (or relative) followed by the API's base path (FD405).
func checkSpecServers(id string, major int, envs []string, file string, sd *specDoc, s *diagSink) {
	doc := sd.doc
	pub, name, _ := strings.Cut(id, "/")
	base := fmt.Sprintf("/%s/%s/v%d", pub, name, major)
	for i, srv := range doc.Servers {
		if srv == nil {
			continue
		}
		u := srv.URL
		for k, v := range srv.Variables {
			if v != nil {
				u = strings.ReplaceAll(u, "{"+k+"}", v.Default)
			}
		}
		at := yamlPos(sd.root, "servers", strconv.Itoa(i), "url")
		p := u
		pu, err := url.Parse(u)
		if err == nil {
			p = pu.Path
		}
		if strings.TrimSuffix(p, "/") != base && !strings.HasSuffix(strings.TrimSuffix(p, "/"), base) {
			s.add(file, at, codeSpecServers, "server URLs end with "+base,
				"server %s does not end with the base path %s", srv.URL, base)
			continue
		}
		if err != nil || pu.Host == "" || len(envs) == 0 {
			continue // a relative server URL is on the platform's hosts
		}
		want := make([]string, len(envs))
		for i, e := range envs {
			want[i] = e + base
		}
		got := strings.TrimSuffix(strings.ToLower(pu.Scheme)+"://"+strings.ToLower(pu.Host)+pu.Path, "/")
		if !slices.Contains(want, got) {
			s.add(file, at, codeSpecServers, "a server URL is an environment's base URL followed by the base path: "+strings.Join(want, ", "),
				"server %s is not on an environment of the platform", srv.URL)
		}
	}
}

// checkSpecSecurity checks that the document declares a security scheme for
// every access mode of the API, and none globally for an open API.
func checkSpecSecurity(a *apiFile, gs gaps, file string, sd *specDoc, s *diagSink) {
	doc := sd.doc
	var apiKeyHeader, bearer bool
	if doc.Components != nil {
		for _, ref := range doc.Components.SecuritySchemes {
			if ref == nil || ref.Value == nil {
				continue
			}
			ss := ref.Value
			switch {
			case ss.Type == "apiKey" && ss.In == "header" && strings.EqualFold(ss.Name, "apikey"):
				apiKeyHeader = true
			case ss.Type == "oauth2" || ss.Type == "openIdConnect" || (ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer")):
				bearer = true
			}
		}
	}
	secPos := func() pos { return yamlPos(sd.root, "components", "securitySchemes") }
	onlyOpen := !gs.lacks("accessModes")
	for _, mode := range a.AccessModes {
		switch {
		case mode == snapshot.ModeOpen:
			continue
		case mode == snapshot.ModeAppLevel0:
			if !apiKeyHeader {
				s.add(file, secPos(), codeSpecSecurity, "add an apiKey security scheme with in: header, name: apikey",
					"access mode app-level0 has no apiKey security scheme in header apikey")
			}
		default:
			if !bearer {
				s.add(file, secPos(), codeSpecSecurity, "add an oauth2, openIdConnect or http bearer security scheme",
					"access mode %s has no oauth2, openIdConnect or bearer security scheme", mode)
			}
		}
		onlyOpen = false
	}
	if onlyOpen && len(doc.Security) > 0 {
		s.add(file, yamlPos(sd.root, "security"), codeSpecSecurity, "remove the global security requirement",
			"the API is open but the document requires security globally")
	}
}

// checkSpecVersion checks that info.version is of the API's major version.
func checkSpecVersion(a *apiFile, major int, file string, sd *specDoc, s *diagSink) {
	doc := sd.doc
	if doc.Info != nil {
		v := strings.TrimPrefix(doc.Info.Version, "v")
		first, _, _ := strings.Cut(v, ".")
		if n, err := strconv.Atoi(first); err != nil || n != major {
			s.add(file, yamlPos(sd.root, "info", "version"), codeSpecVersion, fmt.Sprintf("use version %d.x.y, as the API's version %s", major, a.Version),
				"info.version %q is not major version %d", doc.Info.Version, major)
		}
	}
}

var (
	invalidPath      = regexp.MustCompile(`invalid path (\S+?):`)
	invalidOperation = regexp.MustCompile(`invalid operation (\w+)`)
	invalidComponent = regexp.MustCompile(`invalid components: (\w+) "?([^":]+)"?`)
	// invalidSection is kin-openapi's prefix for the other top-level
	// objects, and valueOf names the field at fault in many messages.
	invalidSection = regexp.MustCompile(`^invalid (info|servers|tags|security|externalDocs|webhooks)\b`)
	valueOf        = regexp.MustCompile(`value of (\w+) must`)
)

// validationPos locates a kin-openapi validation error: where the element
// at fault was read from when kin-openapi read its file (another file of the
// document), else the path and operation it names, else the component, else
// the start; in the file the part came from.
func validationPos(sd *specDoc, err error) (string, pos) {
	if loc := errorOrigin(err); loc != nil && loc.File != "" && loc.Line > 0 {
		return loc.File, pos{int32(loc.Line), int32(loc.Column)}
	}
	msg := err.Error()
	at := func(keys ...string) (string, pos) {
		file, n := sd.od.FileOf(keys...)
		if n == nil || n.Line == 0 {
			return file, pos{1, 1}
		}
		return file, pos{int32(n.Line), int32(n.Column)}
	}
	if m := invalidPath.FindStringSubmatch(msg); m != nil {
		keys := []string{"paths", m[1]}
		if op := invalidOperation.FindStringSubmatch(msg); op != nil {
			keys = append(keys, strings.ToLower(op[1]))
		}
		return at(keys...)
	}
	if m := invalidComponent.FindStringSubmatch(msg); m != nil {
		return at("components", m[1], m[2])
	}
	if m := invalidSection.FindStringSubmatch(msg); m != nil {
		keys := []string{m[1]}
		if v := valueOf.FindStringSubmatch(msg); v != nil {
			keys = append(keys, v[1]) // the section's line when the field is missing
		}
		return at(keys...)
	}
	return at()
}

// innermost returns the last error of err's chain.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

var originType = reflect.TypeFor[*openapi3.Origin]()

// errorOrigin returns the source location the innermost error of err's
// chain carries (kin-openapi's errors have an Origin field when the
// element was read with Loader.IncludeOrigin), or nil.
func errorOrigin(err error) *openapi3.Location {
	var loc *openapi3.Location
	for err != nil {
		if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			if f := v.Elem().FieldByName("Origin"); f.IsValid() && f.Type() == originType && !f.IsNil() {
				if o := f.Interface().(*openapi3.Origin); o.Key != nil {
					loc = o.Key
				}
			}
		}
		err = errors.Unwrap(err)
	}
	return loc
}

// validateSpec runs kin-openapi's validation, turning panics into errors.
func validateSpec(ctx context.Context, doc *openapi3.T, opts []openapi3.ValidationOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed document: %v", r)
		}
	}()
	if doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.IsOpenAPI31OrLater())
	}
	return doc.Validate(ctx, opts...)
}

// flattenErrors lists the errors of a kin-openapi multi-error, each once.
func flattenErrors(err error) []error {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []error
		for _, e := range me {
			out = append(out, flattenErrors(e)...)
		}
		slices.SortFunc(out, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return slices.CompactFunc(out, func(a, b error) bool { return a.Error() == b.Error() })
	}
	return []error{err}
}
