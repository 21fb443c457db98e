package compiler

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
)

// The outcome of checking an OpenAPI document against its API (parse,
// $ref resolution, validation, agreement with the API) is cached too: its
// diagnostics, keyed by the document's bytes, the key of the API file's
// evaluation (which its decoded value and gaps depend on only) and the
// base URLs its servers may use, together with every other file the parse
// read and what it got, checked again on each use.

// specOutcome is the cached outcome of one document's check.
type specOutcome struct {
	Reads []specRead
	Diags Diagnostics
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
func (c *compilation) cachedSpec(id, apiFile string, major int, envs []string, file string, data []byte, specs readsFS, sink *diagSink) (fsys fs.FS, hit bool, done func()) {
	cache := c.opts.Cache
	if cache == nil || c.opts.SpecLoaded != nil {
		return specs, false, func() {}
	}
	api, ok := c.keys.Load(apiFile)
	if !ok {
		return specs, false, func() {}
	}
	apiKey := api.(cacheKey)
	h := sha256.New()
	h.Write(c.identity[:])
	fmt.Fprintf(h, "spec %q %q %d %q %x %d\n", id, file, major, envs, apiKey, len(data))
	h.Write(data)
	var k cacheKey
	h.Sum(k[:0])
	var out specOutcome
	if cache.getValue(k, &out) && c.stillReads(specs, out.Reads) {
		sink.list = append(sink.list, out.Diags...)
		return specs, true, nil
	}
	var reads []specRead
	n := len(sink.list)
	return recordFS{specs, &reads}, false, func() {
		cache.put(k, &specOutcome{Reads: reads, Diags: sink.list[n:len(sink.list):len(sink.list)]})
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
