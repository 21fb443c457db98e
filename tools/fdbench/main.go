// Command fdbench is the benchmark scripts' helper (scripts/bench-*.sh):
// it prepares snapshots for a gateway under load, feeds a stream of new
// snapshots to a file source, and draws the results as an SVG chart.
//
//	fdbench prepare -in out/snapshot.json -o DIR -upstream http://127.0.0.1:8081 -apikey KEY [-routes N] [-sign-key K]
//	fdbench stage -in DIR/snapshot.json -o STAGE -sign-key K -n 30 [-start G] [-change-grant]
//	fdbench feed -staged STAGE -o FEED/snapshot.json -every 1s
//	fdbench chart -in results.json -o docs/bench-gateway.svg
//	fdbench bareproxy -listen 127.0.0.1:18086 -upstream http://127.0.0.1:18081
//
// It is not part of frontdoor: it edits snapshots in ways a compiler never
// would (every upstream rewritten, a known API key injected).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: fdbench prepare|stage|feed|chart|bareproxy [flags]")
		return 2
	}
	var err error
	switch args[0] {
	case "prepare":
		err = prepare(args[1:], stdout, stderr)
	case "stage":
		err = stage(args[1:], stdout, stderr)
	case "feed":
		err = feed(args[1:], stdout, stderr)
	case "chart":
		err = chart(args[1:], stderr)
	case "bareproxy":
		err = bareProxy(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fdbench: unknown command %q: want prepare, stage, feed, chart or bareproxy\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "fdbench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// flags returns the flag set of the subcommand name, reporting to stderr.
func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args into fs and fails unless every flag in required is set.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			return fmt.Errorf("-%s are required", strings.Join(required, " and -"))
		}
	}
	return nil
}

// readSnapshot reads and decodes the snapshot at path.
func readSnapshot(path string) (raw []byte, s *snapshot.Snapshot, err error) {
	raw, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	s, err = snapshot.Decode(raw)
	return raw, s, err
}
