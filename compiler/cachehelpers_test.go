package compiler

import "bytes"

// Helpers of the cache's tests.

// Stats says how many files were found in the cache and how many were
// evaluated.
func (c *Cache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// Trim evicts the least recently used packs until the directory is within
// nine tenths of its bound, if it is over it.
func (c *Cache) Trim() error {
	if c == nil || c.disk == nil {
		return nil
	}
	return c.disk.trim()
}

// newCachedFile returns the cache's form of evaluation v, decoded from n,
// or false when v is not something the cache knows how to keep.
func newCachedFile(size int64, diags Diagnostics, v any, n *node) (*cachedFile, bool) {
	s := &flatScratch{}
	return &s.cf, s.fill(size, diags, v, n)
}

// value decodes the cached evaluation of file lf, as evalFile returned it.
func (cf *cachedFile) value(lf layoutFile) (any, error) { return cf.valueIn(lf, &scratch{}) }

// encodeValue encodes what ptr points to, one of cachedTypes, as an entry.
func encodeValue(ptr any) (b []byte, err error) {
	err = encodeWith(ptr, func(e []byte) { b = bytes.Clone(e) })
	return b, err
}
