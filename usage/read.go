package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxAggregate bounds one aggregate file read or fetched.
const maxAggregate = 256 << 20

// AggregateDate returns the day of a daily aggregate's file name,
// aggregate-YYYY-MM-DD.json, and whether name is one.
func AggregateDate(name string) (string, bool) {
	d, ok := strings.CutPrefix(name, "aggregate-")
	d, ok2 := strings.CutSuffix(d, ".json")
	if _, err := time.Parse(time.DateOnly, d); !ok || !ok2 || err != nil {
		return "", false
	}
	return d, true
}

// AddPath joins the aggregates at path: a file, or a directory searched
// recursively for aggregate-YYYY-MM-DD.json files.
func (s *Set) AddPath(path string) (int, error) {
	n := 0
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if _, ok := AggregateDate(d.Name()); d.IsDir() || (p != path && !ok) {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := s.addReader(f, p); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

func (s *Set) addReader(r io.Reader, name string) error {
	var a Aggregate
	dec := json.NewDecoder(io.LimitReader(r, maxAggregate))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return fmt.Errorf("%s: not a daily aggregate: %w", name, err)
	}
	if err := s.Add(&a); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Fetch joins the aggregates a replica's admin listener serves at base
// (GET /aggregates, then GET /aggregates/{date}), those of since or later
// when since is not empty.
func (s *Set) Fetch(ctx context.Context, client *http.Client, base, since string) (int, error) {
	var dates []string
	if err := get(ctx, client, base+"/aggregates", func(r io.Reader) error {
		return json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&dates)
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range dates {
		if d < since {
			continue
		}
		u := base + "/aggregates/" + url.PathEscape(d)
		if err := get(ctx, client, u, func(r io.Reader) error { return s.addReader(r, u) }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func get(ctx context.Context, client *http.Client, u string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return read(resp.Body)
}
