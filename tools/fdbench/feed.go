package main

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// stage writes a series of new generations of a snapshot, each signed and
// with its digest, into numbered directories, for feed to publish later:
// the measurement then does not include the feeder's hashing, signing and
// writing, which a gateway's publisher (CI) does on another machine.
func stage(args []string, stdout, stderr io.Writer) error {
	fs := flags("stage", stderr)
	in := fs.String("in", "", "snapshot to start from")
	out := fs.String("o", "", "directory to stage the generations in (on the file system of feed's -o)")
	signKey := fs.String("sign-key", "", "ed25519 private key (PEM) to sign with")
	n := fs.Int("n", 10, "number of generations")
	start := fs.Uint64("start", 0, "first generation (default: the snapshot's + 1)")
	grant := fs.Bool("change-grant", false, "also change one grant in every other generation (its expiry date), as a publisher approving an app would")
	if err := parse(fs, args, "in", "o"); err != nil {
		return err
	}
	raw, s, err := readSnapshot(*in)
	if err != nil {
		return err
	}
	// Each generation is the snapshot with a new generation number, and,
	// with -change-grant, a grant set or reset in turn.
	variants := []*snapshot.Snapshot{s}
	if *grant {
		if len(s.Entitlements) == 0 {
			return fmt.Errorf("%s: no grant to change", *in)
		}
		other, err := snapshot.Decode(raw)
		if err != nil {
			return err
		}
		e := &other.Entitlements[len(other.Entitlements)/2]
		if e.Expires == "" {
			e.Expires = "2099-12-31"
		} else {
			e.Expires = ""
		}
		variants = append(variants, other)
	}
	sign, err := signer(*signKey)
	if err != nil {
		return err
	}
	first := *start
	if first == 0 {
		first = s.Generation + 1
	}
	for i := range *n {
		gen := first + uint64(i)
		v := variants[(i+1)%len(variants)]
		v.Generation = gen
		next, err := v.Encode()
		if err != nil {
			return err
		}
		if err := writeSnapshot(filepath.Join(*out, fmt.Sprintf("%012d", gen)), next, sign); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "staged generations %d to %d in %s\n", first, first+uint64(*n)-1, *out)
	return nil
}

// feed publishes staged generations (see stage), one every tick, as CI
// publishing to a file source would: signature, digest and snapshot are
// renamed into place one after the other, so that a watcher sees the three
// changes together. Each staged generation is used once; its files stay in
// the stage directory too (hard links), so that replacing the published
// snapshot does not free the previous one's blocks while requests are being
// measured: kernel time a publisher elsewhere would not spend here.
func feed(args []string, stdout, stderr io.Writer) error {
	fs := flags("feed", stderr)
	staged := fs.String("staged", "", "directory of staged generations (fdbench stage)")
	out := fs.String("o", "", "snapshot file to publish to (with .sig and .sha256 beside it)")
	every := fs.Duration("every", time.Second, "interval between generations")
	if err := parse(fs, args, "staged", "o"); err != nil {
		return err
	}
	gens, err := os.ReadDir(*staged)
	if err != nil {
		return err
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for i, g := range gens {
		start := time.Now()
		dir := filepath.Join(*staged, g.Name())
		for _, suffix := range []string{snapshot.SignatureSuffix, ".sha256", ""} {
			src := filepath.Join(dir, "snapshot.json"+suffix)
			if err := publish(src, *out+suffix); err != nil && !(suffix == snapshot.SignatureSuffix && errors.Is(err, iofs.ErrNotExist)) {
				return err
			}
		}
		fmt.Fprintf(stdout, "generation %s published in %v\n", strings.TrimLeft(g.Name(), "0"), time.Since(start).Round(time.Microsecond))
		if i < len(gens)-1 {
			<-tick.C
		}
	}
	return nil
}

// publish puts a hard link to src at dst by renaming a new link over it
// (atomic for a watcher), or renames src itself where links are refused.
func publish(src, dst string) error {
	tmp := dst + ".feed"
	_ = os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		return os.Rename(src, dst)
	}
	return os.Rename(tmp, dst)
}
