package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vizserve/vizserve/bench"
	"github.com/vizserve/vizserve/scene"
)

const (
	figWidth = 960
	red      = "#d62728"
	blue     = "#1f77b4"
	orange   = "#ff7f0e"
	grey     = "#7f7f7f"
)

// LatencyOverTime draws, for each library, the latency of every round
// trip of one run of bench at size against the time since the run began,
// one small multiple per library with the same axes (of several passes,
// the first). A line of 10,000 points would be too heavy for a document,
// so the round trips are grouped in buckets of consecutive ones: each
// bucket's slowest round trip (where GC pauses and scheduling spikes
// show) and its median.
func LatencyOverTime(series []*Series, bench, size string) (*scene.Scene, error) {
	var picked []*Series
	seen := map[string]bool{}
	for _, s := range series {
		if s.Bench == bench && s.Size == size && !seen[s.Lib] && len(s.NS) > 0 {
			seen[s.Lib] = true
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("no latencies of %s at size %s", bench, size)
	}
	const buckets = 250
	lo, hi, tmax := math.Inf(1), 0.0, 0.0
	for _, s := range picked {
		var t int64
		for _, ns := range s.NS {
			lo = math.Min(lo, float64(ns)/1e3)
			hi = math.Max(hi, float64(ns)/1e3)
			t += ns
		}
		tmax = math.Max(tmax, float64(t)/1e6)
	}
	const cols, pw, ph = 2, figWidth / 2, 190
	rows := (len(picked) + cols - 1) / cols
	sc := scene.New(scene.Options{Width: figWidth, Height: float64(rows * ph)})
	for i, s := range picked {
		per := (len(s.NS) + buckets - 1) / buckets
		var xs, maxs, meds []float64
		var t int64
		for j := 0; j < len(s.NS); j += per {
			b := s.NS[j:min(j+per, len(s.NS))]
			for _, ns := range b {
				t += ns
			}
			sorted := slices.Clone(b)
			slices.Sort(sorted)
			xs = append(xs, float64(t)/1e6)
			maxs = append(maxs, float64(sorted[len(sorted)-1])/1e3)
			meds = append(meds, float64(sorted[len(sorted)/2])/1e3)
		}
		p := sc.Root().Plot(float64(i%cols*pw), float64(i/cols*ph), pw, ph).
			Title(fmt.Sprintf("%s, %s: %d round trips, %d per point", s.Lib, s.Size, len(s.NS), per))
		p.X().Title("time since the run began").Unit("ms").Range(0, tmax)
		p.Y().Log().Title("round trip").Unit("µs").Range(lo, hi)
		p.Line("slowest").Color(red).Set(xs, maxs)
		p.Line("median").Color(blue).Set(xs, meds)
	}
	sc.Advance(0)
	return sc, nil
}

// LatencyDistribution draws the p50, p99, p99.9 and slowest round trip of
// each library at size, the median over the passes in bench.txt, one small
// multiple per library on the same log scale.
func LatencyDistribution(samples []*bench.Sample, benchName, size string) (*scene.Scene, error) {
	units := []string{"p50-ns", "p99-ns", "p99.9-ns", "max-ns"}
	labels := []string{"p50", "p99", "p99.9", "max"}
	var picked []*bench.Sample
	lo, hi := math.Inf(1), 0.0
	for _, s := range samples {
		if s.Bench != benchName || s.Size != size || len(s.Metrics["p50-ns"]) == 0 {
			continue
		}
		picked = append(picked, s)
		for _, u := range units {
			v := median(s.Metrics[u]) / 1e3
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("no percentiles of %s at size %s", benchName, size)
	}
	const cols, ph = 5, 210
	pw := float64(figWidth / cols)
	rows := (len(picked) + cols - 1) / cols
	sc := scene.New(scene.Options{Width: figWidth, Height: float64(rows * ph)})
	var plots []*scene.Plot
	for i, s := range picked {
		xs := []float64{1, 2, 3, 4}
		ys := make([]float64, len(units))
		for j, u := range units {
			ys[j] = median(s.Metrics[u]) / 1e3
		}
		// Every plot has the same short y title, so that all plotting
		// areas are as wide.
		p := sc.Root().Plot(float64(i%cols)*pw, float64(i/cols*ph), pw, ph).Title(s.Lib)
		p.X().Range(0.5, 4.5)
		p.Y().Log().Title("µs").Range(lo/1.5, hi*1.5)
		p.Bar("latency").Color(blue).Set(xs, ys)
		plots = append(plots, p)
	}
	sc.Advance(0)
	for _, p := range plots {
		relabel(p.X(), labels)
	}
	return sc, nil
}

// readPairs are the libraries with an allocating read and a read into a
// buffer the caller keeps, in that order.
var readPairs = [][2]string{
	{"ours", "ours-readinto"},
	{"gorilla", "gorilla-reader"},
	{"coder", "coder-reader"},
	{"gobwas", "gobwas-lowlevel"},
}

// ReadPaths draws, for each library with both, the allocating read beside
// the read into a reused buffer: time per round trip (above) and the
// client's allocations per round trip (below) against the message size.
func ReadPaths(samples []*bench.Sample, benchName string) (*scene.Scene, error) {
	type curve struct{ xs, ns, allocs []float64 }
	get := func(lib string) curve {
		var c curve
		for _, s := range samples {
			if s.Bench != benchName || s.Lib != lib {
				continue
			}
			b, ok := sizeBytes(s.Size)
			if !ok || len(s.Metrics["ns/op"]) == 0 {
				continue
			}
			c.xs = append(c.xs, b)
			c.ns = append(c.ns, median(s.Metrics["ns/op"])/1e3)
			c.allocs = append(c.allocs, median(s.Metrics["allocs/op"]))
		}
		return c
	}
	const ph = 230
	pw := float64(figWidth / len(readPairs))
	sc := scene.New(scene.Options{Width: figWidth, Height: 2 * ph})
	drawn := 0
	lo, hi, amax := math.Inf(1), 0.0, 0.0
	var curves [][2]curve
	for _, pair := range readPairs {
		a, b := get(pair[0]), get(pair[1])
		curves = append(curves, [2]curve{a, b})
		for _, c := range []curve{a, b} {
			for i := range c.xs {
				lo, hi = math.Min(lo, c.ns[i]), math.Max(hi, c.ns[i])
				amax = math.Max(amax, c.allocs[i])
			}
		}
	}
	for i, pair := range readPairs {
		a, b := curves[i][0], curves[i][1]
		if len(a.xs) == 0 || len(b.xs) == 0 {
			continue
		}
		drawn++
		x := float64(i) * pw
		p := sc.Root().Plot(x, 0, pw, ph).Title(pair[0] + " / " + pair[1])
		p.X().Log().Title("message").Unit("B")
		p.Y().Log().Title("time per round trip").Unit("µs").Range(lo/1.2, hi*1.2)
		p.Line("allocates").Color(red).Set(a.xs, a.ns)
		p.Scatter("").Color(red).Set(a.xs, a.ns)
		p.Line("reuses a buffer").Color(blue).Set(b.xs, b.ns)
		p.Scatter("").Color(blue).Set(b.xs, b.ns)

		q := sc.Root().Plot(x, ph, pw, ph).Title("client allocations")
		q.X().Log().Title("message").Unit("B")
		q.Y().Title("per round trip").Range(0, math.Max(1, amax*1.1))
		q.Line("allocates").Color(red).Set(a.xs, a.allocs)
		q.Scatter("").Color(red).Set(a.xs, a.allocs)
		q.Line("reuses a buffer").Color(blue).Set(b.xs, b.allocs)
		q.Scatter("").Color(blue).Set(b.xs, b.allocs)
	}
	if drawn == 0 {
		return nil, fmt.Errorf("no pair of read paths of %s", benchName)
	}
	sc.Advance(0)
	return sc, nil
}

// ReloadStages draws the stages of a live reload after a Go edit: the p50
// of each as a bar, its p90 as a dot. A stage named "total" is the whole
// wait (write → changed DOM) and goes in the title instead.
func ReloadStages(stages []Stage) (*scene.Scene, error) {
	var xs, p50, p90 []float64
	var labels []string
	title := "Live reload after a Go edit, by stage"
	for _, st := range stages {
		if st.Name == "total" {
			title += fmt.Sprintf(" (write → changed DOM: p50 %s ms, p90 %s ms)", num(st.P50), num(st.P90))
			continue
		}
		x := float64(len(xs) + 1)
		xs, p50, p90 = append(xs, x), append(p50, st.P50), append(p90, st.P90)
		labels = append(labels, st.Name)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("no stages")
	}
	sc := scene.New(scene.Options{Width: figWidth, Height: 320})
	p := sc.Root().Plot(0, 0, figWidth, 320).Title(title)
	p.X().Range(0.5, float64(len(xs))+0.5)
	p.Y().Title("time").Unit("ms").Range(0, slices.Max(p90)*1.1)
	p.Bar("p50").Color(blue).Set(xs, p50)
	p.Scatter("p90").Color(orange).Set(xs, p90)
	sc.Advance(0)
	relabel(p.X(), labels)
	return sc, nil
}

// relabel gives an axis named categories at 1, 2, 3…: the tick label at
// a whole number k shows names[k-1], and the other numeric labels are
// emptied. It must run after the plot is drawn, and nothing may change the
// plot after it.
func relabel(a *scene.Axis, names []string) {
	for _, n := range a.Node().Children() {
		t := n.TextContent()
		if t == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(t, "−", "-"), 64)
		if err != nil {
			continue // the axis title
		}
		if k := int(v); float64(k) == v && k >= 1 && k <= len(names) {
			n.SetText(names[k-1])
		} else {
			n.SetText("")
		}
	}
}

// sizeBytes parses the benchmarks' sizes: 16B, 1KiB, 64KiB, 1MiB.
func sizeBytes(s string) (float64, bool) {
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.m
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n * mult, true
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
