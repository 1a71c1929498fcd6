//go:build !unix

package supervise

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}

// signalGroup kills the process: without process groups or SIGTERM, there
// is no gentler way.
func signalGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }
