//go:build !linux

package background

import (
	"errors"
	"time"
)

func probe() error { return errors.New("no idle scheduling policy on this platform") }

func runIdle(f func(), _ time.Duration) any {
	f()
	return nil
}
