// Command fdcorpus writes a synthetic frontdoor configuration repository of
// a preset or custom size, for compile benchmarks and scale tests.
//
//	fdcorpus -size L -o /tmp/corpus-l
//	fdcorpus -size S -grants 5000 -o /tmp/corpus
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/frontdoor-dev/frontdoor/internal/corpus"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("fdcorpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizeName := fs.String("size", "S", "preset size: S, M or L")
	out := fs.String("o", "", "output directory (must be empty or absent)")
	pubs := fs.Int("publishers", 0, "override the number of publishers")
	apis := fs.Int("apis", 0, "override the number of APIs per publisher")
	consumers := fs.Int("consumers", 0, "override the number of consumer organisations")
	apps := fs.Int("apps", 0, "override the number of apps per consumer")
	grants := fs.Int("grants", 0, "override the total number of grants")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: fdcorpus [-size S|M|L] [overrides] -o DIR")
		fs.PrintDefaults()
		return 2
	}
	size, err := corpus.ParseSize(*sizeName)
	if err != nil {
		fmt.Fprintf(stderr, "fdcorpus: %v\n", err)
		return 2
	}
	for _, o := range []struct {
		flag int
		dst  *int
	}{{*pubs, &size.Publishers}, {*apis, &size.APIsPerPublisher}, {*consumers, &size.Consumers}, {*apps, &size.AppsPerConsumer}, {*grants, &size.Grants}} {
		if o.flag > 0 {
			*o.dst = o.flag
		}
	}
	start := time.Now()
	if err := corpus.Write(*out, size); err != nil {
		fmt.Fprintf(stderr, "fdcorpus: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprintf(stderr, "fdcorpus: wrote %s (%s) in %v\n", *out, size, time.Since(start).Round(time.Millisecond))
	}
	return 0
}
