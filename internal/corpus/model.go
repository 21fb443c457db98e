package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// seed is the root of every random choice; changing it changes every corpus.
const seed = 0x66726f6e74646f6f // "frontdoo"

// Streams separate the generators of different kinds of entity.
const (
	streamAPIs = iota + 1
	streamGrants
	streamOrgs
)

// rng returns the generator of one entity of one stream.
func rng(stream, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(stream)<<32|uint64(index)))
}

// Environments, in the order they appear in files.
var envNames = [...]string{"sandbox", "integration", "production"}

// platform is the generated model, fully decided before anything is written.
type platform struct {
	size Size
	pubs []publisher
	orgs []org
}

type publisher struct {
	id, name, category string
	owners             [2]string
	onboarded          time.Time
	apis               []api
	grantFiles         []grantFile
}

type rateLimit struct {
	limit int
	per   string
}

type api struct {
	pub               *publisher
	name, title       string
	version           string
	major             int
	status, level     string
	envs              []string
	modes             []string
	categories        []string
	personal, special bool
	proxy             rateLimit
	app               *rateLimit
	launched          bool
	launchDate        time.Time
	grantable         bool // accepts new grants (not deprecated or retired)
}

type org struct {
	id, name, dspt string
	owner          string
	apps           []app
}

type app struct {
	id, name string
	keyHash  string
	inline   bool   // has an inline public JWK
	jwksURL  string // or publishes a JWKS
}

func (a *app) signs() bool { return a.inline || a.jwksURL != "" }

type grant struct {
	app       *app
	api       *api
	env, mode string
	date      time.Time
	expires   time.Time // zero: no expiry
	rate      *rateLimit
	approver  string
}

type grantFile struct {
	org    *org
	grants []grant
}

// Word lists for readable IDs and titles.
var (
	places = [...]string{"wessex", "mercia", "northshire", "southmoor", "eastvale", "westford", "riverside",
		"highfield", "lakeland", "fenland", "downland", "coastal", "midland", "pennine", "severn", "thames"}
	pubKinds = [...]struct{ id, name, category string }{
		{"health-agency", "Health Agency", "executive-agency"},
		{"health-authority", "Health Authority", "arms-length-body"},
		{"nhs-trust", "NHS Trust", "nhs-trust"},
		{"care-board", "Integrated Care Board", "integrated-care-board"},
		{"data-services", "Health Data Services Ltd", "supplier"},
	}
	orgKinds = [...]struct{ id, name string }{
		{"pharmacy", "Pharmacy Group"}, {"gp-systems", "GP Systems Ltd"}, {"health-app", "Health Apps Ltd"},
		{"university", "University"}, {"hospice", "Hospice"}, {"care-homes", "Care Homes Ltd"},
		{"research", "Research Institute"}, {"council", "County Council"},
	}
	apiNouns = [...]string{"patient-records", "appointments", "referrals", "prescriptions", "test-results",
		"vaccinations", "care-plans", "allergies", "bed-availability", "workforce", "screening", "maternity",
		"mental-health", "dental", "eye-care", "pharmacy-stock", "ambulance-handover", "waiting-lists",
		"discharge", "social-care"}
	apiSuffixes = [...]string{"search", "events", "directory", "status", "notifications"}
	modeSets    = [...][]string{
		{"app-level0"}, {"app-level0"}, {"open"}, {"open", "app-level0"}, {"app-level3"},
		{"app-level3", "nhs-cis2-aal3"}, {"nhs-cis2-aal1"}, {"nhs-login-p9"}, {"app-level3", "nhs-login-p5"},
	}
	statuses = [...]struct {
		name   string
		weight int
	}{{"stable", 40}, {"beta", 20}, {"private-beta", 10}, {"in-development", 10}, {"deprecated", 10}, {"retired", 10}}
	levels     = [...]string{"bronze", "silver", "silver-plus", "gold", "platinum"}
	categories = [...]string{"arms-length-body", "executive-agency", "integrated-care-board", "nhs-trust", "supplier"}
)

// day returns the date n days after 2026-01-05.
func day(n int) time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

// build decides the whole platform.
func build(size Size) *platform {
	p := &platform{size: size, pubs: make([]publisher, size.Publishers), orgs: make([]org, size.Consumers)}
	for i := range p.orgs {
		p.orgs[i] = newOrg(size, i)
	}
	for i := range p.pubs {
		newPublisher(size, &p.pubs[i], i)
	}
	perPub, extra := size.Grants/size.Publishers, size.Grants%size.Publishers
	for i := range p.pubs {
		n := perPub
		if i < extra {
			n++
		}
		addGrants(p, &p.pubs[i], i, n)
	}
	return p
}

func newOrg(size Size, i int) org {
	r := rng(streamOrgs, i)
	place, kind := places[i%len(places)], orgKinds[(i/len(places))%len(orgKinds)]
	o := org{
		id:    fmt.Sprintf("%s-%s-%05d", place, kind.id, i+1),
		name:  fmt.Sprintf("%s %s %d", title(place), kind.name, i+1),
		dspt:  "standards-met",
		owner: fmt.Sprintf("c%05d-dev", i+1),
	}
	switch x := r.IntN(20); {
	case x < 2:
		o.dspt = "approaching-standards"
	case x < 3:
		o.dspt = "standards-exceeded"
	}
	o.apps = make([]app, size.AppsPerConsumer)
	for j := range o.apps {
		a := &o.apps[j]
		a.id = fmt.Sprintf("app-%02d", j+1)
		a.name = fmt.Sprintf("%s app %d", o.name, j+1)
		sum := sha256.Sum256([]byte("corpus-key-" + o.id + "-" + a.id))
		a.keyHash = hex.EncodeToString(sum[:])
		switch r.IntN(4) {
		case 0:
			a.inline = true
		case 1:
			a.jwksURL = "https://keys." + o.id + ".example/" + a.id + "/jwks.json"
		}
	}
	return o
}

func newPublisher(size Size, pub *publisher, i int) {
	r := rng(streamAPIs, i)
	place, kind := places[i%len(places)], pubKinds[(i/len(places))%len(pubKinds)]
	pub.id = fmt.Sprintf("%s-%s-%04d", place, kind.id, i+1)
	pub.name = fmt.Sprintf("%s %s %d", title(place), kind.name, i+1)
	pub.category = kind.category
	pub.owners = [2]string{fmt.Sprintf("p%04d-api-team", i+1), fmt.Sprintf("p%04d-lead", i+1)}
	pub.onboarded = day(i % 120)
	pub.apis = make([]api, size.APIsPerPublisher)
	for j := range pub.apis {
		a := &pub.apis[j]
		a.pub = pub
		a.name = apiNouns[j%len(apiNouns)] + "-" + apiSuffixes[(j/len(apiNouns))%len(apiSuffixes)]
		if j >= len(apiNouns)*len(apiSuffixes) {
			a.name += fmt.Sprintf("-%d", j)
		}
		a.title = title(strings.ReplaceAll(a.name, "-", " ")) + " API"
		a.level = levels[r.IntN(len(levels))]
		if j == 0 {
			// Every publisher has one open-for-grants API without personal
			// data, so that any app can be granted something.
			a.status, a.modes = "stable", []string{"app-level0"}
		} else {
			a.status = pickStatus(r)
			a.modes = modeSets[r.IntN(len(modeSets))]
		}
		a.major = 1 + r.IntN(3)
		if a.status == "in-development" && r.IntN(2) == 0 {
			a.major = 0
		}
		a.version = fmt.Sprintf("%d.%d.%d", a.major, r.IntN(12), r.IntN(5))
		switch a.status {
		case "in-development":
			a.envs = envNames[:1]
		case "private-beta":
			a.envs = envNames[:2]
		default:
			a.envs = envNames[:]
		}
		a.launched = slices.Contains(a.envs, "production")
		a.launchDate = pub.onboarded.AddDate(0, 0, 7+r.IntN(60))
		a.grantable = a.status != "deprecated" && a.status != "retired"
		if j > 0 && !slices.Contains(a.modes, "open") && r.IntN(5) < 3 {
			a.personal = true
			a.special = r.IntN(5) < 2
		}
		a.categories = []string{"reference-data"}
		if a.personal {
			a.categories = []string{"contact-details", "demographics"}
			if a.special {
				a.categories = append(a.categories, "health")
			}
		}
		a.proxy = rateLimit{limit: 50 * (1 + r.IntN(20)), per: "second"}
		if r.IntN(2) == 0 {
			a.app = &rateLimit{limit: 5 * (1 + r.IntN(10)), per: "second"}
		}
	}
}

func pickStatus(r *rand.Rand) string {
	x := r.IntN(100)
	for _, s := range statuses {
		if x < s.weight {
			return s.name
		}
		x -= s.weight
	}
	return "stable"
}

// combo is a candidate grant: indices of app, API, environment and mode.
type combo struct{ app, api, env, mode int }

// addGrants gives n grants of pub to a sample of consumers, at most ten per
// consumer unless there are too few consumers.
func addGrants(p *platform, pub *publisher, i, n int) {
	if n == 0 {
		return
	}
	r := rng(streamGrants, i)
	perFile := min(10, p.size.AppsPerConsumer*len(envNames))
	files := min((n+perFile-1)/perFile, len(p.orgs))
	orgs := sample(r, len(p.orgs), files)
	slices.Sort(orgs)
	var combos []combo
	for f, oi := range orgs {
		o := &p.orgs[oi]
		m := n / files
		if f < n%files {
			m++
		}
		combos = combos[:0]
		for ai := range o.apps {
			a := &o.apps[ai]
			for pi := range pub.apis {
				api := &pub.apis[pi]
				if !api.grantable || (api.personal && o.dspt == "approaching-standards") {
					continue
				}
				for ei := range api.envs {
					for mi, mode := range api.modes {
						if mode == "open" || (mode == "app-level3" && !a.signs()) {
							continue
						}
						combos = append(combos, combo{ai, pi, ei, mi})
					}
				}
			}
		}
		// Size.validate and the first API of every publisher guarantee
		// len(combos) >= m.
		picked := sample(r, len(combos), min(m, len(combos)))
		slices.Sort(picked)
		gf := grantFile{org: o, grants: make([]grant, 0, m)}
		for _, ci := range picked {
			c := combos[ci]
			api := &pub.apis[c.api]
			g := grant{
				app:      &o.apps[c.app],
				api:      api,
				env:      api.envs[c.env],
				mode:     api.modes[c.mode],
				date:     day(147 + r.IntN(170)), // 2026-06-01 .. 2026-11-17
				approver: pub.owners[r.IntN(2)],
			}
			switch {
			case api.special:
				g.expires = g.date.AddDate(1, 0, -1)
			case r.IntN(5) == 0:
				g.expires = time.Date(2027, time.Month(3+r.IntN(10)), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, -1)
			}
			if r.IntN(7) == 0 {
				g.rate = &rateLimit{limit: 10 * (1 + r.IntN(10)), per: "second"}
			}
			gf.grants = append(gf.grants, g)
		}
		pub.grantFiles = append(pub.grantFiles, gf)
	}
}

// sample returns k distinct integers in [0, n), by a partial Fisher-Yates
// shuffle over a sparse permutation.
func sample(r *rand.Rand, n, k int) []int {
	swapped := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := range k {
		j := i + r.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	return out
}

// title capitalises the first letter of every word.
func title(s string) string {
	words := strings.Fields(strings.ReplaceAll(s, "-", " "))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
