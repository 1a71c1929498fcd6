//go:build unix

package server

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
)

// loadRaiseFileLimit raises the soft limit on open files, if needed, so
// that this process can hold n connections (and the files a test binary
// has open besides).
func loadRaiseFileLimit(t *testing.T, n int) {
	t.Helper()
	want := uint64(n) + 512
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if uint64(lim.Cur) >= want {
		return
	}
	if uint64(lim.Max) < want {
		t.Fatalf("the hard limit on open files is %d; %d connections need %d (raise it with ulimit -Hn)", lim.Max, n, want)
	}
	old := lim.Cur
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	t.Logf("raised the soft limit on open files from %d to %d", old, lim.Max)
}

// loadSmallReceiveBuffer returns a dial function whose connections have a
// receive buffer of about size bytes, so that a peer that does not read
// fills it, and the server's writes block, after little data.
func loadSmallReceiveBuffer(size int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		return errors.Join(err, serr)
	}}
	return d.DialContext
}
