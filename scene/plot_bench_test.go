package scene_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/vizserve/vizserve/scene"
)

// BenchmarkPlotFrame: one frame of a scrolling line chart of N points
// (a point added, the oldest one dropped, the axes moved), with the
// bytes it puts on the wire. The line appends its new point and trims
// the one that scrolled out (13 bytes, whatever N); the rest of a
// frame is the data transform and the x axis's ticks moving, also the
// same whatever N. Before marks appended, a frame set the whole points
// attribute again: 195,536 bytes at N = 10,000.
func BenchmarkPlotFrame(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := scene.New(scene.Options{Width: 800, Height: 400})
			p := s.Root().Plot(0, 0, 800, 400)
			p.X().Time().Window(float64(n) / 60)
			l := p.Line("v")
			t := 0.0
			add := func() {
				t += 1.0 / 60
				l.Add(t, math.Sin(t)+0.1*math.Sin(t*37))
			}
			for range n {
				add()
			}
			enc := &encoder{}
			s.Subscribe(enc)
			s.Advance(0)
			b.ReportAllocs()
			b.ResetTimer()
			total := 0
			for range b.N {
				add()
				s.Advance(0)
				total += enc.bytes
			}
			b.ReportMetric(float64(total)/float64(b.N), "wire-bytes/frame")
		})
	}
}

// BenchmarkHeatmapFrame: one frame of a 48×32 heatmap whose every cell
// changed.
func BenchmarkHeatmapFrame(b *testing.B) {
	s := scene.New(scene.Options{})
	h := s.Root().Plot(0, 0, 400, 300).Heatmap("T", 48, 32)
	vals := make([]float64, 48*32)
	enc := &encoder{}
	s.Subscribe(enc)
	s.Advance(0)
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := range b.N {
		for k := range vals {
			vals[k] = math.Sin(float64(k+i) / 50)
		}
		h.SetAll(vals)
		s.Advance(0)
		total += enc.bytes
	}
	b.ReportMetric(float64(total)/float64(b.N), "wire-bytes/frame")
}
