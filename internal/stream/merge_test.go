package stream

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene/wire"
)

const initialMarkup = `<svg id="root" width="100" height="100"><g id="a"><circle id="b" cx="1" cy="2" r="3"/></g><text id="t" x="0">hi</text></svg>`

func initialKeyframe() *wire.Batch {
	return &wire.Batch{Seq: 1, Ops: []wire.Op{{Code: wire.OpKeyframe, Text: initialMarkup,
		Table: []wire.Entry{{Node: 1, ID: "root", Mask: 0}, {Node: 2, ID: "a", Mask: wire.MaskClick}, {Node: 3, ID: "b", Mask: 0}, {Node: 4, ID: "t", Mask: 0}}}}}
}

func mustApply(t *testing.T, m *Mirror, b *wire.Batch) {
	t.Helper()
	if err := m.Apply(b); err != nil {
		t.Fatal(err)
	}
}

// gen produces random valid ops against a model (a Mirror it keeps up to
// date), so every op means something in the state it is applied to.
type gen struct {
	r     *rand.Rand
	truth *Mirror
	next  wire.Handle
	seq   uint64
	dead  []wire.Handle
}

func (g *gen) handles() []wire.Handle {
	hs := make([]wire.Handle, 0, len(g.truth.nodes))
	g.truth.walk(func(n *mnode) { hs = append(hs, n.h) })
	return hs
}

func (g *gen) pick(hs []wire.Handle) wire.Handle { return hs[g.r.IntN(len(hs))] }

var attrNames = []string{"x", "y", "cx", "cy", "width", "height", "fill", "transform", "data-q", "rx", "ry", "points", "d"}

func (g *gen) op() wire.Op {
	hs := g.handles()
	nonRoot := hs[1:]
	target := g.pick(hs)
	if len(g.dead) > 0 && g.r.IntN(20) == 0 {
		target = g.dead[g.r.IntN(len(g.dead))] // ops on removed handles are ignored
	}
	name := attrNames[g.r.IntN(len(attrNames))]
	val := fmt.Sprint(g.r.IntN(5))
	if g.r.IntN(6) == 0 {
		// Point-list edits, mostly on the lists, sometimes on any attribute.
		if g.r.IntN(4) > 0 {
			name = []string{"points", "d"}[g.r.IntN(2)]
		}
		if g.r.IntN(3) == 0 {
			return wire.Op{Code: wire.OpTrimPoints, Node: target, Name: name, Count: g.r.IntN(6)}
		}
		xy := make([]float32, 2*g.r.IntN(4))
		for i := range xy {
			xy[i] = float32(g.r.IntN(50)) / 4
		}
		return wire.Op{Code: wire.OpAppendPoints, Node: target, Name: name, Count: g.r.IntN(3), XY: xy}
	}
	switch k := g.r.IntN(100); {
	case k < 18:
		g.next++
		parent := g.pick(hs)
		var before wire.Handle
		if kids := g.truth.nodes[parent].kids; len(kids) > 0 && g.r.IntN(2) == 0 {
			before = kids[g.r.IntN(len(kids))].h
		}
		var attrs []wire.Attr
		for range g.r.IntN(3) {
			attrs = append(attrs, wire.Attr{Name: attrNames[g.r.IntN(len(attrNames))], Value: val})
		}
		attrs = slices.CompactFunc(attrs, func(a, b wire.Attr) bool { return a.Name == b.Name })
		tag := []string{"g", "rect", "circle"}[g.r.IntN(3)]
		return wire.Op{Code: wire.OpCreate, Node: g.next, Parent: parent, Before: before, Tag: tag,
			Name: fmt.Sprintf("n%d", g.next), Attrs: attrs, Mask: wire.EventMask(g.r.IntN(3))}
	case k < 30:
		if len(nonRoot) == 0 {
			return wire.Op{Code: wire.OpOverlay, Text: val}
		}
		h := g.pick(nonRoot)
		g.truth.walkFrom(g.truth.nodes[h], func(n *mnode) { g.dead = append(g.dead, n.h) })
		return wire.Op{Code: wire.OpRemove, Node: h}
	case k < 42:
		if len(nonRoot) == 0 {
			return wire.Op{Code: wire.OpOverlay, Text: val}
		}
		h := g.pick(nonRoot)
		var parents []wire.Handle
		for _, p := range hs {
			inside := false
			for a := g.truth.nodes[p]; a != nil; a = a.parent {
				if a.h == h {
					inside = true
				}
			}
			if !inside {
				parents = append(parents, p)
			}
		}
		p := g.pick(parents)
		var before wire.Handle
		if kids := g.truth.nodes[p].kids; len(kids) > 0 && g.r.IntN(3) > 0 {
			before = kids[g.r.IntN(len(kids))].h
		}
		return wire.Op{Code: wire.OpMove, Node: h, Parent: p, Before: before}
	case k < 55:
		return wire.Op{Code: wire.OpSetAttr, Node: target, Name: name, Text: val}
	case k < 60:
		return wire.Op{Code: wire.OpDelAttr, Node: target, Name: name}
	case k < 68:
		return wire.Op{Code: wire.OpSetNum, Node: target, Name: name, X: float32(g.r.IntN(7)) / 2}
	case k < 76:
		return wire.Op{Code: wire.OpSetPose, Node: target, X: float32(g.r.IntN(9)), Y: float32(g.r.IntN(9)), Angle: float32(g.r.IntN(8)) * 45}
	case k < 78:
		return wire.Op{Code: wire.OpSetPoseScaled, Node: target, X: float32(g.r.IntN(9)), Y: float32(g.r.IntN(9)), Angle: float32(g.r.IntN(8)) * 45, Scale: float32(g.r.IntN(3)) / 2}
	case k < 80:
		return wire.Op{Code: wire.OpSetXY, Node: target, Pair: wire.Pair(1 + g.r.IntN(7)), X: float32(g.r.IntN(9)), Y: float32(g.r.IntN(9))}
	case k < 86:
		return wire.Op{Code: wire.OpSetText, Node: target, Text: val}
	case k < 90:
		return wire.Op{Code: wire.OpListen, Node: target, Mask: wire.EventMask(g.r.IntN(1024))}
	case k < 92:
		return wire.Op{Code: wire.OpOverlay, Text: []string{"", "boom"}[g.r.IntN(2)]}
	case k < 94:
		return wire.Op{Code: wire.OpControls, Controls: []wire.Control{{Kind: wire.Slider, Name: "s", Value: wire.Number(1)}, {Kind: wire.Toggle, Name: "t"}}}
	case k < 97:
		return wire.Op{Code: wire.OpControlValue, Name: []string{"s", "t"}[g.r.IntN(2)], Value: wire.Number(float64(g.r.IntN(9)))}
	case k < 98:
		return wire.Op{Code: wire.OpStats, Stats: &wire.Stats{Viewers: uint64(g.r.IntN(4))}}
	case k < 99:
		return wire.Op{Code: wire.OpAsset, Tag: "css", Name: "a.css", Text: val}
	default:
		return g.truth.Keyframe().Ops[0]
	}
}

func (m *Mirror) walkFrom(n *mnode, fn func(*mnode)) {
	if n.h != 0 {
		fn(n)
	}
	for _, k := range n.kids {
		m.walkFrom(k, fn)
	}
}

// batch makes a batch of n ops, applying each to the model as it goes.
func (g *gen) batch(t *testing.T, n int) *wire.Batch {
	g.seq++
	b := &wire.Batch{Seq: g.seq}
	for range n {
		op := g.op()
		mustApply(t, g.truth, &wire.Batch{Seq: g.seq, Ops: []wire.Op{op}})
		b.Ops = append(b.Ops, op)
	}
	return b
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), truth: NewMirror(), next: 100, seq: 1}
	if err := g.truth.Apply(initialKeyframe()); err != nil {
		panic(err)
	}
	return g
}

// TestMergerMatchesSequentialApply is the merger's property: applying the
// merged batches gives the same DOM (and controls, overlay) as applying
// every batch in order, whatever the batches and wherever the viewer takes.
func TestMergerMatchesSequentialApply(t *testing.T) {
	t.Parallel()
	for seed := range uint64(400) {
		g := newGen(seed)
		viewer := NewMirror()
		mustApply(t, viewer, initialKeyframe())
		var m Merger
		var out wire.Batch
		batches := 1 + g.r.IntN(12)
		for range batches {
			b := g.batch(t, g.r.IntN(25))
			// Round-trip through bytes, as the hub would.
			msg, err := b.MarshalBinary()
			noErr(t, err)
			var dec wire.Batch
			noErr(t, dec.UnmarshalBinary(msg))
			if !m.Add(&dec) {
				t.Fatalf("seed %d: merger overflowed at default limit", seed)
			}
			clear(dec.Ops) // the source may reuse its ops: the merger must not depend on them
			if g.r.IntN(4) == 0 && m.Take(&out) {
				mustApply(t, viewer, &out)
			}
		}
		if m.Take(&out) {
			msg, err := out.MarshalBinary()
			noErr(t, err)
			var dec wire.Batch
			noErr(t, dec.UnmarshalBinary(msg))
			mustApply(t, viewer, &dec)
		}
		if m.Pending() {
			t.Fatalf("seed %d: pending after Take", seed)
		}
		if got, want := viewer.Dump(), g.truth.Dump(); got != want {
			t.Fatalf("seed %d: merged DOM differs\n got: %s\nwant: %s", seed, got, want)
		}
		if viewer.Seq() != g.seq {
			t.Fatalf("seed %d: seq %d, want %d", seed, viewer.Seq(), g.seq)
		}
	}
}

func TestMergerLatestWins(t *testing.T) {
	t.Parallel()
	var m Merger
	for i := range 100 {
		m.Add(&wire.Batch{Seq: uint64(i + 1), Ops: []wire.Op{
			{Code: wire.OpSetXY, Node: 3, Pair: wire.PairCXY, X: float32(i), Y: float32(-i)},
			{Code: wire.OpSetAttr, Node: 4, Name: "fill", Text: fmt.Sprint(i)},
			{Code: wire.OpControlValue, Name: "g", Value: wire.Number(float64(i))},
			{Code: wire.OpStats, Stats: &wire.Stats{Viewers: uint64(i)}},
		}})
	}
	var out wire.Batch
	if !m.Take(&out) {
		t.Fatal("nothing pending")
	}
	want := wire.Batch{Seq: 100, Ops: []wire.Op{
		{Code: wire.OpControlValue, Name: "g", Value: wire.Number(99)},
		{Code: wire.OpStats, Stats: &wire.Stats{Viewers: 99}},
		{Code: wire.OpSetXY, Node: 3, Pair: wire.PairCXY, X: 99, Y: -99},
		{Code: wire.OpSetAttr, Node: 4, Name: "fill", Text: "99"},
	}}
	equal(t, "merged", out, want)
	if m.Take(&out) || len(out.Ops) != 0 {
		t.Fatal("Take after Take returned ops")
	}
}

func TestMergerCancelsCreateRemove(t *testing.T) {
	t.Parallel()
	var m Merger
	m.Add(&wire.Batch{Seq: 1, Ops: []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "fill", Text: "red"}}})
	for i := range 1000 {
		h := wire.Handle(100 + 2*i)
		m.Add(&wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{
			{Code: wire.OpCreate, Node: h, Parent: 1, Tag: "g", Name: fmt.Sprint("g", h)},
			{Code: wire.OpCreate, Node: h + 1, Parent: h, Tag: "circle", Name: fmt.Sprint("c", h)},
			{Code: wire.OpSetXY, Node: h + 1, Pair: wire.PairCXY, X: 1, Y: 2},
		}})
		m.Add(&wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{{Code: wire.OpRemove, Node: h}}})
	}
	var out wire.Batch
	m.Take(&out)
	want := wire.Batch{Seq: 1001, Ops: []wire.Op{{Code: wire.OpSetAttr, Node: 2, Name: "fill", Text: "red"}}}
	equal(t, "merged", out, want)
}

func TestMergerKeepsUnsafeRemove(t *testing.T) {
	t.Parallel()
	// c is created inside g and moved out before g is removed: cancelling
	// g's create would lose c.
	var m Merger
	m.Add(&wire.Batch{Seq: 2, Ops: []wire.Op{{Code: wire.OpCreate, Node: 10, Parent: 1, Tag: "g", Name: "g"}}})
	m.Add(&wire.Batch{Seq: 3, Ops: []wire.Op{
		{Code: wire.OpCreate, Node: 11, Parent: 10, Tag: "circle", Name: "c"},
		{Code: wire.OpMove, Node: 11, Parent: 1},
		{Code: wire.OpRemove, Node: 10},
	}})
	var out wire.Batch
	m.Take(&out)
	viewer := NewMirror()
	mustApply(t, viewer, initialKeyframe())
	mustApply(t, viewer, &out)
	if !strings.Contains(viewer.Markup(), `<circle id="c"/>`) || strings.Contains(viewer.Markup(), `id="g"`) {
		t.Fatalf("markup %s", viewer.Markup())
	}
}

func TestMergerOverflow(t *testing.T) {
	t.Parallel()
	m := Merger{Limit: 10}
	m.Add(&wire.Batch{Seq: 1, Ops: []wire.Op{{Code: wire.OpSetText, Node: 2, Text: "x"}}})
	ok := true
	for i := range 20 {
		ok = m.Add(&wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{{Code: wire.OpMove, Node: 3, Parent: 1}}})
		if !ok {
			break
		}
	}
	if ok || !m.Overflowed() || m.Pending() {
		t.Fatalf("ok=%v overflowed=%v pending=%v, want overflow with nothing pending", ok, m.Overflowed(), m.Pending())
	}
	if m.Add(&wire.Batch{Seq: 40, Ops: []wire.Op{{Code: wire.OpSetText, Node: 2, Text: "y"}}}) {
		t.Fatal("patch accepted while waiting for a keyframe")
	}
	if !m.Add(initialKeyframe()) || m.Overflowed() {
		t.Fatal("keyframe not accepted after overflow")
	}
	var out wire.Batch
	if !m.Take(&out) || !out.IsKeyframe() {
		t.Fatalf("took %+v, want the keyframe", out)
	}
}

func TestMergerKeyframeDropsEarlierOps(t *testing.T) {
	t.Parallel()
	var m Merger
	m.Add(&wire.Batch{Seq: 5, Ops: []wire.Op{{Code: wire.OpSetText, Node: 2, Text: "old"}, {Code: wire.OpCreate, Node: 9, Parent: 1, Tag: "g", Name: "x"}}})
	m.Add(initialKeyframe())
	m.Add(&wire.Batch{Seq: 6, Ops: []wire.Op{{Code: wire.OpSetText, Node: 4, Text: "new"}}})
	var out wire.Batch
	m.Take(&out)
	want := wire.Batch{Seq: 6, Ops: []wire.Op{initialKeyframe().Ops[0], {Code: wire.OpSetText, Node: 4, Text: "new"}}}
	equal(t, "merged", out, want)
}

func TestMirrorApply(t *testing.T) {
	t.Parallel()
	m := NewMirror()
	if m.Ready() || m.Keyframe() != nil || m.Markup() != "" {
		t.Fatal("empty mirror is not empty")
	}
	mustApply(t, m, initialKeyframe())
	mustApply(t, m, &wire.Batch{Seq: 2, Ops: []wire.Op{
		{Code: wire.OpCreate, Node: 9, Parent: 1, Before: 2, Tag: "rect", Name: "r", Attrs: []wire.Attr{{Name: "x", Value: "1"}}},
		{Code: wire.OpSetXY, Node: 3, Pair: wire.PairCXY, X: 5.5, Y: 6},
		{Code: wire.OpSetXY, Node: 2, Pair: wire.PairTranslate, X: 1, Y: 2},
		{Code: wire.OpSetNum, Node: 9, Name: "width", X: 0.1},
		{Code: wire.OpSetText, Node: 4, Text: "a<b"},
		{Code: wire.OpMove, Node: 4, Parent: 2, Before: 3},
		{Code: wire.OpMove, Node: 1, Parent: 2},                // root cannot move: ignored
		{Code: wire.OpMove, Node: 2, Parent: 3},                // cycle: ignored
		{Code: wire.OpSetAttr, Node: 77, Name: "x", Text: "1"}, // unknown: ignored
		{Code: wire.OpDelAttr, Node: 3, Name: "r"},
	}})
	want := `<svg id="root" height="100" width="100"><rect id="r" width="0.1" x="1"/><g id="a" transform="translate(1,2)"><text id="t" x="0">a&lt;b</text><circle id="b" cx="5.5" cy="6"/></g></svg>`
	equal(t, "markup", m.Markup(), want)
	// A keyframe of the mirror rebuilds the same state in a fresh one.
	m2 := NewMirror()
	mustApply(t, m2, m.Keyframe())
	equal(t, "dump", m2.Dump(), m.Dump())
	mustApply(t, m, &wire.Batch{Seq: 3, Ops: []wire.Op{{Code: wire.OpRemove, Node: 2}}})
	if m.Len() != 2 {
		t.Fatalf("after removing a subtree, %d handles remain, want 2", m.Len())
	}
	err := m.Apply(&wire.Batch{Seq: 4, Ops: []wire.Op{{Code: wire.OpCreate, Node: 9, Parent: 1, Tag: "g", Name: "dup"}}})
	if err == nil {
		t.Fatal("create with a live handle: no error")
	}
}

// TestMergerPose: a pose is the value of transform, so whichever op on
// transform comes last wins, whether a pose, a set-attr, a translate or a
// removal; merged and applied in order give the same DOM.
func TestMergerPose(t *testing.T) {
	t.Parallel()
	pose := wire.Op{Code: wire.OpSetPose, Node: 2, X: 10, Y: 20, Angle: 30}
	scaled := wire.Op{Code: wire.OpSetPoseScaled, Node: 2, X: 1, Y: 2, Angle: -45, Scale: 1.5}
	attr := wire.Op{Code: wire.OpSetAttr, Node: 2, Name: "transform", Text: "scale(2)"}
	del := wire.Op{Code: wire.OpDelAttr, Node: 2, Name: "transform"}
	translate := wire.Op{Code: wire.OpSetXY, Node: 2, Pair: wire.PairTranslate, X: 3, Y: 4}
	create := wire.Op{Code: wire.OpCreate, Node: 9, Parent: 2, Tag: "path", Name: "boid",
		Attrs: []wire.Attr{{Name: "d", Value: "M1 0L-1 1V-1Z"}, {Name: "transform", Value: "rotate(5)"}}}
	onNew := func(op wire.Op) wire.Op { op.Node = 9; return op }
	tests := []struct {
		name    string
		batches [][]wire.Op
		want    string // the transform the DOM ends with ("" none)
	}{
		{"pose then attr", [][]wire.Op{{pose}, {attr}}, "scale(2)"},
		{"attr then pose", [][]wire.Op{{attr}, {pose}}, "translate(10,20) rotate(30)"},
		{"pose then scaled", [][]wire.Op{{pose}, {scaled}}, "translate(1,2) rotate(-45) scale(1.5)"},
		{"scaled then pose", [][]wire.Op{{scaled}, {pose}}, "translate(10,20) rotate(30)"},
		{"pose then del", [][]wire.Op{{pose}, {del}}, ""},
		{"del then pose", [][]wire.Op{{del}, {pose}}, "translate(10,20) rotate(30)"},
		{"pose then translate", [][]wire.Op{{pose}, {translate}}, "translate(3,4)"},
		{"translate then pose", [][]wire.Op{{translate}, {pose}}, "translate(10,20) rotate(30)"},
		{"pose after create", [][]wire.Op{{create}, {onNew(pose)}, {onNew(scaled)}}, "translate(1,2) rotate(-45) scale(1.5)"},
		{"attr after pose after create", [][]wire.Op{{create, onNew(pose)}, {onNew(attr)}}, "scale(2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inOrder, merged := NewMirror(), NewMirror()
			mustApply(t, inOrder, initialKeyframe())
			mustApply(t, merged, initialKeyframe())
			var m Merger
			for i, ops := range tt.batches {
				b := &wire.Batch{Seq: uint64(i + 2), Ops: ops}
				mustApply(t, inOrder, b)
				m.Add(b)
			}
			var out wire.Batch
			if !m.Take(&out) {
				t.Fatal("nothing pending")
			}
			// Through bytes, as a viewer gets it.
			msg, err := out.MarshalBinary()
			noErr(t, err)
			var dec wire.Batch
			noErr(t, dec.UnmarshalBinary(msg))
			mustApply(t, merged, &dec)
			equal(t, "merged DOM", merged.Dump(), inOrder.Dump())
			h := tt.batches[len(tt.batches)-1][0].Node
			n := 0
			for _, op := range dec.Ops {
				if op.Node == h && op.Code != wire.OpCreate && op.Code != wire.OpRemove {
					n++
				}
			}
			if n != 1 {
				t.Errorf("merged batch has %d ops on node %d, want 1: %+v", n, h, dec.Ops)
			}
			got := ""
			if el := inOrder.nodes[h]; el != nil {
				for _, a := range el.attrs {
					if a.Name == "transform" {
						got = a.Value
					}
				}
			}
			equal(t, "transform", got, tt.want)
		})
	}
}

// TestMirrorPose: the mirror and its keyframe show a pose as the
// transform text the client sets.
func TestMirrorPose(t *testing.T) {
	t.Parallel()
	m := NewMirror()
	mustApply(t, m, initialKeyframe())
	mustApply(t, m, &wire.Batch{Seq: 2, Ops: []wire.Op{
		{Code: wire.OpSetPose, Node: 2, X: 1.5, Y: -2, Angle: 1.0 / 3},
		{Code: wire.OpSetPoseScaled, Node: 4, X: 0, Y: 0, Angle: 0, Scale: 1},
		{Code: wire.OpSetPose, Node: 77, X: 1, Y: 1, Angle: 1}, // unknown: ignored
	}})
	want := `<svg id="root" height="100" width="100"><g id="a" transform="translate(1.5,-2) rotate(0.33333334)"><circle id="b" cx="1" cy="2" r="3"/></g><text id="t" transform="translate(0,0) rotate(0) scale(1)" x="0">hi</text></svg>`
	equal(t, "markup", m.Markup(), want)
	m2 := NewMirror()
	mustApply(t, m2, m.Keyframe())
	equal(t, "keyframe markup", m2.Markup(), want)
}

func TestMirrorBadKeyframes(t *testing.T) {
	t.Parallel()
	for _, kf := range []wire.Op{
		{Code: wire.OpKeyframe, Text: `<svg id="r"`, Table: []wire.Entry{{Node: 1, ID: "r", Mask: 0}}},
		{Code: wire.OpKeyframe, Text: `<g id="r"/>`, Table: []wire.Entry{{Node: 1, ID: "r", Mask: 0}}},
		{Code: wire.OpKeyframe, Text: `<svg id="r"/>`, Table: []wire.Entry{{Node: 1, ID: "x", Mask: 0}}},
		{Code: wire.OpKeyframe, Text: `<svg id="r"><g id="g"/></svg>`, Table: []wire.Entry{{Node: 2, ID: "r", Mask: 0}, {Node: 1, ID: "g", Mask: 0}}},
		{Code: wire.OpKeyframe, Text: `<svg id="r"><g id="g"/></svg>`, Table: []wire.Entry{{Node: 1, ID: "r", Mask: 0}, {Node: 1, ID: "g", Mask: 0}}},
		{Code: wire.OpKeyframe, Text: `<svg id="r"/><svg id="s"/>`, Table: []wire.Entry{{Node: 1, ID: "r", Mask: 0}}},
	} {
		if err := NewMirror().Apply(&wire.Batch{Ops: []wire.Op{kf}}); err == nil {
			t.Errorf("keyframe %q %v: no error", kf.Text, kf.Table)
		}
	}
}

func TestRelay(t *testing.T) {
	t.Parallel()
	var events []wire.Event
	r := NewRelay(func(e wire.Event) { events = append(events, e) })
	var got []*wire.Batch
	early := r.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool { got = append(got, b); return true }))
	if r.Send(&wire.Batch{Seq: 1, Ops: []wire.Op{{Code: wire.OpSetText, Node: 4}}}) {
		t.Fatal("relay accepted a patch before any keyframe")
	}
	if !r.Send(initialKeyframe()) || !r.Send(&wire.Batch{Seq: 2, Ops: []wire.Op{{Code: wire.OpSetText, Node: 4, Text: "x"}}}) {
		t.Fatal("relay refused a batch")
	}
	if len(got) != 2 || !got[0].IsKeyframe() {
		t.Fatalf("early subscriber got %d batches", len(got))
	}
	// A late subscriber gets the mirror's keyframe; a refusing one gets a keyframe.
	var late []*wire.Batch
	refuse := true
	stop := r.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		late = append(late, b)
		if refuse && !b.IsKeyframe() {
			refuse = false
			return false
		}
		return true
	}))
	r.Send(&wire.Batch{Seq: 3, Ops: []wire.Op{{Code: wire.OpSetText, Node: 4, Text: "y"}}})
	if len(late) != 3 || !late[0].IsKeyframe() || !late[2].IsKeyframe() || late[2].Seq != 3 {
		t.Fatalf("late subscriber got %+v", late)
	}
	stop()
	early()
	r.Send(&wire.Batch{Seq: 4})
	if len(late) != 3 || len(got) != 3 {
		t.Fatal("unsubscribed sinks still receive")
	}
	r.Dispatch(wire.Event{Kind: wire.Click, Target: 2})
	if len(events) != 1 || events[0].Target != 2 {
		t.Fatalf("events %v", events)
	}
}

// A move into the node's own subtree among nodes created while pending:
// the merger keeps it, does not loop, and the merged batch still applies
// like the batches in order.
func TestMergerCycleAmongPendingNodes(t *testing.T) {
	t.Parallel()
	batches := []*wire.Batch{
		{Seq: 2, Ops: []wire.Op{{Code: wire.OpCreate, Node: 10, Parent: 1, Tag: "g", Name: "p"}, {Code: wire.OpCreate, Node: 11, Parent: 10, Tag: "g", Name: "q"}, {Code: wire.OpCreate, Node: 12, Parent: 1, Tag: "g", Name: "r"}}},
		{Seq: 3, Ops: []wire.Op{{Code: wire.OpMove, Node: 10, Parent: 11}, {Code: wire.OpMove, Node: 12, Parent: 12}, {Code: wire.OpSetAttr, Node: 10, Name: "x", Text: "1"}}},
		{Seq: 4, Ops: []wire.Op{{Code: wire.OpRemove, Node: 11}, {Code: wire.OpRemove, Node: 12}, {Code: wire.OpSetAttr, Node: 10, Name: "y", Text: "2"}}},
	}
	want := NewMirror()
	mustApply(t, want, initialKeyframe())
	var m Merger
	for _, b := range batches {
		mustApply(t, want, b)
		m.Add(b)
	}
	var out wire.Batch
	if !m.Take(&out) {
		t.Fatal("nothing to take")
	}
	got := NewMirror()
	mustApply(t, got, initialKeyframe())
	mustApply(t, got, &out)
	equal(t, "merged", got.Dump(), want.Dump())
}

// Relay drops moves into a node's own subtree before its subscribers see
// them, and leaves the upstream batch as it was.
func TestRelayDropsCycles(t *testing.T) {
	t.Parallel()
	r := NewRelay(func(wire.Event) {})
	var got []*wire.Batch
	r.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool { got = append(got, b); return true }))
	r.Send(initialKeyframe())
	b := &wire.Batch{Seq: 2, Ops: []wire.Op{
		{Code: wire.OpMove, Node: 2, Parent: 3}, // 3 is inside 2
		{Code: wire.OpSetText, Node: 4, Text: "x"},
		{Code: wire.OpMove, Node: 2, Parent: 2},
	}}
	if !r.Send(b) {
		t.Fatal("relay refused the batch")
	}
	if len(got) != 2 {
		t.Fatalf("subscriber got %d batches, want 2", len(got))
	}
	equal(t, "forwarded", *got[1], wire.Batch{Seq: 2, Ops: []wire.Op{{Code: wire.OpSetText, Node: 4, Text: "x"}}})
	if len(b.Ops) != 3 || b.Ops[0].Code != wire.OpMove {
		t.Errorf("the upstream batch changed: %+v", b.Ops)
	}
}

func TestMirrorElements(t *testing.T) {
	t.Parallel()
	m := NewMirror()
	mustApply(t, m, initialKeyframe())
	mustApply(t, m, &wire.Batch{Seq: 2, Ops: []wire.Op{
		{Code: wire.OpCreate, Node: 5, Parent: 2, Tag: "rect", Name: "r", Attrs: []wire.Attr{{Name: "x", Value: "1"}}},
		{Code: wire.OpSetXY, Node: 3, Pair: wire.PairCXY, X: 7, Y: 8},
	}})
	e, ok := m.ByID("b")
	if !ok || e.Tag != "circle" || e.Handle != 3 {
		t.Fatalf("ByID(b) = %+v, %v", e, ok)
	}
	if v, ok := e.Attr("cx"); !ok || v != "7" {
		t.Errorf("cx %q %v", v, ok)
	}
	if e, ok := m.ByID("t"); !ok || e.Text != "hi" {
		t.Errorf("ByID(t) = %+v, %v", e, ok)
	}
	if _, ok := m.ByID("nope"); ok {
		t.Error("ByID found an id that is not there")
	}
	var tags []string
	m.Elements(func(e Element) bool {
		tags = append(tags, e.Tag)
		return e.Tag != "rect"
	})
	equal(t, "tags", tags, []string{"svg", "g", "circle", "rect"})
}

// TestMergerKeepsNotices: notices are events, not state: a merged batch
// keeps the latest MaxNotices of them in order, and a mirror's keyframe
// has none.
func TestMergerKeepsNotices(t *testing.T) {
	t.Parallel()
	var m Merger
	mirror := NewMirror()
	mustApply(t, mirror, initialKeyframe())
	for i := range MaxNotices + 2 {
		b := &wire.Batch{Seq: uint64(i + 2), Ops: []wire.Op{{Code: wire.OpNotice, Text: fmt.Sprint("notice ", i)}}}
		mustApply(t, mirror, b)
		if !m.Add(b) {
			t.Fatal("merger overflowed")
		}
	}
	var out wire.Batch
	if !m.Take(&out) {
		t.Fatal("nothing to take")
	}
	var got []string
	for _, op := range out.Ops {
		if op.Code == wire.OpNotice {
			got = append(got, op.Text)
		}
	}
	want := []string{"notice 2", "notice 3", "notice 4", "notice 5"}
	if !slices.Equal(got, want) {
		t.Errorf("merged notices %q, want %q", got, want)
	}
	for _, op := range mirror.Keyframe().Ops {
		if op.Code == wire.OpNotice {
			t.Errorf("a keyframe repeats notice %q", op.Text)
		}
	}
}
