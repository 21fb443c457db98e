package compiler

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// A grants file's check is cached with its evaluation: the diagnostics of
// both and the entitlements, keyed by the file and by what the check reads
// of the model (its dependencies), so that a compile re-checks only the
// grants files whose own bytes or dependencies changed. The check of
// publishers/<pub>/grants/<org>.cue reads the platform policy, the
// publisher's publisher.cue and API files, the consumer's consumer.cue
// (see checkGrantsFile) and today's date: the key covers the cache key of
// each of those files, and which of them exist.

// grantsOutcome is the cached outcome of one grants file.
type grantsOutcome struct {
	Size  int64
	Diags Diagnostics
	Ents  []cachedEntitlement
	ents  []snapshot.Entitlement // decoded
}

// cachedEntitlement is a snapshot.Entitlement, its rate limit flattened
// (gob does not keep a pointer to a zero value).
type cachedEntitlement struct {
	App, API, Environment, AccessMode, Expires, GrantedBy, By, Date string
	HasRate                                                         bool
	Limit                                                           int
	Per                                                             string
}

// grantDeps are the digests of what each grants file's check reads of
// the model. A nil *grantDeps caches nothing.
type grantDeps struct {
	today    string
	platform [sha256.Size]byte
	pubs     map[string][sha256.Size]byte // publisher.cue and API files
	orgs     map[string][sha256.Size]byte // consumer.cue
	unknown  map[string]bool              // "pub/" or "org/" whose files are not all keyed
}

// grantDeps computes the dependencies of the grants files from the other
// files of the compile, evaluated with the cache; nil without a cache, or
// when the model is kept (it needs the grants' values). A publisher or
// consumer one of whose files has no key (not read) is marked unknown: its
// grants files are not cached.
func (c *compilation) grantDeps(others []layoutFile) *grantDeps {
	if c.opts.Cache == nil || c.opts.KeepModel {
		return nil
	}
	d := &grantDeps{
		today: c.opts.Now.UTC().Format(time.DateOnly),
		pubs:  map[string][sha256.Size]byte{}, orgs: map[string][sha256.Size]byte{}, unknown: map[string]bool{},
	}
	groups := map[string][]string{} // "", "pub/<pub>" or "org/<org>": key lines
	for _, lf := range others {
		var id string
		switch lf.kind {
		case kindPlatform:
			id = ""
		case kindPublisher, kindAPI:
			id = "pub/" + lf.pub
		case kindConsumer:
			id = "org/" + lf.org
		default:
			continue
		}
		k, ok := c.key(lf.path)
		if !ok {
			if id == "" {
				return nil
			}
			d.unknown[id] = true
			continue
		}
		groups[id] = append(groups[id], fmt.Sprintf("%q %x\n", lf.path, k))
	}
	for id, lines := range groups {
		slices.Sort(lines)
		h := sha256.New()
		for _, l := range lines {
			h.Write([]byte(l))
		}
		var s [sha256.Size]byte
		h.Sum(s[:0])
		switch {
		case id == "":
			d.platform = s
		case id[:4] == "pub/":
			d.pubs[id[4:]] = s
		default:
			d.orgs[id[4:]] = s
		}
	}
	return d
}

// noteKey records the cache key of file lf for the checks keyed by the
// files they read; no check reads a grants file's, and a compile has many.
func (c *compilation) noteKey(lf layoutFile, k cacheKey) {
	if lf.kind != kindGrants {
		c.keysMu.Lock()
		if c.keys == nil {
			c.keys = map[string]cacheKey{}
		}
		c.keys[lf.path] = k
		c.keysMu.Unlock()
	}
}

// key returns the cache key noted of file p.
func (c *compilation) key(p string) (cacheKey, bool) {
	c.keysMu.Lock()
	defer c.keysMu.Unlock()
	k, ok := c.keys[p]
	return k, ok
}

// key returns the cache key of grants file lf's outcome, its evaluation
// keyed by fileKey; false when it is not to be cached.
func (d *grantDeps) key(identity *[sha256.Size]byte, lf layoutFile, fileKey cacheKey) (cacheKey, bool) {
	if d == nil || d.unknown["pub/"+lf.pub] || d.unknown["org/"+lf.org] {
		return cacheKey{}, false
	}
	pub, org := d.pubs[lf.pub], d.orgs[lf.org]
	var buf [512]byte
	b := append(buf[:0], identity[:]...)
	for _, s := range [...]string{"grants", string(fileKey[:]), d.today, string(d.platform[:]), lf.pub, string(pub[:]), lf.org, string(org[:])} {
		b = appendField(b, s)
	}
	return sha256.Sum256(b), true
}

// grantsOne evaluates and checks grants file lf, or takes both from the
// cache, and returns its entitlements, when evaluated its value, and the
// bytes it counted towards the repository's limit.
func (c *compilation) grantsOne(ev *evaluator, lf layoutFile, sink *diagSink, m *model, deps *grantDeps) ([]snapshot.Entitlement, *grantsFile, int64, error) {
	var src []byte
	var k cacheKey
	cached, unread := false, false
	if deps != nil && !deps.unknown["pub/"+lf.pub] && !deps.unknown["org/"+lf.org] {
		var fk cacheKey
		if lf.blob != "" {
			fk, unread = blobKey(&c.identity, lf, lf.blob), true
		}
		if !unread {
			var err error
			if src, err = c.load.readLayout(lf, sink, &ev.buf); err != nil || src == nil {
				return nil, nil, 0, err
			}
			fk = c.readKey(lf, src)
		}
		k, cached = deps.key(&c.identity, lf, fk)
		var out grantsOutcome
		ok := false
		if cached {
			out, ok = c.grantsKept(k)
		}
		if !ok && cached && c.opts.Cache.getValue(k, &out) {
			ok = true
			out.ents = out.entitlements(m, lf)
			c.keep(k, out.ents, out.Size, out.Diags)
		}
		if ok {
			count := unreadCounted
			if unread {
				count = c.countUnread(lf, out.Size)
			}
			switch count {
			case unreadCounted:
				sink.list = append(sink.list, out.Diags...)
				return out.ents, nil, out.Size, nil
			case unreadOver:
				return nil, nil, 0, nil
			}
		}
	}
	n := len(sink.list)
	v, _, size, err := c.evalRead(ev, lf, sink, &ev.buf, true, src)
	if err != nil || v == nil {
		return nil, nil, size, err
	}
	f := v.(*grantsFile)
	ents := c.checkGrantsFile(m, lf, f, sink)
	diags := sink.list[n:len(sink.list):len(sink.list)]
	if cached && !overBudget(diags) && !c.load.over.Load() {
		c.opts.Cache.put(k, newGrantsOutcome(size, diags, ents))
		c.keep(k, ents, size, diags)
	}
	return ents, f, size, nil
}

func newGrantsOutcome(size int64, diags Diagnostics, ents []snapshot.Entitlement) *grantsOutcome {
	out := &grantsOutcome{Size: size, Diags: diags, Ents: make([]cachedEntitlement, len(ents))}
	for i, e := range ents {
		ce := cachedEntitlement{App: e.App, API: e.API, Environment: e.Environment, AccessMode: e.AccessMode,
			Expires: e.Expires, GrantedBy: e.GrantedBy, By: e.Approval.By, Date: e.Approval.Date}
		if e.RateLimit != nil {
			ce.HasRate, ce.Limit, ce.Per = true, e.RateLimit.Limit, e.RateLimit.Per
		}
		out.Ents[i] = ce
	}
	return out
}

// entitlements returns the outcome's entitlements, sharing strings with
// the model as checkGrantsFile's do.
func (out *grantsOutcome) entitlements(m *model, lf layoutFile) []snapshot.Entitlement {
	if len(out.Ents) == 0 {
		return nil
	}
	// A file's entitlements have one grantor and few apps and APIs: each
	// field's last string interned is looked up first.
	var last [3][2]string
	intern := func(field int, s string) string {
		if l := &last[field]; s != l[0] {
			v, ok := m.intern[s]
			if !ok {
				v = s
			}
			*l = [2]string{s, v}
		}
		return last[field][1]
	}
	ents := make([]snapshot.Entitlement, len(out.Ents))
	for i, ce := range out.Ents {
		e := snapshot.Entitlement{
			App: intern(0, ce.App), API: intern(1, ce.API),
			Environment: internConst(ce.Environment, snapshot.EnvSandbox, snapshot.EnvIntegration, snapshot.EnvProduction),
			AccessMode:  internConst(ce.AccessMode, snapshot.AccessModes...),
			Expires:     ce.Expires, GrantedBy: intern(2, ce.GrantedBy),
			Approval: snapshot.Approval{By: ce.By, Date: ce.Date},
		}
		if ce.HasRate {
			e.RateLimit = &snapshot.RateLimit{Limit: ce.Limit, Per: internConst(ce.Per, "second", "minute", "hour")}
		}
		ents[i] = e
	}
	return ents
}
