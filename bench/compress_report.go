package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// CompressSample is the measurements of one BenchmarkCompress case over
// every run of it.
type CompressSample struct {
	Kind, Size, Lib string
	Metrics         map[string][]float64 // unit → one value per run
}

func (s *CompressSample) med(unit string) (float64, float64) { return median(s.Metrics[unit]) }

// ParseCompressBench reads `go test -bench` output and groups the runs of
// BenchmarkCompress/kind=K/size=S/lib=L.
func ParseCompressBench(r io.Reader) ([]*CompressSample, error) {
	var out []*CompressSample
	byName := map[string]*CompressSample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkCompress/") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		s := byName[name]
		if s == nil {
			s = &CompressSample{Metrics: map[string][]float64{}}
			for _, p := range strings.Split(name, "/")[1:] {
				k, v, _ := strings.Cut(p, "=")
				switch k {
				case "kind":
					s.Kind = v
				case "size":
					s.Size = v
				case "lib":
					s.Lib = v
				}
			}
			byName[name] = s
			out = append(out, s)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: bad value %q", f[0], f[i])
			}
			s.Metrics[f[i+1]] = append(s.Metrics[f[i+1]], v)
		}
	}
	return out, sc.Err()
}

// ReadCompressIdle reads the JSON lines cmd/compressidle writes.
func ReadCompressIdle(r io.Reader) ([]CompressIdleResult, error) {
	var out []CompressIdleResult
	dec := json.NewDecoder(r)
	for dec.More() {
		var x CompressIdleResult
		if err := dec.Decode(&x); err != nil {
			return out, err
		}
		out = append(out, x)
	}
	return out, nil
}

// WriteCompressReport writes Markdown tables: the compression ratio and
// round trips per second for every kind, size and library, with ours
// compared to the others, then idle memory.
func WriteCompressReport(w io.Writer, samples []*CompressSample, idle []CompressIdleResult) {
	var kinds, sizes, libs []string
	for _, s := range samples {
		if !slices.Contains(kinds, s.Kind) {
			kinds = append(kinds, s.Kind)
		}
		if !slices.Contains(sizes, s.Size) {
			sizes = append(sizes, s.Size)
		}
		if !slices.Contains(libs, s.Lib) {
			libs = append(libs, s.Lib)
		}
	}
	find := func(k, sz, lib string) *CompressSample {
		for _, s := range samples {
			if s.Kind == k && s.Size == sz && s.Lib == lib {
				return s
			}
		}
		return nil
	}
	runs := 0
	for _, s := range samples {
		runs = max(runs, len(s.Metrics["msgs/s"]))
	}
	header := func(extra ...string) {
		fmt.Fprint(w, "| kind | size |")
		for _, l := range libs {
			fmt.Fprintf(w, " %s |", l)
		}
		for _, e := range extra {
			fmt.Fprintf(w, " %s |", e)
		}
		fmt.Fprint(w, "\n|---|---|")
		for range len(libs) + len(extra) {
			fmt.Fprint(w, "---:|")
		}
		fmt.Fprintln(w)
	}
	// rows writes a row per kind and size: a cell per library (— where it
	// was not measured), then tail's cells, if any.
	rows := func(cell func(*CompressSample) string, tail func(k, sz string)) {
		for _, k := range kinds {
			for _, sz := range sizes {
				fmt.Fprintf(w, "| %s | %s |", k, sz)
				for _, l := range libs {
					if s := find(k, sz, l); s != nil {
						fmt.Fprintf(w, " %s |", cell(s))
					} else {
						fmt.Fprint(w, " — |")
					}
				}
				if tail != nil {
					tail(k, sz)
				}
				fmt.Fprintln(w)
			}
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "#### Compression ratio (bytes on the wire ÷ message bytes, server to client, frames included; lower is better)")
	fmt.Fprintln(w)
	header()
	rows(func(s *CompressSample) string {
		v, _ := s.med("ratio")
		return fmt.Sprintf("%.3f", v)
	}, nil)

	var cmp []string
	for _, other := range []string{"gorilla", "gws"} {
		if slices.Contains(libs, other) && slices.Contains(libs, "ours") {
			cmp = append(cmp, "ours ÷ "+other)
		}
	}
	fmt.Fprintf(w, "#### Round trips per second, one connection (median of %d runs, ± largest deviation; higher is better)\n\n", runs)
	header(cmp...)
	rows(func(s *CompressSample) string {
		v, spread := s.med("msgs/s")
		return fmt.Sprintf("%s ±%.0f%%", fmtRate(v), spread*100)
	}, func(k, sz string) {
		for _, c := range cmp {
			other := strings.TrimPrefix(c, "ours ÷ ")
			a, b := find(k, sz, "ours"), find(k, sz, other)
			if a == nil || b == nil {
				fmt.Fprint(w, " — |")
				continue
			}
			va, _ := a.med("msgs/s")
			vb, _ := b.med("msgs/s")
			fmt.Fprintf(w, " %.2f |", va/vb)
		}
	})

	fmt.Fprintln(w, "#### CPU time per round trip, client and server processes together (µs, median; lower is better)")
	fmt.Fprintln(w)
	header()
	rows(func(s *CompressSample) string {
		v, _ := s.med("cpu-ns/op")
		return fmt.Sprintf("%.0f", v/1000)
	}, nil)

	fmt.Fprintln(w, "#### Allocations per round trip (client allocs/op; server srv-allocs/op)")
	fmt.Fprintln(w)
	header()
	rows(func(s *CompressSample) string {
		c, _ := s.med("allocs/op")
		sv, _ := s.med("srv-allocs/op")
		return fmt.Sprintf("%.0f / %.0f", c, sv)
	}, nil)

	if len(idle) > 0 {
		fmt.Fprintf(w, "#### Idle memory per connection (%d connections, each having echoed %d messages of %d bytes of JSON; client in another process)\n\n",
			idle[0].N, idle[0].Msgs, idle[0].Size)
		WriteCompressIdleTable(w, idle)
		fmt.Fprintln(w)
	}
}

func fmtRate(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
