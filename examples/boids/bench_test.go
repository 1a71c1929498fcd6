package main

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// stringTransform is how an oriented node moved before poses: a transform
// attribute formatted per node per tick.
func stringTransform(n *scene.Node, x, y, angle float64) {
	n.SetTransform(fmt.Sprintf("translate(%g,%g) rotate(%g)", x, y, angle))
}

// BenchmarkWire: what a viewer of the 600-boid flock receives per tick
// and per second at 60 Hz, with the arrows placed by SetPose and by a
// formatted SetTransform. One op is one tick: the flock's rules, the
// scene's diff and the encoding of the batch, as the hub's writer does it
// (b.SetBytes is the batch, so MB/s is encoding throughput, not wire rate).
// The two are sub-benchmarks of one run, on the same flock (same seed):
// the wire figures are the same from run to run; compare the times of one
// run only.
func BenchmarkWire(b *testing.B) {
	for _, tc := range []struct {
		name  string
		place func(n *scene.Node, x, y, angle float64)
	}{
		{"pose", pose},
		{"transform", stringTransform},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w := newWorld(600, 9)
			w.place = tc.place
			var buf []byte
			total, batches := 0, 0
			w.s.Subscribe(wire.SinkFunc(func(bt *wire.Batch) bool {
				if bt.IsKeyframe() {
					return true
				}
				var err error
				buf, err = bt.AppendBinary(buf[:0])
				if err != nil {
					b.Fatal(err)
				}
				total += len(buf)
				batches++
				return true
			}))
			w.s.Advance(0) // the keyframe
			for range 60 { // one second of flight: the flock has formed a little
				w.s.Advance(dt)
			}
			total, batches = 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.s.Advance(dt)
			}
			b.StopTimer()
			if batches == 0 {
				b.Fatal("no batch")
			}
			perTick := float64(total) / float64(batches)
			b.SetBytes(int64(perTick))
			b.ReportMetric(perTick, "wire-bytes/tick")
			b.ReportMetric(perTick*60, "wire-bytes/s@60Hz")
			b.ReportMetric(perTick/600, "wire-bytes/boid")
		})
	}
}
