package compiler

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// model is the repository after evaluation: every file that evaluated
// without error, by ID. Files that failed are in failed, so that rules do
// not pile consequential errors on top of theirs; what is left of those
// that failed the schema is in partial, read only by their own rules.
type model struct {
	files
	partial   files
	gaps      map[string]gaps // of the partial files, by path
	specFiles map[string]bool
	// specParts are the other files under API directories (kindSpecPart).
	specParts []string
	failed    map[string]bool // paths

	// intern maps API and app IDs ("pub/api", "org/app") to one shared
	// copy of the string, so that entitlements do not each hold their own.
	intern map[string]string

	// Filled by the rules.
	ready map[string]bool // publishers that go into the snapshot
	major map[string]int  // by API ID
	specs map[string]specRef
}

// specRef is the OpenAPI document of an API, once resolved: its bytes,
// or with Options.NoEncode only the digest of its bytes.
type specRef struct {
	path   string
	bytes  []byte
	digest string
}

// files are the decoded configuration files by ID.
type files struct {
	platform   *platformFile
	onboarding map[string]*onboardingFile // by publisher
	launches   map[string]*launchFile     // by "pub/api"
	diagnosis  map[string]*diagnosisFile  // by "pub/api"
	publishers map[string]*publisherFile
	apis       map[string]*apiFile // by "pub/api"
	consumers  map[string]*consumerFile
}

func newFiles() files {
	return files{
		onboarding: map[string]*onboardingFile{},
		launches:   map[string]*launchFile{},
		diagnosis:  map[string]*diagnosisFile{},
		publishers: map[string]*publisherFile{},
		apis:       map[string]*apiFile{},
		consumers:  map[string]*consumerFile{},
	}
}

// both returns the union of the valid and partial files of one kind; a
// is returned as is when b is empty.
func both[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	u := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		u[k] = v
	}
	for k, v := range b {
		u[k] = v
	}
	return u
}

func platformPath() string              { return "frontdoor.cue" }
func onboardingPath(pub string) string  { return "approvals/onboarding/" + pub + ".cue" }
func launchPath(pub, api string) string { return "approvals/launch/" + pub + "." + api + ".cue" }
func publisherPath(pub string) string   { return "publishers/" + pub + "/publisher.cue" }
func apiPath(pub, api string) string    { return "publishers/" + pub + "/apis/" + api + ".cue" }
func consumerPath(org string) string    { return "consumers/" + org + "/consumer.cue" }

func (c *compilation) buildModel(files []layoutFile, values []any) *model {
	m := &model{
		files:     newFiles(),
		partial:   newFiles(),
		gaps:      map[string]gaps{},
		specFiles: map[string]bool{},
		failed:    map[string]bool{},
		ready:     map[string]bool{},
		major:     map[string]int{},
		specs:     map[string]specRef{},
		intern:    map[string]string{},
	}
	for i, lf := range files {
		if lf.kind == kindSpec {
			m.specFiles[lf.path] = true
			continue
		}
		if lf.kind == kindSpecPart {
			m.specParts = append(m.specParts, lf.path)
			continue
		}
		if lf.kind == kindIgnored {
			continue
		}
		v := values[i]
		fs := &m.files
		if pf, ok := v.(*partialFile); ok {
			v, fs = pf.value, &m.partial
			m.gaps[lf.path] = pf.gaps
		}
		if v == nil || fs == &m.partial {
			m.failed[lf.path] = true
		}
		if v == nil {
			continue
		}
		gs := m.gaps[lf.path]
		switch v := v.(type) {
		case *platformFile:
			fs.platform = v
		case *onboardingFile:
			fs.onboarding[lf.pub] = v
		case *launchFile:
			fs.launches[lf.pub+"/"+lf.api] = v
		case *diagnosisFile:
			fs.diagnosis[lf.pub+"/"+lf.api] = v
		case *publisherFile:
			fs.publishers[lf.pub] = v
			m.intern[lf.pub] = lf.pub
		case *apiFile:
			id := lf.pub + "/" + lf.api
			fs.apis[id] = v
			m.intern[id] = id
			if gs.lacks("version") {
				break
			}
			major, err := strconv.Atoi(strings.SplitN(v.Version, ".", 2)[0])
			if err != nil {
				c.diags.add(lf.path, v.At.of("version"), codeInvalidValue, "a major version that fits in an integer",
					"version: major version out of range")
			}
			m.major[lf.pub+"/"+lf.api] = major
		case *consumerFile:
			fs.consumers[lf.org] = v
			for a := range v.Apps {
				id := lf.org + "/" + a
				m.intern[id] = id
			}
		}
	}
	return m
}

// exists reports whether the file at p exists, evaluated or not; known
// reports whether it evaluated. Rules refer to missing things only when the
// file is absent, not when it failed.
func (m *model) failedOrPresent(p string, present bool) bool { return present || m.failed[p] }

// checkRules checks governance rules 1–7, 9 and 10 (README) on the model,
// one function per kind of file. The rules of each file run on the valid
// files and on what is left of those that failed the schema, skipping what
// their gaps lack.
func (c *compilation) checkRules(m *model) {
	s := &c.diags
	p := m.platform
	if p == nil {
		if pp := m.partial.platform; pp != nil {
			checkPlatform(s, pp, m.gaps[platformPath()])
		} else if !m.failed[platformPath()] {
			s.add(platformPath(), pos{}, codeNoPlatform, "add the operator's platform policy at the repository root", "frontdoor.cue is missing")
		}
		// Without the platform nothing else can be checked meaningfully.
		return
	}
	checkPlatform(s, p, nil)
	checkOnboardingApprovals(s, m)
	checkLaunchApprovals(s, m)
	checkDiagnosis(s, m)
	apis, bases, deployed, unsure := checkAPIs(s, m)
	checkBasePathOverlaps(s, apis, bases)
	checkPublishers(s, m, deployed, unsure)
	checkConsumerCredentials(s, m)
	checkClientCertificates(s, m)
	checkMutualTLSAPIs(s, apis)
	checkOnboardingPolicy(s, m, c.opts.Now.UTC().Format(time.DateOnly))
}

// operatorOwner reports whether handle is one of the operator's owners.
func operatorOwner(p *platformFile, handle string) bool {
	return slices.Contains(p.Operator.Owners, handle)
}

// checkOnboardingApprovals checks approvals/onboarding (rules 1, 2).
func checkOnboardingApprovals(s *diagSink, m *model) {
	onboarding := both(m.onboarding, m.partial.onboarding)
	for _, pub := range sortedKeys(onboarding) {
		o := onboarding[pub]
		file := onboardingPath(pub)
		gs := m.gaps[file]
		if !m.failedOrPresent(publisherPath(pub), m.publishers[pub] != nil) {
			s.add(file, o.At.self, codeUnknownPublisher, "name the file after a publisher directory under publishers/", "onboarding approval for unknown publisher %q", pub)
		}
		if !gs.lacks("approvedBy") && !operatorOwner(m.platform, o.ApprovedBy) {
			s.add(file, o.At.of("approvedBy"), codeNotOperator, "approvedBy must be one of operator.owners in frontdoor.cue", "%q is not an operator owner", o.ApprovedBy)
		}
		if !gs.lacks("date") {
			checkDate(s, file, o.At.of("date"), o.Date)
		}
	}
}

// checkLaunchApprovals checks approvals/launch (rules 1, 4).
func checkLaunchApprovals(s *diagSink, m *model) {
	launches := both(m.launches, m.partial.launches)
	for _, id := range sortedKeys(launches) {
		l := launches[id]
		pub, api, _ := strings.Cut(id, "/")
		file := launchPath(pub, api)
		gs := m.gaps[file]
		switch {
		case !m.failedOrPresent(publisherPath(pub), m.publishers[pub] != nil):
			s.add(file, l.At.self, codeUnknownPublisher, "name the file <publisher>.<api>.cue", "launch approval for unknown publisher %q", pub)
		case !m.failedOrPresent(apiPath(pub, api), m.apis[id] != nil):
			s.add(file, l.At.self, codeUnknownAPI, "name the file <publisher>.<api>.cue", "launch approval for unknown API %s", id)
		}
		seen := map[int]bool{}
		for i, a := range l.Approvals {
			at := strconv.Itoa(i)
			if !gs.lacks("approvals", at, "major") {
				if seen[a.Major] {
					s.add(file, a.At.of("major"), codeDuplicateLaunch, "keep one approval per major version", "major version %d is approved twice", a.Major)
				}
				seen[a.Major] = true
			}
			if !gs.lacks("approvals", at, "approvedBy") && !operatorOwner(m.platform, a.ApprovedBy) {
				s.add(file, a.At.of("approvedBy"), codeNotOperator, "approvedBy must be one of operator.owners in frontdoor.cue", "%q is not an operator owner", a.ApprovedBy)
			}
		}
	}

}

// based is an API's effective base path.
type based struct{ id, path string }

// checkAPIs checks the APIs' own files (rules 1, 4, 6, 7, 10) and returns
// them with their base paths, the publishers with an API that would serve
// traffic (deployed) and those with an API whose status or environments
// are lacking (unsure).
func checkAPIs(s *diagSink, m *model) (apis map[string]*apiFile, bases []based, deployed, unsure map[string]bool) {
	p := m.platform
	modeProvided := map[string]bool{}
	for _, idp := range p.IdentityProviders {
		for _, mode := range idp.Levels {
			modeProvided[mode] = true
		}
	}
	deployed, unsure = map[string]bool{}, map[string]bool{}
	apis = both(m.apis, m.partial.apis)
	for _, id := range sortedKeys(apis) {
		a := apis[id]
		pub, name, _ := strings.Cut(id, "/")
		file := apiPath(pub, name)
		gs := m.gaps[file]
		if !m.failedOrPresent(publisherPath(pub), m.publishers[pub] != nil) {
			s.add(file, a.At.self, codeUnknownPublisher, "add publishers/"+pub+"/publisher.cue", "API of publisher %q, which has no publisher.cue", pub)
		}
		major, majorOK := m.major[id]
		if majorOK && !gs.lacks("basePath") {
			canonical := fmt.Sprintf("/%s/%s/v%d", pub, name, major)
			effective := canonical
			if a.BasePath != "" && a.BasePath != canonical {
				s.add(file, a.At.of("basePath"), codeBasePath, "remove basePath or write "+canonical, "base path %s is not %s", a.BasePath, canonical)
				effective = a.BasePath
			}
			bases = append(bases, based{id, effective})
		}
		statusOK := !gs.lacks("status")
		switch {
		case !statusOK || gs.lacks("environments"):
			unsure[pub] = true
		case a.Status != snapshot.StatusRetired && len(a.Environments) > 0:
			deployed[pub] = true
		}
		for _, env := range sortedKeys(a.Environments) {
			e := a.Environments[env]
			if _, ok := p.Environments[env]; !ok {
				s.add(file, e.At.self, codeUnknownEnv, "use one of "+strings.Join(sortedKeys(p.Environments), ", "), "unknown environment %q", env)
			}
			checkURL(s, file, e.At.of("upstream"), e.Upstream)
			if env == snapshot.EnvProduction && majorOK && statusOK && a.Status != snapshot.StatusRetired && !launched(m, id, major) && !m.failed[launchPath(pub, name)] {
				s.add(file, e.At.self, codeNoLaunch, "the operator approves launches in "+launchPath(pub, name),
					"%s v%d is deployed to production without a launch approval", id, major)
			}
		}
		for _, mode := range a.AccessModes {
			if snapshot.UserRestricted(mode) && !modeProvided[mode] {
				s.add(file, a.At.of("accessModes"), codeNoIdentityProv, "the platform's identityProviders must map a level to "+mode,
					"no identity provider offers access mode %s", mode)
			}
		}
		checkIdentityHeaders(s, file, a)
		if a.SpecialCategory && a.DPIA == "" && !gs.lacks("dpia") {
			s.add(file, a.At.of("specialCategory"), codeNoDPIA, "add dpia: \"<reference>\"", "special-category API without a DPIA reference")
		}
		for _, r := range a.Related {
			rp, ra, _ := strings.Cut(r, "/")
			if m.apis[r] == nil && !m.failed[apiPath(rp, ra)] {
				s.add(file, a.At.of("related"), codeUnknownAPI, "related APIs are written <publisher>/<api>", "related API %s does not exist", r)
			}
		}
	}
	return apis, bases, deployed, unsure
}

// checkBasePathOverlaps reports every pair of base paths one of which
// contains the other (rule 6), at both APIs.
func checkBasePathOverlaps(s *diagSink, apis map[string]*apiFile, bases []based) {
	slices.SortFunc(bases, func(x, y based) int { return strings.Compare(x.path, y.path) })
	for i := 1; i < len(bases); i++ {
		prev, cur := bases[i-1], bases[i]
		if cur.path == prev.path || strings.HasPrefix(cur.path, strings.TrimSuffix(prev.path, "/")+"/") {
			for _, b := range []based{prev, cur} {
				other := prev
				if b == prev {
					other = cur
				}
				pub, name, _ := strings.Cut(b.id, "/")
				s.add(apiPath(pub, name), apis[b.id].At.of("basePath"), codeOverlap, "base paths are /<publisher>/<api>/v<major>",
					"base path %s overlaps %s of %s", b.path, other.path, other.id)
			}
		}
	}

}

// checkPublishers checks the publishers' files (rules 2, 3) and marks
// those ready to serve traffic.
func checkPublishers(s *diagSink, m *model, deployed, unsure map[string]bool) {
	p := m.platform
	publishers := both(m.publishers, m.partial.publishers)
	for _, pub := range sortedKeys(publishers) {
		pf := publishers[pub]
		file := publisherPath(pub)
		gs := m.gaps[file]
		if _, ok := p.PublisherCategories[pf.Category]; !ok && !gs.lacks("category") {
			s.add(file, pf.At.of("category"), codeBadCategory, "use one of "+strings.Join(sortedKeys(p.PublisherCategories), ", "),
				"category %q is not accepted by the platform", pf.Category)
		}
		// An onboarding approval that failed exists: its problems are
		// its own.
		onboarded := m.onboarding[pub] != nil || m.failed[onboardingPath(pub)]
		legal := pf.LegalBasis != ""
		controller := pf.DataController != nil && *pf.DataController
		if onboarded && legal && controller {
			if gs == nil && m.onboarding[pub] != nil {
				m.ready[pub] = true
			}
			continue
		}
		if unsure[pub] && !deployed[pub] {
			continue
		}
		// A lacking field is neither missing nor present.
		legalMissing := !legal && !gs.lacks("legalBasis")
		controllerMissing := !controller && !gs.lacks("dataController")
		if !deployed[pub] {
			var missing []string
			if !onboarded {
				missing = append(missing, "an onboarding approval")
			}
			if legalMissing {
				missing = append(missing, "a legal basis")
			}
			if controllerMissing {
				missing = append(missing, "dataController: true")
			}
			if len(missing) > 0 {
				s.add(file, pf.At.self, codeNotOnboardedIdle, "it has no deployed API yet",
					"publisher %s lacks %s: left out of the snapshot", pub, strings.Join(missing, ", "))
			}
			continue
		}
		if !onboarded {
			s.add(file, pf.At.self, codeNotOnboarded, "the operator approves publishers in "+onboardingPath(pub),
				"publisher %s has deployed APIs but no onboarding approval", pub)
		}
		if legalMissing {
			s.add(file, pf.At.self, codeNoLegalBasis, "add legalBasis: \"...\"", "publisher %s serves traffic without a stated legal basis", pub)
		}
		if controllerMissing {
			s.add(file, pf.At.of("dataController"), codeNotController, "set dataController: true", "publisher %s serves traffic but is not the data controller", pub)
		}
	}

}

// checkConsumerCredentials checks the consumers' credentials (rules 1, 9):
// public only, bound to known environments, and each one app's. The first
// registration (in path order) is the one kept; every other names it.
func checkConsumerCredentials(s *diagSink, m *model) {
	type firstAt struct {
		file, what string
		p          pos
	}
	keyFirst, jwkFirst := map[string]firstAt{}, map[string]firstAt{}
	consumers := both(m.consumers, m.partial.consumers)
	for _, org := range sortedKeys(consumers) {
		cf := consumers[org]
		file := consumerPath(org)
		gs := m.gaps[file]
		for _, appID := range sortedKeys(cf.Apps) {
			ap := cf.Apps[appID]
			for _, kid := range sortedKeys(ap.APIKeys) {
				k := ap.APIKeys[kid]
				if k.Expires != "" && !gs.lacks("apps", appID, "apiKeys", kid, "expires") {
					checkDate(s, file, k.At.of("expires"), k.Expires)
				}
				checkBoundEnvs(s, m.platform, file, k.At.of("environments"), k.Environments, fmt.Sprintf("api key %s of app %s", kid, appID))
				if gs.lacks("apps", appID, "apiKeys", kid, "sha256") {
					continue
				}
				if !sha256Hex.MatchString(k.SHA256) {
					s.add(file, k.At.of("sha256"), codePlainKey, "commit only the lowercase hex SHA-256 of the key, and revoke this one",
						"api key %s of app %s is not a SHA-256 hash: plaintext key where a hash belongs", kid, appID)
				}
				id := snapshot.APIKeyIdentity(k.SHA256)
				if f, ok := keyFirst[id]; ok {
					s.add(file, k.At.of("sha256"), codeSharedCredential, "register the hash of a key of this app's own",
						"api key %s of app %s has the same hash as %s at %s:%d:%d", kid, appID, f.what, f.file, f.p.line, f.p.col)
				} else {
					keyFirst[id] = firstAt{file, fmt.Sprintf("api key %s of app %s", kid, appID), k.At.of("sha256")}
				}
			}
			kids := map[string]bool{}
			for i, j := range ap.JWKs {
				if gs.lacks("apps", appID, "jwks", strconv.Itoa(i)) {
					// Only its environments are known to be valid.
					if !gs.lacks("apps", appID, "jwks", strconv.Itoa(i), "environments") {
						checkBoundEnvs(s, m.platform, file, j.At.of("environments"), j.Environments, fmt.Sprintf("JWK %q of app %s", j.Kid, appID))
					}
					continue
				}
				if kids[j.Kid] {
					s.add(file, j.At.of("kid"), codeDuplicateID, "give each key its own kid", "app %s has two JWKs with kid %q", appID, j.Kid)
				}
				kids[j.Kid] = true
				checkBoundEnvs(s, m.platform, file, j.At.of("environments"), j.Environments, fmt.Sprintf("JWK %q of app %s", j.Kid, appID))
				id := snapshot.JWK{Kty: j.Kty, N: j.N, E: j.E, Crv: j.Crv, X: j.X, Y: j.Y}.KeyMaterial()
				if f, ok := jwkFirst[id]; ok {
					s.add(file, j.At.self, codeSharedCredential, "register the public key of a key pair of this app's own",
						"JWK %q of app %s is the same public key as %s at %s:%d:%d", j.Kid, appID, f.what, f.file, f.p.line, f.p.col)
				} else {
					jwkFirst[id] = firstAt{file, fmt.Sprintf("JWK %q of app %s", j.Kid, appID), j.At.self}
				}
				// Private members are reported by the scan of every
				// value (secrets.go), here and in any other JWK.
			}
		}
	}
}

// checkBoundEnvs reports the environments a credential (what) is bound to
// that the platform does not have.
func checkBoundEnvs(s *diagSink, p *platformFile, file string, at pos, envs []string, what string) {
	for _, env := range envs {
		if _, ok := p.Environments[env]; !ok {
			s.add(file, at, codeUnknownEnv, "use one of "+strings.Join(sortedKeys(p.Environments), ", "),
				"%s is bound to unknown environment %q", what, env)
		}
	}
}

// checkPlatform checks frontdoor.cue on its own (rule 3, URLs), skipping
// what gs lacks.
func checkPlatform(s *diagSink, p *platformFile, gs gaps) {
	for _, name := range sortedKeys(p.PublisherCategories) {
		cat := p.PublisherCategories[name]
		ab := cat.ApprovedBy
		if !gs.lacks("operator", "owners") && !gs.lacks("publisherCategories", name, "approvedBy", "operator") &&
			!slices.Contains(p.Operator.Owners, ab.Operator) {
			s.add(platformPath(), ab.At.of("operator"), codeCategoryApproval, "approvedBy.operator must be one of operator.owners",
				"category %s: %q is not an operator owner", name, ab.Operator)
		}
		if !gs.lacks("department", "owners") && !gs.lacks("publisherCategories", name, "approvedBy", "department") &&
			!slices.Contains(p.Department.Owners, ab.Department) {
			s.add(platformPath(), ab.At.of("department"), codeCategoryApproval, "approvedBy.department must be one of department.owners",
				"category %s: %q is not a department owner", name, ab.Department)
		}
	}
	for _, name := range sortedKeys(p.Environments) {
		env := p.Environments[name]
		checkURL(s, platformPath(), env.At.of("baseURL"), env.BaseURL)
	}
}

// checkGrantsFile checks the grants of one file (rules 1, 4, 5, 7) against
// the model, which it only reads, and returns the file's entitlements.
// Workers call it concurrently, each with its own sink.
func (c *compilation) checkGrantsFile(m *model, lf layoutFile, f *grantsFile, s *diagSink) []snapshot.Entitlement {
	file := lf.path
	if !m.failedOrPresent(publisherPath(lf.pub), m.publishers[lf.pub] != nil) {
		s.add(file, f.At.self, codeUnknownPublisher, "add publishers/"+lf.pub+"/publisher.cue", "grants of publisher %q, which has no publisher.cue", lf.pub)
		return nil
	}
	consumer := m.consumers[lf.org]
	if consumer == nil && !m.failed[consumerPath(lf.org)] {
		s.add(file, f.At.self, codeUnknownConsumer, "name the file after a directory under consumers/", "grants to unknown consumer organisation %q", lf.org)
	}
	today := c.opts.Now.UTC().Format(time.DateOnly)
	seen := map[string]bool{}
	out := make([]snapshot.Entitlement, 0, len(f.Grants))
	for _, g := range f.Grants {
		before := len(s.list)
		c.checkGrant(m, file, lf, consumer, g, today, seen, s)
		if s.list[before:].HasErrors() {
			continue // the compile fails anyway
		}
		out = append(out, m.entitlement(lf, g))
	}
	return out
}

// grantCheck is one grant being checked, with what its rules consult.
type grantCheck struct {
	m        *model
	s        *diagSink
	file     string
	ge       layoutFile
	consumer *consumerFile
	g        grant
	today    string
}

func (c *compilation) checkGrant(m *model, file string, ge layoutFile, consumer *consumerFile, g grant, today string, seen map[string]bool, s *diagSink) {
	// A field is empty only in a grant of a file that failed the schema,
	// which reported it; the rules that need it are skipped.
	key := g.App + "|" + g.API + "|" + g.Environment + "|" + g.AccessMode
	if seen[key] && g.App != "" && g.API != "" && g.Environment != "" && g.AccessMode != "" {
		s.add(file, g.At.self, codeDuplicateGrant, "remove one of them", "duplicate grant of %s to app %s (%s, %s)", g.API, g.App, g.Environment, g.AccessMode)
	}
	seen[key] = true
	gc := grantCheck{m: m, s: s, file: file, ge: ge, consumer: consumer, g: g, today: today}
	dateOK, since := gc.dates()
	gc.approval()
	ap := gc.app()
	if _, ok := m.platform.Environments[g.Environment]; !ok && g.Environment != "" {
		s.add(file, g.At.of("environment"), codeUnknownEnv, "use one of "+strings.Join(sortedKeys(m.platform.Environments), ", "), "unknown environment %q", g.Environment)
	}
	a := gc.api()
	if a == nil {
		return
	}
	gc.accessMode(a, ap)
	gc.mutualTLS(a, ap)
	gc.dataRules(a, dateOK, since)
	gc.requirementsRule(a, ap)
}

// dates checks the grant's date and expiry. since is the day limits count
// from: the grant's date, never later than today.
func (gc grantCheck) dates() (dateOK bool, since string) {
	s, g, file := gc.s, gc.g, gc.file
	dateOK = g.Date != "" && checkDate(s, file, g.At.of("date"), g.Date)
	since = g.Date
	if dateOK && g.Date > gc.today {
		s.add(file, g.At.of("date"), codeFutureGrant, "date is the day the grant was approved, "+gc.today+" or earlier",
			"%s is dated %s, after today (%s)", g.name(), g.Date, gc.today)
		since = gc.today
	}
	if g.Expires != "" {
		if checkDate(s, file, g.At.of("expires"), g.Expires) && g.Expires < gc.today {
			s.add(file, g.At.of("expires"), codeExpiredGrant, "remove the grant or renew it", "%s expired on %s", g.name(), g.Expires)
		}
	}
	return dateOK, since
}

// approval checks who approved the grant: an owner of the publisher, not
// an owner of the consumer.
func (gc grantCheck) approval() {
	s, g, file, ge := gc.s, gc.g, gc.file, gc.ge
	if pf := gc.m.publishers[ge.pub]; pf != nil && g.ApprovedBy != "" && !isOwner(pf.Owners, g.ApprovedBy) {
		s.add(file, g.At.of("approvedBy"), codeGrantApprover, "approvedBy is one of "+ge.pub+"'s owners: "+strings.Join(pf.Owners, ", "),
			"%s approved by %q, who is not an owner of publisher %s", g.name(), g.ApprovedBy, ge.pub)
	}
	if gc.consumer != nil && isOwner(gc.consumer.Owners, g.ApprovedBy) {
		s.add(file, g.At.of("approvedBy"), codeSelfApproval, "another owner of "+ge.pub+" approves it",
			"%s approved by %q, an owner of consumer %s: nobody approves access for an organisation they own", g.name(), g.ApprovedBy, ge.org)
	}
}

// app returns the granted app of the consumer, nil when unknown.
func (gc grantCheck) app() *app {
	if gc.consumer == nil || gc.g.App == "" {
		return nil
	}
	if a, ok := gc.consumer.Apps[gc.g.App]; ok {
		return &a
	}
	gc.s.add(gc.file, gc.g.At.of("app"), codeUnknownApp, "registered apps: "+strings.Join(sortedKeys(gc.consumer.Apps), ", "),
		"consumer %s has no app %q", gc.ge.org, gc.g.App)
	return nil
}

// api returns the granted API when grants to it may be checked further:
// known, not retired, deployed where granted.
func (gc grantCheck) api() *apiFile {
	s, g, file, ge, m := gc.s, gc.g, gc.file, gc.ge, gc.m
	if g.API == "" {
		return nil
	}
	id := ge.pub + "/" + g.API
	a := m.apis[id]
	if a == nil {
		if !m.failed[apiPath(ge.pub, g.API)] {
			s.add(file, g.At.of("api"), codeUnknownAPI, "a grant names an API of its own publisher "+ge.pub, "publisher %s has no API %q", ge.pub, g.API)
		}
		return nil
	}
	switch a.Status {
	case snapshot.StatusRetired:
		s.add(file, g.At.of("api"), codeRetiredGrant, "remove the grant", "API %s is retired", id)
		return nil
	case snapshot.StatusDeprecated:
		s.add(file, g.At.of("api"), codeDeprecatedGrant, "deprecated APIs accept no new grants; grant its successor", "grant to deprecated API %s", id)
	}
	if _, ok := m.platform.Environments[g.Environment]; ok {
		if _, ok := a.Environments[g.Environment]; !ok {
			s.add(file, g.At.of("environment"), codeEnvNotDeployed, "deployed to: "+strings.Join(sortedKeys(a.Environments), ", "),
				"API %s is not deployed to %s", id, g.Environment)
		}
	}
	return a
}

// accessMode checks that the API offers the granted mode and that the app
// holds a credential for it in the granted environment.
func (gc grantCheck) accessMode(a *apiFile, ap *app) {
	s, g, file, ge := gc.s, gc.g, gc.file, gc.ge
	switch {
	case g.AccessMode == "":
		// Reported by the schema.
		return
	case !slices.Contains(a.AccessModes, g.AccessMode):
		s.add(file, g.At.of("accessMode"), codeModeNotOffered, "the API offers "+strings.Join(a.AccessModes, ", "),
			"API %s does not offer access mode %s", ge.pub+"/"+g.API, g.AccessMode)
		return
	case ap == nil:
		return
	}
	switch g.AccessMode {
	case snapshot.ModeAppLevel0:
		if len(ap.APIKeys) == 0 {
			s.add(file, g.At.of("accessMode"), codeNoCredential, "app-level0 needs apiKeys on the app", "app %s has no API key for app-level0", g.App)
		} else {
			checkKeyEnv(s, file, ge.org, g, ap)
		}
	case snapshot.ModeAppLevel3:
		if len(ap.JWKs) == 0 && ap.JWKSURL == "" {
			s.add(file, g.At.of("accessMode"), codeNoCredential, "app-level3 needs jwks or jwksURL on the app", "app %s has no public key for app-level3", g.App)
		} else if ap.JWKSURL == "" && g.Environment != "" && !slices.ContainsFunc(ap.JWKs, func(j jwk) bool {
			return len(j.Environments) == 0 || slices.Contains(j.Environments, g.Environment)
		}) {
			s.add(file, g.At.of("environment"), codeKeyEnv, "bind a signing key of the app to "+g.Environment+" in "+consumerPath(ge.org)+" (jwks: [{..., environments}])",
				"access mode app-level3 needs a signing key of app %s in %s, and none of its JWKs is bound to %s", g.App, g.Environment, g.Environment)
		}
	default:
		if snapshot.UserRestricted(g.AccessMode) {
			checkKeyEnv(s, file, ge.org, g, ap)
		}
	}
}

// dataRules checks what the API's data asks of its consumers: a DSPT
// status for personal data, an expiry within a year for special-category
// data.
func (gc grantCheck) dataRules(a *apiFile, dateOK bool, since string) {
	s, g, file, ge, consumer := gc.s, gc.g, gc.file, gc.ge, gc.consumer
	id := ge.pub + "/" + g.API
	// A DSPT status the requirements state is checked with them (FD360).
	if a.personal() && consumer != nil && consumer.DSPT != "standards-met" && consumer.DSPT != "standards-exceeded" &&
		a.Requirements.forEnv(g.Environment).DSPT == "" {
		s.add(file, g.At.of("app"), codeDSPT, "personal data needs DSPT standards-met or standards-exceeded",
			"API %s carries personal data and consumer %s's DSPT status is %s", id, ge.org, consumer.DSPT)
	}
	if !a.SpecialCategory {
		return
	}
	switch {
	case g.Expires == "":
		s.add(file, g.At.self, codeSpecialExpiry, "set expires at most one year after date", "grant of special-category API %s has no expiry", id)
	case dateOK:
		d, _ := time.Parse(time.DateOnly, since)
		if limit := d.AddDate(1, 0, 0).Format(time.DateOnly); g.Expires > limit {
			s.add(file, g.At.of("expires"), codeSpecialExpiry, "expires must be on or before "+limit,
				"grant of special-category API %s expires more than a year after %s", id, since)
		}
	}
}

// name names g in messages; app or API is empty in a grant of a file that
// failed the schema.
func (g grant) name() string {
	switch {
	case g.API == "" && g.App == "":
		return "grant"
	case g.App == "":
		return "grant of " + g.API
	case g.API == "":
		return "grant to app " + g.App
	}
	return "grant of " + g.API + " to app " + g.App
}

// entitlement converts a checked grant of file lf, sharing strings with
// the model where it can.
func (m *model) entitlement(lf layoutFile, g grant) snapshot.Entitlement {
	e := snapshot.Entitlement{
		App:         m.intern[lf.org+"/"+g.App],
		API:         m.intern[lf.pub+"/"+g.API],
		Environment: internConst(g.Environment, snapshot.EnvSandbox, snapshot.EnvIntegration, snapshot.EnvProduction),
		AccessMode:  internConst(g.AccessMode, snapshot.AccessModes...),
		Expires:     g.Expires,
		GrantedBy:   m.intern[lf.pub],
		Approval:    snapshot.Approval{By: g.ApprovedBy, Date: g.Date},
	}
	if e.GrantedBy == "" {
		e.GrantedBy = lf.pub
	}
	if g.RateLimit != nil {
		rl := snapshot.RateLimit{Limit: g.RateLimit.Limit, Per: internConst(g.RateLimit.Per, "second", "minute", "hour")}
		e.RateLimit = &rl
	}
	return e
}

// internConst returns the constant equal to s, or s.
func internConst(s string, consts ...string) string {
	for _, c := range consts {
		if c == s {
			return c
		}
	}
	return s
}

func launched(m *model, id string, major int) bool {
	l := m.launches[id]
	if l == nil {
		return false
	}
	return slices.ContainsFunc(l.Approvals, func(a launchApproval) bool {
		return a.Major == major && a.Environment == snapshot.EnvProduction
	})
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// isOwner reports whether handle is in owners; forge handles compare
// without regard to case.
func isOwner(owners []string, handle string) bool {
	return handle != "" && slices.ContainsFunc(owners, func(o string) bool { return strings.EqualFold(o, handle) })
}

// checkIdentityHeaders reports an API's identity header names that are
// reserved (snapshot.IdentityHeaderProblem) or declared twice.
func checkIdentityHeaders(s *diagSink, file string, a *apiFile) {
	h := a.IdentityHeaders
	fields := []struct{ field, name string }{
		{"app", h.App}, {"org", h.Org}, {"accessMode", h.AccessMode}, {"user", h.User}, {"level", h.Level},
	}
	for i, f := range fields {
		if f.name == "" {
			continue
		}
		p := h.At.of(f.field)
		if why := snapshot.IdentityHeaderProblem(f.name); why != "" {
			s.add(file, p, codeReservedHeader, "choose a name of your own, e.g. X-Caller-App",
				"identity header %s: %q %s", f.field, f.name, why)
			continue
		}
		for _, prev := range fields[:i] {
			if prev.name != "" && snapshot.SameHeaderName(prev.name, f.name) {
				q := h.At.of(prev.field)
				s.add(file, p, codeDuplicateID, "give each identity header its own name",
					"identity header %s: %q is also identity header %s (%s:%d:%d)", f.field, f.name, prev.field, file, q.line, q.col)
				break
			}
		}
	}
}

// checkDate reports a date that matches YYYY-MM-DD but does not exist.
func checkDate(s *diagSink, file string, p pos, d string) bool {
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		s.add(file, p, codeInvalidValue, "a real calendar date written YYYY-MM-DD", "invalid date %q", d)
		return false
	}
	return true
}

// checkURL reports a URL that does not parse. Credentials in URLs are
// reported by the scan of every value (secrets.go).
func checkURL(s *diagSink, file string, p pos, raw string) {
	if _, err := url.Parse(raw); err != nil {
		s.add(file, p, codeInvalidValue, "an absolute http(s) URL", "invalid URL %q", raw)
	}
}

// offsetPos converts a byte offset into a 1-based line and column.
func offsetPos(src []byte, off int) pos {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off + 1
	if i := bytes.LastIndexByte(src[:off], '\n'); i >= 0 {
		col = off - i
	}
	return pos{int32(line), int32(col)}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cleanSpecPath resolves an API's spec field against its directory; false
// when it leaves the directory.
func cleanSpecPath(pub, spec string) (string, bool) {
	dir := specDir(pub)
	p := path.Join(dir, spec)
	return p, strings.HasPrefix(p, dir+"/")
}

// checkKeyEnv reports a grant whose mode needs the app's API key (app-level0,
// or a user-restricted mode where the app names itself with its key) when no
// key of the app is bound to the grant's environment.
func checkKeyEnv(s *diagSink, file, org string, g grant, ap *app) {
	if g.Environment == "" {
		return // a partial grant, reported as such
	}
	for _, k := range ap.APIKeys {
		if slices.Contains(k.Environments, g.Environment) {
			return
		}
	}
	bound := sortedKeys(ap.APIKeys)
	hint := "register a key bound to " + g.Environment + " on the app in " + consumerPath(org) + " (apiKeys: <id>: environments)"
	if len(bound) == 0 {
		s.add(file, g.At.of("environment"), codeKeyEnv, hint,
			"access mode %s needs an API key of app %s in %s, and the app has none", g.AccessMode, g.App, g.Environment)
		return
	}
	s.add(file, g.At.of("environment"), codeKeyEnv, hint,
		"access mode %s needs an API key of app %s in %s, and none of its keys (%s) is bound to %s",
		g.AccessMode, g.App, g.Environment, strings.Join(bound, ", "), g.Environment)
}
