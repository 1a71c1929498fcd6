// Command compressreport turns the compression benchmark results into
// Markdown tables: ratio, round trips per second, CPU time and allocations
// per payload kind, size and library, and idle memory with compression on.
//
//	cd bench && go run ./cmd/compressreport > results/compress.md
//
// It reads results/compress.txt (go test -bench -compress output, any
// number of runs) and results/compress-idle.jsonl (from cmd/compressidle),
// or the files given by -bench and -idle.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/vizserve/vizserve/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compressreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("compressreport", flag.ContinueOnError)
	fl.SetOutput(stderr)
	benchPath := fl.String("bench", "results/compress.txt", "go test -bench output of BenchmarkCompress")
	idlePath := fl.String("idle", "results/compress-idle.jsonl", "JSON lines from cmd/compressidle (skipped if missing)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*benchPath)
	if err != nil {
		return err
	}
	samples, err := bench.ParseCompressBench(f)
	f.Close()
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return fmt.Errorf("%s: no BenchmarkCompress results", *benchPath)
	}
	var idle []bench.CompressIdleResult
	if g, err := os.Open(*idlePath); err == nil {
		idle, err = bench.ReadCompressIdle(g)
		g.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *idlePath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	bench.WriteCompressReport(stdout, samples, idle)
	return nil
}
