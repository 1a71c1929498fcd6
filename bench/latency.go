package bench

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

var (
	latencyOut  = flag.String("latency", "", "append each round trip's latency to this gzipped CSV file (bench,pass,seq,ns)")
	latencyPass = flag.Int("latency-pass", 0, "the pass number written in the latency file's rows")
)

// maxLatencies bounds the round trips whose latency one benchmark records:
// the first maxLatencies are kept (a 16-byte round trip for 1 s is about
// 50,000).
const maxLatencies = 1 << 20

// latencySeries records the latency of each round trip of one benchmark,
// in order, into memory taken before the timed loop, so that recording
// allocates nothing per message.
type latencySeries struct{ ns []int64 }

var latencyBuf []int64

// latencies returns an empty series, reusing the memory of the last one
// (benchmarks run one at a time).
func latencies() *latencySeries {
	if latencyBuf == nil {
		latencyBuf = make([]int64, 0, maxLatencies)
	}
	return &latencySeries{ns: latencyBuf[:0]}
}

func (s *latencySeries) add(d time.Duration) {
	if len(s.ns) < cap(s.ns) {
		s.ns = append(s.ns, int64(d))
	}
}

// report adds the percentiles of the series to b's metrics (p50-ns,
// p99-ns, p99.9-ns, max-ns) and appends the series to the -latency file.
func (s *latencySeries) report(b *testing.B) {
	if len(s.ns) == 0 {
		return
	}
	sorted := slices.Clone(s.ns)
	slices.Sort(sorted)
	for _, p := range []struct {
		q    float64
		unit string
	}{{0.50, "p50-ns"}, {0.99, "p99-ns"}, {0.999, "p99.9-ns"}} {
		b.ReportMetric(float64(quantile(sorted, p.q)), p.unit)
	}
	b.ReportMetric(float64(sorted[len(sorted)-1]), "max-ns")
	if *latencyOut != "" {
		if err := appendLatencies(*latencyOut, b.Name(), *latencyPass, s.ns); err != nil {
			b.Fatal(err)
		}
	}
}

// quantile returns the value at quantile q of sorted values: the smallest
// one at least a fraction q of the values do not exceed.
func quantile(sorted []int64, q float64) int64 {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

var latencyMu sync.Mutex

// appendLatencies appends one gzip member of CSV rows to path: gzip
// readers read concatenated members as one stream, so each benchmark of
// each pass adds its own. The header row is written with the first.
func appendLatencies(path, bench string, pass int, ns []int64) error {
	latencyMu.Lock()
	defer latencyMu.Unlock()
	st, err := os.Stat(path)
	header := err != nil || st.Size() == 0
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	w := bufio.NewWriter(zw)
	if header {
		fmt.Fprintln(w, "bench,pass,seq,ns")
	}
	var line []byte
	for i, v := range ns {
		line = append(line[:0], bench...)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(pass), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(i), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, v, 10)
		line = append(line, '\n')
		w.Write(line)
	}
	err = w.Flush()
	if err2 := zw.Close(); err == nil {
		err = err2
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	return err
}

func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
