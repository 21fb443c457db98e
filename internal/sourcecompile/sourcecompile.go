// Package sourcecompile runs the compiler for the runtime's configuration
// sources (runtime/source's Dir and Git), which do not link it themselves.
package sourcecompile

import (
	"context"
	"io/fs"

	"github.com/frontdoor-dev/frontdoor/compiler"
	"github.com/frontdoor-dev/frontdoor/runtime/source"
)

// Func returns the compiler as the sources' compile function. Its
// diagnostics are the errors, and the warnings too of a compile that yields
// a snapshot; after such a compile it calls compiled, if set.
func Func(compiled func(*compiler.Result, fs.FS)) source.CompileFunc {
	// Its compiles share a cache in memory: a recompile evaluates only
	// the files that changed.
	cache, err := compiler.NewCache("", 0)
	if err != nil {
		cache = nil // in memory only: NewCache does not fail
	}
	// A directory's compiles are one session: told what changed, a
	// recompile does not read the files that did not.
	var sess *compiler.Session
	var sessDir string
	return func(ctx context.Context, in source.CompileInput) (source.CompileOutput, error) {
		opts := compiler.Options{Commit: in.Commit, Generation: in.Generation, Cache: cache}
		var res *compiler.Result
		var err error
		switch {
		case in.Dir == "":
			res, err = compiler.Compile(ctx, in.FS, opts)
		default:
			if sess == nil || sessDir != in.Dir {
				if sess, err = compiler.NewSession(in.Dir, cache); err != nil {
					return source.CompileOutput{}, err
				}
				sessDir = in.Dir
			} else {
				sess.Changed(in.Changed, in.Rescan)
			}
			res, err = sess.Compile(ctx, opts)
		}
		if err != nil {
			return source.CompileOutput{}, err
		}
		// The compiler encodes a snapshot only once Consistent passed.
		out := source.CompileOutput{Bytes: res.Bytes, Digest: res.Digest, Consistent: len(res.Bytes) > 0}
		for _, d := range res.Diagnostics {
			if len(res.Bytes) > 0 || d.Severity == compiler.SeverityError {
				out.Diagnostics = append(out.Diagnostics, source.Diagnostic{File: d.File, Line: d.Line, Col: d.Col, Code: d.Code, Message: d.Message, Hint: d.Hint})
			}
		}
		if compiled != nil && len(res.Bytes) > 0 {
			compiled(res, in.FS)
		}
		return out, nil
	}
}
