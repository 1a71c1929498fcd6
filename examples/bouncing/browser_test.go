package main

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

// TestBrowserSliders moves the sliders in a real page, as a person would
// with the keyboard, and watches the Go values and then the balls change:
// with gravity at its maximum and dead walls, every ball comes to rest on
// the floor, in Go and in the page. Then a click on a resting ball kicks it
// up.
func TestBrowserSliders(t *testing.T) {
	t.Parallel()
	w := newWorld(12, 3)
	for i := range w.st.Balls {
		w.st.Balls[i].VX = 0 // so that the balls come to rest where they fall
	}
	w.sync()
	s := w.s
	site := e2e.Serve(t, s)
	b := browser.ForTest(t)
	p := e2e.Open(t, b, site.URL+"/")

	const floor = boxHeight - radius
	if g := e2e.Sim(t, s, func() float64 { return w.gravity }); g != 500 {
		t.Fatalf("gravity starts at %v", g)
	}
	allOnFloor := fmt.Sprintf(`[...document.querySelectorAll("#balls circle")].every(c => c.getAttribute("cy") === %q)`, strconv.Itoa(int(floor)))
	if e2e.Eval[bool](t, p, allOnFloor) {
		t.Fatal("every ball is on the floor from the start: the test proves nothing")
	}

	// The keyboard moves a focused slider: End to the maximum, Home to the
	// minimum.
	slider := func(name, key string) {
		t.Helper()
		e2e.Must(t, p, p.Eval(e2e.Ctx(t), fmt.Sprintf(`document.querySelector('[data-vz-control=%q] input').focus()`, name), nil))
		e2e.Must(t, p, p.Press(e2e.Ctx(t), key, 0))
	}
	slider("gravity", "End")
	slider("elasticity", "Home")
	e2e.SimUntil(t, s, "gravity 2000 and elasticity 0 in Go", func() bool { return w.gravity == 2000 && w.elasticity == 0 })
	e2e.SimUntil(t, s, "every ball at rest on the floor in Go", func() bool {
		for _, b := range w.st.Balls {
			if b.Y != floor {
				return false
			}
		}
		return true
	})
	e2e.WaitFor(t, p, allOnFloor)
	e2e.WaitFor(t, p, `document.querySelector('[data-vz-control="gravity"] output').textContent === "2000"`)

	// A click on a ball that nothing covers kicks it up.
	id := e2e.Eval[string](t, p, `(() => {
		for (const c of document.querySelectorAll("#balls circle")) {
			const r = c.getBoundingClientRect();
			if (document.elementFromPoint(r.x + r.width/2, r.y + r.height/2) === c) return c.id;
		}
		return "";
	})()`)
	if id == "" {
		t.Fatal("every ball is covered by another")
	}
	i, err := strconv.Atoi(id[len("ball-"):])
	if err != nil {
		t.Fatal(err)
	}
	x, y := e2e.Center(t, p, id)
	e2e.Must(t, p, p.Click(e2e.Ctx(t), x, y))
	e2e.SimUntil(t, s, id+" kicked up in Go", func() bool { return w.st.Balls[i].Y < floor-20 })
	e2e.WaitFor(t, p, fmt.Sprintf(`+document.getElementById(%q).getAttribute("cy") < %g`, id, floor-20))
	e2e.NoPageErrors(t, p)
}
