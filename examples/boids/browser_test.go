package main

import (
	"encoding/json"
	"flag"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

// arrows is the transforms of the page's arrows, in order.
const arrows = `[...document.querySelectorAll("#boids path")].map(p => p.getAttribute("transform"))`

// TestBrowserFlies opens the page of a flock of 600 that is running: the
// arrows move and turn in the page, and once the scene pauses the page
// shows every arrow exactly as the scene placed it.
func TestBrowserFlies(t *testing.T) {
	t.Parallel()
	w := newWorld(600, 5)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.WaitFor(t, p, `document.querySelectorAll("#boids path").length === 600`)
	e2e.Must(t, p, p.Eval(e2e.Ctx(t), `window.vzFirst = `+arrows, nil))
	// Most arrows are elsewhere, or turned, a moment later.
	e2e.WaitFor(t, p, arrows+`.filter((a, i) => a !== window.vzFirst[i]).length > 500`)

	w.s.Pause()
	want := e2e.Sim(t, w.s, func() []string {
		out := make([]string, len(w.nodes))
		for i, n := range w.nodes {
			out[i] = n.Attr("transform")
		}
		return out
	})
	if err := p.WaitFor(e2e.Ctx(t), `JSON.stringify(`+arrows+`) === `+jsonString(t, want)); err != nil {
		got := e2e.Eval[[]string](t, p, arrows)
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("boid-%d: the page shows %q, the scene %q (%d arrows in the page)", i, got[i], want[i], len(got))
			}
		}
		t.Fatalf("the page shows %d arrows, the scene %d: %v", len(got), len(want), err)
	}
	e2e.NoPageErrors(t, p)
}

var update = flag.Bool("update", false, "rewrite docs/img/boids.png from the real page")

// TestPicture takes the page of a flock that has flown for 20 seconds:
// with -update it writes docs/img/boids.png; without, it checks that the
// page it would take is whole (every arrow, the sliders).
func TestPicture(t *testing.T) {
	t.Parallel()
	w := newWorld(600, 11)
	for range 20 * 60 {
		w.s.Advance(dt)
	}
	w.s.Pause()
	w.s.Advance(0)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.SetViewport(e2e.Ctx(t), 1280, 800))
	e2e.WaitFor(t, p, `document.querySelectorAll("#boids path").length === 600 && document.querySelectorAll("[data-vz-control]").length === 5`)
	e2e.Picture(t, p, 1280, 800, "../../docs/img/boids.png", *update)
}

// jsonString is v as JSON text, quoted as a JavaScript string.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	q, err := json.Marshal(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(q)
}
