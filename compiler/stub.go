package compiler

import (
	"context"
	"errors"
	"io/fs"
)

func compile(context.Context, fs.FS, Options) (*Result, error) {
	return nil, errors.New("compiler: not built yet")
}

// Diagnostics is replaced by the real type.
type Diagnostics []struct{}
