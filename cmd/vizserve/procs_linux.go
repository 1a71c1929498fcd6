package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a relay process of -procs end with the parent,
// even one killed with -9.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
