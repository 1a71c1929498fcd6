package stream

import (
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// BenchmarkMergeUpToDate: a viewer that keeps up (one batch pending at a
// time): the fast path, one copy per batch.
func BenchmarkMergeUpToDate(b *testing.B) {
	batch := moveBatch(10000)
	var m Merger
	var out wire.Batch
	b.ReportAllocs()
	for range b.N {
		m.Add(batch)
		m.Take(&out)
	}
}

func moveBatch(n int) *wire.Batch {
	b := &wire.Batch{Seq: 1}
	for i := range n {
		b.Ops = append(b.Ops, wire.Op{Code: wire.OpSetXY, Node: wire.Handle(i + 2), Pair: wire.PairCXY, X: float32(i), Y: 2})
	}
	return b
}

// BenchmarkFrontHop measures what the dev front does with each batch of a
// scene child, 1,000 moving circles: decode it from the link, apply it to
// the relay's mirror (keyframes for pages that join later), and encode it
// once for the viewers. docs/architecture.md weighs each step.
func BenchmarkFrontHop(b *testing.B) {
	const n = 1000
	sc := scene.New(scene.Options{Width: 1000, Height: 1000})
	circles := make([]*scene.Node, n)
	for i := range circles {
		circles[i] = sc.Root().Circle(float64(i), 0, 2, "")
	}
	var kf, moves *wire.Batch
	sc.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		c := &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
		if kf == nil {
			kf = c
		} else {
			moves = c
		}
		return true
	}))
	sc.Advance(0)
	for i, c := range circles {
		c.SetXY(float64(i), 1)
	}
	sc.Advance(0)
	if kf == nil || moves == nil || len(moves.Ops) != n {
		b.Fatalf("the scene sent no keyframe, or not %d moves", n)
	}
	msg, err := moves.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("a batch of %d moves is %d bytes", n, len(msg))
	newMirror := func(b *testing.B) *Mirror {
		m := NewMirror()
		if err := m.Apply(kf); err != nil {
			b.Fatal(err)
		}
		return m
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := wire.DecodeBatch(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mirror", func(b *testing.B) {
		m := newMirror(b)
		b.ReportAllocs()
		for i := range b.N {
			moves.Seq = uint64(i + 2)
			if err := m.Apply(moves); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := wire.NewEncoder(moves.Ops); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		m := newMirror(b)
		b.ReportAllocs()
		for i := range b.N {
			d, err := wire.DecodeBatch(msg)
			if err != nil {
				b.Fatal(err)
			}
			d.Seq = uint64(i + 2)
			if err := m.Apply(d); err != nil {
				b.Fatal(err)
			}
			if _, err := wire.NewEncoder(d.Ops); err != nil {
				b.Fatal(err)
			}
		}
	})
}
