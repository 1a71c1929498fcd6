package main

import (
	"flag"
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
	w.shake = false // the test waits for every ball to come to rest
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

var update = flag.Bool("update", false, "rewrite docs/img/bouncing.png, the README's picture, from the real page")

// TestBrowserAlive opens the page a minute of sim time after the start, as
// a person who runs the README's first command and looks later would: the
// balls are still moving, in the page, not at rest.
func TestBrowserAlive(t *testing.T) {
	t.Parallel()
	w := newWorld(50, 5)
	for range 60 * 60 {
		w.s.Advance(dt)
	}
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.Eval(e2e.Ctx(t), `window.vzFirst = [...document.querySelectorAll("#balls circle")].map(c => c.getAttribute("cx") + "," + c.getAttribute("cy"))`, nil))
	// Within two shakes, at least one ball is somewhere else.
	e2e.WaitFor(t, p, `[...document.querySelectorAll("#balls circle")].some((c, i) => c.getAttribute("cx") + "," + c.getAttribute("cy") !== window.vzFirst[i])`)
	e2e.NoPageErrors(t, p)
}

// TestReadmePicture makes the README's picture from the real page: with
// -update it writes docs/img/bouncing.png; without, it checks that the
// page it would take is whole (every ball, the sliders, the chart).
func TestReadmePicture(t *testing.T) {
	t.Parallel()
	w := newWorld(50, 11)
	for range 5 * 60 { // five seconds of sim time: the chart has a story
		w.s.Advance(dt)
	}
	w.s.Pause() // then a still frame
	w.s.Advance(0)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.SetViewport(e2e.Ctx(t), 1280, 800))
	e2e.WaitFor(t, p, `document.querySelectorAll("#balls circle").length === 50 && document.querySelectorAll("[data-vz-control]").length === 3`)
	e2e.Picture(t, p, 1280, 800, "../../docs/img/bouncing.png", *update)
}

// TestBrowserCanvas runs the example as -canvas does: the balls are drawn
// on a canvas, not as SVG elements, and a click on a ball still kicks it.
func TestBrowserCanvas(t *testing.T) {
	t.Parallel()
	w := newWorld(12, 7)
	w.layer.Canvas()
	w.shake = false
	w.gravity = 0 // the balls stay where they are until kicked
	for i := range w.st.Balls {
		w.st.Balls[i].VX, w.st.Balls[i].VY = 0, 0
	}
	w.sync()
	// A ball that no later (so higher) ball covers; the balls stay put,
	// so their places read before Serve hold.
	i := -1
	for j := range w.st.Balls {
		free := true
		for k := j + 1; k < len(w.st.Balls); k++ {
			a, b := w.st.Balls[j], w.st.Balls[k]
			if (a.X-b.X)*(a.X-b.X)+(a.Y-b.Y)*(a.Y-b.Y) < 4*radius*radius {
				free = false
			}
		}
		if free {
			i = j
			break
		}
	}
	if i < 0 {
		t.Fatal("every ball is covered by another")
	}
	x0, y0 := w.st.Balls[i].X, w.st.Balls[i].Y
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.WaitFor(t, p, `vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0 && document.querySelectorAll("#balls circle").length === 0`)
	x, y := e2e.SceneToViewport(t, p, x0, y0)
	e2e.Must(t, p, p.Click(e2e.Ctx(t), x, y))
	e2e.SimUntil(t, w.s, fmt.Sprintf("ball %d kicked up in Go", i), func() bool { return w.st.Balls[i].Y < y0-20 })
	e2e.NoPageErrors(t, p)
}
