package e2e

import "syscall"

// sysProcAttr starts a child in its own process group, killed if this
// process dies (so that a test binary killed by its timeout leaves no
// servers behind).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
