package stream

import (
	"testing"

	"github.com/vizserve/vizserve/scene/wire"
)

// pointsKeyframe is a scene of one polyline, handle 2, with three points.
func pointsKeyframe() *wire.Batch {
	return &wire.Batch{Seq: 1, Ops: []wire.Op{{Code: wire.OpKeyframe,
		Text:  `<svg id="root"><polyline id="line" points="0,0 1,1 2,2"/><path id="p" d="M0,0 L1,1"/></svg>`,
		Table: []wire.Entry{{Node: 1, ID: "root"}, {Node: 2, ID: "line"}, {Node: 3, ID: "p"}}}}}
}

func appendOp(h wire.Handle, name string, drop int, xy ...float32) wire.Op {
	return wire.Op{Code: wire.OpAppendPoints, Node: h, Name: name, Count: drop, XY: xy}
}

func trimOp(h wire.Handle, name string, keep int) wire.Op {
	return wire.Op{Code: wire.OpTrimPoints, Node: h, Name: name, Count: keep}
}

func TestMirrorPoints(t *testing.T) {
	t.Parallel()
	m := NewMirror()
	mustApply(t, m, pointsKeyframe())
	mustApply(t, m, &wire.Batch{Seq: 2, Ops: []wire.Op{
		appendOp(2, "points", 0, 3, 3.5),
		trimOp(2, "points", 3),
		appendOp(3, "d", 1, 5, 6, 7, 8),
		trimOp(3, "d", 2),
		appendOp(1, "data-trail", 0, 1, 2), // absent: set from nothing
	}})
	line, _ := m.ByID("line")
	path, _ := m.ByID("p")
	root, _ := m.ByID("root")
	for _, c := range []struct {
		el         Element
		name, want string
	}{
		{line, "points", "1,1 2,2 3,3.5"},
		{path, "d", "M5,6 L7,8"},
		{root, "data-trail", "1,2"},
	} {
		if got, _ := c.el.Attr(c.name); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.el.ID, c.name, got, c.want)
		}
	}
}

// TestMergerPoints: what a slow viewer gets for a scrolling line chart.
func TestMergerPoints(t *testing.T) {
	t.Parallel()
	t.Run("appends and trims fold into one of each", func(t *testing.T) {
		t.Parallel()
		var m Merger
		for i := range 60 {
			m.Add(&wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{appendOp(2, "points", 0, float32(i), 1), trimOp(2, "points", 3)}})
		}
		var out wire.Batch
		m.Take(&out)
		// 60 frames, each one point in and one out of a window of 3: the
		// last three points replace everything.
		equal(t, "ops", out.Ops, []wire.Op{trimOp(2, "points", 0), appendOp(2, "points", 0, 57, 1, 58, 1, 59, 1)})
	})
	t.Run("a trim longer than the appends moves before them", func(t *testing.T) {
		t.Parallel()
		var m Merger
		m.Add(&wire.Batch{Seq: 2, Ops: []wire.Op{appendOp(2, "points", 0, 3, 3)}})
		m.Add(&wire.Batch{Seq: 3, Ops: []wire.Op{trimOp(2, "points", 3), appendOp(2, "points", 0, 4, 4)}})
		var out wire.Batch
		m.Take(&out)
		equal(t, "ops", out.Ops, []wire.Op{trimOp(2, "points", 2), appendOp(2, "points", 0, 3, 3, 4, 4)})
	})
	t.Run("an append after a set merges into the set", func(t *testing.T) {
		t.Parallel()
		var m Merger
		m.Add(&wire.Batch{Seq: 2, Ops: []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "points", Text: "9,9"}}})
		m.Add(&wire.Batch{Seq: 3, Ops: []wire.Op{appendOp(2, "points", 0, 1, 2), appendOp(2, "points", 0, 3, 4)}})
		var out wire.Batch
		m.Take(&out)
		equal(t, "ops", out.Ops, []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "points", Text: "9,9 1,2 3,4"}})
	})
	t.Run("a set after edits replaces them", func(t *testing.T) {
		t.Parallel()
		var m Merger
		m.Add(&wire.Batch{Seq: 2, Ops: []wire.Op{appendOp(2, "points", 0, 1, 2)}})
		m.Add(&wire.Batch{Seq: 3, Ops: []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "points", Text: "0,0"}}})
		var out wire.Batch
		m.Take(&out)
		equal(t, "ops", out.Ops, []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "points", Text: "0,0"}})
	})
	t.Run("the merged batch gives the mirror's DOM", func(t *testing.T) {
		t.Parallel()
		truth, viewer := NewMirror(), NewMirror()
		mustApply(t, truth, pointsKeyframe())
		mustApply(t, viewer, pointsKeyframe())
		var m Merger
		for i := range 50 {
			b := &wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{
				appendOp(3, "d", i%3, float32(i), float32(-i)), trimOp(3, "d", 4+i%5), appendOp(2, "points", 0, float32(i), 0.5)}}
			mustApply(t, truth, b)
			m.Add(b)
		}
		var out wire.Batch
		m.Take(&out)
		mustApply(t, viewer, &out)
		if got, want := viewer.Dump(), truth.Dump(); got != want {
			t.Fatalf("merged:\n%s\nin order:\n%s", got, want)
		}
	})
}
