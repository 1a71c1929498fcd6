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
