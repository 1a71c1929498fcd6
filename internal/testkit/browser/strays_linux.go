package browser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// killStrays kills the processes, other than this one, whose command line
// mentions dir, and waits up to timeout for them to exit. Chromium's crash
// handler detaches into a session of its own, out of reach of the process
// group, and keeps its database in dir; it must be gone before dir is
// removed.
func killStrays(dir string, timeout time.Duration) error {
	pids := processesMentioning(dir)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	// A process that is not our child gives no notice of its exit: poll
	// /proc, backing off.
	deadline := time.Now().Add(timeout)
	backoff := time.Millisecond
	for {
		var alive []int
		for _, pid := range pids {
			if running(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v using %s did not exit", alive, dir)
		}
		time.Sleep(backoff) // polling interval, not a wait for an event
		backoff = min(2*backoff, 50*time.Millisecond)
		pids = alive
	}
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// running reports whether a process exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	state := b[i+2]
	return state != 'Z' && state != 'X'
}
