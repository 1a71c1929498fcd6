package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Sample is the measurements of one benchmark, over every run of it.
type Sample struct {
	Bench, Lib, Size string
	Metrics          map[string][]float64 // unit → one value per run
}

// ParseBench reads `go test -bench` output and groups the runs of each
// benchmark named Benchmark<Bench>/lib=<lib>/size=<size>.
func ParseBench(r io.Reader) ([]*Sample, error) {
	var out []*Sample
	byName := map[string]*Sample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
		s := byName[name]
		if s == nil {
			s = &Sample{Bench: parts[0], Metrics: map[string][]float64{}}
			for _, p := range parts[1:] {
				if v, ok := strings.CutPrefix(p, "lib="); ok {
					s.Lib = v
				}
				if v, ok := strings.CutPrefix(p, "size="); ok {
					s.Size = v
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

// median returns the median of v, and its spread: the largest distance
// from the median to a run, as a fraction of the median.
func median(v []float64) (med, spread float64) {
	if len(v) == 0 {
		return math.NaN(), 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	if med != 0 {
		spread = max(med-s[0], s[n-1]-med) / med
	}
	return med, spread
}

func (s *Sample) med(unit string) float64 {
	m, _ := median(s.Metrics[unit])
	return m
}

// WriteReport writes Markdown tables of the benchmark results, each value
// as a median over the runs with its spread, and as ratios to raw TCP and
// to the fastest WebSocket library.
func WriteReport(w io.Writer, samples []*Sample, idle []IdleResult) {
	benches := []struct{ name, title, unit string }{
		{"RoundTrip", "Round trip, server in a separate process (client allocations; srv-allocs from the server process)", "ns/op"},
		{"RoundTripInProcess", "Round trip, server in the same process (allocations of both sides)", "ns/op"},
		{"Throughput", "Throughput, 100 connections doing request/response against a server process", "msgs/s"},
	}
	for _, b := range benches {
		var sizes []string
		for _, s := range samples {
			if s.Bench == b.name && !slices.Contains(sizes, s.Size) {
				sizes = append(sizes, s.Size)
			}
		}
		for _, size := range sizes {
			var rows []*Sample
			for _, s := range samples {
				if s.Bench == b.name && s.Size == size {
					rows = append(rows, s)
				}
			}
			writeTable(w, b.title+", "+size, b.unit, rows)
		}
	}
	writeLatency(w, samples, "RoundTrip", "### Round trip, server in a separate process: latency percentiles and garbage collections")
	if len(idle) > 0 {
		fmt.Fprintln(w, "### Idle memory per connection (10,000 connections, client in another process)")
		fmt.Fprintln(w)
		WriteIdleTable(w, idle)
		fmt.Fprintln(w)
	}
	writeTargets(w, samples, idle)
}

func writeTable(w io.Writer, title, unit string, rows []*Sample) {
	higherBetter := unit == "msgs/s"
	var raw, best float64
	for _, s := range rows {
		v := s.med(unit)
		if s.Lib == rawLib.Name {
			raw = v
			continue
		}
		if best == 0 || (higherBetter && v > best) || (!higherBetter && v < best) {
			best = v
		}
	}
	ratio := func(v, ref float64) string {
		if ref == 0 || math.IsNaN(v) {
			return "–"
		}
		if higherBetter {
			return fmt.Sprintf("%.2f×", ref/v) // time per message, relative
		}
		return fmt.Sprintf("%.2f×", v/ref)
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	valueHead := "time/op"
	if higherBetter {
		valueHead = "msgs/s"
	}
	fmt.Fprintf(w, "| lib | %s | spread | × fastest ws | × raw TCP | CPU/op | allocs/op | B/op | srv-allocs/op | runs |\n", valueHead)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range rows {
		v, spread := median(s.Metrics[unit])
		val := formatNs(v)
		if higherBetter {
			val = strconv.FormatFloat(v, 'f', 0, 64)
		}
		srv := "–"
		if _, ok := s.Metrics["srv-allocs/op"]; ok {
			srv = strconv.FormatFloat(s.med("srv-allocs/op"), 'f', 2, 64)
		}
		cpu := "–"
		if _, ok := s.Metrics["cpu-ns/op"]; ok {
			cpu = formatNs(s.med("cpu-ns/op"))
		}
		fmt.Fprintf(w, "| %s | %s | ±%.0f%% | %s | %s | %s | %s | %s | %s | %d |\n",
			s.Lib, val, spread*100, ratio(v, best), ratio(v, raw), cpu,
			strconv.FormatFloat(s.med("allocs/op"), 'f', -1, 64),
			strconv.FormatFloat(s.med("B/op"), 'f', 0, 64), srv, len(s.Metrics[unit]))
	}
	fmt.Fprintln(w)
}

func formatNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'f', 2, 64) + " ms"
	case ns >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'f', 1, 64) + " µs"
	}
	return strconv.FormatFloat(ns, 'f', 0, 64) + " ns"
}

// writeTargets compares the results with the targets the benchmarks were
// written for.
func writeTargets(w io.Writer, samples []*Sample, idle []IdleResult) {
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | met |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, bench := range []string{"RoundTrip", "RoundTripInProcess"} {
		for _, size := range []string{"16B", "64KiB"} {
			raw := find(samples, bench, rawLib.Name, size)
			ours := find(samples, bench, oursReadIntoLib.Name, size)
			if raw == nil || ours == nil {
				continue
			}
			r := ours.med("ns/op") / raw.med("ns/op")
			limit := 1.2
			if size == "64KiB" {
				limit = 2
			}
			_, so := median(ours.Metrics["ns/op"])
			_, sr := median(raw.Metrics["ns/op"])
			fmt.Fprintf(w, "| %s %s: ours-readinto within %.1f× raw TCP | %.2f× (spread ours ±%.0f%%, raw ±%.0f%%) | %s |\n",
				bench, size, limit, r, so*100, sr*100, yes(r <= limit))
			if len(ours.Metrics["cpu-ns/op"]) > 0 && len(raw.Metrics["cpu-ns/op"]) > 0 {
				rc := ours.med("cpu-ns/op") / raw.med("cpu-ns/op")
				_, so := median(ours.Metrics["cpu-ns/op"])
				_, sr := median(raw.Metrics["cpu-ns/op"])
				fmt.Fprintf(w, "| %s %s: ours-readinto CPU per round trip within %.1f× raw TCP | %.2f× (spread ours ±%.0f%%, raw ±%.0f%%) | %s |\n",
					bench, size, limit, rc, so*100, sr*100, yes(rc <= limit))
			}
			if size != "16B" {
				continue
			}
			var faster []string
			for _, s := range samples {
				if s.Bench != bench || s.Size != size || s.Lib == rawLib.Name || strings.HasPrefix(s.Lib, "ours") {
					continue
				}
				if s.med("ns/op") <= ours.med("ns/op") {
					_, sp := median(s.Metrics["ns/op"])
					faster = append(faster, fmt.Sprintf("%s (%.2f×, ±%.0f%%)", s.Lib, s.med("ns/op")/ours.med("ns/op"), sp*100))
				}
			}
			what := "faster than every other library"
			if len(faster) > 0 {
				what = "not faster than " + strings.Join(faster, ", ")
			}
			fmt.Fprintf(w, "| %s %s: ours-readinto faster than every peer | %s | %s |\n", bench, size, what, yes(len(faster) == 0))
		}
	}
	for _, size := range []string{"16B", "1KiB", "64KiB", "1MiB"} {
		s := find(samples, "RoundTrip", oursReadIntoLib.Name, size)
		if s == nil {
			continue
		}
		c, srv := s.med("allocs/op"), s.med("srv-allocs/op")
		fmt.Fprintf(w, "| 0 allocs per message on ReadInto, %s | client %.2f, server %.2f | %s |\n", size, c, srv, yes(c < 0.01 && srv < 0.01))
	}
	for _, r := range idle {
		if r.Lib != oursLib.Name {
			continue
		}
		mode := "echo loop in handler"
		if r.Spawn {
			mode = "echo loop in own goroutine"
		}
		hs := r.HeapStackPerConn()
		fmt.Fprintf(w, "| at most 8 KB per idle connection (%s) | %.0f B heap+stack, %.0f B RSS | %s |\n", mode, hs, r.RSSPerConn(), yes(hs <= 8000 && r.RSSPerConn() <= 8000))
	}
	fmt.Fprintln(w)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// ReadIdleResults reads the JSON lines cmd/idlebench writes.
func ReadIdleResults(r io.Reader) ([]IdleResult, error) {
	var out []IdleResult
	dec := json.NewDecoder(r)
	for {
		var res IdleResult
		err := dec.Decode(&res)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
}

// WriteSummary writes compact Markdown tables, one per benchmark and
// metric, with the libraries as rows and the message sizes as columns. A
// cell reads "22.0 µs ±5% · 1.00 · 1.10": the median, the spread over the
// runs, the ratio to the fastest WebSocket library and the ratio to raw TCP.
func WriteSummary(w io.Writer, samples []*Sample, idle []IdleResult) {
	tables := []struct{ bench, title, allocs string }{
		{"RoundTrip", "Round trip, echo server in a separate process", "client / server allocs per round trip"},
		{"RoundTripInProcess", "Round trip, echo server in the same process", "allocs per round trip, both sides"},
		{"Throughput", "Throughput, 100 connections against a server process", "client allocs per message"},
	}
	for _, t := range tables {
		sizes, libs := axes(samples, t.bench)
		if len(sizes) == 0 {
			continue
		}
		if t.bench == "Throughput" {
			writeGrid(w, samples, t.bench, "msgs/s", t.title+": messages echoed per second")
		} else {
			writeGrid(w, samples, t.bench, "ns/op", t.title+": time per round trip")
		}
		writeGrid(w, samples, t.bench, "cpu-ns/op", t.title+": CPU time per message, client and server together")
		if t.bench == "RoundTrip" {
			writeLatency(w, samples, t.bench, "#### "+t.title+": latency percentiles and garbage collections")
		}
		fmt.Fprintf(w, "%s:\n\n", strings.ToUpper(t.allocs[:1])+t.allocs[1:])
		writeHead(w, sizes)
		for _, lib := range libs {
			fmt.Fprintf(w, "| %s |", lib)
			for _, size := range sizes {
				s := find(samples, t.bench, lib, size)
				switch {
				case s == nil:
					fmt.Fprint(w, " – |")
				case t.bench == "RoundTrip":
					fmt.Fprintf(w, " %s / %s |", fmtAllocs(s.med("allocs/op")), fmtAllocs(s.med("srv-allocs/op")))
				default:
					fmt.Fprintf(w, " %s |", fmtAllocs(s.med("allocs/op")))
				}
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
	if len(idle) > 0 {
		fmt.Fprintf(w, "#### Idle memory per connection (%d connections, client in another process)\n\n", idle[0].N)
		WriteIdleTable(w, idle)
		fmt.Fprintln(w)
	}
	writeTargets(w, samples, idle)
}

func find(samples []*Sample, bench, lib, size string) *Sample {
	for _, s := range samples {
		if s.Bench == bench && s.Lib == lib && s.Size == size {
			return s
		}
	}
	return nil
}

func writeHead(w io.Writer, sizes []string) {
	fmt.Fprint(w, "| lib |")
	for _, size := range sizes {
		fmt.Fprintf(w, " %s |", size)
	}
	fmt.Fprint(w, "\n|---|")
	for range sizes {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
}

// writeGrid writes one metric of one benchmark, libraries by sizes, with
// ratios to the best WebSocket library and to raw TCP. For msgs/s higher
// is better, and the ratios are of time per message.
func writeGrid(w io.Writer, samples []*Sample, bench, unit, title string) {
	sizes, libs := axes(samples, bench)
	higher := unit == "msgs/s"
	best, raw := map[string]float64{}, map[string]float64{}
	found := false
	for _, size := range sizes {
		for _, lib := range libs {
			s := find(samples, bench, lib, size)
			if s == nil || len(s.Metrics[unit]) == 0 {
				continue
			}
			found = true
			v := s.med(unit)
			if lib == rawLib.Name {
				raw[size] = v
			} else if b, ok := best[size]; !ok || (higher && v > b) || (!higher && v < b) {
				best[size] = v
			}
		}
	}
	if !found {
		return
	}
	rel := func(v, ref float64) string {
		if ref == 0 {
			return "–"
		}
		if higher {
			return strconv.FormatFloat(ref/v, 'f', 2, 64)
		}
		return strconv.FormatFloat(v/ref, 'f', 2, 64)
	}
	fmt.Fprintf(w, "#### %s\n\n", title)
	writeHead(w, sizes)
	for _, lib := range libs {
		fmt.Fprintf(w, "| %s |", lib)
		for _, size := range sizes {
			s := find(samples, bench, lib, size)
			if s == nil || len(s.Metrics[unit]) == 0 {
				fmt.Fprint(w, " – |")
				continue
			}
			v, spread := median(s.Metrics[unit])
			val := formatNs(v)
			if higher {
				val = strconv.FormatFloat(v, 'f', 0, 64)
			}
			fmt.Fprintf(w, " %s ±%.0f%% · %s · %s |", val, spread*100, rel(v, best[size]), rel(v, raw[size]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// axes returns the sizes and libraries of a benchmark in the order they
// first appear.
func axes(samples []*Sample, bench string) (sizes, libs []string) {
	for _, s := range samples {
		if s.Bench != bench {
			continue
		}
		if !slices.Contains(sizes, s.Size) {
			sizes = append(sizes, s.Size)
		}
		if !slices.Contains(libs, s.Lib) {
			libs = append(libs, s.Lib)
		}
	}
	return sizes, libs
}

func fmtAllocs(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// Markers delimit the generated results in a Markdown document.
const (
	BeginMarker = "<!-- ws-results:begin (generated by bench/cmd/benchreport -doc; do not edit) -->"
	EndMarker   = "<!-- ws-results:end -->"
)

// ReplaceBetweenMarkers returns doc with the text between BeginMarker and
// EndMarker replaced by body.
func ReplaceBetweenMarkers(doc, body string) (string, error) {
	i := strings.Index(doc, BeginMarker)
	j := strings.Index(doc, EndMarker)
	if i < 0 || j < i {
		return "", fmt.Errorf("the document has no %q … %q block", BeginMarker, EndMarker)
	}
	return doc[:i+len(BeginMarker)] + "\n\n" + body + doc[j:], nil
}

// writeLatency writes, for each library and size, the per-message latency
// percentiles of one benchmark (p50 / p99 / p99.9 / max, each the median
// over the runs) and the garbage collections during a run in the client
// and server processes (medians over the runs), all from the same runs as
// the time per round trip.
func writeLatency(w io.Writer, samples []*Sample, bench, title string) {
	sizes, libs := axes(samples, bench)
	found := false
	for _, s := range samples {
		if s.Bench == bench && len(s.Metrics["p50-ns"]) > 0 {
			found = true
		}
	}
	if !found {
		return
	}
	fmt.Fprintf(w, "%s\n\n", title)
	fmt.Fprintln(w, "Cells read `p50 / p99 / p99.9 / max · GCs client/server per run`.")
	fmt.Fprintln(w)
	writeHead(w, sizes)
	for _, lib := range libs {
		fmt.Fprintf(w, "| %s |", lib)
		for _, size := range sizes {
			s := find(samples, bench, lib, size)
			if s == nil || len(s.Metrics["p50-ns"]) == 0 {
				fmt.Fprint(w, " – |")
				continue
			}
			srv := "–"
			if len(s.Metrics["srv-gcs"]) > 0 {
				srv = fmtAllocs(s.med("srv-gcs"))
			}
			fmt.Fprintf(w, " %s / %s / %s / %s · %s/%s |", formatNs(s.med("p50-ns")), formatNs(s.med("p99-ns")),
				formatNs(s.med("p99.9-ns")), formatNs(s.med("max-ns")), fmtAllocs(s.med("gcs")), srv)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}
