package main

import (
	"flag"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/e2e"
)

// axesReady is true once the page shows every plot with two axes or
// more, each axis with tick labels, and the panel plot inside the panel.
const axesReady = `(() => {
	const plots = [...document.querySelectorAll("g.vz-plot")];
	if (plots.length !== 7) return false;
	for (const p of plots) {
		const axes = p.querySelectorAll("g.vz-axis");
		if (axes.length < 2) return false;
		for (const a of axes) {
			const labels = [...a.querySelectorAll("text")].filter(t => t.textContent !== "" && t.getBBox().width > 0);
			if (labels.length < 2) return false;
		}
		if (!p.querySelector("g.vz-plot-area > g.vz-plot-data")) return false;
	}
	return !!document.querySelector("#vz-panel svg.vz-panel-plot g.vz-plot");
})()`

// TestBrowserAxes opens the gallery while it runs: every plot shows its
// axes with tick labels that do not overlap, the panel plot sits in the
// side panel as wide as the panel, /snapshot.svg holds the plots, and
// the line chart's data moves.
func TestBrowserAxes(t *testing.T) {
	t.Parallel()
	w := newWorld(5)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.SetViewport(e2e.Ctx(t), 1280, 800))
	e2e.WaitFor(t, p, axesReady)
	// No two tick labels of an axis overlap on the page.
	overlaps := e2e.Eval[[]string](t, p, `(() => {
		const out = [];
		for (const a of document.querySelectorAll("g.vz-axis")) {
			const r = [...a.querySelectorAll("text")].filter(t => t.textContent !== "" && !t.classList.contains("vz-axis-title")).map(t => [t.textContent, t.getBoundingClientRect()]);
			for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
				const [la, a1] = r[i], [lb, b1] = r[j];
				if (a1.left < b1.right && b1.left < a1.right && a1.top < b1.bottom && b1.top < a1.bottom) out.push(la + " / " + lb);
			}
		}
		return out;
	})()`)
	if len(overlaps) > 0 {
		t.Errorf("tick labels overlap on the page: %q", overlaps)
	}
	// The panel plot takes the panel's inner width.
	widths := e2e.Eval[[]float64](t, p, `(() => {
		const panel = document.getElementById("vz-panel");
		const cs = getComputedStyle(panel);
		const inner = panel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		return [inner, document.querySelector("#vz-panel svg.vz-panel-plot").getBoundingClientRect().width];
	})()`)
	if widths[1] < widths[0]-2 || widths[1] > widths[0]+2 {
		t.Errorf("the panel plot is %g px wide, the panel's inside %g px", widths[1], widths[0])
	}
	// /snapshot.svg, the static export, holds the seven plots and their axes.
	snap := e2e.Eval[[]int](t, p, `fetch("/snapshot.svg").then(r => r.text()).then(s => [
		s.split('class="vz-plot"').length - 1, s.split('class="vz-axis vz-axis-').length - 1])`)
	if snap[0] != 7 || snap[1] < 15 {
		t.Errorf("/snapshot.svg has %d plots and %d axes, want 7 and 15", snap[0], snap[1])
	}
	// Live: the line chart's points change.
	const kinetic = `document.querySelector("g.vz-plot polyline[data-vz-series=kinetic]").getAttribute("points")`
	e2e.Must(t, p, p.Eval(e2e.Ctx(t), `window.vzFirst = `+kinetic, nil))
	e2e.WaitFor(t, p, kinetic+` !== window.vzFirst`)
	e2e.NoPageErrors(t, p)
}

var update = flag.Bool("update", false, "rewrite docs/img/plots.png from the real page")

// TestPicture takes the page of the gallery after 25 s of sim time: with
// -update it writes docs/img/plots.png; without, it checks that the page
// it would take is whole.
func TestPicture(t *testing.T) {
	t.Parallel()
	w := newWorld(11)
	for range 25 * 60 {
		w.s.Advance(dt)
	}
	w.s.Pause()
	w.s.Advance(0)
	site := e2e.Serve(t, w.s)
	p := e2e.Open(t, browser.ForTest(t), site.URL+"/")
	e2e.Must(t, p, p.SetViewport(e2e.Ctx(t), 1280, 800))
	e2e.WaitFor(t, p, axesReady+` && document.querySelectorAll("[data-vz-control]").length === 3`)
	e2e.Picture(t, p, 1280, 800, "../../docs/img/plots.png", *update)
}
