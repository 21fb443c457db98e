package e2e

import "os/exec"

// proc is a child process a helper started, and a channel closed once it
// has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start starts cmd in a process group of its own (for kill) and waits for
// it in the background.
func (p *proc) start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return nil
}

// exited reports whether the process has exited, or none was started.
func (p *proc) exited() bool {
	if p.cmd == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
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
