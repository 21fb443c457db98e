//go:build !linux

package background

import "time"

const supported = false

func runIdle(f func(), _ time.Duration) any {
	f()
	return nil
}
