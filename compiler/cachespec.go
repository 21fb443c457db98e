package compiler

import (
	"crypto/sha256"
	"fmt"
	"io/fs"

	"github.com/frontdoor-dev/frontdoor/internal/repofs"
	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// The outcome of checking an OpenAPI document against its API (parse,
// $ref resolution, validation, agreement with the API) is cached too: its
// diagnostics, keyed by the document's bytes, the key of the API file's
// evaluation (which its decoded value and gaps depend on only) and the
// base URLs its servers may use, together with every other file the parse
// read and what it got, checked again on each use.

// specOutcome is the cached outcome of one document's check, with the
// document's digest (snapshot.Digest of its bytes).
type specOutcome struct {
	Reads  []specRead
	Diags  Diagnostics
	Digest string
}

// specDocument is an OpenAPI document being checked: its bytes (nil while
// not read), what identifies its contents in cache keys (its git blob ID,
// or its bytes), and its digest once known.
type specDocument struct {
	data []byte
	id   string
	sum  string
	blob bool // id is a blob ID: data may be left unread
}

// digest sets the document's digest from its bytes, if not known.
func (d *specDocument) digest() {
	if d.sum == "" {
		d.sum = snapshot.Digest(d.data)
	}
}

// specID identifies a document read as data in cache keys: its blob ID
// when the file system knows it, else its bytes.
func (c *compilation) specID(lf layoutFile, data []byte) string {
	if lf.blob != "" {
		return "blob " + lf.blob
	}
	return fmt.Sprintf("sha256 %x", sha256.Sum256(data))
}

// unreadSpec returns the document lf, unread, when its git blob's secrets
// scan is cached (its size then counted as if read); nil otherwise, and
// for a document no API names (its values are scanned, see checkSpecs).
// Only a compile that does not encode takes it: the snapshot's readers
// get no documents then (Result.Specs).
func (c *compilation) unreadSpec(lf layoutFile, named bool, sink *diagSink) *specDocument {
	id := lf.blob
	if id == "" || !named || !c.opts.NoEncode || c.opts.Cache == nil || c.opts.SpecLoaded != nil {
		return nil
	}
	k := blobKey(&c.identity, lf, id)
	if _, _, ok := c.cached(k, lf, sink, true); !ok {
		return nil
	}
	return &specDocument{id: "blob " + id, blob: true}
}

// readSpec reads a document left unread, its size already counted.
func (c *compilation) readSpec(lf layoutFile, doc *specDocument) error {
	if doc.data != nil {
		return nil
	}
	b, err := repofs.ReadFile(c.fsys, lf.path, c.opts.Limits.SpecFile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", lf.path, err)
	}
	doc.data = b
	return nil
}

// specRead is one file a document's parse read, with the sum of its
// contents, or the error it gave.
type specRead struct {
	Name string
	Max  int64
	Sum  [sha256.Size]byte
	Err  string
}

// recordFS reads through a readsFS, recording what it reads and its sum.
type recordFS struct {
	readsFS
	reads *[]specRead
}

func (r recordFS) ReadFileLimit(name string, max int64) ([]byte, error) {
	b, err := r.readsFS.ReadFileLimit(name, max)
	*r.reads = append(*r.reads, readOf(name, max, b, err))
	return b, err
}

func (r recordFS) ReadFile(name string) ([]byte, error) { return r.ReadFileLimit(name, r.max) }

func readOf(name string, max int64, b []byte, err error) specRead {
	rd := specRead{Name: name, Max: max, Sum: sha256.Sum256(b)}
	if err != nil {
		rd.Err = err.Error()
	}
	return rd
}

// cachedSpec looks the outcome of checking the document file of API id
// up in the cache. On a hit its diagnostics are added to sink and hit is
// true. Otherwise the document is to be checked reading through fsys, and
// done, called after, caches what the check added to sink.
func (c *compilation) cachedSpec(id, apiFile string, major int, envs []string, file string, doc *specDocument, specs readsFS, sink *diagSink) (fsys fs.FS, hit bool, done func()) {
	cache := c.opts.Cache
	if cache == nil || c.opts.SpecLoaded != nil {
		return specs, false, func() {}
	}
	apiKey, ok := c.key(apiFile)
	if !ok {
		return specs, false, func() {}
	}
	h := sha256.New()
	h.Write(c.identity[:])
	fmt.Fprintf(h, "spec %q %q %d %q %x\n%s", id, file, major, envs, apiKey, doc.id)
	var k cacheKey
	h.Sum(k[:0])
	var out specOutcome
	if cache.getValue(k, &out) && c.stillReads(specs, out.Reads) {
		sink.list = append(sink.list, out.Diags...)
		doc.sum = out.Digest
		return specs, true, nil
	}
	var reads []specRead
	n := len(sink.list)
	return recordFS{specs, &reads}, false, func() {
		doc.digest()
		cache.put(k, &specOutcome{Reads: reads, Diags: sink.list[n:len(sink.list):len(sink.list)], Digest: doc.sum})
	}
}

// stillReads reports whether every file recorded reads as it did.
func (c *compilation) stillReads(specs readsFS, reads []specRead) bool {
	for _, rd := range reads {
		b, err := specs.ReadFileLimit(rd.Name, rd.Max)
		if readOf(rd.Name, rd.Max, b, err) != rd {
			return false
		}
	}
	return true
}
