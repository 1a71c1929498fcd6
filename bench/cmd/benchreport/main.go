// Command benchreport turns raw benchmark results into Markdown tables:
// medians over the runs with their spread, ratios to the fastest WebSocket
// library and to raw TCP, and a check against the targets.
//
//	go run ./cmd/benchreport -bench results/bench.txt -idle results/idle.jsonl > results/report.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	benchPath := fs.String("bench", "results/bench.txt", "go test -bench output")
	idlePath := fs.String("idle", "results/idle.jsonl", "idlebench results (JSON lines); skipped if missing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*benchPath)
	if err != nil {
		return err
	}
	defer f.Close()
	samples, err := bench.ParseBench(f)
	if err != nil {
		return err
	}
	var idle []bench.IdleResult
	if g, err := os.Open(*idlePath); err == nil {
		defer g.Close()
		if idle, err = bench.ReadIdleResults(g); err != nil {
			return fmt.Errorf("%s: %w", *idlePath, err)
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	bench.WriteReport(stdout, samples, idle)
	return nil
}
