package e2e

import "os/exec"

// proc is a child process a helper started, and a channel closed once it
// has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// kill kills the process group at once (SIGKILL, as a crash would) and
// waits until the process has exited; it does nothing if none runs.
func (p *proc) kill() {
	if p.cmd == nil {
		return
	}
	killGroup(p.cmd.Process)
	<-p.done
	p.cmd = nil
}
