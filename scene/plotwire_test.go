package scene_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

// TestPlotStreamMatchesKeyframe: whatever a sim does to a plot's lines
// and areas (points in and out of order, scrolling, NaN, values a log
// scale leaves out, Set, Clear, a new scale), a viewer that applied every
// batch, directly or merged, holds what a viewer joining now gets.
func TestPlotStreamMatchesKeyframe(t *testing.T) {
	t.Parallel()
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 14))
		s := scene.New(scene.Options{Width: 400, Height: 300})
		direct, merged := newViewer(t, false), newViewer(t, true)
		s.Subscribe(direct)
		s.Subscribe(merged)
		p := s.Root().Plot(0, 0, 400, 300)
		if r.IntN(2) == 0 {
			p.X().Window(float64(1 + r.IntN(20)))
		}
		marks := []*scene.Mark{p.Line("a"), p.Area("b"), p.Line("c").Y2(), p.Scatter("d")}
		names := []string{"a", "b", "c"}
		x := 0.0
		for frame := range 40 {
			for range r.IntN(8) {
				m := marks[r.IntN(len(marks))]
				switch k := r.IntN(20); {
				case k < 12:
					x += r.Float64()
					m.Add(x, float64(r.IntN(9))-2)
				case k == 12:
					m.Add(x-r.Float64()*5, r.Float64()) // out of order
				case k == 13:
					m.Add(x, math.NaN())
				case k == 14:
					m.Set([]float64{3, 1, 2}, []float64{1, 2, 3})
				case k == 15:
					m.Clear()
				case k == 16:
					m.Keep(2 + r.IntN(10))
				case k == 17:
					p.Y().Log()
				case k == 18:
					p.Y().Linear()
				default:
					p.X().Range(0, x+1)
				}
			}
			s.Advance(0)
			if frame%7 == 3 {
				merged.take()
			}
			sameState(t, fmt.Sprintf("seed %d frame %d", seed, frame), direct.mirror, fresh(t, s))
			for i, m := range marks[:3] {
				log := i < 2 && p.Y().Scale() == scene.Log
				line, fill := drawnPoints(m, log)
				for _, n := range seriesNodes(p.Node(), names[i]) {
					want, name := line, "points"
					if n.Tag() == "path" {
						want, name = fill, "d"
					}
					if got := n.Attr(name); got != want {
						t.Fatalf("seed %d frame %d: %s %s\n got %q\nwant %q", seed, frame, n.Tag(), name, got, want)
					}
				}
			}
		}
		merged.take()
		sameState(t, fmt.Sprintf("seed %d merged", seed), merged.mirror, direct.mirror)
	}
}

// TestPlotAppendBytes: a 10,000-point line scrolling one point a frame
// costs at most 32 bytes on the wire for the line (an append and a
// trim), and its area's fill under 80; the axes aside (a fixed y range
// here, and the x window moving only the transform).
func TestPlotAppendBytes(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Width: 800, Height: 400})
	p := s.Root().Plot(0, 0, 800, 400)
	p.X().Time().Window(10000.0 / 60)
	p.Y().Range(-2, 2)
	line, area := p.Line("v"), p.Area("a")
	tm := 0.0
	add := func() {
		tm += 1.0 / 60
		line.Add(tm, math.Sin(tm))
		area.Add(tm, math.Cos(tm)/2)
	}
	for range 10000 {
		add()
	}
	v := scenetest.New(t, s)
	v.Advance(0)
	nodes := map[string]wire.Handle{}
	var find func(n *scene.Node)
	find = func(n *scene.Node) {
		if s := n.Attr("data-vz-series"); s != "" {
			nodes[s+" "+n.Tag()] = n.Handle()
		}
		for _, k := range n.Children() {
			find(k)
		}
	}
	find(p.Node())
	empty, _ := wire.AppendBatch(nil, 1, nil, nil)
	for frame := range 30 {
		add()
		v.Advance(0)
		for key, limit := range map[string]int{"v polyline": 32, "a polyline": 32, "a path": 80} {
			var ops []wire.Op
			for _, op := range v.Ops() {
				if op.Node == nodes[key] {
					ops = append(ops, op)
				}
			}
			b, err := wire.AppendBatch(nil, 1, ops, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(b) - len(empty); n > limit || len(ops) == 0 {
				t.Fatalf("frame %d: %s: %d ops, %d bytes for one point, want 1..%d", frame, key, len(ops), n, limit)
			}
		}
	}
	if n := line.Len(); n > 10002 {
		t.Errorf("the line keeps %d points, want the window's 10,001", n)
	}
}

// drawnPoints returns what a line's polyline and an area's fill hold for
// the mark's points: those the scales show, in data coordinates.
func drawnPoints(m *scene.Mark, log bool) (line, fill string) {
	xs, ys := m.Points()
	var dx, dy []float64
	var fxy []float32
	base := float32(0)
	if log {
		base = -100
	}
	for i := range xs {
		x, y := xs[i], ys[i]
		if log {
			if !(y > 0) {
				continue
			}
			y = math.Log10(y)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			continue
		}
		if n := len(dx); n > 0 {
			ax, ay := float32(dx[n-1]), float32(dy[n-1])
			fxy = append(fxy, ax, base, ax, ay, float32(x), float32(y), float32(x), base)
		}
		dx, dy = append(dx, x), append(dy, y)
	}
	return scene.Points(dx, dy), string(wire.AppendPointsText(nil, "d", 0, fxy))
}

// seriesNodes returns the nodes under n drawing the series name.
func seriesNodes(n *scene.Node, name string) []*scene.Node {
	var out []*scene.Node
	if n.Attr("data-vz-series") == name {
		out = append(out, n)
	}
	for _, k := range n.Children() {
		out = append(out, seriesNodes(k, name)...)
	}
	return out
}
