package wire

import (
	"fmt"
	"testing"
)

func moveBatch(n int) *Batch {
	b := &Batch{Seq: 1}
	for i := range n {
		b.Ops = append(b.Ops, Op{Code: OpSetXY, Node: Handle(i + 2), Pair: PairCXY, X: float32(i), Y: 2})
	}
	return b
}

func BenchmarkEncodeMoves(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			batch := moveBatch(n)
			buf, _ := batch.AppendBinary(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for range b.N {
				buf, _ = batch.AppendBinary(buf[:0])
			}
		})
	}
}

func BenchmarkDecodeMoves(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			msg, _ := moveBatch(n).MarshalBinary()
			var out Batch
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for range b.N {
				if err := out.UnmarshalBinary(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	ev := Event{Kind: PointerMove, Target: 300, X: 1, Y: 2, Buttons: 1}
	msg, _ := ev.MarshalBinary()
	b.ReportAllocs()
	var e Event
	for range b.N {
		if err := e.UnmarshalBinary(msg); err != nil {
			b.Fatal(err)
		}
	}
}
