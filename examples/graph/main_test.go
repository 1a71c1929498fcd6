package main

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const dt = 1.0 / 60

// settle runs the layout for sec seconds of sim time.
func settle(g *graph, sec float64) {
	for range int(sec / dt) {
		g.s.Advance(dt)
	}
}

// drawnAt fails the test unless node i and the ends of its edges are
// drawn where the layout has it.
func drawnAt(t *testing.T, g *graph, i int) {
	t.Helper()
	v := g.verts[i]
	x, y := wire.FormatNum(float32(tenth(v.x))), wire.FormatNum(float32(tenth(v.y)))
	if cx, cy := v.node.Attr("cx"), v.node.Attr("cy"); cx != x || cy != y {
		t.Errorf("node %d drawn at (%s, %s), laid out at (%s, %s)", i, cx, cy, x, y)
	}
	for _, e := range g.edges {
		end := ""
		switch i {
		case e.a:
			end = "1"
		case e.b:
			end = "2"
		default:
			continue
		}
		if lx, ly := e.line.Attr("x"+end), e.line.Attr("y"+end); lx != x || ly != y {
			t.Errorf("edge %d-%d ends at (%s, %s), node %d is at (%s, %s)", e.a, e.b, lx, ly, i, x, y)
		}
	}
}

// TestLayout: from its start on a circle, the layout settles into a
// graph whose edges are near their rest length and whose nodes do not
// overlap, drawn where it is, and then sends nothing.
func TestLayout(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 10, 30} {
		t.Run(fmt.Sprint(n, " nodes"), func(t *testing.T) {
			t.Parallel()
			g := newGraph(n, 11)
			settle(g, 30)
			if k := g.kinetic(); k > 0.01 {
				t.Errorf("kinetic energy %v per node after 30 s", k)
			}
			for _, e := range g.edges {
				a, b := g.verts[e.a], g.verts[e.b]
				if d := math.Hypot(a.x-b.x, a.y-b.y); d < rest/2 || d > 4*rest {
					t.Errorf("edge %d-%d is %.1f long", e.a, e.b, d)
				}
			}
			for i, a := range g.verts {
				for j := i + 1; j < len(g.verts); j++ {
					if d := math.Hypot(a.x-g.verts[j].x, a.y-g.verts[j].y); d < 2*nodeRadius {
						t.Errorf("nodes %d and %d overlap: %.1f apart", i, j, d)
					}
				}
				drawnAt(t, g, i)
			}
			v := scenetest.New(t, g.s)
			v.Advance(dt) // the keyframe
			v.AdvanceN(int(1/dt), dt)
			if n := len(v.Ops()); n != 0 {
				t.Errorf("a settled graph sent %d ops in a second", n)
			}
		})
	}
}

// TestDrag: a drag, as the browser sends it, moves a node by the
// pointer's movement and pins it there while the rest settles around it;
// a double-click lets it go.
func TestDrag(t *testing.T) {
	t.Parallel()
	g := newGraph(12, 5)
	settle(g, 10)
	const i = 4
	v := &g.verts[i]
	h := v.node.Handle()
	x0, y0 := v.x, v.y
	// Grab it off-centre: the node moves by the pointer's movement, not
	// to the pointer.
	px, py := float32(x0+5), float32(y0-3)
	events := []wire.Event{
		{Kind: wire.PointerDown, Target: h, X: px, Y: py, Button: 1, Buttons: 1, Pointer: 1},
		{Kind: wire.PointerMove, Target: h, X: px + 40, Y: py + 10, Buttons: 1, Pointer: 1},
		{Kind: wire.PointerMove, Target: g.s.ByID("bg").Handle(), X: px + 120, Y: py + 60, Buttons: 1, Pointer: 1},
		{Kind: wire.PointerUp, Target: g.s.ByID("bg").Handle(), X: px + 120, Y: py + 60, Button: 1, Pointer: 1},
	}
	wantX := clamp(float64(px+120)-float64(px)+x0, nodeRadius, width-nodeRadius)
	wantY := clamp(float64(py+60)-float64(py)+y0, nodeRadius, height-nodeRadius)
	for _, ev := range events {
		g.s.Dispatch(ev)
	}
	g.s.Advance(dt)
	if math.Abs(v.x-wantX) > 1e-3 || math.Abs(v.y-wantY) > 1e-3 || !v.pinned {
		t.Fatalf("after the drag: (%v, %v) pinned %v; want (%v, %v) pinned", v.x, v.y, v.pinned, wantX, wantY)
	}
	if st := v.node.Attr("style"); st != pinnedStyle {
		t.Errorf("a pinned node's style: %q", st)
	}
	drawnAt(t, g, i)
	settle(g, 5)
	if v.x != wantX || v.y != wantY {
		t.Fatalf("the pinned node moved to (%v, %v)", v.x, v.y)
	}
	drawnAt(t, g, i)

	g.s.Dispatch(wire.Event{Kind: wire.DblClick, Target: h, X: float32(v.x), Y: float32(v.y), Button: 1})
	settle(g, 5)
	if v.pinned || v.node.Attr("style") != freeStyle {
		t.Fatalf("still pinned after a double-click: style %q", v.node.Attr("style"))
	}
	if v.x == wantX && v.y == wantY {
		t.Error("the node let go did not move")
	}
	drawnAt(t, g, i)
}

// TestProgram runs the example as `go run ./examples/graph -n 9` does,
// and reads its page.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not with -short")
	}
	t.Parallel()
	p := e2e.StartProgram(t, "github.com/vizserve/vizserve/examples/graph", "-addr", "127.0.0.1:0", "-n", "9")
	status, body := extest.Get(t, p.URL+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if n := strings.Count(body, `<circle id="v-`); n != 9 {
		t.Errorf("the page shows %d nodes, want 9", n)
	}
	if n := strings.Count(body, `<line id="e-`); n < 8 {
		t.Errorf("the page shows %d edges, want at least 8", n)
	}
}
