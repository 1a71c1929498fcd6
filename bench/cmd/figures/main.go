// Command figures draws the benchmark figures of docs/benchmarks.md as
// static SVG files, with the scene package's plots: no server, no browser,
// the same markup a page or `vizserve export` shows.
//
//	go run ./cmd/figures -results results -out ../docs/img
//
// It reads results/latency.csv.gz (every round trip's latency, written by
// `go test -bench RoundTrip -latency FILE`), results/bench.txt (go test
// -bench output) and results/reload.csv (the live-reload stages, copied by
// hand from TestReloadLatency's log), and writes
//
//	bench-latency-time.svg   latency of each round trip over time, per library
//	bench-latency-dist.svg   p50, p99, p99.9 and max per library
//	bench-read-paths.svg     allocating and buffer-reusing reads side by side
//	bench-reload.svg         the stages of a live reload
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vizserve/vizserve/bench"
	"github.com/vizserve/vizserve/scene"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "figures:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("figures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	results := fs.String("results", "results", "directory with latency.csv.gz and bench.txt")
	reload := fs.String("reload", "", "live-reload stages CSV (default: reload.csv in -results)")
	out := fs.String("out", "../docs/img", "directory the SVG files are written to")
	size := fs.String("size", "1KiB", "message size of the latency figures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *reload == "" {
		*reload = filepath.Join(*results, "reload.csv")
	}

	lf, err := os.Open(filepath.Join(*results, "latency.csv.gz"))
	if err != nil {
		return err
	}
	series, err := ReadLatencies(lf)
	lf.Close()
	if err != nil {
		return fmt.Errorf("latency.csv.gz: %w", err)
	}
	bf, err := os.Open(filepath.Join(*results, "bench.txt"))
	if err != nil {
		return err
	}
	samples, err := bench.ParseBench(bf)
	bf.Close()
	if err != nil {
		return fmt.Errorf("bench.txt: %w", err)
	}
	rf, err := os.Open(*reload)
	if err != nil {
		return err
	}
	stages, err := ReadStages(rf)
	rf.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *reload, err)
	}

	figs := []struct {
		name string
		s    *scene.Scene
		err  error
	}{
		{name: "bench-latency-time.svg"},
		{name: "bench-latency-dist.svg"},
		{name: "bench-read-paths.svg"},
		{name: "bench-reload.svg"},
	}
	figs[0].s, figs[0].err = LatencyOverTime(series, "RoundTrip", *size)
	figs[1].s, figs[1].err = LatencyDistribution(samples, "RoundTrip", *size)
	figs[2].s, figs[2].err = ReadPaths(samples, "RoundTrip")
	figs[3].s, figs[3].err = ReloadStages(stages)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range figs { // all or none: an old figure is not mixed with new ones
		if f.err != nil {
			return fmt.Errorf("%s: %w", f.name, f.err)
		}
	}
	for _, f := range figs {
		if err := writeSVG(filepath.Join(*out, f.name), f.s); err != nil {
			return err
		}
	}
	return nil
}

// writeSVG writes the drawn scene s to path as a standalone SVG document.
func writeSVG(path string, s *scene.Scene) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := s.WriteSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
