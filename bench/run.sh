#!/usr/bin/env bash
# Runs every benchmark of this module and regenerates the raw results in
# results/: bench.txt (go test -bench output, COUNT passes interleaved so
# that a change in machine load hits every library alike), idle.jsonl and
# idle.md (idle memory per connection), benchstat.txt, report.md (one table
# per benchmark and size: medians, spread, ratios, targets), summary.md
# (the same, compact), machine.txt and latency.csv.gz (every round trip's
# latency in order, per benchmark and pass: bench,pass,seq,ns), and draws
# the figures ../docs/img/bench-*.svg from them (cmd/figures; the
# live-reload figure from the committed results/reload.csv). With
# UPDATE_DOC=1 it also rewrites the generated results block of
# ../docs/benchmarks.md.
#
#   ./run.sh                       # COUNT=6 BENCHTIME=1s IDLE_N=10000
#   COUNT=10 BENCH='RoundTrip$' ./run.sh
#
# Run it on a quiet machine: other processes on the same cores skew
# latency far more than the differences measured here.
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-.}
IDLE_N=${IDLE_N:-10000}
mkdir -p results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	ws_state="clean"
	git diff --quiet HEAD -- ../ws 2>/dev/null || ws_state="with uncommitted changes"
	echo "ws: last changed in $(git log -1 --format=%h -- ../ws 2>/dev/null || echo unknown), $ws_state"
	echo "go: $(go version)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "cores: $(nproc)"
	echo "kernel: $(uname -sr)"
	echo "memory: $(grep MemTotal /proc/meminfo | awk '{print $2 " kB"}')"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "count: $COUNT, benchtime: $BENCHTIME, idle connections: $IDLE_N"
} > results/machine.txt.tmp

go test -c -o "$tmp/bench.test" .
: > results/bench.txt.tmp
: > results/latency.csv.gz.tmp
for i in $(seq 1 "$COUNT"); do
	echo "pass $i of $COUNT, load $(cut -d' ' -f1 /proc/loadavg)" >&2
	"$tmp/bench.test" -test.run='^$' -test.bench="$BENCH" -test.benchmem \
		-test.count=1 -test.benchtime="$BENCHTIME" -test.timeout=0 \
		-latency=results/latency.csv.gz.tmp -latency-pass="$i" | tee -a results/bench.txt.tmp
done

go run ./cmd/idlebench -n "$IDLE_N" -out results/idle.jsonl.tmp > results/idle.md.tmp

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> results/machine.txt.tmp
for f in machine.txt bench.txt idle.jsonl idle.md latency.csv.gz; do
	mv "results/$f.tmp" "results/$f"
done

if go run golang.org/x/perf/cmd/benchstat@latest results/bench.txt > results/benchstat.txt.tmp 2>"$tmp/benchstat.err"; then
	mv results/benchstat.txt.tmp results/benchstat.txt
else
	echo "benchstat unavailable, skipped: $(cat "$tmp/benchstat.err")" >&2
	rm -f results/benchstat.txt.tmp
fi
go run ./cmd/benchreport > results/report.md.tmp
mv results/report.md.tmp results/report.md
go run ./cmd/benchreport -summary > results/summary.md.tmp
mv results/summary.md.tmp results/summary.md
if [ "${UPDATE_DOC:-0}" = 1 ]; then
	go run ./cmd/benchreport -doc ../docs/benchmarks.md
fi
# The figures need the RoundTrip benchmark's latencies: a run of other
# benchmarks (BENCH=Throughput) keeps the old ones, and says so.
if ! go run ./cmd/figures -results results -out ../docs/img; then
	echo "figures in ../docs/img not redrawn" >&2
fi
echo "results in $(pwd)/results; summary in results/summary.md" >&2

# Compression (permessage-deflate), in passes of their own: ratio, round
# trips, CPU and allocations for the five payload kinds of conformance
# group 12 at 1 KiB, 16 KiB and 128 KiB (BenchmarkCompress runs only with
# -compress), then idle memory with compression on beside the same library
# without it; tables in results/compress.md.
#
#   COMPRESS_COUNT=3 COMPRESS_IDLE_N=1000 ./run.sh
COMPRESS_COUNT=${COMPRESS_COUNT:-3}
COMPRESS_IDLE_N=${COMPRESS_IDLE_N:-1000}
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "go: $(go version)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), cores: $(nproc)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "count: $COMPRESS_COUNT, benchtime: $BENCHTIME, idle connections: $COMPRESS_IDLE_N"
} > results/compress-machine.txt.tmp
: > results/compress.txt.tmp
for i in $(seq 1 "$COMPRESS_COUNT"); do
	echo "compression pass $i of $COMPRESS_COUNT, load $(cut -d' ' -f1 /proc/loadavg)" >&2
	"$tmp/bench.test" -test.run='^$' -test.bench='^BenchmarkCompress$' -compress -test.benchmem \
		-test.count=1 -test.benchtime="$BENCHTIME" -test.timeout=0 | tee -a results/compress.txt.tmp
done
go run ./cmd/compressidle -n "$COMPRESS_IDLE_N" -out results/compress-idle.jsonl.tmp > /dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> results/compress-machine.txt.tmp
for f in compress-machine.txt compress.txt compress-idle.jsonl; do
	mv "results/$f.tmp" "results/$f"
done
go run ./cmd/compressreport > results/compress.md.tmp
mv results/compress.md.tmp results/compress.md
echo "compression results in $(pwd)/results/compress.md" >&2
