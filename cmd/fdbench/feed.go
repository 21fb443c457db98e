package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// feed writes a new generation of a snapshot every tick, as CI publishing
// to a file source would: signature, digest and snapshot are each written
// to a temporary file first and renamed one after the other, so that a
// watcher sees the three changes together.
func feed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("feed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "snapshot to start from")
	out := fs.String("o", "", "snapshot file to write (with .sig and .sha256 beside it)")
	signKey := fs.String("sign-key", "", "ed25519 private key (PEM) to sign with")
	every := fs.Duration("every", time.Second, "interval between snapshots")
	n := fs.Int("n", 10, "number of snapshots to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("-in and -o are required")
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	s, err := snapshot.Decode(raw)
	if err != nil {
		return err
	}
	// The canonical encoding has exactly one top-level generation member;
	// a comma before a quote cannot occur inside a JSON string.
	old := []byte(`,"generation":` + strconv.FormatUint(s.Generation, 10) + `,`)
	if bytes.Count(raw, old) != 1 {
		return fmt.Errorf("%s: generation member %q not found once", *in, old)
	}
	var sign func([]byte) []byte
	if *signKey != "" {
		priv, err := readKey(*signKey)
		if err != nil {
			return err
		}
		sign = func(b []byte) []byte { return snapshot.Sign(priv, b) }
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for i := 1; i <= *n; i++ {
		gen := s.Generation + uint64(i)
		start := time.Now()
		next := bytes.Replace(raw, old, []byte(`,"generation":`+strconv.FormatUint(gen, 10)+`,`), 1)
		files := map[string][]byte{*out + ".sha256": []byte(snapshot.Digest(next) + "\n"), *out: next}
		order := []string{*out + ".sha256", *out}
		if sign != nil {
			files[*out+snapshot.SignatureSuffix] = sign(next)
			order = append([]string{*out + snapshot.SignatureSuffix}, order...)
		}
		if err := writeTogether(order, files); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generation %d written in %v\n", gen, time.Since(start).Round(time.Millisecond))
		if i < *n {
			<-tick.C
		}
	}
	return nil
}

// writeTogether writes every file to a temporary name, then renames them in
// order.
func writeTogether(order []string, files map[string][]byte) error {
	tmps := map[string]string{}
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, name := range order {
		f, err := os.CreateTemp(filepath.Dir(name), ".fdbench-*")
		if err != nil {
			return err
		}
		tmps[name] = f.Name()
		_, werr := f.Write(files[name])
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return err
		}
	}
	for _, name := range order {
		if err := os.Rename(tmps[name], name); err != nil {
			return fmt.Errorf("renaming %s: %w", name, err)
		}
		delete(tmps, name)
	}
	return nil
}
