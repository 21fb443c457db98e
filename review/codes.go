package review

import "github.com/frontdoor-dev/frontdoor/compiler"

// diag builds a diagnostic of the pull-request checks (codes FD6xx, in the
// compiler's registry); line and col below 1 mean the start of the file.
func diag(file string, line, col int, code, msg, hint string) compiler.Diagnostic {
	if line < 1 {
		line, col = 1, 1
	}
	if col < 1 {
		col = 1
	}
	sev := compiler.SeverityError
	if ci, ok := compiler.LookupCode(code); ok && ci.Warning {
		sev = compiler.SeverityWarning
	}
	return compiler.Diagnostic{File: file, Line: line, Col: col, Code: code, Message: compiler.Redact(msg), Hint: compiler.Redact(hint), Severity: sev}
}
