package snaptest

import (
	"context"
	"io/fs"
	"strings"

	"github.com/frontdoor-dev/frontdoor/runtime/source"
)

// ConfigFile is the one file of a fake configuration repository: its first
// line is the upstream of every API. A line starting with "!" is a
// configuration error, reported at that line.
const ConfigFile = "platform/upstream.txt"

// Compile is a fake source.CompileFunc over ConfigFile: it builds Small
// with the input's generation and commit and the file's upstream.
func Compile(_ context.Context, in source.CompileInput) (source.CompileOutput, error) {
	b, err := fs.ReadFile(in.FS, ConfigFile)
	if err != nil {
		return source.CompileOutput{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var diags []source.Diagnostic
	for i, l := range lines {
		if strings.HasPrefix(l, "!") {
			diags = append(diags, source.Diagnostic{File: ConfigFile, Line: i + 1, Col: 1, Code: "FD999", Message: "broken: " + l[1:], Hint: "remove the !"})
		}
	}
	if len(diags) > 0 {
		return source.CompileOutput{Diagnostics: diags}, nil
	}
	s := Small(in.Generation, strings.TrimSpace(lines[0]))
	s.Commit = in.Commit
	out, err := s.Encode()
	if err != nil {
		return source.CompileOutput{}, err
	}
	return source.CompileOutput{Bytes: out}, nil
}
