package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/internal/atomicfile"
	"github.com/frontdoor-dev/frontdoor/internal/redact"
	usagedata "github.com/frontdoor-dev/frontdoor/usage"
)

func newUsageCmd() *cobra.Command {
	var out, since string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "usage [DIR|FILE|URL]... [-o usage.json]",
		Short: "Merge the replicas' daily aggregates into the public usage dataset",
		Long: `usage joins the daily anonymised aggregates of any number of gateway
replicas — aggregate-YYYY-MM-DD.json files in directories (searched
recursively) or fetched from replicas' admin listeners (http(s)://HOST:PORT,
GET /aggregates) — and writes the public usage dataset (usage.json) that
'frontdoor build --usage' publishes in the catalogue.

One replica's day counts once however often it is given: each aggregate
names its replica (serve --replica-id), and of two versions of a replica's
day the larger is kept. Figures are monthly, per environment, for each API,
each publisher and the platform. Counts below 10 read "fewer than 10";
totals add up only the figures that are published, and an organisation
count that would let a small count be worked out is withheld. No app or
organisation is named.

Exit codes: 0 written, 2 usage or I/O error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if since != "" {
				if _, err := time.Parse(time.DateOnly, since); err != nil {
					return usageErr("--since: want YYYY-MM-DD, got %q", since)
				}
			}
			set := usagedata.NewSet()
			client := &http.Client{Timeout: timeout}
			for _, a := range args {
				var n int
				var err error
				if strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") {
					n, err = set.Fetch(c.Context(), client, strings.TrimSuffix(a, "/"), since)
				} else {
					n, err = set.AddPath(a)
				}
				if err != nil {
					return ioErr(redact.Error(err))
				}
				fmt.Fprintf(c.ErrOrStderr(), "%s: %d daily aggregates\n", redact.URL(a), n)
			}
			b, err := json.MarshalIndent(usagedata.Publish(set), "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" || out == "-" {
				_, err = c.OutOrStdout().Write(b)
				return err
			}
			if err := atomicfile.Write(out, b, 0o644); err != nil {
				return ioErr(err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "wrote %s: %d replica days\n", out, set.Len())
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "file to write (stdout when empty or -)")
	c.Flags().StringVar(&since, "since", "", "fetch only days from this date (YYYY-MM-DD) from admin listeners")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each fetch from an admin listener")
	return c
}

// readUsage reads a usage dataset written by frontdoor usage.
func readUsage(path string) (*usagedata.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ioErr(err)
	}
	defer f.Close()
	var d usagedata.Dataset
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, usageErr("--usage %s: not a usage dataset: %v", path, err)
	}
	return &d, nil
}
