// Command compressidleclient is the client side of the compressed
// idle-memory benchmark, run as a process of its own: it opens many
// connections to an echo server offering permessage-deflate, echoes a few
// compressed messages on each, prints "ready N" and holds them until stdin
// ends.
//
//	compressidleclient -addr 127.0.0.1:PORT [-n 1000] [-msgs 3] [-size 16384]
//
// It speaks the WebSocket handshake, frames and compression itself
// (compress/flate), so that it is the same client for every library.
package main

import (
	"fmt"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := bench.CompressIdleClientMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compressidleclient:", err)
		os.Exit(1)
	}
}
