// Command idlebench measures the memory an idle WebSocket connection costs
// a server, for each library: it builds cmd/idleserver and cmd/idleclient,
// and for each library starts the server, lets the client open -n
// connections from another process, and compares the server's memory
// before and after. It prints a Markdown table and can write the raw
// results as JSON lines.
//
//	cd bench && go run ./cmd/idlebench -n 10000 -out results/idle.jsonl
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
		fmt.Fprintln(os.Stderr, "idlebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("idlebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "connections per library")
	libs := fs.String("libs", "", "comma-separated libraries (default: each library's usual API: "+strings.Join(bench.Names(bench.IdleLibs()), ",")+")")
	modes := fs.String("modes", "handler,spawn", "where the server's echo loop runs: handler, spawn, or both")
	sources := fs.Int("sources", 4, "loopback source addresses for the client")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on opening the connections, per library")
	out := fs.String("out", "", "write the raw results to this file as JSON lines")
	announce := fs.Int64("announce", 0, "each connection announces a message of this many bytes and sends one of them")
	heap := fs.String("heapprofiles", "", "directory for a heap profile of each server with its idle connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := bench.IdleConfig{N: *n, Sources: *sources, Timeout: *timeout, Progress: stderr, HeapProfiles: *heap, Announce: *announce}
	if *libs == "" {
		cfg.Libs = bench.IdleLibs()
	} else {
		l, err := bench.SelectLibs(*libs)
		if err != nil {
			return err
		}
		cfg.Libs = l
	}
	for m := range strings.SplitSeq(*modes, ",") {
		switch strings.TrimSpace(m) {
		case "handler":
			cfg.Modes = append(cfg.Modes, false)
		case "spawn":
			cfg.Modes = append(cfg.Modes, true)
		default:
			return fmt.Errorf("unknown mode %q; use handler or spawn", m)
		}
	}

	dir, err := os.MkdirTemp("", "idlebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	paths, err := bench.Build(ctx, dir, "idleserver", "idleclient")
	if err != nil {
		return err
	}
	cfg.Server, cfg.Client = paths[0], paths[1]

	results, err := bench.RunIdle(cfg)
	if *out != "" && len(results) > 0 {
		if werr := writeJSONLines(*out, results); werr != nil && err == nil {
			err = werr
		}
	}
	bench.WriteIdleTable(stdout, results)
	return err
}

func writeJSONLines(path string, results []bench.IdleResult) error {
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
