//go:build unix

package link

import (
	"fmt"
	"os"
	"syscall"
)

// socketPair makes the two ends of a new link: parent's is pollable (its
// reads and writes honour deadlines); child's is for a child process to
// inherit. Neither leaks into other children started meanwhile.
func socketPair() (parent, child *os.File, err error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("link: socket pair: %w", err)
	}
	if err := syscall.SetNonblock(fds[0], true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("link: socket pair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "vizserve-link"), os.NewFile(uintptr(fds[1]), "vizserve-link-child"), nil
}

// inherited opens the end of the link a child inherited as descriptor fd.
func inherited(fd int) (*os.File, error) {
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("descriptor %d: %w", fd, err)
	}
	syscall.CloseOnExec(fd) // the scene's own children do not get it
	return os.NewFile(uintptr(fd), "vizserve-link"), nil
}
