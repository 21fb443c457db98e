//go:build unix && !linux

package e2e

import "syscall"

// sysProcAttr starts a child in its own process group.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
