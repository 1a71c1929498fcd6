// Command vizserve builds a Go scene, runs it, serves it to the browser, and
// on every save rebuilds it and swaps the new code in while the page stays
// live.
//
//	vizserve ./scene.go                        serve, watch, reload
//	vizserve export ./scene.go -o out.svg      render a frame to a file
//	vizserve help                              flags and details
//
// docs/dev.md describes how it works.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err != errUsage {
			fmt.Fprintln(os.Stderr, "vizserve:", err)
		}
		os.Exit(2)
	}
}
