package compiler

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/schema"
)

// Cache keeps the evaluation of configuration files (the decoded value and
// the diagnostics of each file) between compiles, so that a compile
// re-evaluates only the files that changed: the two sides of a diff share
// every unchanged file, `dev` recompiles what was saved, and with a
// directory CI runs reuse each other's work. Cross-file rules, grants'
// checks, OpenAPI documents and the snapshot are always computed again.
//
// An entry is addressed by the hash of everything its evaluation depends
// on: the file's bytes, path and kind, the compiler's build, the schema,
// the limits that bound evaluation. A result that depends on timing (an
// evaluation over its budget) is never cached. On disk, entries are
// written atomically and checked on reading (format, key and checksum):
// an entry that is corrupt, truncated or not this build's is ignored and
// evaluated again, so concurrent runs may share a directory.
//
// A Cache is safe for concurrent use by several compiles.
type Cache struct {
	dir string // "" keeps entries in memory only
	max int64

	mu       sync.Mutex
	mem      map[cacheKey][]byte
	memBytes int64

	send    sync.RWMutex // held to send on writes, and to close it
	writes  chan cacheWrite
	writer  sync.WaitGroup
	written atomic.Int64 // bytes written to dir

	hits, misses atomic.Int64
	closed       atomic.Bool
}

type cacheKey [sha256.Size]byte

type cacheWrite struct {
	key cacheKey
	buf []byte
}

const (
	// cacheFormat is bumped whenever the entry format or what the key
	// covers changes.
	cacheFormat = 1
	// DefaultCacheSize bounds a cache directory.
	DefaultCacheSize = 512 << 20
	// memCacheSize bounds the entries a Cache keeps in memory.
	memCacheSize = 128 << 20
	// cacheEntryMax is the largest entry read back.
	cacheEntryMax = 64 << 20
	// touchAfter is how stale an entry's time may be before a hit
	// refreshes it (eviction removes the least recently used first).
	touchAfter = time.Hour
	// trimEvery is how often a run that wrote entries checks the bound,
	// unless it wrote more than a sixty-fourth of it.
	trimEvery = 10 * time.Minute
)

var cacheMagic = []byte("frontdoor cache\n")

// NewCache returns a cache kept in memory and, unless dir is "", in dir
// (created if missing), bounded to maxBytes there (DefaultCacheSize if
// maxBytes <= 0). When the running binary cannot be identified, entries
// are kept in memory only: an entry on disk must never outlive the code
// that wrote it. Close it when done.
func NewCache(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheSize
	}
	c := &Cache{max: maxBytes, mem: map[cacheKey][]byte{}}
	if dir != "" && buildIdentity() != "" {
		c.dir = filepath.Join(dir, fmt.Sprintf("v%d", cacheFormat))
		if err := os.MkdirAll(c.dir, 0o700); err != nil {
			return nil, fmt.Errorf("cache directory: %w", err)
		}
		c.writes = make(chan cacheWrite, 256)
		c.writer.Add(1)
		go c.writeLoop()
	}
	return c, nil
}

// DefaultCacheDir is the cache directory of the user: frontdoor under
// os.UserCacheDir ($XDG_CACHE_HOME on Linux).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "frontdoor"), nil
}

// Stats says how many files were found in the cache and how many were
// evaluated.
func (c *Cache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// Close finishes writing entries and, when due, evicts the least recently
// used ones beyond the directory's bound.
func (c *Cache) Close() error {
	if c == nil || c.dir == "" {
		return nil
	}
	c.send.Lock()
	if c.closed.Swap(true) {
		c.send.Unlock()
		return nil
	}
	close(c.writes)
	c.send.Unlock()
	c.writer.Wait()
	w := c.written.Load()
	if w == 0 {
		return nil
	}
	marker := filepath.Join(c.dir, "trimmed")
	if fi, err := os.Stat(marker); err == nil && time.Since(fi.ModTime()) < trimEvery && w < c.max/64 {
		return nil
	}
	if err := c.Trim(); err != nil {
		return err
	}
	return os.WriteFile(marker, nil, 0o600)
}

// Trim removes the least recently used entries until the directory is
// within nine tenths of its bound, if it is over it, and temporary files
// left by interrupted writes.
func (c *Cache) Trim() error {
	if c == nil || c.dir == "" {
		return nil
	}
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed by a concurrent run
			}
			return err
		}
		if d.IsDir() || p == filepath.Join(c.dir, "trimmed") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if time.Since(fi.ModTime()) > touchAfter {
				os.Remove(p)
			}
			return nil
		}
		all = append(all, entry{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("trimming cache: %w", err)
	}
	if total <= c.max {
		return nil
	}
	slices.SortFunc(all, func(a, b entry) int { return a.used.Compare(b.used) })
	for _, e := range all {
		if total <= c.max/10*9 {
			break
		}
		if err := os.Remove(e.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.size
		}
	}
	return nil
}

func (c *Cache) path(k cacheKey) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, h[:2], h[2:])
}

// get returns the cached evaluation under k, if any.
func (c *Cache) get(k cacheKey) (*cachedEval, bool) {
	c.mu.Lock()
	b, ok := c.mem[k]
	c.mu.Unlock()
	if !ok && c.dir != "" && !c.closed.Load() {
		if b, ok = c.readEntry(k); ok {
			c.remember(k, b)
		}
	}
	if ok {
		if ce, err := decodeEval(b); err == nil {
			c.hits.Add(1)
			return ce, true
		}
		c.mu.Lock()
		delete(c.mem, k)
		c.mu.Unlock()
	}
	c.misses.Add(1)
	return nil, false
}

// put caches the evaluation under k. A value the codec cannot encode is
// not cached.
func (c *Cache) put(k cacheKey, ce *cachedEval) {
	b, err := encodeEval(ce)
	if err != nil {
		return
	}
	c.remember(k, b)
	if c.dir != "" {
		c.send.RLock()
		if !c.closed.Load() {
			c.writes <- cacheWrite{k, b}
		}
		c.send.RUnlock()
	}
}

func (c *Cache) remember(k cacheKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mem[k]; !ok && c.memBytes+int64(len(b)) <= memCacheSize {
		c.mem[k] = b
		c.memBytes += int64(len(b))
	}
}

// writeLoop writes entries to the directory, off the compile's workers.
// A failed write only loses the entry.
func (c *Cache) writeLoop() {
	defer c.writer.Done()
	made := map[string]bool{}
	for w := range c.writes {
		p := c.path(w.key)
		if d := filepath.Dir(p); !made[d] {
			if os.MkdirAll(d, 0o700) != nil {
				continue
			}
			made[d] = true
		}
		sum := sha256.Sum256(w.buf)
		entry := make([]byte, 0, len(cacheMagic)+4+2*sha256.Size+len(w.buf))
		entry = append(entry, cacheMagic...)
		entry = binary.BigEndian.AppendUint32(entry, cacheFormat)
		entry = append(entry, w.key[:]...)
		entry = append(entry, sum[:]...)
		entry = append(entry, w.buf...)
		if atomicfile.WriteUnsynced(p, entry, 0o600) == nil {
			c.written.Add(int64(len(entry)))
		}
	}
}

// readEntry reads and checks the entry of k on disk.
func (c *Cache) readEntry(k cacheKey) ([]byte, bool) {
	p := c.path(k)
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > cacheEntryMax {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(f, cacheEntryMax))
	if err != nil {
		return nil, false
	}
	head := len(cacheMagic) + 4 + 2*sha256.Size
	if len(b) < head || !bytes.Equal(b[:len(cacheMagic)], cacheMagic) {
		return nil, false
	}
	rest := b[len(cacheMagic):]
	if binary.BigEndian.Uint32(rest) != cacheFormat || !bytes.Equal(rest[4:4+sha256.Size], k[:]) {
		return nil, false
	}
	payload := b[head:]
	if sum := sha256.Sum256(payload); !bytes.Equal(rest[4+sha256.Size:4+2*sha256.Size], sum[:]) {
		return nil, false
	}
	if time.Since(fi.ModTime()) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return payload, true
}

// evalIdentity is what every key of a compile covers besides the file:
// the cache format, the build, the types cached, the schema, and the
// options that change a file's evaluation.
func evalIdentity(limits Limits, noFast bool) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "format %d\nbuild %s\ntypes %s\nschema %x\n", cacheFormat, buildIdentity(), cachedTypeFingerprint(), schemaDigest())
	fmt.Fprintf(h, "limits %d %d %d %d %d\nnofast %t\n", limits.ConfigFile, limits.SpecFile, limits.Repository, limits.EvalTime, limits.EvalMemory, noFast)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

// fileKey is the key of one file's evaluation.
func fileKey(identity *[sha256.Size]byte, lf layoutFile, src []byte) cacheKey {
	h := sha256.New()
	h.Write(identity[:])
	fmt.Fprintf(h, "%d %q %q %q %q %d\n", lf.kind, lf.path, lf.pub, lf.api, lf.org, len(src))
	h.Write(src)
	var k cacheKey
	h.Sum(k[:0])
	return k
}

var cachedTypeFingerprint = sync.OnceValue(typeFingerprint)

// schemaDigest hashes the embedded schema.
var schemaDigest = sync.OnceValue(func() []byte {
	h := sha256.New()
	_ = fs.WalkDir(schema.CUE, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.CUE, p)
		fmt.Fprintf(h, "%q %d %v\n", p, len(b), err)
		h.Write(b)
		return nil
	})
	return h.Sum(nil)
})

// buildIdentity identifies the running binary: its Go build ID (which
// changes with any of its code), or else the hash of the executable. It
// is "" when neither can be read.
var buildIdentity = sync.OnceValue(func() string {
	var b strings.Builder
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&b, "%s %s %s\n", bi.GoVersion, bi.Main.Path, bi.Main.Version)
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if id, err := s.Data(); err == nil && len(id) > 16 {
				fmt.Fprintf(&b, "go build id %x\n", id)
				return b.String()
			}
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	fmt.Fprintf(&b, "executable %x\n", h.Sum(nil))
	return b.String()
})
