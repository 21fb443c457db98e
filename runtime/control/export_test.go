package control

import "time"

// SetFreeInterval sets how often c may return memory to the OS (see
// freeOSMemory); call it before c applies anything.
func SetFreeInterval(c *Controller, d time.Duration) { c.freeEvery = d }
