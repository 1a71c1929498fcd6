package bench

import (
	"strings"
	"testing"
)

const sampleOutput = `goos: linux
BenchmarkRoundTrip/lib=ours-readinto/size=16B-2   	   37482	     30000 ns/op	   0.50 MB/s	     33000 cpu-ns/op	         0 srv-allocs/op	       0 B/op	       0 allocs/op
BenchmarkRoundTrip/lib=ours-readinto/size=16B-2   	   37482	     20000 ns/op	   0.50 MB/s	         0 srv-allocs/op	       0 B/op	       0 allocs/op
BenchmarkRoundTrip/lib=ours-readinto/size=16B-2   	   37482	     22000 ns/op	   0.50 MB/s	         0 srv-allocs/op	       0 B/op	       0 allocs/op
BenchmarkRoundTrip/lib=gorilla/size=16B-2         	   22917	     44000 ns/op	   0.36 MB/s	         2 srv-allocs/op	     40000 p50-ns	     90000 p99-ns	     300000 p99.9-ns	     2500000 max-ns	         3.000 gcs	         1.000 srv-gcs	     568 B/op	       3 allocs/op
BenchmarkRoundTrip/lib=raw/size=16B-2             	   20970	     20000 ns/op	   0.29 MB/s	     30000 cpu-ns/op	         0 srv-allocs/op	       0 B/op	       0 allocs/op
BenchmarkThroughput/lib=ours/size=16B-2           	   46950	     25419 ns/op	   0.63 MB/s	     40000 msgs/s	     513 B/op	       1 allocs/op
BenchmarkThroughput/lib=raw/size=16B-2            	   46950	     25419 ns/op	   0.63 MB/s	     50000 msgs/s	     513 B/op	       1 allocs/op
PASS
`

func TestParseBench(t *testing.T) {
	samples, err := ParseBench(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 5 {
		t.Fatalf("got %d samples, want 5", len(samples))
	}
	s := samples[0]
	if s.Bench != "RoundTrip" || s.Lib != "ours-readinto" || s.Size != "16B" {
		t.Errorf("first sample is %s/%s/%s", s.Bench, s.Lib, s.Size)
	}
	if got := len(s.Metrics["ns/op"]); got != 3 {
		t.Errorf("got %d runs, want 3", got)
	}
	med, spread := median(s.Metrics["ns/op"])
	if med != 22000 {
		t.Errorf("median = %v, want 22000", med)
	}
	if want := 8000.0 / 22000; spread != want {
		t.Errorf("spread = %v, want %v", spread, want)
	}
}

func TestWriteReport(t *testing.T) {
	samples, err := ParseBench(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteReport(&b, samples, nil)
	out := b.String()
	for _, want := range []string{
		// ours-readinto is the fastest ws library and 1.10× raw.
		"| ours-readinto | 22.0 µs | ±36% | 1.00× | 1.10× | 33.0 µs | 0 | 0 | 0.00 | 3 |",
		"| gorilla | 44.0 µs | ±0% | 2.00× | 2.20× | – | 3 | 568 | 2.00 | 1 |",
		// Latency percentiles and GCs from the same run.
		"| gorilla | 40.0 µs / 90.0 µs / 300.0 µs / 2.50 ms · 3/1 |",
		// Throughput ratios are of time per message.
		"| ours | 40000 | ±0% | 1.00× | 1.25× |",
		"| RoundTrip 16B: ours-readinto within 1.2× raw TCP | 1.10× (spread ours ±36%, raw ±0%) | yes |",
		"| RoundTrip 16B: ours-readinto faster than every peer | faster than every other library | yes |",
		// CPU: one run of ours (33 µs) against one of raw (30 µs).
		"| RoundTrip 16B: ours-readinto CPU per round trip within 1.2× raw TCP | 1.10× (spread ours ±0%, raw ±0%) | yes |",
		"| 0 allocs per message on ReadInto, 16B | client 0.00, server 0.00 | yes |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q; got:\n%s", want, out)
		}
	}
}

func TestWriteSummary(t *testing.T) {
	samples, err := ParseBench(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteSummary(&b, samples, nil)
	out := b.String()
	for _, want := range []string{
		"| ours-readinto | 22.0 µs ±36% · 1.00 · 1.10 |",
		"| gorilla | 3 / 2 |",
		"| ours | 40000 ±0% · 1.00 · 1.25 |",
		"#### Round trip, echo server in a separate process: CPU time per message, client and server together",
		"| ours-readinto | 33.0 µs ±0% · 1.00 · 1.10 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q; got:\n%s", want, out)
		}
	}
}

func TestReplaceBetweenMarkers(t *testing.T) {
	doc := "# T\n\n" + BeginMarker + "\nold\n" + EndMarker + "\ntail\n"
	got, err := ReplaceBetweenMarkers(doc, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# T\n\n" + BeginMarker + "\n\nnew\n" + EndMarker + "\ntail\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := ReplaceBetweenMarkers("no markers", "x"); err == nil {
		t.Error("no error for a document without markers")
	}
}
