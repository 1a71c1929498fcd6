// Command benchreport turns raw benchmark results into Markdown tables:
// medians over the runs with their spread, ratios to the fastest WebSocket
// library and to raw TCP, and a check against the targets.
//
//	go run ./cmd/benchreport -bench results/bench.txt -idle results/idle.jsonl > results/report.md
//	go run ./cmd/benchreport -summary > results/summary.md
//	go run ./cmd/benchreport -doc ../docs/benchmarks.md  # refresh the results block
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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
	summary := fs.Bool("summary", false, "compact tables, sizes as columns, instead of one table per size")
	doc := fs.String("doc", "", "write the summary between the ws-results markers of this Markdown file instead of to stdout")
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
	if *doc == "" {
		if *summary {
			bench.WriteSummary(stdout, samples, idle)
		} else {
			bench.WriteReport(stdout, samples, idle)
		}
		return nil
	}
	old, err := os.ReadFile(*doc)
	if err != nil {
		return err
	}
	var b strings.Builder
	bench.WriteSummary(&b, samples, idle)
	updated, err := bench.ReplaceBetweenMarkers(string(old), b.String())
	if err != nil {
		return fmt.Errorf("%s: %w", *doc, err)
	}
	return os.WriteFile(*doc, []byte(updated), 0o644)
}
