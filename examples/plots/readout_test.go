package main

import (
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

var shots = flag.String("readout-shots", "", "write a screenshot of each kind's readout into this directory")

// toScreen is a JS function: the viewport point of data point (x, y) of
// the series' data group.
const toScreen = `((series, x, y) => {
	const s = document.querySelector('[data-vz-series="' + series + '"]');
	const m = s.closest(".vz-plot-data").getScreenCTM();
	const p = new DOMPoint(x, y).matrixTransform(m);
	return [p.x, p.y];
})`

// numbers returns the numbers in s, in order ("0.4–0.6" gives 0.4, 0.6).
func numbers(s string) []float64 {
	var out []float64
	for _, f := range regexp.MustCompile(`-?\d+(\.\d+)?(e-?\d+)?`).FindAllString(s, -1) {
		v, _ := strconv.ParseFloat(f, 64)
		out = append(out, v)
	}
	return out
}

// TestBrowserReadoutKinds hovers over every kind of mark of the gallery,
// paused, and checks what the readout says: the bar under the pointer and
// its value, the histogram's bin under it and its count, the scatter
// point nearest it, the area's value at its x and the heatmap's cell.
func TestBrowserReadoutKinds(t *testing.T) {
	t.Parallel()
	w := newWorld(3)
	for range 10 * 60 {
		w.s.Advance(dt)
	}
	w.s.Pause()
	w.s.Advance(0)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.SetViewport(e2e.Ctx(t), 1280, 800))
	e2e.WaitFor(t, p, axesReady)

	type target struct {
		name   string // the series
		x, y   float64
		lines  func(text []string) error // what the box must say
		dotOff bool                      // no dot: a heatmap cell
	}
	// The data, read on the sim goroutine.
	type data struct {
		BarX, BarY   []float64
		Hist         []int
		DotX, DotY   []float64
		AreaX, AreaY []float64
	}
	d := e2e.Sim(t, w.s, func() data {
		var d data
		bx, by := w.counts.Points()
		d.BarX, d.BarY = append(d.BarX, bx...), append(d.BarY, by...)
		d.Hist = append(d.Hist, w.speeds.Counts()...)
		sx, sy := w.phase.Points()
		d.DotX, d.DotY = append(d.DotX, sx...), append(d.DotY, sy...)
		ax, ay := w.stored.Points()
		d.AreaX, d.AreaY = append(d.AreaX, ax...), append(d.AreaY, ay...)
		return d
	})
	argmax := func(v []float64) int {
		j := 0
		for i := range v {
			if v[i] > v[j] {
				j = i
			}
		}
		return j
	}
	near := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
	line := func(text []string, prefix string) []float64 {
		for _, l := range text {
			// The prefix, then numbers only: "speed 64", not "speed (m/s) 0.6–0.8".
			if rest, ok := strings.CutPrefix(l, prefix+" "); ok && strings.Trim(rest, "0123456789.-–e ") == "" {
				return numbers(rest)
			}
		}
		return nil
	}

	bar := argmax(d.BarY)
	hb := 0
	for i, c := range d.Hist {
		if c > d.Hist[hb] {
			hb = i
		}
	}
	const bw = 4.0 / histBins
	dot := len(d.DotX) / 2
	ai := len(d.AreaX) * 2 / 3
	targets := []target{
		{"count", d.BarX[bar] + 0.2, d.BarY[bar] / 2, func(text []string) error {
			if v := line(text, "count"); len(v) != 1 || !near(v[0], d.BarY[bar], 0.05) {
				return fmt.Errorf("want count %g", d.BarY[bar])
			}
			if v := line(text, "region"); len(v) != 1 || !near(v[0], d.BarX[bar], 0.05) {
				return fmt.Errorf("want region %g (the bar's centre)", d.BarX[bar])
			}
			return nil
		}, false},
		{"speed", (float64(hb) + 0.5) * bw, float64(d.Hist[hb]) / 2, func(text []string) error {
			if v := line(text, "speed"); len(v) != 1 || v[0] != float64(d.Hist[hb]) {
				return fmt.Errorf("want speed %d (the bin's count)", d.Hist[hb])
			}
			if v := line(text, "speed (m/s)"); len(v) != 2 || !near(v[0], float64(hb)*bw, 1e-6) || !near(v[1], float64(hb+1)*bw, 1e-6) {
				return fmt.Errorf("want the bin %g–%g", float64(hb)*bw, float64(hb+1)*bw)
			}
			return nil
		}, false},
		{"particles", d.DotX[dot], d.DotY[dot], func(text []string) error {
			// The point under the pointer, or one as near (to the pixel).
			if v := line(text, "position (m)"); len(v) != 1 || !near(v[0], d.DotX[dot], 0.06) {
				return fmt.Errorf("want position %.2f", d.DotX[dot])
			}
			if v := line(text, "velocity (m/s)"); len(v) != 1 || !near(v[0], d.DotY[dot], 0.12) {
				return fmt.Errorf("want velocity (m/s) %.2f", d.DotY[dot])
			}
			if !slices.Contains(text, "particles") {
				return fmt.Errorf("want the series, particles")
			}
			return nil
		}, false},
		{"heat", d.AreaX[ai], d.AreaY[ai] / 2, func(text []string) error {
			if v := line(text, "heat"); len(v) != 1 || !near(v[0], d.AreaY[ai], 0.01*math.Abs(d.AreaY[ai])+0.05) {
				return fmt.Errorf("want heat %g (the area's value at x, not its fill's base)", d.AreaY[ai])
			}
			return nil
		}, false},
	}
	// The heatmap's hottest cell, as the page has it.
	type cell struct{ X, Y, W, H, V float64 }
	hot := e2e.Eval[cell](t, p, `(() => {
		let best = null;
		for (const r of document.querySelectorAll('.vz-heatmap rect[data-vz-v]')) {
			const c = {X: +r.getAttribute("x"), Y: +r.getAttribute("y"), W: +r.getAttribute("width"), H: +r.getAttribute("height"), V: +r.getAttribute("data-vz-v")};
			if (!best || c.V > best.V) best = c;
		}
		return best;
	})()`)
	targets = append(targets, target{"K", hot.X + hot.W/2, hot.Y + hot.H/2, func(text []string) error {
		if v := line(text, "K"); len(v) != 1 || !near(v[0], hot.V, 1e-3*math.Abs(hot.V)) {
			return fmt.Errorf("want K %g (the cell's value)", hot.V)
		}
		if v := line(text, "x (cm)"); len(v) != 2 || !near(v[0], hot.X, 0.05) || !near(v[1], hot.X+hot.W, 0.05) {
			return fmt.Errorf("want x %g–%g", hot.X, hot.X+hot.W)
		}
		return nil
	}, true})

	for _, tg := range targets {
		pt := e2e.Eval[[]float64](t, p, fmt.Sprintf(`%s(%q, %g, %g)`, toScreen, tg.name, tg.x, tg.y))
		e2e.Must(t, p, p.Mouse(e2e.Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: pt[0] + 0.5, Y: pt[1] + 0.5}))
		// The readout of the plot holding the series.
		ro := fmt.Sprintf(`document.querySelector('[data-vz-series="%s"]').closest(".vz-plot").querySelector(":scope > .vz-readout")`, tg.name)
		e2e.WaitFor(t, p, ro+` && `+ro+`.querySelectorAll(".vz-readout-box text").length >= 2`)
		text := e2e.Eval[[]string](t, p, `[...`+ro+`.querySelectorAll(".vz-readout-box text")].map(t => t.textContent)`)
		if err := tg.lines(text); err != nil {
			t.Errorf("%s: the readout says %q: %v", tg.name, text, err)
		}
		dots := e2e.Eval[[][]float64](t, p, `[...`+ro+`.querySelectorAll(".vz-readout-dot")].map(c => { const r = c.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })`)
		switch {
		case tg.dotOff && len(dots) != 0:
			t.Errorf("%s: %d dots on a heatmap cell", tg.name, len(dots))
		case !tg.dotOff && len(dots) != 1:
			t.Errorf("%s: %d dots, want 1", tg.name, len(dots))
		case tg.name == "particles" && math.Hypot(dots[0][0]-pt[0], dots[0][1]-pt[1]) > 2:
			t.Errorf("particles: the dot is at %v, the point under the pointer at %v", dots[0], pt)
		}
		if *shots != "" {
			e2e.Picture(t, p, 1280, 800, filepath.Join(*shots, "readout-"+tg.name+".png"), true)
		}
	}
	e2e.NoPageErrors(t, p)
}
