package main

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixture writes a tiny results directory: two libraries' latencies at
// 1KiB (each run once while b.N was sized, then measured), their
// percentiles and ns/op in bench.txt, and two reload stages.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var csv bytes.Buffer
	csv.WriteString("bench,pass,seq,ns\n")
	for _, lib := range []string{"ours", "gorilla"} {
		name := "BenchmarkRoundTrip/lib=" + lib + "/size=1KiB"
		fmt.Fprintf(&csv, "%s,1,0,999999999\n", name) // the sizing run: dropped
		for i := range 1000 {
			ns := 20000 + i%7*1000
			if i == 500 {
				ns = 3000000 // a pause
			}
			fmt.Fprintf(&csv, "%s,1,%d,%d\n", name, i, ns)
		}
	}
	writeGzip(t, filepath.Join(dir, "latency.csv.gz"), csv.Bytes())
	var txt strings.Builder
	for _, row := range []struct{ lib, size string }{
		{"ours", "16B"}, {"ours", "1KiB"}, {"ours-readinto", "16B"}, {"ours-readinto", "1KiB"}, {"gorilla", "1KiB"},
	} {
		fmt.Fprintf(&txt, "BenchmarkRoundTrip/lib=%s/size=%s-2 \t 1000\t 21000 ns/op\t 3000000 max-ns\t 20000 p50-ns\t 26000 p99-ns\t 900000 p99.9-ns\t 16 B/op\t 1 allocs/op\n", row.lib, row.size)
	}
	write(t, filepath.Join(dir, "bench.txt"), txt.String())
	write(t, filepath.Join(dir, "reload.csv"), "# from a log\nstage,p50_ms,p90_ms\ntotal,300,320\nbuild,250,270\npage,10,12\n")
	return dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeGzip(t *testing.T, path string, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	write(t, path, buf.String())
}

// node is an element of a parsed SVG document.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []*node    `xml:",any"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) hasClass(c string) bool { return slices.Contains(strings.Fields(n.attr("class")), c) }

// all returns the elements under n, n included, that match.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	if match(n) {
		out = append(out, n)
	}
	for _, k := range n.Kids {
		out = append(out, k.all(match)...)
	}
	return out
}

func (n *node) text() string {
	s := n.Text
	for _, k := range n.Kids {
		s += k.text()
	}
	return s
}

func readSVG(t *testing.T, path string) *node {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root node
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &root
}

// plots returns each plot of the document by its title.
func plots(t *testing.T, root *node) map[string]*node {
	t.Helper()
	out := map[string]*node{}
	for _, p := range root.all(func(n *node) bool { return n.hasClass("vz-plot") }) {
		ts := p.all(func(n *node) bool { return n.hasClass("vz-plot-title") })
		title := ""
		if len(ts) > 0 {
			title = ts[0].text()
		}
		// Every plot has both axes, with tick labels.
		for _, ax := range []string{"vz-axis-x", "vz-axis-y"} {
			axes := p.all(func(n *node) bool { return n.hasClass(ax) })
			if len(axes) != 1 {
				t.Errorf("plot %q: %d %s, want 1", title, len(axes), ax)
				continue
			}
			if len(axes[0].all(func(n *node) bool { return n.XMLName.Local == "text" && n.text() != "" })) == 0 {
				t.Errorf("plot %q: %s has no labels", title, ax)
			}
		}
		out[title] = p
	}
	return out
}

func series(p *node) []*node {
	return p.all(func(n *node) bool { return n.attr("data-vz-series") != "" })
}

func TestFigures(t *testing.T) {
	dir := fixture(t)
	out := t.TempDir()
	var stderr bytes.Buffer
	if err := run([]string{"-results", dir, "-out", out}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}

	t.Run("latency over time", func(t *testing.T) {
		ps := plots(t, readSVG(t, filepath.Join(out, "bench-latency-time.svg")))
		if len(ps) != 2 {
			t.Fatalf("%d plots, want one per library (2): %v", len(ps), keys(ps))
		}
		p := ps["ours, 1KiB: 1000 round trips, 4 per point"]
		if p == nil {
			t.Fatalf("no plot for ours with the measured run's 1000 round trips: %v", keys(ps))
		}
		lines := map[string]int{}
		for _, s := range series(p) {
			lines[s.attr("data-vz-series")] = len(strings.Fields(s.attr("points")))
		}
		if lines["slowest"] != 250 || lines["median"] != 250 {
			t.Errorf("points per line: %v, want 250 for slowest and median", lines)
		}
		d := p.all(func(n *node) bool { return n.hasClass("vz-plot-data") })
		if len(d) == 0 || d[0].attr("data-vz-y") != "log" {
			t.Errorf("y axis is not log")
		}
	})

	t.Run("distribution", func(t *testing.T) {
		ps := plots(t, readSVG(t, filepath.Join(out, "bench-latency-dist.svg")))
		if len(ps) != 3 {
			t.Fatalf("%d plots, want one per library at 1KiB (3): %v", len(ps), keys(ps))
		}
		p := ps["gorilla"]
		if p == nil {
			t.Fatalf("no plot for gorilla: %v", keys(ps))
		}
		bars := series(p)
		if len(bars) != 1 || strings.Count(bars[0].attr("d"), "M") != 4 {
			t.Errorf("want one bar mark of 4 bars, got %d marks", len(bars))
		}
		x := p.all(func(n *node) bool { return n.hasClass("vz-axis-x") })[0]
		var labels []string
		for _, l := range x.all(func(n *node) bool { return n.XMLName.Local == "text" && n.text() != "" }) {
			labels = append(labels, l.text())
		}
		if !slices.Equal(labels, []string{"p50", "p99", "p99.9", "max"}) {
			t.Errorf("x labels %q, want p50 p99 p99.9 max", labels)
		}
	})

	t.Run("read paths", func(t *testing.T) {
		ps := plots(t, readSVG(t, filepath.Join(out, "bench-read-paths.svg")))
		// Only ours has both paths in the fixture: its time and its
		// allocations.
		if len(ps) != 2 || ps["ours / ours-readinto"] == nil {
			t.Fatalf("plots %v, want ours / ours-readinto and its allocations", keys(ps))
		}
		var names []string
		for _, s := range series(ps["ours / ours-readinto"]) {
			names = append(names, s.attr("data-vz-series"))
		}
		if !slices.Contains(names, "allocates") || !slices.Contains(names, "reuses a buffer") {
			t.Errorf("series %q, want allocates and reuses a buffer", names)
		}
	})

	t.Run("reload", func(t *testing.T) {
		ps := plots(t, readSVG(t, filepath.Join(out, "bench-reload.svg")))
		p := ps["Live reload after a Go edit, by stage (write → changed DOM: p50 300 ms, p90 320 ms)"]
		if p == nil {
			t.Fatalf("no reload plot with the total in its title: %v", keys(ps))
		}
		if s := series(p); len(s) != 2 {
			t.Errorf("%d marks, want p50 bars and p90 dots", len(s))
		}
	})
}

func keys(m map[string]*node) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestReadLatenciesErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv string }{
		{"fields", "bench,pass,seq,ns\nBenchmarkX,1,0\n"},
		{"number", "bench,pass,seq,ns\nBenchmarkX,1,0,fast\n"},
		{"gap", "bench,pass,seq,ns\nBenchmarkX,1,0,5\nBenchmarkX,1,2,5\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write([]byte(tc.csv))
			zw.Close()
			if _, err := ReadLatencies(&buf); err == nil {
				t.Errorf("no error for %q", tc.csv)
			}
		})
	}
}

func FuzzReadLatencies(f *testing.F) {
	for _, s := range []string{
		"bench,pass,seq,ns\nBenchmarkRoundTrip/lib=ours/size=16B,1,0,5\nBenchmarkRoundTrip/lib=ours/size=16B,1,1,7\n",
		"bench,pass,seq,ns\nBenchmarkX,1,0,5\nBenchmarkX,1,0,6\n",
		"BenchmarkX,2,0,-1\n",
		"",
	} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(s))
		zw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		series, err := ReadLatencies(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range series {
			if len(s.NS) == 0 {
				t.Fatalf("empty series %+v", s)
			}
		}
	})
}

func FuzzReadStages(f *testing.F) {
	f.Add("stage,p50_ms,p90_ms\ntotal,728,803\nlink,545,615\n")
	f.Add("# comment\nstage,p50_ms,p90_ms\n")
	f.Add("stage,p50_ms\n")
	f.Add("stage,p50_ms,p90_ms\nx,NaN,1e9\n")
	f.Fuzz(func(t *testing.T, s string) {
		stages, err := ReadStages(strings.NewReader(s))
		if err == nil && strings.Count(s, "\n")+1 < len(stages)+1 {
			t.Fatalf("%d stages from %d lines", len(stages), strings.Count(s, "\n")+1)
		}
	})
}
