// Command echoserver serves the echo of one library for the benchmarks,
// which start it as a separate process so that the client's allocations are
// measured apart from the server's:
//
//	echoserver -lib ours [-addr 127.0.0.1:0] [-spawn]
//
// It prints "addr HOST:PORT" and then answers commands on stdin (see
// bench.ServerMain); it exits when stdin ends.
package main

import (
	"fmt"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := bench.ServerMain("echoserver", os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}
