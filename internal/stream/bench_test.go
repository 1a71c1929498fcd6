package stream

import (
	"testing"

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
