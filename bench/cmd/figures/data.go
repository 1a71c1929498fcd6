package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A Series is the latency of each round trip of one benchmark run, in
// order, in nanoseconds.
type Series struct {
	Bench, Lib, Size string
	Pass             int
	NS               []int64
}

// ReadLatencies reads the gzipped CSV (bench,pass,seq,ns) that the
// benchmarks' -latency flag writes. The testing package runs a benchmark
// several times while it sizes b.N, and each run appends its rows with seq
// from 0 again: of each benchmark and pass, only the last run (the
// measured one) is kept. Series are returned in the order they first
// appear.
func ReadLatencies(r io.Reader) ([]*Series, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out []*Series
	byKey := map[string]*Series{}
	sc := bufio.NewScanner(zr)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if line == 1 && t == "bench,pass,seq,ns" {
			continue
		}
		f := strings.Split(t, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want 4 fields, got %d", line, len(f))
		}
		pass, err1 := strconv.Atoi(f[1])
		seq, err2 := strconv.Atoi(f[2])
		ns, err3 := strconv.ParseInt(f[3], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		key := f[0] + "," + f[1]
		s := byKey[key]
		if s == nil {
			s = &Series{Pass: pass}
			s.Bench, s.Lib, s.Size = splitName(f[0])
			byKey[key] = s
			out = append(out, s)
		}
		if seq == 0 {
			s.NS = s.NS[:0] // a later run of the same benchmark
		}
		if seq != len(s.NS) {
			return nil, fmt.Errorf("line %d: round trip %d follows %d", line, seq, len(s.NS)-1)
		}
		s.NS = append(s.NS, ns)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// splitName splits BenchmarkRoundTrip/lib=ours/size=16B into its parts.
func splitName(name string) (bench, lib, size string) {
	parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
	bench = parts[0]
	for _, p := range parts[1:] {
		if v, ok := strings.CutPrefix(p, "lib="); ok {
			lib = v
		}
		if v, ok := strings.CutPrefix(p, "size="); ok {
			size = v
		}
	}
	return bench, lib, size
}

// A Stage is one step of a live reload, its p50 and p90 in milliseconds.
type Stage struct {
	Name     string
	P50, P90 float64
}

// ReadStages reads a CSV of stage,p50_ms,p90_ms with a header row; lines
// starting with # are comments.
func ReadStages(r io.Reader) ([]Stage, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 3
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || recs[0][0] != "stage" {
		return nil, errors.New("want a header row stage,p50_ms,p90_ms")
	}
	var out []Stage
	for _, rec := range recs[1:] {
		p50, err1 := strconv.ParseFloat(rec[1], 64)
		p90, err2 := strconv.ParseFloat(rec[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("stage %q: %w", rec[0], err)
		}
		out = append(out, Stage{rec[0], p50, p90})
	}
	return out, nil
}
