package record

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vizserve/vizserve/scene/wire"
)

// BenchmarkTick is the sim's cost per tick of 1,000 moving balls, without
// a recording (a viewer that keeps nothing) and with one written to a
// file, interleaved three times. With a recording the writer runs
// between ticks, as it does when the sim runs at its 60 Hz (the timer is
// stopped meanwhile): ns/op is the sim goroutine's time per tick, whose
// only addition is Send's copy of the batch; ticks/s the rate that allows;
// writer-µs/tick the writer's own time per batch, on the other core.
func BenchmarkTick(b *testing.B) {
	for round := range 3 {
		for _, rec := range []bool{false, true} {
			name := "without"
			if rec {
				name = "with-recording"
			}
			b.Run(fmt.Sprintf("%s/%d", name, round), func(b *testing.B) {
				b.ReportAllocs()
				s := newBalls(sizeBalls, 5, false)
				var w *Writer
				sink := wire.Sink(wire.SinkFunc(func(*wire.Batch) bool { return true }))
				if rec {
					f, err := os.Create(filepath.Join(b.TempDir(), "tick.vzr"))
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					w = NewWriter(f, nil)
					sink = w
				}
				defer s.s.Subscribe(sink)()
				s.s.Advance(1.0 / 60) // the keyframe
				var writer time.Duration
				for b.Loop() {
					s.s.Advance(1.0 / 60)
					if w != nil {
						b.StopTimer()
						t0 := time.Now()
						if err := w.Flush(); err != nil {
							b.Fatal(err)
						}
						writer += time.Since(t0)
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
				if w != nil {
					st := w.Stats()
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
					if st.Merged > 0 {
						b.Fatalf("%d batches merged by a writer that was waited for", st.Merged)
					}
					b.ReportMetric(float64(writer.Microseconds())/float64(b.N), "writer-µs/tick")
				}
			})
		}
	}
}
