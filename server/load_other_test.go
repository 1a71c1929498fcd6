//go:build !unix

package server

import (
	"context"
	"net"
	"testing"
)

func loadRaiseFileLimit(t *testing.T, n int) {}

// loadSmallReceiveBuffer is not available here: connections keep the
// system's buffers.
func loadSmallReceiveBuffer(size int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil
}
