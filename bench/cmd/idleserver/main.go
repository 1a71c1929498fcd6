// Command idleserver is the server side of the idle-memory benchmark: the
// echo server of one library, whose memory cmd/idlebench reads before and
// after cmd/idleclient opened its connections:
//
//	idleserver -lib ours [-addr 127.0.0.1:0] [-spawn]
//
// It prints "addr HOST:PORT" and answers "mem" (memory after a garbage
// collection) and "wait N SECS" (until N connections are established) on
// stdin, as bench.ServerMain describes; it exits when stdin ends.
package main

import (
	"fmt"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := bench.ServerMain("idleserver", os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "idleserver:", err)
		os.Exit(1)
	}
}
