package control

import (
	"sync/atomic"
	"time"
)

// SetFreeInterval sets how often c may return memory to the OS (see
// freeOSMemory); call it before c applies anything.
func SetFreeInterval(c *Controller, d time.Duration) { c.freeEvery = d }

// CountFrees makes c count its returns of memory to the OS (see
// freeOSMemory) in n, besides making them; call it before c applies
// anything.
func CountFrees(c *Controller, n *atomic.Int64) {
	free := c.free
	c.free = func() { n.Add(1); free() }
}
