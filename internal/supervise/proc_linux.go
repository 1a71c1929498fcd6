package supervise

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in a new process group (so a Ctrl-C at the
// terminal reaches vizserve, which stops the child itself), and has the
// kernel kill it if vizserve (or a test binary) dies.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// Sent when the thread that forked dies; Go ends no thread but those
	// locked by exiting goroutines, which the callers do not use.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// signalGroup sends SIGTERM, or SIGKILL if kill, to cmd's process group.
func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-cmd.Process.Pid, sig)
}
