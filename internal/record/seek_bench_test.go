package record

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkSeek seeks to random times of the 60 s recording of 1,000
// balls (TestSize's) and reports the latency's percentiles: a seek reads
// the segment before the time (about 2 s), inflates it, and applies its
// keyframe and batches to a new Mirror.
func BenchmarkSeek(b *testing.B) {
	file, _, _ := recording(b, newBalls(sizeBalls, 3, false), sizeFrames, nil)
	r := open(b, file)
	rng := rand.New(rand.NewPCG(11, 11))
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		at := time.Duration(rng.Int64N(int64(r.Duration())))
		t0 := time.Now()
		if _, err := r.Seek(at); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(file))/1e6, "file-MB")
}

// BenchmarkStepBack is what a Player's step back costs at random times
// of that recording, against a seek alone, interleaved in one loop:
// finding the previous frame decodes the segment once more before the
// seek.
func BenchmarkStepBack(b *testing.B) {
	file, _, _ := recording(b, newBalls(sizeBalls, 3, false), sizeFrames, nil)
	r := open(b, file)
	rng := rand.New(rand.NewPCG(12, 12))
	var seek, back time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		at := time.Duration(rng.Int64N(int64(r.Duration())))
		t0 := time.Now()
		if _, err := r.Seek(at); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		prev, err := r.before(at)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Seek(prev); err != nil {
			b.Fatal(err)
		}
		seek, back = seek+t1.Sub(t0), back+time.Since(t1)
	}
	b.ReportMetric(float64(seek.Microseconds())/1000/float64(b.N), "seek-ms")
	b.ReportMetric(float64(back.Microseconds())/1000/float64(b.N), "stepback-ms")
}
