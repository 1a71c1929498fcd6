package main

import (
	"fmt"
	"math"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/scene/wire"
)

// TestBrowserDrag drags a node with the mouse in a real page: the node
// ends up, in Go and in the page, where it was dropped, pinned.
func TestBrowserDrag(t *testing.T) {
	t.Parallel()
	g := newGraph(20, 9)
	settle(g, 30) // frozen: nothing moves until the drag
	if g.heat != 0 {
		t.Fatalf("the layout is still warm: %v", g.heat)
	}
	site := e2e.Serve(t, g.s)
	b := browser.ForTest(t)
	p := e2e.Open(t, b, site.URL+"/")

	const i = 7
	id := fmt.Sprintf("v-%d", i)
	x0, y0 := e2e.Center(t, p, id)
	// Drop it 150 px right and 80 px up of where it is, on the screen.
	x1, y1 := x0+150, y0-80
	wantX, wantY := e2e.ViewportToScene(t, p, x1, y1)
	e2e.Must(t, p, p.Drag(e2e.Ctx(t), x0, y0, x1, y1, 12))

	type pos struct {
		X, Y   float64
		Pinned bool
	}
	// The drag ends with the pointer's up; wait for its last move in Go.
	e2e.SimUntil(t, g.s, "the node at the drop point in Go", func() bool {
		v := g.verts[i]
		return math.Abs(v.x-wantX) < 1 && math.Abs(v.y-wantY) < 1
	})
	got := e2e.Sim(t, g.s, func() pos { v := g.verts[i]; return pos{v.x, v.y, v.pinned} })
	if !got.Pinned {
		t.Fatal("the dropped node is not pinned")
	}
	// The page shows it there, with the pinned style, and its edges end
	// there.
	cx, cy := wire.FormatNum(float32(tenth(got.X))), wire.FormatNum(float32(tenth(got.Y)))
	e2e.WaitFor(t, p, fmt.Sprintf(`(() => {
		const c = document.getElementById(%q);
		return c.getAttribute("cx") === %q && c.getAttribute("cy") === %q && c.getAttribute("style") === %q;
	})()`, id, cx, cy, pinnedStyle))
	for _, e := range g.edges {
		if e.a == i {
			e2e.WaitFor(t, p, fmt.Sprintf(`document.getElementById("e-%d-%d").getAttribute("x1") === %q`, e.a, e.b, cx))
		}
		if e.b == i {
			e2e.WaitFor(t, p, fmt.Sprintf(`document.getElementById("e-%d-%d").getAttribute("x2") === %q`, e.a, e.b, cx))
		}
	}
	e2e.NoPageErrors(t, p)
}

// TestBrowserTwoViewersDrag drags two nodes at once from two pages. Both
// pages' mice have pointer id 1; each drag must stay with its own page's
// node, so both nodes end where their page dropped them.
func TestBrowserTwoViewersDrag(t *testing.T) {
	t.Parallel()
	g := newGraph(20, 9)
	settle(g, 30)
	site := e2e.Serve(t, g.s)
	b := browser.ForTest(t)
	pa := e2e.Open(t, b, site.URL+"/")
	pb := e2e.Open(t, b, site.URL+"/")
	ctx := e2e.Ctx(t)

	type drag struct {
		p              *browser.Page
		i              int
		x0, y0, x1, y1 float64
		wantX, wantY   float64
	}
	ds := []*drag{{p: pa, i: 3}, {p: pb, i: 12}}
	for k, d := range ds {
		d.x0, d.y0 = e2e.Center(t, d.p, fmt.Sprintf("v-%d", d.i))
		d.x1, d.y1 = d.x0+float64(120-200*k), d.y0+60
		d.wantX, d.wantY = e2e.ViewportToScene(t, d.p, d.x1, d.y1)
	}
	mouse := func(d *drag, ev browser.MouseEvent) { e2e.Must(t, d.p, d.p.Mouse(ctx, ev)) }
	// Page A presses first, then page B, each seen by the sim before the
	// next: B's press must not take A's drag.
	for _, d := range ds {
		mouse(d, browser.MouseEvent{Type: "mouseMoved", X: d.x0, Y: d.y0})
		mouse(d, browser.MouseEvent{Type: "mousePressed", X: d.x0, Y: d.y0, Button: "left", Buttons: 1, ClickCount: 1})
		e2e.SimUntil(t, g.s, fmt.Sprintf("node %d pinned by its press", d.i), func() bool { return g.verts[d.i].pinned })
	}
	const steps = 10
	for s := 1; s <= steps; s++ {
		f := float64(s) / steps
		for _, d := range ds {
			mouse(d, browser.MouseEvent{Type: "mouseMoved", X: d.x0 + (d.x1-d.x0)*f, Y: d.y0 + (d.y1-d.y0)*f, Button: "left", Buttons: 1})
		}
	}
	for _, d := range ds {
		mouse(d, browser.MouseEvent{Type: "mouseReleased", X: d.x1, Y: d.y1, Button: "left", ClickCount: 1})
	}
	for _, d := range ds {
		e2e.SimUntil(t, g.s, fmt.Sprintf("node %d at its page's drop point", d.i), func() bool {
			v := g.verts[d.i]
			return math.Abs(v.x-d.wantX) < 1 && math.Abs(v.y-d.wantY) < 1
		})
	}
	e2e.NoPageErrors(t, pa)
	e2e.NoPageErrors(t, pb)
}
