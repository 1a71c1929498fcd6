//go:build !linux

package server

import (
	"errors"
	"syscall"
)

func reusePort(network, address string, c syscall.RawConn) error {
	return errors.New("server: ReusePort needs Linux")
}
