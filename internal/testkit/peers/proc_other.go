//go:build !unix

package peers

import "os/exec"

// setProcessGroup does nothing where there are no process groups.
func setProcessGroup(cmd *exec.Cmd) {}

// killGroup kills the process itself; its children are on their own.
func killGroup(cmd *exec.Cmd) {
	cmd.Process.Kill()
}
