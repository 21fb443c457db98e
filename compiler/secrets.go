package compiler

// Rule 9, no secrets in git: every file of the tree is scanned for private
// keys as bytes, and the decoded string values of its CUE, YAML and JSON
// (escapes undone, CUE concatenations and interpolations evaluated) are
// scanned for private keys, private JWK members and credentials in URLs.

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"go.yaml.in/yaml/v4"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// privateMarker matches the armour line of a private key: PEM (PKCS#1,
// PKCS#8, encrypted, EC, DSA, OpenSSH), PGP private key blocks and SSH2
// (RFC 4716 style) private keys. The label is not secret.
var privateMarker = regexp.MustCompile(`-{4,5} ?BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY[A-Z0-9 ]{0,20}?) ?-{4,5}`)

// puttyMarker starts a PuTTY private key file.
const puttyMarker = "PuTTY-User-Key-File-"

// ageMarker starts an age secret key (X25519 identity, Bech32, upper or
// lower case).
const ageMarker = "AGE-SECRET-KEY-1"

// markers start private keys that are not armoured.
var markers = []struct{ marker, what string }{
	{puttyMarker, "PuTTY"}, {ageMarker, "age"}, {strings.ToLower(ageMarker), "age"},
}

// opensshB64 is the base64 of "openssh-key-v1", the start of an OpenSSH
// private key's body.
const opensshB64 = "b3BlbnNzaC1rZXktdjE"

// keyHit is key material found at a byte offset of a text; what names the
// format, never the key.
type keyHit struct {
	off  int
	what string
}

// findKeys returns the private keys in t: armoured ones by their marker,
// and bare base64 DER (PKCS#8, PKCS#1, SEC 1) or OpenSSH bodies.
func findKeys[T string | []byte](t T) []keyHit {
	var hits []keyHit
	if has(t, "PRIVATE KEY") {
		var locs [][]int
		switch x := any(t).(type) {
		case string:
			locs = privateMarker.FindAllStringSubmatchIndex(x, -1)
		case []byte:
			locs = privateMarker.FindAllSubmatchIndex(x, -1)
		}
		for _, l := range locs {
			label := string(t[l[2]:l[3]])
			what := "PEM"
			switch {
			case strings.Contains(label, "OPENSSH") || strings.Contains(label, "SSH2"):
				what = "OpenSSH"
			case strings.Contains(label, "PGP"):
				what = "PGP"
			}
			hits = append(hits, keyHit{l[0], what})
		}
	}
	for _, mk := range markers {
		for off := 0; ; {
			i := index(t[off:], mk.marker)
			if i < 0 {
				break
			}
			hits = append(hits, keyHit{off + i, mk.what})
			off += i + len(mk.marker)
		}
	}
	// A body inside an armoured key is that key, already found.
	armoured := hits
	for _, h := range findDER(t) {
		inside := slices.ContainsFunc(armoured, func(a keyHit) bool {
			end := index(t[a.off:], "END ")
			return a.off < h.off && (end < 0 || h.off < a.off+end)
		})
		if !inside {
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, func(a, b keyHit) int { return a.off - b.off })
	if len(hits) > maxKeyHits {
		hits = hits[:maxKeyHits]
	}
	return hits
}

// maxKeyHits bounds the keys reported in one text: past it, the file is
// refused all the same.
const maxKeyHits = 100

// minDER is the length of the shortest base64 private key looked for (an
// Ed25519 PKCS#8 key is 64 characters); maxDER bounds what is decoded.
const (
	minDER = 64
	maxDER = 16 << 10
)

// findDER finds runs of base64 that decode to a private key the standard
// library parses, or that start an OpenSSH private key.
func findDER[T string | []byte](t T) []keyHit {
	var hits []keyHit
	for i := 0; i+minDER <= len(t); {
		// A run of minDER or more starting in [i, probe] holds probe: where
		// probe is no base64, none starts there (most text is skipped
		// minDER bytes at a time).
		probe := i + minDER - 1
		if !isB64(t[probe]) {
			i = probe + 1
			continue
		}
		s := probe
		for s > i && isB64(t[s-1]) {
			s--
		}
		j := probe + 1
		for j < len(t) && isB64(t[j]) {
			j++
		}
		// DER of a key starts with a SEQUENCE (0x30), "M" in base64.
		if n := j - s; n >= minDER && n <= maxDER && (t[s] == 'M' || t[s] == opensshB64[0]) {
			run := string(t[s:j])
			if strings.HasPrefix(run, opensshB64) {
				hits = append(hits, keyHit{s, "OpenSSH"})
			} else if run[0] == 'M' && derPrivateKey(run) {
				hits = append(hits, keyHit{s, "DER"})
			}
		}
		i = j
	}
	return hits
}

func isB64(c byte) bool { return b64Byte[c] }

// b64Byte marks the bytes of either base64 alphabet.
var b64Byte = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
		t[c] = true
	}
	return t
}()

// derPrivateKey reports whether s, base64 in either alphabet, is the DER of
// a private key.
func derPrivateKey(s string) bool {
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	der, err := enc.DecodeString(s)
	if err != nil {
		return false
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	_, err = x509.ParseECPrivateKey(der)
	return err == nil
}

func has[T string | []byte](t T, sub string) bool { return index(t, sub) >= 0 }

func index[T string | []byte](t T, sub string) int {
	switch x := any(t).(type) {
	case string:
		return strings.Index(x, sub)
	case []byte:
		return bytes.Index(x, []byte(sub))
	}
	return -1
}

// secretScan scans one file. Key material found in the file's bytes is
// reported where it starts; a decoded value is reported at its position
// only when its lines hold no such find, so that a key is reported once.
//
// A decoded value that stands in the bytes as it is (no escape, no line
// folded) holds no key material the scan of the bytes did not find on its
// lines, so only the other checks run on it: most values are scanned once.
type secretScan struct {
	file string
	sink *diagSink
	src  []byte // the file's bytes
	// raw are the lines of the key material found in src, once rawDone.
	raw     []int32
	rawDone bool
	lines   []int // where the lines of src start, once needed
	// rescanAll scans every decoded value again (tests).
	rescanAll bool
}

// scanBytes reports the private keys in a file's bytes and returns the
// scan for its decoded values.
func scanBytes(file string, src []byte, sink *diagSink) secretScan {
	sc := secretScan{file: file, sink: sink, src: src, rawDone: true}
	for _, h := range findKeys(src) {
		p := offsetPos(src, h.off)
		sc.raw = append(sc.raw, p.line)
		sc.key(p, h.what)
	}
	return sc
}

// rescan returns the scan of a file's decoded values whose bytes were
// scanned, and reported, before.
func rescan(file string, src []byte, sink *diagSink) *secretScan {
	return &secretScan{file: file, sink: sink, src: src}
}

func (sc *secretScan) key(p pos, what string) {
	sc.sink.add(sc.file, p, codePEM, "revoke the key, remove it, and commit the public key only",
		"private key (%s) in the repository", what)
}

// rawWithin reports whether key material was found in the bytes on lines
// from..to.
func (sc *secretScan) rawWithin(from, to int32) bool {
	if !sc.rawDone {
		for _, h := range findKeys(sc.src) {
			sc.raw = append(sc.raw, offsetPos(sc.src, h.off).line)
		}
		sc.rawDone = true
	}
	i, _ := slices.BinarySearch(sc.raw, from) // raw is in file order
	return i < len(sc.raw) && sc.raw[i] <= to
}

// mayHoldKey reports whether findKeys could find anything in s.
func mayHoldKey(s string) bool {
	return len(s) >= minDER || strings.IndexByte(s, 'P') >= 0 && (has(s, "PRIVATE KEY") || has(s, puttyMarker)) || has(s, "KEY-1") || has(s, "key-1")
}

// inBytes reports whether s stands in the file's bytes as it is, from
// from (or one byte after it: an opening quote) on the line of p or the
// next, between bytes that are not base64. Then findKeys finds in s only
// what it found in the bytes on the lines str checks: the value needs no
// second scan.
func (sc *secretScan) inBytes(p pos, s string, from pos) bool {
	if from.line < max(p.line, 1) || from.line > p.line+1 || from.col < 1 {
		return false
	}
	if sc.lines == nil {
		sc.lines = make([]int, 1, 1+bytes.Count(sc.src, []byte("\n")))
		for off := 0; ; {
			i := bytes.IndexByte(sc.src[off:], '\n')
			if i < 0 {
				break
			}
			off += i + 1
			sc.lines = append(sc.lines, off)
		}
	}
	if int(from.line) > len(sc.lines) {
		return false
	}
	start := sc.lines[from.line-1]
	end := len(sc.src)
	if int(from.line) < len(sc.lines) {
		end = sc.lines[from.line] - 1
	}
	// CUE counts columns in bytes, YAML in characters.
	byCol := start + int(from.col) - 1
	byRune := start
	for c := int32(1); c < from.col && byRune < end; c++ {
		_, w := utf8.DecodeRune(sc.src[byRune:end])
		byRune += w
	}
	for _, o := range [...]int{byCol, byCol + 1, byRune, byRune + 1} {
		if o <= end && o+len(s) <= len(sc.src) && string(sc.src[o:o+len(s)]) == s &&
			(o == 0 || !isB64(sc.src[o-1])) && (o+len(s) == len(sc.src) || !isB64(sc.src[o+len(s)])) {
			return true
		}
	}
	return false
}

// str scans one decoded string value, reported at p; field is the name of
// the field holding it, if known, and from where the value is written.
func (sc *secretScan) str(p pos, s, field string, from pos) {
	if mayHoldKey(s) && (sc.rescanAll || !sc.inBytes(p, s, from)) {
		if hits := findKeys(s); len(hits) > 0 {
			lines := int32(strings.Count(s, "\n"))
			if !sc.rawWithin(p.line, p.line+lines+1) {
				sc.key(p, hits[0].what)
			}
		}
	}
	if strings.IndexByte(s, '"') >= 0 && strings.Contains(s, `"kty"`) {
		if m := jsonJWKMember(s); m != "" {
			sc.sink.add(sc.file, p, codePrivateJWK, "commit only the public key, and revoke this key pair",
				"a JWK in this string has private member %q", m)
		}
	}
	if strings.IndexByte(s, ':') >= 0 && strings.Contains(s, "://") {
		sc.urls(p, s, field)
	}
}

// jwkPrivate are the members of a JWK that are secret (RFC 7518 §6.2.2,
// §6.3.2, §6.4.1, and OKP's d).
var jwkPrivate = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// jsonJWKMember returns a private member of a JWK written as JSON text in
// s, alone or within other text, or "".
func jsonJWKMember(s string) string {
	for off, n := 0, 0; n < 32; n++ {
		i := strings.IndexAny(s[off:], "{[")
		if i < 0 {
			return ""
		}
		off += i
		var v any
		if json.NewDecoder(strings.NewReader(s[off:])).Decode(&v) == nil {
			if m := privateJWKMember(v); m != "" {
				return m
			}
		}
		off++
	}
	return ""
}

// privateJWKMember returns a private member of the first JWK (an object
// with kty) in a decoded JSON value, or "".
func privateJWKMember(v any) string {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["kty"].(string); ok {
			for _, m := range jwkPrivate {
				if _, ok := v[m]; ok {
					return m
				}
			}
		}
		for _, k := range sortedKeys(v) {
			if m := privateJWKMember(v[k]); m != "" {
				return m
			}
		}
	case []any:
		for _, e := range v {
			if m := privateJWKMember(e); m != "" {
				return m
			}
		}
	}
	return ""
}

// urlInText finds URLs written inside a longer text.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>()\[\]{}\x60]+`)

// urls checks the URLs of a string. A value that is a URL must carry no
// user information and no credential in its query or fragment; a URL
// written in a text must carry no password.
func (sc *secretScan) urls(p pos, s, field string) {
	// A URL carries credentials only as user information (@), in its
	// query (?) or in its fragment (#).
	if strings.IndexByte(s, '@') < 0 && strings.IndexByte(s, '?') < 0 && strings.IndexByte(s, '#') < 0 {
		return
	}
	hint := "rotate the credential and take it out of the URL; the gateway holds credentials, git never does"
	if field == "upstream" {
		hint = "rotate the credential, take it out of the URL and name it in upstreamCredential; the gateway resolves it at run time"
	}
	if !strings.ContainsFunc(s, isSpace) {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
			if msg := snapshot.URLCredential(s); msg != "" {
				sc.sink.add(sc.file, p, codeURLUserinfo, hint, "URL carries %s", msg)
			}
			return
		}
	}
	for _, m := range urlInText.FindAllString(s, -1) {
		if u, err := url.Parse(m); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				sc.sink.add(sc.file, p, codeURLUserinfo, hint, "text carries a URL with credentials (user:password before @)")
				return
			}
		}
	}
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// node scans an evaluated configuration value: every string, and every
// struct that is a JWK (has kty). A string is reported at its field's key,
// as the rules checked in Go report values, or at its list element.
func (sc *secretScan) node(n *node, field string, at pos) {
	switch n.kind {
	case nString:
		sc.str(at, n.str, field, n.pos)
	case nStruct:
		if kty := n.field("kty"); kty != nil && kty.val.kind == nString {
			for _, m := range jwkPrivate {
				if f := n.field(m); f != nil {
					sc.sink.add(sc.file, f.pos, codePrivateJWK, "commit only the public key, and revoke this key pair",
						"JWK has private member %q", m)
				}
			}
		}
		for _, f := range n.fields {
			sc.node(f.val, f.name, f.pos)
		}
	case nList:
		for _, e := range n.elems {
			sc.node(e, field, e.pos)
		}
	}
}

// cueLiterals scans the string literals of a CUE file that was not
// evaluated (ignored, outside the layout, or failing its schema).
func (sc *secretScan) cueLiterals(f *ast.File) {
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				if s, err := literal.Unquote(n.Value); err == nil {
					p := tokPos(n.Pos())
					sc.str(p, s, "", p)
				}
			}
		case *ast.File, *ast.StructLit:
			decls := astDecls(n)
			if kty := astField(decls, "kty"); kty != nil {
				if _, ok := kty.Value.(*ast.BasicLit); ok {
					for _, m := range jwkPrivate {
						if fd := astField(decls, m); fd != nil {
							sc.sink.add(sc.file, tokPos(fd.Label.Pos()), codePrivateJWK,
								"commit only the public key, and revoke this key pair", "JWK has private member %q", m)
						}
					}
				}
			}
		}
		return true
	}, nil)
}

// yamlDocs scans every document of a YAML or JSON file. It scans nothing
// past a syntax error, which the spec's parse reports.
func (sc *secretScan) yamlDocs(src []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			return
		}
		sc.yaml(&doc, "")
	}
}

// yaml scans a YAML node: every scalar, and every mapping that is a JWK.
// Aliases are not followed: their anchor is scanned where it stands.
func (sc *secretScan) yaml(n *yaml.Node, field string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			sc.yaml(c, field)
		}
	case yaml.ScalarNode:
		p := pos{int32(n.Line), int32(n.Column)}
		sc.str(p, n.Value, field, p)
	case yaml.MappingNode:
		jwk := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "kty" && v.Kind == yaml.ScalarNode {
				jwk = true
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if jwk && k.Kind == yaml.ScalarNode && slices.Contains(jwkPrivate, k.Value) && v.Kind == yaml.ScalarNode {
				sc.sink.add(sc.file, pos{int32(k.Line), int32(k.Column)}, codePrivateJWK,
					"commit only the public key, and revoke this key pair", "JWK has private member %q", k.Value)
			}
			sc.yaml(k, "")
			sc.yaml(v, k.Value)
		}
	}
}

// scanOther scans a file that is not evaluated as configuration: the
// decoded values of CUE, YAML and JSON files, besides their bytes. The
// values of OpenAPI documents are scanned when they are parsed
// (openapi.go), to parse each once.
func scanOther(file string, src []byte, sink *diagSink, spec bool) {
	sc := scanBytes(file, src, sink)
	if spec {
		return
	}
	switch path.Ext(file) {
	case ".cue":
		if f, err := parser.ParseFile(file, src); err == nil {
			sc.cueLiterals(f)
		}
	case ".yaml", ".yml", ".json":
		sc.yamlDocs(src)
	default:
		sc.textURLs(src)
	}
}

// textURLs reports the URLs with a password in a text file (a README, a
// script, a .env file...), where they stand.
func (sc *secretScan) textURLs(src []byte) {
	if !bytes.Contains(src, []byte("://")) || !bytes.Contains(src, []byte("@")) {
		return
	}
	n := 0
	for _, loc := range urlInText.FindAllIndex(src, -1) {
		u, err := url.Parse(string(src[loc[0]:loc[1]]))
		if err != nil || u.User == nil {
			continue
		}
		if _, ok := u.User.Password(); ok {
			sc.sink.add(sc.file, offsetPos(src, loc[0]), codeURLUserinfo, "rotate the credential and take it out of the URL",
				"URL with credentials (user:password before @)")
			if n++; n == maxKeyHits {
				return
			}
		}
	}
}
