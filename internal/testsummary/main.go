// Command testsummary reads `go test -json` on its input and prints what
// `go test` prints (each package's result, the output of failed tests),
// then a summary naming every skipped test and why it was skipped, so that
// a contributor sees what a run did not test. It exits 1 if any test or
// package failed (make test also keeps go test's own status, pipefail).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type key struct{ pkg, test string }

func main() { os.Exit(run(os.Stdin, os.Stdout)) }

func run(in io.Reader, out io.Writer) int {
	output := map[key][]string{} // output of each test while it runs
	skipped := map[key]string{}  // reason of each skipped test
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(out, sc.Text()) // not an event: a build error, say
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// A package's own lines: its result, or what broke it.
				if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "PASS\n") {
					fmt.Fprint(out, e.Output)
				}
				continue
			}
			output[k] = append(output[k], e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Fprint(out, strings.Join(output[k], ""))
			}
			delete(output, k)
		case "skip":
			if e.Test != "" {
				skipped[k] = reason(output[k])
			}
			delete(output, k)
		case "pass":
			delete(output, k)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading the test events: %v\n", err)
		return 1
	}
	if len(skipped) == 0 {
		fmt.Fprintln(out, "\nno test skipped")
	} else {
		keys := make([]key, 0, len(skipped))
		for k := range skipped {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].pkg != keys[j].pkg {
				return keys[i].pkg < keys[j].pkg
			}
			return keys[i].test < keys[j].test
		})
		fmt.Fprintf(out, "\n%d skipped:\n", len(keys))
		for _, k := range keys {
			fmt.Fprintf(out, "SKIP %s %s: %s\n", k.pkg, k.test, skipped[k])
		}
	}
	if failed {
		return 1
	}
	return 0
}

// reason returns why a test was skipped: the message its t.Skip logged
// (the last output line before "--- SKIP"), without the file:line prefix.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:strings.Index(l, ": ")], ".go:") {
			return msg
		}
		return l
	}
	return "no reason given"
}
