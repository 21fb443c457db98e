package tlsterm

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is how long Watch waits after the last change of a watched
// directory before it reloads: a deployment writes a certificate and its
// key one after the other.
const Debounce = 250 * time.Millisecond

// Certificates are the gateway's server certificates, one per host, from
// files. Handshakes read them through one atomic pointer: a reload
// publishes a new table and never blocks or drops a connection; each
// handshake uses the table it loaded. A pair that does not load (unreadable,
// a key that does not match, a certificate that is not valid now or not
// for its host) never replaces the one being served. Safe for concurrent
// use.
type Certificates struct {
	opts CertificatesOptions
	log  *slog.Logger
	cur  atomic.Pointer[table]
	// mu serialises reloads.
	mu sync.Mutex
}

// CertificatesOptions configure Load.
type CertificatesOptions struct {
	// Pairs are named on the command line; the first one is also served to
	// clients that send no server name, or one no pair has.
	Pairs []Pair
	// Dir, when set, holds HOST.crt and HOST.key pairs; it is read again
	// at each reload, so that new hosts need no restart.
	Dir string
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock of validity checks; nil means time.Now.
	Now func() time.Time
}

// table is one published set of certificates.
type table struct {
	byHost map[string]*loaded
	// first is served when the client names no known host.
	first *loaded
	// refused are the pairs whose last reload failed, by host.
	refused map[string]refusal
}

type loaded struct {
	pair     Pair
	cert     *tls.Certificate
	sum      [32]byte // of the certificate and key files' bytes
	loadedAt time.Time
}

type refusal struct {
	pair Pair
	err  error
	at   time.Time
}

// Load reads every pair; any that does not load is an error (a gateway
// should not start without the certificates it was told to serve).
func Load(opts CertificatesOptions) (*Certificates, error) {
	c := &Certificates{opts: opts, log: opts.Log}
	if c.log == nil {
		c.log = slog.Default()
	}
	pairs, err := c.pairs(nil)
	if err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, errors.New("no TLS certificate: name one with HOST=CERT,KEY or put HOST.crt and HOST.key in the directory")
	}
	t := &table{byHost: map[string]*loaded{}}
	var errs []error
	for _, p := range pairs {
		l, err := c.load(p, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.add(l)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.cur.Store(t)
	return c, nil
}

func (t *table) add(l *loaded) {
	t.byHost[l.pair.Host] = l
	if t.first == nil {
		t.first = l
	}
}

// pairs returns the pairs to load: the named ones, then the directory's
// (sorted), then those of prev that neither names any more (kept).
func (c *Certificates) pairs(prev *table) ([]Pair, error) {
	out := slices.Clone(c.opts.Pairs)
	seen := map[string]bool{}
	for _, p := range out {
		if seen[p.Host] {
			return nil, fmt.Errorf("two TLS certificates for host %s", p.Host)
		}
		seen[p.Host] = true
	}
	if c.opts.Dir != "" {
		dp, err := DirPairs(c.opts.Dir)
		if err != nil {
			return nil, err
		}
		for _, p := range dp {
			if !seen[p.Host] {
				seen[p.Host] = true
				out = append(out, p)
			}
		}
	}
	if prev != nil {
		var kept []Pair
		for h, l := range prev.byHost {
			if !seen[h] {
				kept = append(kept, l.pair)
			}
		}
		slices.SortFunc(kept, func(a, b Pair) int { return strings.Compare(a.Host, b.Host) })
		out = append(out, kept...)
	}
	return out, nil
}

// DirPairs returns the pairs of dir: each HOST.crt beside a HOST.key,
// sorted by host. A HOST.crt without its key is an error.
func DirPairs(dir string) ([]Pair, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate directory: %w", err)
	}
	var out []Pair
	for _, e := range ents {
		host, ok := strings.CutSuffix(e.Name(), ".crt")
		if !ok || strings.HasPrefix(host, ".") {
			continue
		}
		h, err := normalHost(host)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate %s: %w", filepath.Join(dir, e.Name()), err)
		}
		key := filepath.Join(dir, host+".key")
		if _, err := os.Stat(key); err != nil {
			return nil, fmt.Errorf("TLS certificate %s has no key: %w", filepath.Join(dir, e.Name()), err)
		}
		out = append(out, Pair{Host: h, CertFile: filepath.Join(dir, e.Name()), KeyFile: key})
	}
	return out, nil
}

// load reads and checks pair p; it returns cur unchanged when the files
// did not change.
func (c *Certificates) load(p Pair, cur *loaded) (*loaded, error) {
	certPEM, err := os.ReadFile(p.CertFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate of %s: %w", p.Host, err)
	}
	keyPEM, err := os.ReadFile(p.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key of %s: %w", p.Host, err)
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	sum := [32]byte(h.Sum(nil))
	if cur != nil && cur.sum == sum && cur.pair == p {
		return cur, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	clear(keyPEM)
	if err != nil {
		// crypto/tls's errors name no key material.
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", p.CertFile, p.KeyFile, err)
	}
	leaf := cert.Leaf
	if err := leaf.VerifyHostname(p.Host); err != nil {
		return nil, fmt.Errorf("TLS certificate %s: %w", p.CertFile, err)
	}
	now := time.Now()
	if c.opts.Now != nil {
		now = c.opts.Now()
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("TLS certificate %s expired at %s", p.CertFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("TLS certificate %s is not valid before %s", p.CertFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return &loaded{pair: p, cert: &cert, sum: sum, loadedAt: now}, nil
}

// GetCertificate is the tls.Config hook: the certificate of the server
// name the client sent, else the first pair's.
func (c *Certificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	t := c.cur.Load()
	if name := hello.ServerName; name != "" {
		if l := t.byHost[name]; l != nil {
			return l.cert, nil
		}
		if l := t.byHost[strings.ToLower(strings.TrimSuffix(name, "."))]; l != nil {
			return l.cert, nil
		}
	}
	return t.first.cert, nil
}

// Reload reads every pair again and publishes those that changed and
// load; the others keep serving what they served. It returns the errors of
// the pairs refused, which it also logs.
func (c *Certificates) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.cur.Load()
	pairs, err := c.pairs(prev)
	if err != nil {
		c.log.Error("TLS certificates not reloaded; the current ones keep serving", "err", err)
		return err
	}
	next := &table{byHost: make(map[string]*loaded, len(pairs)), refused: map[string]refusal{}}
	var errs []error
	changed := false
	for _, p := range pairs {
		cur := prev.byHost[p.Host]
		l, err := c.load(p, cur)
		if err != nil {
			errs = append(errs, err)
			next.refused[p.Host] = refusal{pair: p, err: err, at: time.Now()}
			if cur == nil {
				c.log.Error("TLS certificate refused; its host has none yet", "host", p.Host, "err", err)
				continue
			}
			c.log.Error("TLS certificate refused; the previous one keeps serving", "host", p.Host, "err", err,
				"serving_not_after", cur.cert.Leaf.NotAfter)
			next.add(cur)
			continue
		}
		if l != cur {
			changed = true
			c.log.Info("TLS certificate loaded", "host", p.Host, "file", p.CertFile,
				"serial", l.cert.Leaf.SerialNumber.String(), "not_after", l.cert.Leaf.NotAfter)
		}
		next.add(l)
	}
	if next.first == nil {
		// Every pair failed: keep serving the previous table whole.
		next.byHost, next.first = prev.byHost, prev.first
	}
	if changed || len(errs) > 0 || len(prev.refused) > 0 {
		c.cur.Store(next)
	}
	return errors.Join(errs...)
}

// Watch reloads the certificates whenever a file in the directories that
// hold them changes (debounced, see Debounce), until ctx is done. It
// watches directories rather than files: certificates are replaced by a
// rename (or, in Kubernetes, a symbolic link swap), which a watch on the
// old file would miss. ready, when not nil, is closed once the watches are
// in place.
func (c *Certificates) Watch(ctx context.Context, ready chan<- struct{}) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching TLS certificates: %w", err)
	}
	defer w.Close()
	for _, d := range c.dirs() {
		if err := w.Add(d); err != nil {
			return fmt.Errorf("watching TLS certificates in %s: %w", d, err)
		}
	}
	if ready != nil {
		close(ready)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			c.log.Warn("watching TLS certificates", "err", err)
			timer.Reset(Debounce)
		case <-timer.C:
			c.Reload()
			// A directory that appeared (a new pair's) is watched too.
			for _, d := range c.dirs() {
				if !slices.Contains(w.WatchList(), d) {
					if err := w.Add(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
						c.log.Warn("watching TLS certificates", "dir", d, "err", err)
					}
				}
			}
		}
	}
}

// dirs returns the directories holding the certificates, sorted.
func (c *Certificates) dirs() []string {
	var ds []string
	if c.opts.Dir != "" {
		ds = append(ds, filepath.Clean(c.opts.Dir))
	}
	add := func(p Pair) {
		ds = append(ds, filepath.Dir(filepath.Clean(p.CertFile)), filepath.Dir(filepath.Clean(p.KeyFile)))
	}
	for _, p := range c.opts.Pairs {
		add(p)
	}
	if t := c.cur.Load(); t != nil {
		for _, l := range t.byHost {
			add(l.pair)
		}
	}
	slices.Sort(ds)
	return slices.Compact(ds)
}

// CertificateStatus is what /status shows of one host's certificate:
// files and public facts, never key material.
type CertificateStatus struct {
	Host     string    `json:"host"`
	CertFile string    `json:"certFile"`
	KeyFile  string    `json:"keyFile"`
	Subject  string    `json:"subject,omitempty"`
	Serial   string    `json:"serial,omitempty"`
	NotAfter time.Time `json:"notAfter,omitzero"`
	LoadedAt time.Time `json:"loadedAt,omitzero"`
	// Error is why the files' current content was refused, if it was;
	// the certificate above keeps serving.
	Error   string    `json:"error,omitempty"`
	ErrorAt time.Time `json:"errorAt,omitzero"`
}

// Status returns each host's certificate, sorted by host.
func (c *Certificates) Status() []CertificateStatus {
	t := c.cur.Load()
	var out []CertificateStatus
	for h, l := range t.byHost {
		leaf := l.cert.Leaf
		s := CertificateStatus{Host: h, CertFile: l.pair.CertFile, KeyFile: l.pair.KeyFile,
			Subject: leaf.Subject.String(), Serial: leaf.SerialNumber.String(), NotAfter: leaf.NotAfter, LoadedAt: l.loadedAt}
		if r, ok := t.refused[h]; ok {
			s.Error, s.ErrorAt = r.err.Error(), r.at
		}
		out = append(out, s)
	}
	for h, r := range t.refused {
		if t.byHost[h] == nil {
			out = append(out, CertificateStatus{Host: h, CertFile: r.pair.CertFile, KeyFile: r.pair.KeyFile, Error: r.err.Error(), ErrorAt: r.at})
		}
	}
	slices.SortFunc(out, func(a, b CertificateStatus) int { return strings.Compare(a.Host, b.Host) })
	return out
}
