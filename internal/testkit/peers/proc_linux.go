package peers

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in a new process group, and has the kernel kill
// it if the process that started it dies.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// Sent when the thread that forked dies; Go does not end threads
	// except those locked by exiting goroutines, which tests do not use.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// killGroup kills every process in cmd's process group.
func killGroup(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
