package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	e2e.WaitFor(t, p, `!document.getElementById("vz-run").hasAttribute("data-vz-idle") && document.querySelector('[data-run="reset"]').hidden === false`)

	// While paused the sim does not tick, so the Go side is checked once
	// the page shows the stats the command's handling produced.
	timeText := func() string {
		return e2e.Eval[string](t, p, `document.querySelector('[data-run="time"]').textContent`)
	}
	speedIs := func(text string, want float64) {
		t.Helper()
		e2e.WaitFor(t, p, `document.querySelector('[data-run="speed"]').textContent === "`+text+`"`)
		if got := e2e.Sim(t, s, s.Speed); got != want {
			t.Fatalf("the bar shows %s, the sim runs at %v×", text, got)
		}
	}

	click("play") // playing: the button pauses
	e2e.WaitFor(t, p, `document.getElementById("vz-run").dataset.paused === "true"`)
	if e2e.Sim(t, s, s.Playing) {
		t.Fatal("the bar shows paused, the sim plays")
	}
	t0 := e2e.Sim(t, s, s.SimTime)
	e2e.WaitFor(t, p, `document.querySelector('[data-run="time"]').textContent === "t `+fmtTime(t0)+` s"`)

	click("step")
	e2e.WaitFor(t, p, `document.querySelector('[data-run="time"]').textContent !== "t `+fmtTime(t0)+` s"`)
	t1 := e2e.Sim(t, s, s.SimTime)
	if got, want := t1-t0, dt; got < want*0.999 || got > want*1.001 {
		t.Fatalf("a step advanced sim time by %v, want one tick's %v", got, want)
	}
	if got, want := timeText(), "t "+fmtTime(t1)+" s"; got != want {
		t.Fatalf("after a step the bar shows %q, want %q", got, want)
	}

	e2e.Must(t, p, p.Press(e2e.Ctx(t), ".", 0)) // the step key
	e2e.WaitFor(t, p, `document.querySelector('[data-run="time"]').textContent !== "t `+fmtTime(t1)+` s"`)
	if got := e2e.Sim(t, s, s.SimTime); got-t1 < dt*0.999 || got-t1 > dt*1.001 {
		t.Fatalf("the step key advanced sim time by %v, want %v", got-t1, dt)
	}
	if !e2e.Eval[bool](t, p, `document.getElementById("vz-run").dataset.paused === "true"`) || e2e.Sim(t, s, s.Playing) {
		t.Fatal("the sim plays after a step")
	}

	speeds := []struct {
		text string
		v    float64
	}{{"2×", 2}, {"4×", 4}, {"8×", 8}}
	for _, sp := range speeds {
		click("faster")
		speedIs(sp.text, sp.v)
	}
	click("faster") // clamped at 8×
	e2e.Must(t, p, p.Press(e2e.Ctx(t), "[", 0))
	speedIs("4×", 4)
	for _, sp := range []struct {
		text string
		v    float64
	}{{"2×", 2}, {"1×", 1}, {"½×", 0.5}, {"¼×", 0.25}} {
		click("slower")
		speedIs(sp.text, sp.v)
	}
	click("slower") // clamped at ¼×
	e2e.Must(t, p, p.Press(e2e.Ctx(t), "]", 0))
	speedIs("½×", 0.5)
	click("faster") // back to 1×
	speedIs("1×", 1)

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
