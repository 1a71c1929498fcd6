// Command compressserver serves the echo of one library with
// permessage-deflate set one way (or off), for the compression benchmarks,
// which start it as a separate process:
//
//	compressserver -lib ours-takeover [-addr 127.0.0.1:0]
//
// It prints "addr HOST:PORT" and then answers commands on stdin (see
// bench.CompressServerMain); it exits when stdin ends.
package main

import (
	"fmt"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := bench.CompressServerMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compressserver:", err)
		os.Exit(1)
	}
}
