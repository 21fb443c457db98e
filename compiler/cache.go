package compiler

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/frontdoor-dev/frontdoor/schema"
)

// Cache keeps the evaluation of configuration files (the decoded value and
// the diagnostics of each file) between compiles, so that a compile
// re-evaluates only the files that changed: the two sides of a diff share
// every unchanged file, `dev` recompiles what was saved, and with a
// directory CI runs reuse each other's work. A grants file's check is
// cached with it, keyed by the files the check reads (cachegrants.go), and
// an OpenAPI document's check by the document, its API file and what its
// $refs read (cachespec.go). Cross-file rules and the snapshot are
// computed again, unless a compile is handed a prior one of the same
// files but grants (Options.Prior, prior.go).
//
// An entry is addressed by the hash of everything its evaluation depends
// on: the file's bytes, path and kind, the compiler's build, the schema,
// the limits that bound evaluation. A result that depends on timing (an
// evaluation over its budget) is never cached. On disk, entries are kept
// in packs (see cachepack.go), each written atomically by one run and
// checked when read: a pack or an entry that is corrupt, truncated or not
// this build's is ignored and evaluated again, so concurrent runs may
// share a directory.
//
// A Cache is safe for concurrent use by several compiles.
type Cache struct {
	// mem holds the entries used recently, old those used before; when
	// mem reaches half of memCacheSize it becomes old and old is dropped,
	// so that a long-running process (dev, serve) keeps what it uses.
	// With a directory, only the entries this process evaluated are kept
	// in memory; those found on disk are read from their pack on each use.
	mu       sync.Mutex
	mem, old map[cacheKey][]byte
	memBytes int64

	disk *packDir // nil: in memory only
	// diskOnly keeps no entry in memory (see DiskOnly).
	diskOnly bool

	hits, misses atomic.Int64
}

type cacheKey [sha256.Size]byte

const (
	// cacheFormat is bumped whenever the entry format or what the key
	// covers changes.
	cacheFormat = 1
	// DefaultCacheSize bounds a cache directory.
	DefaultCacheSize = 512 << 20
	// memCacheSize bounds the entries a Cache keeps in memory.
	memCacheSize = 128 << 20
)

// NewCache returns a cache kept in memory and, unless dir is "", in dir
// (created if missing), bounded to maxBytes there (DefaultCacheSize if
// maxBytes <= 0). When the running binary cannot be identified, entries
// are kept in memory only: an entry on disk must never outlive the code
// that wrote it. Close it when done.
func NewCache(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheSize
	}
	c := &Cache{mem: map[cacheKey][]byte{}}
	if dir != "" && buildIdentity() != "" {
		d, err := openPackDir(filepath.Join(dir, fmt.Sprintf("v%d", cacheFormat)), maxBytes)
		if err != nil {
			return nil, fmt.Errorf("cache directory: %w", err)
		}
		c.disk = d
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

// Close writes the entries not yet on disk and evicts the least recently
// used packs beyond the directory's bound. The Cache then keeps working in
// memory only.
func (c *Cache) Close() error {
	if c == nil || c.disk == nil {
		return nil
	}
	return c.disk.close()
}

// getValue decodes the entry under k into ptr, if there is one.
func (c *Cache) getValue(k cacheKey, ptr any) bool {
	c.mu.Lock()
	b, ok := c.mem[k]
	if !ok {
		if b, ok = c.old[k]; ok {
			c.rememberLocked(k, b)
		}
	}
	c.mu.Unlock()
	if !ok && c.disk != nil {
		// Read from its pack each time: the directory is the store, and
		// memory is kept for what a run evaluated. The bytes are read
		// into a buffer used again once decoded (decoding copies them).
		buf := entryBufs.Get().(*[]byte)
		defer entryBufs.Put(buf)
		b, ok = c.disk.get(k, buf)
	}
	if ok {
		if err := decodeValue(b, ptr); err == nil {
			c.hits.Add(1)
			return true
		}
		c.mu.Lock()
		delete(c.mem, k)
		delete(c.old, k)
		c.mu.Unlock()
	}
	c.misses.Add(1)
	return false
}

// entryBufs are buffers for entries read from packs.
var entryBufs = sync.Pool{New: func() any { return new([]byte) }}

// put caches the value ptr points to, one of cachedTypes, under k.
func (c *Cache) put(k cacheKey, ptr any) {
	c.mu.Lock()
	keep := !c.diskOnly
	c.mu.Unlock()
	_ = encodeWith(ptr, func(b []byte) {
		if c.disk != nil {
			c.disk.put(k, b) // writes b out, keeping none of it
		}
		if keep {
			c.remember(k, bytes.Clone(b))
		}
	})
}

// DiskOnly makes a Cache with a directory keep what it evaluates only
// there, not in memory too: for a command that ends after a compile or
// two (what it made, it reads back from the directory). A Cache without a
// directory is left as it is.
func (c *Cache) DiskOnly() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.diskOnly = c.disk != nil
	c.mu.Unlock()
}

func (c *Cache) remember(k cacheKey, b []byte) {
	c.mu.Lock()
	c.rememberLocked(k, b)
	c.mu.Unlock()
}

func (c *Cache) rememberLocked(k cacheKey, b []byte) {
	if _, ok := c.mem[k]; ok || c.diskOnly || int64(len(b)) > memCacheSize/2 {
		return
	}
	if c.memBytes+int64(len(b)) > memCacheSize/2 {
		c.old, c.mem, c.memBytes = c.mem, map[cacheKey][]byte{}, 0
	}
	c.mem[k] = b
	c.memBytes += int64(len(b))
}

// evalIdentity is what every key of a compile covers besides the file:
// the cache format, the build, the types cached, the schema, and the
// options that change a file's evaluation.
func evalIdentity(limits Limits, noFast bool) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "format %d\nbuild %s\ntypes %x\nschema %x\n", cacheFormat, buildIdentity(), sha256.Sum256(preamble()), schemaDigest())
	fmt.Fprintf(h, "limits %d %d %d %d %d\nnofast %t\n", limits.ConfigFile, limits.SpecFile, limits.Repository, limits.EvalTime, limits.EvalMemory, noFast)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

// fileKey is the key of one file's evaluation.
func fileKey(identity *[sha256.Size]byte, lf layoutFile, src []byte) cacheKey {
	var buf [256]byte
	h := sha256.New()
	h.Write(appendFile(append(buf[:0], identity[:]...), lf, "bytes", strconv.Itoa(len(src))))
	h.Write(src)
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// blobKey is the key of the evaluation of a git blob: its ID stands for
// its contents.
func blobKey(identity *[sha256.Size]byte, lf layoutFile, id string) cacheKey {
	var buf [256]byte
	return sha256.Sum256(appendFile(append(buf[:0], identity[:]...), lf, "blob", id))
}

// appendFile appends what identifies file lf in keys, then fields.
func appendFile(b []byte, lf layoutFile, fields ...string) []byte {
	b = append(b, byte(lf.kind))
	for _, s := range [...]string{lf.path, lf.pub, lf.api, lf.org} {
		b = appendField(b, s)
	}
	for _, s := range fields {
		b = appendField(b, s)
	}
	return b
}

// appendField appends s, prefixed by its length: no two lists of fields
// append the same bytes.
func appendField(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

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
