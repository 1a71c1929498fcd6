// Command idleclient is the client side of the idle-memory benchmark, run
// as a process of its own: it opens many connections to an echo server,
// echoes one message on each, prints "ready N" and holds them until stdin
// ends.
//
//	idleclient -addr 127.0.0.1:PORT [-n 10000] [-raw] [-sources 4]
//
// It speaks the WebSocket handshake and frames itself, so that it is the
// same client for every library.
package main

import (
	"fmt"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := bench.IdleClientMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "idleclient:", err)
		os.Exit(1)
	}
}
