package record

import (
	"compress/flate"
	"testing"
)

// The target: 60 s of 1,000 balls moving at 60 Hz in at most
// 17 MB (its raw batches are about 46 MB).
const (
	sizeBalls  = 1000
	sizeFrames = 60 * 60
	sizeMax    = 17 << 20
)

func TestSize(t *testing.T) {
	if testing.Short() {
		t.Skip("records 60 s of 1,000 balls")
	}
	t.Parallel()
	file, raw, final := recording(t, newBalls(sizeBalls, 3, false), sizeFrames, nil)
	t.Logf("60 s of %d balls at 60 Hz: %d bytes (raw batches %d bytes, %.1f%%)", sizeBalls, len(file), raw, 100*float64(len(file))/float64(raw))
	if len(file) > sizeMax {
		t.Fatalf("%d bytes; want at most %d", len(file), sizeMax)
	}
	r := open(t, file)
	m, err := r.Seek(r.Duration())
	if err != nil {
		t.Fatal(err)
	}
	if m.Dump() != final.Dump() {
		t.Fatal("the recording's end is not the scene's last state")
	}
}

// BenchmarkSize records 60 s of 1,000 balls per iteration with each way
// of compressing and reports the file's size (MB) and its share of the raw
// batches.
func BenchmarkSize(b *testing.B) {
	for _, c := range []struct {
		name  string
		comp  byte
		level int
	}{
		{"delta", compressNone, 0},
		{"delta+deflate-record", compressRecord, flate.DefaultCompression},
		{"delta+deflate-segment", compressSegment, flate.DefaultCompression},
		{"delta+deflate-segment-fast", compressSegment, flate.BestSpeed},
		{"delta+deflate-segment-best", compressSegment, flate.BestCompression},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var size, raw int64
			for b.Loop() {
				file, r, _ := recording(b, newBalls(sizeBalls, 3, false), sizeFrames, &Options{compression: c.comp, compressionSet: true, level: c.level})
				size, raw = int64(len(file)), r
			}
			b.SetBytes(raw)
			b.ReportMetric(float64(size)/1e6, "MB")
			b.ReportMetric(float64(raw)/1e6, "raw-MB")
			b.ReportMetric(100*float64(size)/float64(raw), "%raw")
		})
	}
}
