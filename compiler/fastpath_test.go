package compiler

import (
	"fmt"
	"io/fs"
	pathpkg "path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"golang.org/x/tools/txtar"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// cueSources returns every CUE file of the base and of the invalid corpus,
// by path within its case.
func cueSources(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, f := range baseFS(t) {
		if strings.HasSuffix(name, ".cue") {
			out["base/"+name] = f.Data
		}
	}
	for _, file := range caseFiles(t, 1, "invalid", "golden") {
		a, _ := readCase(t, file)
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".cue") {
				out[filepath.Base(file)+"/"+f.Name] = f.Data
			}
		}
	}
	return out
}

// checkFastPathAgrees asserts the fast path's invariant on one file: when
// the shape accepts it, CUE accepts it too and decodes the same value; and
// diagnostics are the same whichever path is enabled.
func checkFastPathAgrees(t *testing.T, sh shapes, fast, slow *evaluator, path string, src []byte) {
	t.Helper()
	lf, code, _, _ := classify(path)
	if code != "" || lf.kind == kindIgnored || lf.kind == kindSpec {
		return
	}
	var fs1, fs2 diagSink
	v1, err1 := fast.evalFile(lf, src, &fs1)
	v2, err2 := slow.evalFile(lf, src, &fs2)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%s: got errors %v (fast) and %v (CUE)", path, err1, err2)
	}
	if got, want := renderDiags(fs1.list), renderDiags(fs2.list); got != want {
		t.Errorf("%s: got diagnostics\n%s\nwith the fast path, want\n%s", path, got, want)
	}
	f, err := parser.ParseFile(path, src)
	if err != nil {
		return
	}
	n, plain := plainFile(f)
	if !plain || !sh[lf.kind].accept(n) {
		return
	}
	if v2 == nil {
		t.Errorf("%s: the fast path accepts a file CUE refuses:\n%s\n%s", path, src, renderDiags(fs2.list))
		return
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Errorf("%s: got fast value\n%+v\nCUE value\n%+v", path, v1, v2)
	}
}

func TestFastPathAgreesWithCUE(t *testing.T) {
	sh := newShapes()
	fast, slow := newEvaluator(sh, Limits{}, false), newEvaluator(sh, Limits{}, true)
	srcs := cueSources(t)
	if len(srcs) < 100 {
		t.Fatalf("got %d sources, want at least 100", len(srcs))
	}
	for name, src := range srcs {
		_, path, _ := strings.Cut(name, "/")
		checkFastPathAgrees(t, sh, fast, slow, path, src)
	}
}

// kindPaths names one path of each CUE file kind, for fuzzing.
var kindPaths = []string{
	"frontdoor.cue", "approvals/onboarding/acme.cue", "approvals/launch/acme.patients.cue",
	"publishers/acme/publisher.cue", "publishers/acme/apis/patients.cue",
	"publishers/acme/grants/clinic.cue", "consumers/clinic/consumer.cue",
	"approvals/diagnosis/acme.patients.cue",
}

func FuzzFastPath(f *testing.F) {
	for name, src := range cueSources(f) {
		_, path, _ := strings.Cut(name, "/")
		for i, p := range kindPaths {
			if p == path {
				f.Add(uint8(i), string(src))
			}
		}
	}
	sh := newShapes()
	fast, slow := newEvaluator(sh, Limits{}, false), newEvaluator(sh, Limits{}, true)
	f.Fuzz(func(t *testing.T, kind uint8, src string) {
		checkFastPathAgrees(t, sh, fast, slow, kindPaths[int(kind)%len(kindPaths)], []byte(src))
	})
}

// TestShapesAgreeWithSchema walks each definition of the CUE schema and
// checks that its shape declares the same fields, optional or not, and the
// same kinds, so that a schema change cannot leave the fast path behind.
func TestShapesAgreeWithSchema(t *testing.T) {
	ctx := cuecontext.New()
	sv, err := LoadSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sh := newShapes()
	for k := kindPlatform; k <= kindConsumer; k++ {
		if k.def() == "" {
			continue
		}
		compareShape(t, k.def(), sv.LookupPath(cue.ParsePath(k.def())), sh[k])
	}
}

func compareShape(t *testing.T, where string, v cue.Value, s *shape) {
	t.Helper()
	if s == nil {
		t.Errorf("%s: no shape", where)
		return
	}
	if s.kind == sAny {
		return
	}
	kind := v.IncompleteKind()
	want := map[shapeKind]cue.Kind{sString: cue.StringKind, sInt: cue.IntKind, sBool: cue.BoolKind, sStruct: cue.StructKind, sList: cue.ListKind}[s.kind]
	if kind != want {
		t.Errorf("%s: got shape kind %v, schema kind %v", where, want, kind)
		return
	}
	switch s.kind {
	case sStruct:
		got := map[string]bool{}
		it, err := v.Fields(cue.Optional(true))
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
			name := it.Selector().Unquoted()
			optional := it.Selector().ConstraintType() == cue.OptionalConstraint
			got[name] = true
			fsh, ok := s.fieldShape(name)
			if !ok {
				t.Errorf("%s: schema field %s missing from the shape", where, name)
				continue
			}
			if fsh.optional != optional {
				t.Errorf("%s.%s: got optional %v in the shape, %v in the schema", where, name, fsh.optional, optional)
			}
			compareShape(t, where+"."+name, it.Value(), fsh.shape)
		}
		for _, f := range s.fields {
			if !got[f.name] {
				t.Errorf("%s: shape field %s missing from the schema", where, f.name)
			}
		}
		if s.pattern != nil {
			sample := "a"
			if len(s.patternKey.enum) > 0 {
				sample = s.patternKey.enum[0]
			}
			p := cue.MakePath(cue.Str(sample))
			compareShape(t, where+".["+sample+"]", v.FillPath(p, cuecontext.New().CompileString("_")).LookupPath(p), s.pattern)
		}
	case sList:
		compareShape(t, where+".[]", v.LookupPath(cue.MakePath(cue.AnyIndex)), s.elem)
	}
}

func TestShapeRegexpsAgreeWithSchema(t *testing.T) {
	ctx := cuecontext.New()
	sv, err := LoadSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for def, want := range map[string]string{
		"#ID": reID, "#Handle": reHandle, "#Date": reDate, "#DateTime": reDateTime, "#URL": reURL, "#Email": reEmail, "#HeaderName": reHeaderName,
	} {
		op, args := sv.LookupPath(cue.ParsePath(def)).Expr()
		if op != cue.RegexMatchOp || len(args) != 1 {
			t.Errorf("%s: got %v, want a regexp", def, op)
			continue
		}
		got, _ := args[0].String()
		if got != want {
			t.Errorf("%s: got %q, want %q", def, got, want)
		}
	}
	re := regexp.MustCompile(reID)
	for _, s := range []string{"", "a", "0", "-", "a-", "-a", "a-b", "a--b", "A", "a_b", "a.b", "a/b", "é",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65), "a" + strings.Repeat("-", 62) + "a"} {
		if got, want := validID(s), re.MatchString(s); got != want {
			t.Errorf("validID(%q): got %v, want %v (the schema's pattern)", s, got, want)
		}
	}
}

// Filesystem variations of FuzzCompile: the fuzzed file as it is, behind
// a symbolic link, beside a $ref to a linked ignored name, over the size
// limit, beside a $ref climbing out of the repository, in a repository
// over its limit.
const (
	fuzzPlain = iota
	fuzzLinked
	fuzzRefToLink
	fuzzTooLarge
	fuzzRefEscape
	fuzzRepoTooLarge
	fuzzModes
)

func FuzzCompile(f *testing.F) {
	for _, file := range caseFiles(f, 1, "invalid") {
		a, _ := readCase(f, file)
		for _, af := range a.Files {
			for i, p := range kindPaths {
				if p == af.Name {
					f.Add(uint8(i), string(af.Data), uint8(fuzzPlain))
				}
			}
		}
	}
	// Keys and credentials written so that only the decoded value shows
	// them: escapes, concatenation, interpolation, JSON inside text.
	for i, src := range []string{
		`description: "-----BEGIN\u0020RSA\u0020PRIVATE\u0020KEY-----\nMIIBOgIBAAJBAKj3\n-----END\u0020RSA\u0020PRIVATE\u0020KEY-----"`,
		`description: "-----BEGIN EC PRIV" + "ATE KEY-----\nMHcCAQEEIB"`,
		"_k: \"PRIVATE KEY\"\ndescription: \"-----BEGIN \\(_k)-----\"",
		`name: "\x2d----BEGIN OPENSSH PRIVATE KEY-----"`,
		`website: "https://u:p%40ss@acme.test/?api%5Fkey=x"`,
		`description: "{\"kty\": \"oct\", \"k\": \"GawgguFyGrWKav7AX4VKUg\"}"`,
		`title: "PuTTY-User-Key-File-3: ssh-ed25519"`,
		`rateLimits: proxy: {limit: 99999999999999999999, per: "second"}`,
	} {
		kind := 4 // publishers/acme/apis/patients.cue
		if i == 4 {
			kind = 3 // publishers/acme/publisher.cue
		}
		f.Add(uint8(kind), src, uint8(0))
	}
	base := baseFS(f)
	for i, p := range kindPaths {
		if base[p] == nil {
			continue // seeded from the invalid corpus
		}
		for mode := range fuzzModes {
			f.Add(uint8(i), string(base[p].Data), uint8(mode))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, src string, mode uint8) {
		path := kindPaths[int(kind)%len(kindPaths)]
		fsys := overlay(t, base, &txtar.Archive{Files: []txtar.File{{Name: path, Data: []byte(src)}}})
		opts := testOptions()
		mode %= fuzzModes
		switch mode {
		case fuzzLinked:
			hidden := pathpkg.Join(pathpkg.Dir(path), ".fuzz.cue")
			fsys[hidden] = fsys[path]
			fsys[path] = &fstest.MapFile{Data: []byte(".fuzz.cue"), Mode: fs.ModeSymlink | 0o777}
		case fuzzRefToLink, fuzzRefEscape:
			target := "README.yaml"
			fsys["publishers/acme/apis/README.yaml"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777}
			if mode == fuzzRefEscape {
				target = "../../../../etc/passwd"
			}
			spec := strings.Replace(string(fsys[patientsSpec].Data), "            type: string", "            $ref: \""+target+"\"", 1)
			fsys[patientsSpec] = &fstest.MapFile{Data: []byte(spec)}
		case fuzzTooLarge:
			opts.Limits.ConfigFile = max(int64(len(src))-1, 1)
		case fuzzRepoTooLarge:
			opts.Limits.Repository = 100
		}
		res := mustCompile(t, fsys, opts)
		for _, d := range res.Diagnostics {
			if d.File == "" || d.Line < 1 || d.Col < 1 {
				t.Errorf("got unpositioned diagnostic %q", d)
			}
			if _, ok := LookupCode(d.Code); !ok {
				t.Errorf("got unregistered code in %q", d)
			}
			if _, err := fs.Lstat(fsys, d.File); err != nil && d.Code != codeNoPlatform {
				t.Errorf("got diagnostic on a file not in the repository: %q", d)
			}
			if strings.Contains(d.Message, "root:") {
				t.Errorf("got a diagnostic showing a file outside the repository: %q", d)
			}
			for _, text := range []string{d.Message, d.Hint} {
				if len(findKeys(text)) > 0 {
					t.Errorf("got key material in %q", d)
				}
				for _, u := range urlInText.FindAllString(text, -1) {
					if snapshot.URLCredential(u) != "" {
						t.Errorf("got a URL with credentials in %q", d)
					}
				}
				if n := utf8.RuneCountInString(text); n > maxMessage+1 {
					t.Errorf("got %d runes in a diagnostic's text, want at most %d", n, maxMessage+1)
				}
			}
		}
		has := func(file, code string) bool {
			return slices.ContainsFunc(res.Diagnostics, func(d Diagnostic) bool { return d.File == file && d.Code == code })
		}
		// The spec is read unless the fuzzed file is the platform's or the
		// API's and is broken: then no rule, or no API, reaches it.
		specRead := path != kindPaths[0] && path != kindPaths[4] ||
			!slices.ContainsFunc(res.Diagnostics, func(d Diagnostic) bool { return d.File == path && d.Severity == SeverityError })
		switch {
		case mode == fuzzLinked && !has(path, codeNotRegular):
			t.Errorf("a linked %s was not refused: %s", path, res.Diagnostics)
		case mode == fuzzRefToLink && specRead && !has(patientsSpec, codeNotRegular):
			t.Errorf("a $ref to a link was not refused: %s", res.Diagnostics)
		case mode == fuzzRefEscape && specRead && !has(patientsSpec, codeSpecRef):
			t.Errorf("a $ref out of the repository was not refused: %s", res.Diagnostics)
		case mode == fuzzTooLarge && len(src) > 1 && !has(path, codeTooLarge) && !has(platformPath(), codeTooLarge):
			// (Without a platform, grants are not read.)
			t.Errorf("%s over the limit was not refused: %s", path, res.Diagnostics)
		case mode == fuzzRepoTooLarge && (len(res.Diagnostics) != 1 || !has(".", codeTooLarge)):
			t.Errorf("a repository over the limit: got %s, want one %s", res.Diagnostics, codeTooLarge)
		}
		if res.Diagnostics.HasErrors() && (res.Snapshot != nil || res.Bytes != nil) {
			t.Errorf("got a snapshot with errors")
		}
		if !res.Diagnostics.HasErrors() && res.Snapshot == nil {
			t.Errorf("got no snapshot without errors: %s", fmt.Sprint(res.Diagnostics))
		}
	})
}
