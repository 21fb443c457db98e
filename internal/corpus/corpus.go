// Package corpus generates synthetic frontdoor configuration repositories of
// a chosen size, for compile benchmarks and scale tests. It sits beside the
// pipeline, not in it: it writes the files a publisher team, a consumer
// organisation and the operator would commit (frontdoor.cue, approvals,
// publishers with APIs and OpenAPI documents, consumers, grants) in the real
// layout.
//
// The output is valid (it compiles with no diagnostics) and deterministic:
// the same Size always yields byte-identical files, whatever the number of
// CPUs, because every random choice comes from a generator seeded by the
// entity it is made for.
package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Size says how large a generated platform is.
type Size struct {
	// Publishers is the number of publishers.
	Publishers int
	// APIsPerPublisher is the number of APIs each publisher has.
	APIsPerPublisher int
	// Consumers is the number of consumer organisations.
	Consumers int
	// AppsPerConsumer is the number of apps each consumer has.
	AppsPerConsumer int
	// Grants is the total number of grants, over all publishers.
	Grants int
}

// Preset sizes. They are values, copied on use; treat them as constants.
var (
	// S is small: 10 publishers, 100 APIs, 1,000 grants.
	S = Size{Publishers: 10, APIsPerPublisher: 10, Consumers: 20, AppsPerConsumer: 5, Grants: 1_000}
	// M is medium: 100 publishers, 1,000 APIs, 10,000 grants.
	M = Size{Publishers: 100, APIsPerPublisher: 10, Consumers: 200, AppsPerConsumer: 5, Grants: 10_000}
	// L is large: 1,000 publishers, 10,000 APIs, 100,000 grants.
	L = Size{Publishers: 1_000, APIsPerPublisher: 10, Consumers: 2_000, AppsPerConsumer: 5, Grants: 100_000}
)

// ParseSize returns the preset named "S", "M" or "L" (or lowercase).
func ParseSize(name string) (Size, error) {
	switch name {
	case "S", "s":
		return S, nil
	case "M", "m":
		return M, nil
	case "L", "l":
		return L, nil
	}
	return Size{}, fmt.Errorf("unknown corpus size %q (want S, M or L)", name)
}

// String renders the size for logs.
func (s Size) String() string {
	return fmt.Sprintf("%d publishers × %d APIs, %d consumers × %d apps, %d grants",
		s.Publishers, s.APIsPerPublisher, s.Consumers, s.AppsPerConsumer, s.Grants)
}

func (s Size) validate() error {
	switch {
	case s.Publishers < 1 || s.Publishers > 9999:
		return fmt.Errorf("publishers %d out of range 1..9999", s.Publishers)
	case s.APIsPerPublisher < 1 || s.APIsPerPublisher > 999:
		return fmt.Errorf("APIs per publisher %d out of range 1..999", s.APIsPerPublisher)
	case s.Consumers < 1 || s.Consumers > 99999:
		return fmt.Errorf("consumers %d out of range 1..99999", s.Consumers)
	case s.AppsPerConsumer < 1 || s.AppsPerConsumer > 999:
		return fmt.Errorf("apps per consumer %d out of range 1..999", s.AppsPerConsumer)
	case s.Grants < 0:
		return fmt.Errorf("grants %d is negative", s.Grants)
	}
	// Every app can hold an app-level0 grant to a publisher's first API in
	// each of the three environments: that bounds the grants a publisher can
	// give without repeating one.
	perPub := (s.Grants + s.Publishers - 1) / s.Publishers
	if max := s.Consumers * s.AppsPerConsumer * 3; perPub > max {
		return fmt.Errorf("%d grants per publisher exceed the %d distinct grants %d consumers × %d apps allow",
			perPub, max, s.Consumers, s.AppsPerConsumer)
	}
	return nil
}

// Write generates a platform of the given size into dir, which must be
// empty or not exist yet. Files are written in parallel; the content does not
// depend on the order.
func Write(dir string, size Size) error {
	if err := size.validate(); err != nil {
		return fmt.Errorf("corpus size: %w", err)
	}
	if err := checkEmpty(dir); err != nil {
		return err
	}
	p := build(size)

	jobs := make(chan func(w *writer) error)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			w := &writer{root: dir, made: map[string]bool{}}
			for job := range jobs {
				if err := job(w); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		})
	}
	send := func(job func(w *writer) error) bool {
		select {
		case err := <-errc:
			errc <- err
			return false
		case jobs <- job:
			return true
		}
	}
	ok := send(func(w *writer) error { return w.file("frontdoor.cue", platformCUE(p)) })
	for i := range p.pubs {
		if !ok {
			break
		}
		pub := &p.pubs[i]
		ok = send(func(w *writer) error { return w.publisher(pub) })
	}
	for i := range p.orgs {
		if !ok {
			break
		}
		org := &p.orgs[i]
		ok = send(func(w *writer) error {
			return w.file(filepath.Join("consumers", org.id, "consumer.cue"), consumerCUE(org))
		})
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// checkEmpty refuses to mix a corpus with existing files.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("reading corpus directory: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("corpus directory %s is not empty", dir)
	}
	return nil
}

// writer writes files under root; each worker has its own.
type writer struct {
	root string
	made map[string]bool // directories this writer created
}

func (w *writer) file(rel string, data []byte) error {
	full := filepath.Join(w.root, rel)
	d := filepath.Dir(full)
	if !w.made[d] {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
		w.made[d] = true
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return fmt.Errorf("writing corpus file: %w", err)
	}
	return nil
}

// publisher writes everything one publisher and the operator's approvals of
// it consist of.
func (w *writer) publisher(pub *publisher) error {
	dir := filepath.Join("publishers", pub.id)
	if err := w.file(filepath.Join(dir, "publisher.cue"), publisherCUE(pub)); err != nil {
		return err
	}
	if err := w.file(filepath.Join("approvals", "onboarding", pub.id+".cue"), onboardingCUE(pub)); err != nil {
		return err
	}
	for i := range pub.apis {
		a := &pub.apis[i]
		if err := w.file(filepath.Join(dir, "apis", a.name+".cue"), apiCUE(a)); err != nil {
			return err
		}
		if err := w.file(filepath.Join(dir, "apis", a.name+".yaml"), specYAML(a)); err != nil {
			return err
		}
		if a.launched {
			if err := w.file(filepath.Join("approvals", "launch", pub.id+"."+a.name+".cue"), launchCUE(a)); err != nil {
				return err
			}
		}
	}
	for _, g := range pub.grantFiles {
		if err := w.file(filepath.Join(dir, "grants", g.org.id+".cue"), grantsCUE(g)); err != nil {
			return err
		}
	}
	return nil
}
