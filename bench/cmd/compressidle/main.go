// Command compressidle measures the memory an idle WebSocket connection
// with permessage-deflate costs a server, for each library and setting,
// beside the same library without compression: it builds
// cmd/compressserver and cmd/compressidleclient, and for each variant
// starts the server, lets the client open -n connections from another
// process and echo -msgs compressed messages of -size bytes on each, and
// compares the server's memory before and after. It prints a Markdown
// table and can write the raw results as JSON lines.
//
//	cd bench && go run ./cmd/compressidle -n 1000 -out results/compress-idle.jsonl
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compressidle:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compressidle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "connections per variant")
	msgs := fs.Int("msgs", 3, "messages each connection echoes before it goes idle")
	size := fs.Int("size", 16<<10, "bytes per message (slices of the JSON payload)")
	var names []string
	for _, l := range bench.CompressLibs {
		names = append(names, l.Name)
	}
	libs := fs.String("libs", "", "comma-separated variants (default: all: "+strings.Join(names, ",")+")")
	sources := fs.Int("sources", 4, "loopback source addresses for the client")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on opening the connections, per variant")
	out := fs.String("out", "", "write the raw results to this file as JSON lines")
	heap := fs.String("heapprofiles", "", "directory for a heap profile of each server with its idle connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sel, err := bench.SelectCompressLibs(*libs)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "compressidle")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	paths, err := bench.Build(ctx, dir, "compressserver", "compressidleclient")
	if err != nil {
		return err
	}
	results, err := bench.RunCompressIdle(bench.CompressIdleConfig{
		Server: paths[0], Client: paths[1], Libs: sel, N: *n, Msgs: *msgs, Size: *size,
		Sources: *sources, Timeout: *timeout, Progress: stderr, HeapProfiles: *heap,
	})
	if *out != "" && len(results) > 0 {
		if werr := writeJSONLines(*out, results); werr != nil && err == nil {
			err = werr
		}
	}
	bench.WriteCompressIdleTable(stdout, results)
	return err
}

func writeJSONLines(path string, results []bench.CompressIdleResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
