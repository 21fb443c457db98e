//go:build unix

package e2e

import (
	"os"
	"syscall"
)

// killGroup kills p's process group (its children too), or p alone if it
// leads none.
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}
