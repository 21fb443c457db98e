package main

import (
	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// cacheFlags select the cache of files' evaluations (see compiler.Cache).
type cacheFlags struct {
	dir  string
	off  bool
	size int64
}

func (f *cacheFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.dir, "cache-dir", "", "keep each file's evaluation in this directory for later runs (default: frontdoor in the user's cache directory, e.g. $XDG_CACHE_HOME/frontdoor)")
	c.Flags().BoolVar(&f.off, "no-cache", false, "evaluate every file, reading and writing no cache")
	c.Flags().Var(byteSize{&f.size}, "cache-size", "size bound of the cache directory; the least recently used entries go first (default "+sizeText(compiler.DefaultCacheSize)+")")
}

// open returns the cache to compile with, nil with --no-cache. Without
// --cache-dir, a user cache directory that cannot be used leaves a cache
// in memory only: the cache never stops a command.
func (f *cacheFlags) open() (*compiler.Cache, error) {
	if f.off {
		return nil, nil
	}
	if f.dir != "" {
		c, err := compiler.NewCache(f.dir, f.size)
		if err != nil {
			return nil, ioErr(err)
		}
		return c, nil
	}
	if dir, err := compiler.DefaultCacheDir(); err == nil {
		if c, err := compiler.NewCache(dir, f.size); err == nil {
			return c, nil
		}
	}
	return compiler.NewCache("", f.size)
}
