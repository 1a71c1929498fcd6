package main

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"strconv"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

// TestBrowserRunControls clicks the run bar's play/pause, step and speed
// buttons and presses the run keys in a real page, and checks the Go side
// (playing, ticks, speed) and the bar (paused, sim time, speed). Then a
// panicking tick shows the overlay with resume and reset; reset calls the
// scene's OnReset. With -update it writes docs/img/run-controls.png and
// docs/img/panic-overlay.png.
func TestBrowserRunControls(t *testing.T) {
	t.Parallel()
	w := newWorld(20, 7)
	s := w.s
	var boom atomic.Bool
	resets := 0
	s.OnReset(func() { resets++ })
	s.OnTick(func(float64) {
		if boom.CompareAndSwap(true, false) {
			panic("boom: the tick blew up")
		}
	})
	site := e2e.Serve(t, s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	click := func(run string) {
		t.Helper()
		x, y := e2e.Center(t, p, "vz-run") // the bar is there and laid out
		_, _ = x, y
		e2e.Must(t, p, p.Eval(e2e.Ctx(t), `document.querySelector('[data-run="`+run+`"]').click()`, nil))
	}
	e2e.WaitFor(t, p, `!document.getElementById("vz-run").hidden && document.querySelector('[data-run="reset"]').hidden === false`)

	click("play") // playing: the button pauses
	e2e.SimUntil(t, s, "paused in Go", func() bool { return !s.Playing() })
	e2e.WaitFor(t, p, `document.getElementById("vz-run").dataset.paused === "true"`)
	t0 := e2e.Sim(t, s, s.SimTime)
	e2e.WaitFor(t, p, `document.querySelector('[data-run="time"]').textContent === "t `+fmtTime(t0)+` s"`)

	click("step")
	e2e.SimUntil(t, s, "one step in Go", func() bool { return s.SimTime() > t0 })
	t1 := e2e.Sim(t, s, s.SimTime)
	if got, want := t1-t0, dt; got < want*0.999 || got > want*1.001 {
		t.Fatalf("a step advanced sim time by %v, want one tick's %v", got, want)
	}
	e2e.WaitFor(t, p, `document.querySelector('[data-run="time"]').textContent === "t `+fmtTime(t1)+` s"`)

	e2e.Must(t, p, p.Press(e2e.Ctx(t), ".", 0)) // the step key
	e2e.SimUntil(t, s, "a second step in Go", func() bool { return s.SimTime() > t1 })

	for range 5 { // 1 → 8, then clamped
		click("faster")
	}
	e2e.SimUntil(t, s, "speed 8 in Go", func() bool { return s.Speed() == 8 })
	e2e.WaitFor(t, p, `document.querySelector('[data-run="speed"]').textContent === "8×"`)
	e2e.Must(t, p, p.Press(e2e.Ctx(t), "[", 0))
	e2e.SimUntil(t, s, "speed 4 in Go", func() bool { return s.Speed() == 4 })
	for range 6 {
		click("slower")
		e2e.WaitFor(t, p, `document.querySelector('[data-run="speed"]').textContent !== "4×"`)
	}
	e2e.SimUntil(t, s, "speed ¼ in Go", func() bool { return s.Speed() == 0.25 })
	e2e.WaitFor(t, p, `document.querySelector('[data-run="speed"]').textContent === "¼×"`)
	click("faster")
	click("faster") // back to 1×

	e2e.Must(t, p, p.Press(e2e.Ctx(t), " ", 0)) // Space plays
	e2e.SimUntil(t, s, "playing in Go", s.Playing)
	e2e.WaitFor(t, p, `document.getElementById("vz-run").dataset.paused === "false"`)
	e2e.WaitFor(t, p, `document.querySelector('[data-run="speed"]').textContent === "1×"`)
	shot(t, p, "run-controls.png")

	boom.Store(true)
	e2e.WaitFor(t, p, `!document.getElementById("vz-overlay").hidden && !!document.querySelector('#vz-overlay [data-run="resume"]') && !document.querySelector('#vz-overlay [data-run="overlay-reset"]').hidden`)
	if e2e.Sim(t, s, s.Playing) {
		t.Fatal("the sim plays after a panic")
	}
	stack := e2e.Eval[string](t, p, `document.getElementById("vz-overlay").textContent`)
	for _, bad := range []string{"runtime/debug", "(*Scene).guard"} {
		if contains(stack, bad) {
			t.Errorf("overlay's stack has %q:\n%s", bad, stack)
		}
	}
	shot(t, p, "panic-overlay.png")
	e2e.Must(t, p, p.Eval(e2e.Ctx(t), `document.querySelector('#vz-overlay [data-run="overlay-reset"]').click()`, nil))
	e2e.SimUntil(t, s, "reset and playing in Go", func() bool { return resets == 1 && s.Playing() })
	e2e.WaitFor(t, p, `document.getElementById("vz-overlay").hidden`)
	e2e.NoPageErrors(t, p)
}

func fmtTime(v float64) string { return strconvFloat(v) }

func shot(t *testing.T, p *browser.Page, name string) {
	t.Helper()
	if !*update {
		return
	}
	png, err := p.Screenshot(e2e.Ctx(t))
	e2e.Must(t, p, err)
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func strconvFloat(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
