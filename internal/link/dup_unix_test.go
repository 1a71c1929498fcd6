//go:build unix

package link

import (
	"os"
	"syscall"
)

// dupFD gives f's descriptor to the caller, as exec does for a child.
func dupFD(f *os.File) (int, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	return fd, err
}
