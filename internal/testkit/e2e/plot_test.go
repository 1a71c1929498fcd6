package e2e

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

var plotPicture = flag.Bool("plot-picture", false, "rewrite docs/img/plot-readout.png from the real page")

// plotFixture is a scene with one plot built to the plot DOM contract
// (the Go plot library's shape, by hand): x 0..10 over 540 px from x=60,
// y −1..1 over 320 px from y=20, two line series fed by SeriesBuffers,
// and a marker in the plotting area with handlers of its own.
type plotFixture struct {
	s                   *scene.Scene
	data, sin, cos, tmp *scene.Node
	bs, bc, bt          *scene.SeriesBuffer
	wheels, clicks      int // the marker's events

	mu    sync.Mutex
	codes map[wire.Code]int // ops the scene sent
}

func (f *plotFixture) Send(b *wire.Batch) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, op := range b.Ops {
		f.codes[op.Code]++
	}
	return true
}

func newPlotFixture() *plotFixture {
	f := &plotFixture{s: scene.New(scene.Options{Width: 640, Height: 400}), codes: map[wire.Code]int{}}
	root := f.s.Root()
	root.Rect(0, 0, 640, 400, "fill:#fff")
	root.El("defs").El("clipPath", `id="p1-clip"`).Rect(60, 20, 540, 320)
	plot := root.Group(`class="vz-plot" data-vz-plot="p1"`)
	grid := plot.Group(`class="vz-grid"`, "stroke:#e4e4e4")
	ax := plot.Group(`class="vz-axis vz-axis-x"`, "font-size:11px;fill:#444;text-anchor:middle")
	ax.Line(60, 340, 600, 340, "stroke:#444")
	for v := 0; v <= 10; v += 2 {
		x := 60 + 54*float64(v)
		grid.Line(x, 20, x, 340)
		ax.Line(x, 340, x, 345, "stroke:#444")
		ax.Text(x, 358, fmt.Sprint(v))
	}
	ax.Text(330, 380, "time (s)")
	ay := plot.Group(`class="vz-axis vz-axis-y"`, "font-size:11px;fill:#444;text-anchor:end")
	ay.Line(60, 20, 60, 340, "stroke:#444")
	for v := -1.0; v <= 1.0; v += 0.5 {
		y := 180 - 160*v
		grid.Line(60, y, 600, y)
		ay.Text(54, y+4, fmt.Sprintf("%.1f", v))
	}
	ay2 := plot.Group(`class="vz-axis vz-axis-y2"`, "font-size:11px;fill:#444;text-anchor:start")
	ay2.Line(600, 20, 600, 340, "stroke:#444")
	for v := 0; v <= 100; v += 25 {
		ay2.Text(606, 340-3.2*float64(v)+4, fmt.Sprint(v))
	}
	leg := plot.Group(`class="vz-legend"`, "font-size:11px;fill:#444")
	leg.Line(480, 8, 496, 8, "stroke:#1f77b4;stroke-width:2")
	leg.Text(500, 12, "sin")
	leg.Line(540, 8, 556, 8, "stroke:#ff7f0e;stroke-width:2")
	leg.Text(560, 12, "cos")
	leg.Line(400, 8, 416, 8, "stroke:#2ca02c;stroke-width:2")
	leg.Text(420, 12, "temp")
	area := plot.Group(`class="vz-plot-area" clip-path="url(#p1-clip)"`)
	f.data = area.Group(`class="vz-plot-data" transform="matrix(54 0 0 -160 60 180)" data-vz-x="linear" data-vz-y="linear" data-vz-xlabel="time (s)" data-vz-ylabel="value"`)
	f.sin = f.data.El("polyline", `data-vz-series="sin" vector-effect="non-scaling-stroke"`, "fill:none;stroke:#1f77b4;stroke-width:2")
	f.cos = f.data.El("polyline", `data-vz-series="cos" vector-effect="non-scaling-stroke"`, "fill:none;stroke:#ff7f0e;stroke-width:2")
	f.bs = scene.NewSeriesBuffer(f.sin, nil)
	f.bc = scene.NewSeriesBuffer(f.cos, nil)
	// A second y axis (0..100 over the same 320 px) has its own data group.
	d2 := area.Group(`class="vz-plot-data" data-vz-axis="y2" transform="matrix(54 0 0 -3.2 60 340)" data-vz-x="linear" data-vz-y="linear"`)
	f.tmp = d2.El("polyline", `data-vz-series="temp" vector-effect="non-scaling-stroke"`, "fill:none;stroke:#2ca02c;stroke-width:2")
	f.bt = scene.NewSeriesBuffer(f.tmp, nil)
	// A node of the scene's own in the plotting area: its wheel and clicks
	// are the scene's, not the plot's zoom and pan.
	plot.Rect(70, 30, 30, 30, `id="marker"`, "fill:#c33;fill-opacity:.6").
		OnWheel(func(scene.Wheel) { f.wheels++ }).
		OnClick(func(scene.Pointer) { f.clicks++ })
	f.s.Subscribe(f)
	return f
}

// add appends the samples i0 ≤ i < i1, x = i/10.
func (f *plotFixture) add(i0, i1 int) {
	for i := i0; i < i1; i++ {
		x := float64(i) / 10
		f.bs.Add(x, math.Sin(x))
		f.bc.Add(x, math.Cos(x))
		f.bt.Add(x, 50+40*math.Sin(x/2))
	}
}

// TestPlotReadout: appended points reach the page equal to what a page
// opened later gets in its keyframe; the hover readout shows the values
// at a known point; wheel and drag zoom and pan x and a double-click
// restores the server's domain, without taking the scene's own events;
// the CSV button gives the series' points.
func TestPlotReadout(t *testing.T) {
	f := newPlotFixture()
	f.add(0, 20)
	site := Serve(t, f.s)
	b := browser.ForTest(t)
	p := Open(t, b, site.URL+"/")
	Must(t, p, p.SetViewport(Ctx(t), 1000, 700))

	// Appends: frame by frame to x = 10, as a live chart grows.
	for i := 20; i <= 100; i += 10 {
		Sim(t, f.s, func() bool { f.add(i, min(i+10, 101)); return true })
	}
	want := Sim(t, f.s, func() [3]string { return [3]string{f.sin.Attr("points"), f.cos.Attr("points"), f.tmp.Attr("points")} })
	if n := strings.Count(want[0], " ") + 1; n != 101 {
		t.Fatalf("the scene's sin has %d points, want 101", n)
	}
	WaitFor(t, p, fmt.Sprintf(`document.querySelector('[data-vz-series="cos"]').getAttribute("points") === %q`, want[1]))
	late := Open(t, b, site.URL+"/") // a keyframe of the same state
	for i, name := range []string{"sin", "cos", "temp"} {
		for _, pg := range []*browser.Page{p, late} {
			if got := Eval[string](t, pg, fmt.Sprintf(`document.querySelector('[data-vz-series=%q]').getAttribute("points")`, name)); got != want[i] {
				t.Fatalf("%s in a page: %.80s…, the keyframe's %.80s…", name, got, want[i])
			}
		}
	}
	f.mu.Lock()
	appends, sets := f.codes[wire.OpAppendPoints], f.codes[wire.OpSetAttr]
	f.mu.Unlock()
	if appends < 3*8 || sets > 0 {
		t.Errorf("the scene sent %d append-points and %d set-attr ops, want the points appended", appends, sets)
	}
	Must(t, p, late.Close(Ctx(t)))

	// The readout at x = 5: the rule, a dot per series, and the values.
	vx, vy := SceneToViewport(t, p, 60+54*5, 250)
	Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx, Y: vy}))
	WaitFor(t, p, `document.querySelectorAll(".vz-plot > .vz-readout .vz-readout-dot").length === 3`)
	text := Eval[[]string](t, p, `[...document.querySelectorAll(".vz-readout-box text")].map(t => t.textContent)`)
	wantText := []string{"time (s) 5.0", fmt.Sprintf("sin %.2f", math.Sin(5)), fmt.Sprintf("cos %.2f", math.Cos(5)), fmt.Sprintf("temp %.1f", 50+40*math.Sin(2.5))}
	if strings.Join(text, "|") != strings.Join(wantText, "|") {
		t.Errorf("the readout says %q, want %q", text, wantText)
	}
	dots := Eval[[][]float64](t, p, `[...document.querySelectorAll(".vz-readout-dot")].map(c => [+c.getAttribute("cx"), +c.getAttribute("cy")])`)
	for i, want := range [][2]float64{{330, 180 - 160*math.Sin(5)}, {330, 180 - 160*math.Cos(5)}, {330, 340 - 3.2*(50+40*math.Sin(2.5))}} {
		if math.Abs(dots[i][0]-want[0]) > 0.5 || math.Abs(dots[i][1]-want[1]) > 0.5 {
			t.Errorf("dot %d is at %v, want %v", i, dots[i], want)
		}
	}
	Picture(t, p, 1000, 700, "../../../docs/img/plot-readout.png", *plotPicture)

	type domain struct {
		X0, X1 float64
		Zoomed bool
	}
	dom := func() domain {
		return Eval[domain](t, p, `(() => { const d = vizserve.plotDomain("p1"); return {X0: d.x0, X1: d.x1, Zoomed: d.zoomed}; })()`)
	}
	if d := dom(); math.Abs(d.X0) > 1e-6 || math.Abs(d.X1-10) > 1e-6 || d.Zoomed {
		t.Fatalf("the domain before zooming is %+v, want 0..10", d)
	}
	// Zoom in at x = 5: the domain narrows around it.
	Must(t, p, p.Wheel(Ctx(t), vx, vy, 0, -300))
	WaitFor(t, p, `vizserve.plotDomain("p1").zoomed`)
	d := dom()
	if w := d.X1 - d.X0; w > 6 || w < 3 || d.X0 > 5 || d.X1 < 5 || math.Abs((5-d.X0)/(d.X1-d.X0)-0.5) > 0.01 {
		t.Fatalf("the domain after zooming in at 5 is %+v", d)
	}
	if n := Eval[int](t, p, `document.querySelectorAll(".vz-plot-zoom-axis text").length`); n < 3 {
		t.Errorf("the zoomed axis has %d labels", n)
	}
	Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx + 60, Y: vy}))
	WaitFor(t, p, `document.querySelectorAll(".vz-readout-dot").length === 3`)
	Picture(t, p, 1000, 700, "../../../docs/img/plot-zoom.png", *plotPicture)
	// Both data groups follow the zoom's x, each keeps its y.
	if tr := Eval[[]string](t, p, `[...document.querySelectorAll(".vz-plot-data")].map(g => g.getAttribute("transform"))`); tr[0][:strings.LastIndex(tr[0], " 0 0 ")] != tr[1][:strings.LastIndex(tr[1], " 0 0 ")] || !strings.Contains(tr[1], " 0 0 -3.2 ") {
		t.Errorf("zoomed transforms %q: want the same x, each its y", tr)
	}
	// Drag left by 100 px: the domain moves right by 100 px of data.
	scale := Eval[float64](t, p, `document.querySelector(".vz-plot-area").getScreenCTM().a`)
	Must(t, p, p.Drag(Ctx(t), vx, vy, vx-100, vy, 5))
	d2 := dom()
	if shift, want := d2.X0-d.X0, 100/scale/(540/(d.X1-d.X0)); math.Abs(shift-want) > 0.02*want || math.Abs((d2.X1-d2.X0)-(d.X1-d.X0)) > 1e-6 {
		t.Errorf("dragging by 100 px moved the domain from %+v to %+v, want a shift of %.3f", d, d2, want)
	}
	// The zoom holds while the server moves the transform (a scrolling
	// chart), and the y part follows the server.
	Sim(t, f.s, func() bool { f.data.Set("transform", "matrix(54 0 0 -150 60 180)"); return true })
	WaitFor(t, p, `/^matrix\(\S+ 0 0 -150 \S+ 180\)$/.test(document.querySelector(".vz-plot-data").getAttribute("transform"))`)
	if d3 := dom(); math.Abs(d3.X0-d2.X0) > 1e-6 || !d3.Zoomed {
		t.Errorf("after the server's transform changed the domain is %+v, was %+v", d3, d2)
	}
	// The marker's wheel and click are the scene's.
	mx, my := Center(t, p, "marker")
	Must(t, p, p.Wheel(Ctx(t), mx, my, 0, -300))
	Must(t, p, p.Click(Ctx(t), mx, my))
	SimUntil(t, f.s, "the marker's wheel and click", func() bool { return f.wheels == 1 && f.clicks == 1 })
	if d4 := dom(); math.Abs(d4.X0-d2.X0) > 1e-6 {
		t.Errorf("a wheel on the marker zoomed the plot: %+v, was %+v", d4, d2)
	}
	// Double-click: the server's domain again, and its transform.
	Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx, Y: vy}))
	for _, c := range []int{1, 2} {
		Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mousePressed", X: vx, Y: vy, Button: "left", Buttons: 1, ClickCount: c}))
		Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseReleased", X: vx, Y: vy, Button: "left", ClickCount: c}))
	}
	WaitFor(t, p, `!vizserve.plotDomain("p1").zoomed`)
	if tr := Eval[string](t, p, `document.querySelector(".vz-plot-data").getAttribute("transform")`); tr != "matrix(54 0 0 -150 60 180)" {
		t.Errorf("after the reset the transform is %q, want the server's", tr)
	}
	if d := dom(); math.Abs(d.X0) > 1e-6 || math.Abs(d.X1-10) > 1e-6 {
		t.Errorf("after the reset the domain is %+v, want 0..10", d)
	}
	if z := Eval[float64](t, p, `vizserve.view.z`); z != 1 {
		t.Errorf("the double-click also zoomed the view to %v", z)
	}

	// CSV: the button on hover, one row per point of each series.
	Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx, Y: vy}))
	WaitFor(t, p, `!!document.querySelector(".vz-plot-csv")`)
	Eval[any](t, p, `HTMLAnchorElement.prototype.click = function() { window.downloaded = this.download; }`) // no download in the test
	bx, by, err := p.Center(Ctx(t), ".vz-plot-csv")
	Must(t, p, err)
	Must(t, p, p.Click(Ctx(t), bx, by))
	WaitFor(t, p, `vizserve.lastPlotCSV !== ""`)
	if name := Eval[string](t, p, `window.downloaded`); name != "p1.csv" {
		t.Errorf("the download is named %q, want p1.csv", name)
	}
	got := strings.Split(strings.TrimSuffix(Eval[string](t, p, `vizserve.lastPlotCSV`), "\n"), "\n")
	rows := []string{"series,time (s),value"}
	for _, s := range []struct {
		name string
		buf  *scene.SeriesBuffer
	}{{"sin", f.bs}, {"cos", f.bc}, {"temp", f.bt}} {
		xy := Sim(t, f.s, func() [2][]float64 { x, y := s.buf.Samples(); return [2][]float64{x, y} })
		xs, ys := xy[0], xy[1]
		for i := range xs {
			rows = append(rows, s.name+","+wire.FormatNum(float32(xs[i]))+","+wire.FormatNum(float32(ys[i])))
		}
	}
	if strings.Join(got, "\n") != strings.Join(rows, "\n") {
		for i := range min(len(got), len(rows)) {
			if got[i] != rows[i] {
				t.Errorf("CSV row %d is %q, want %q (%d rows, want %d)", i, got[i], rows[i], len(got), len(rows))
				break
			}
		}
		if len(got) != len(rows) {
			t.Errorf("%d CSV rows, want %d", len(got), len(rows))
		}
	}
	if c := Sim(t, f.s, func() int { return f.clicks }); c != 1 {
		t.Errorf("the CSV button's click reached the scene (%d clicks)", c)
	}

	// A readout shown follows the data while the pointer rests.
	Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx, Y: vy}))
	WaitFor(t, p, `document.querySelectorAll(".vz-readout-dot").length === 3`)
	Sim(t, f.s, func() bool { f.sin.Set("points", "0,0 5,0.5 10,0"); return true })
	WaitFor(t, p, `[...document.querySelectorAll(".vz-readout-box text")].some(t => t.textContent === "sin 0.50")`)
	NoPageErrors(t, p)
}
