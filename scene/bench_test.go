package scene_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// encoder is a sink that encodes each batch as a hub writer would.
type encoder struct {
	buf   []byte
	bytes int
}

func (e *encoder) Send(b *wire.Batch) bool {
	var err error
	e.buf, err = b.AppendBinary(e.buf[:0])
	if err != nil {
		panic(err)
	}
	e.bytes = len(e.buf)
	return true
}

var sizes = []int{1000, 10000}

// BenchmarkRetainedTick: one frame in which every one of N nodes moved:
// diff (dirty tracking) + batch + encoding.
func BenchmarkRetainedTick(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := scene.New(scene.Options{Width: 1000, Height: 1000})
			dots := make([]*scene.Node, n)
			for i := range dots {
				dots[i] = s.Root().Circle(float64(i%1000), float64(i/1000), 2)
			}
			enc := &encoder{}
			s.Subscribe(enc)
			s.Advance(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for j, d := range dots {
					d.SetXY(float64((i+j)%1000), float64(i%1000))
				}
				s.Advance(0)
			}
			b.SetBytes(int64(enc.bytes))
			b.ReportMetric(float64(enc.bytes)/float64(n), "wire-bytes/node")
		})
	}
}

// BenchmarkImmediateTick: one frame of an svgo drawing of N circles that
// all moved: svgo output + parse + diff by id + batch + encoding.
func BenchmarkImmediateTick(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			frame := 0
			s := scene.Immediate(1000, 1000, func(c *svg.SVG) {
				for j := range n {
					c.Circle((frame+j)%1000, j/1000, 2, "fill:red")
				}
			})
			s.OnTick(func(float64) { frame++ })
			enc := &encoder{}
			s.Subscribe(enc)
			s.Advance(0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.Advance(0)
			}
			b.SetBytes(int64(enc.bytes))
			b.ReportMetric(float64(enc.bytes)/float64(n), "wire-bytes/node")
		})
	}
}

// BenchmarkImmediateStill: an immediate frame of N circles where nothing
// changed: the floor cost of immediate mode.
func BenchmarkImmediateStill(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := scene.Immediate(1000, 1000, func(c *svg.SVG) {
				for j := range n {
					c.Circle(j%1000, j/1000, 2, "fill:red")
				}
			})
			s.Advance(0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.Advance(0)
			}
		})
	}
}

// BenchmarkMergerSlowViewer: a viewer that takes one frame in ten while
// N nodes move every frame: per source frame, the merge cost.
func BenchmarkMergerSlowViewer(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := scene.New(scene.Options{})
			dots := make([]*scene.Node, n)
			for i := range dots {
				dots[i] = s.Root().Circle(0, 0, 2)
			}
			var m stream.Merger
			s.Subscribe(&m2{&m})
			s.Advance(0)
			var out wire.Batch
			var buf []byte
			// Pre-build one frame's batch, so the benchmark measures the merger.
			batch := &wire.Batch{}
			for i, d := range dots {
				batch.Ops = append(batch.Ops, wire.Op{Code: wire.OpSetXY, Node: d.Handle(), Pair: wire.PairCXY, X: float32(i), Y: 1})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				batch.Seq = uint64(i + 2)
				m.Add(batch)
				if i%10 == 9 {
					m.Take(&out)
					buf, _ = out.AppendBinary(buf[:0])
				}
			}
		})
	}
}

type m2 struct{ m *stream.Merger }

func (s *m2) Send(b *wire.Batch) bool { return s.m.Add(b) }

// BenchmarkSvgoOnly is the baseline of the immediate benchmarks: svgo
// writing the same N circles to a buffer, nothing else.
func BenchmarkSvgoOnly(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var buf bytes.Buffer
			c := svg.New(&buf)
			b.ReportAllocs()
			for i := range b.N {
				buf.Reset()
				for j := range n {
					c.Circle((i+j)%1000, j/1000, 2, "fill:red")
				}
			}
		})
	}
}

// counter is a sink that encodes each batch and counts the bytes.
type counter struct {
	buf   []byte
	bytes int
}

func (c *counter) Send(b *wire.Batch) bool {
	var err error
	c.buf, err = b.AppendBinary(c.buf[:0])
	if err != nil {
		panic(err)
	}
	c.bytes += len(c.buf)
	return true
}

// BenchmarkScrollingSeries: a line chart of the last 10,000 samples that
// gains one sample a frame, as a 60 Hz sim's chart does. The wire bytes
// per frame, the sequence number included: setting the whole points
// attribute (before the point-list ops), appending and trimming, and a
// SeriesBuffer decimating by 10 (1,000 points drawn).
func BenchmarkScrollingSeries(b *testing.B) {
	const window = 10000
	sample := func(i int) (float64, float64) {
		x := float64(i) / 60
		return x, 100*math.Sin(x) + float64(i%13)
	}
	// Each case fills the window at once, then adds one sample a frame.
	cases := []struct {
		name  string
		setup func(line *scene.Node) (fill func(n int), add func(i int))
	}{
		{"set-points", func(line *scene.Node) (func(int), func(int)) {
			xs, ys := make([]float64, 0, 2*window), make([]float64, 0, 2*window)
			push := func(i int) {
				x, y := sample(i)
				xs, ys = append(xs, x), append(ys, y)
				if len(xs) > window {
					xs, ys = xs[1:], ys[1:]
				}
			}
			return func(n int) {
					for i := range n {
						push(i)
					}
					line.Set("points", scene.Points(xs, ys))
				}, func(i int) {
					push(i)
					line.Set("points", scene.Points(xs, ys))
				}
		}},
		{"append-trim", func(line *scene.Node) (func(int), func(int)) {
			add := func(i int) {
				x, y := sample(i)
				line.AppendPoints(float32(x), float32(y))
				if line.NumPoints() > window {
					line.TrimPoints(1)
				}
			}
			return func(n int) {
				for i := range n {
					add(i)
				}
			}, add
		}},
		{"lttb-10", func(line *scene.Node) (func(int), func(int)) {
			buf := scene.NewSeriesBuffer(line, &scene.SeriesOptions{Bucket: 10, Window: window})
			add := func(i int) { buf.Add(sample(i)) }
			return func(n int) {
				for i := range n {
					add(i)
				}
			}, add
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := scene.New(scene.Options{})
			line := s.Root().El("polyline", `fill="none" stroke="black"`)
			fill, add := c.setup(line)
			cnt := &counter{}
			s.Subscribe(cnt)
			fill(window)
			i := window
			s.Advance(0)
			cnt.bytes = 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				add(i)
				i++
				s.Advance(0)
			}
			b.ReportMetric(float64(cnt.bytes)/float64(b.N), "bytes/frame")
			b.ReportMetric(float64(line.NumPoints()), "points-drawn")
		})
	}
}
