package main

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/scene"
)

// TestBrowserTwoViewers: a click in one browser page changes the scene
// that another page shows; the keys of the buttons (Space, "s") steer the
// game from a page.
func TestBrowserTwoViewers(t *testing.T) {
	t.Parallel()
	l := newLife(5, scene.Options{Paused: true})
	l.clear()
	s := l.s
	site := e2e.Serve(t, s)
	b := browser.ForTest(t)
	pa := e2e.Open(t, b, site.URL+"/")
	pb := e2e.Open(t, b, site.URL+"/")

	fill := func(p *browser.Page, x, y int) string { return e2e.Attr(t, p, fmt.Sprintf("c-%d-%d", x, y), "fill") }
	waitFill := func(p *browser.Page, x, y int, want string) {
		t.Helper()
		e2e.WaitFor(t, p, fmt.Sprintf(`document.getElementById("c-%d-%d").getAttribute("fill") === %q`, x, y, want))
	}
	alive := func(x, y int) bool { return e2e.Sim(t, s, func() bool { return l.alive[y*cols+x] }) }

	// A blinker, drawn by clicks in page A, shows in page B.
	cells := [][2]int{{10, 10}, {11, 10}, {12, 10}}
	for _, c := range cells {
		if f := fill(pb, c[0], c[1]); f != deadFill {
			t.Fatalf("cell %v starts %s", c, f)
		}
		x, y := e2e.Center(t, pa, fmt.Sprintf("c-%d-%d", c[0], c[1]))
		e2e.Must(t, pa, pa.Click(e2e.Ctx(t), x, y))
		waitFill(pb, c[0], c[1], liveFill)
		if !alive(c[0], c[1]) {
			t.Fatalf("cell %v is live in page B but not in Go", c)
		}
	}
	e2e.WaitFor(t, pb, `document.getElementById("status").textContent === "generation 0 · 3 alive · paused"`)

	// "s" in page B steps: the blinker turns, in both pages.
	e2e.Must(t, pb, pb.Press(e2e.Ctx(t), "s", 0))
	for _, p := range []*browser.Page{pa, pb} {
		waitFill(p, 11, 9, liveFill)
		waitFill(p, 10, 10, deadFill)
		e2e.WaitFor(t, p, `document.getElementById("status").textContent === "generation 1 · 3 alive · paused"`)
	}
	if gen := e2e.Sim(t, s, func() int { return l.gen }); gen != 1 {
		t.Fatalf("generation %d in Go after one step", gen)
	}

	// Space in page A plays; the generations go by in page B; Space
	// again pauses.
	e2e.Must(t, pa, pa.Press(e2e.Ctx(t), " ", 0))
	e2e.WaitFor(t, pb, `/^generation ([5-9]|\d\d+) .* playing$/.test(document.getElementById("status").textContent)`)
	e2e.Must(t, pa, pa.Press(e2e.Ctx(t), " ", 0))
	e2e.WaitFor(t, pb, `document.getElementById("status").textContent.endsWith("· paused")`)
	if e2e.Sim(t, s, s.Playing) {
		t.Fatal("still playing after the second Space")
	}
	e2e.NoPageErrors(t, pa)
	e2e.NoPageErrors(t, pb)
}
