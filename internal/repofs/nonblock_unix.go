//go:build unix && !linux

package repofs

import "syscall"

const nonBlock = syscall.O_NONBLOCK
