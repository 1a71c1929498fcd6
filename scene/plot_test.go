package scene_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

// plotScene draws one plot of each kind from fixed data, for the golden
// file and the DOM contract's tests.
func plotScene() *scene.Scene {
	s := scene.New(scene.Options{Width: 960, Height: 560})
	root := s.Root()
	root.Rect(0, 0, 960, 560, "fill:#f7f7f9")

	p := root.Plot(10, 10, 300, 260).Title("Energy")
	p.X().Time().Title("sim time").Unit("s")
	p.Y().Title("energy").Unit("J")
	p.Y2().Title("temperature").Unit("K")
	ke, pe, temp := p.Line("kinetic"), p.Line("potential"), p.Line("temperature").Y2()
	for i := range 121 {
		t := float64(i) / 4
		ke.Add(t, 1+0.5*math.Sin(t))
		pe.Add(t, 1-0.5*math.Sin(t))
		temp.Add(t, 290+t/3)
	}

	p = root.Plot(320, 10, 300, 260).Title("Decay")
	p.X().Title("step")
	p.Y().Log().Title("residual")
	r := p.Scatter("residual")
	for i := range 40 {
		r.Add(float64(i), 1e3*math.Pow(0.6, float64(i)))
	}
	r.Add(40, 0)          // not positive: left out on a log scale
	r.Add(41, math.NaN()) // left out everywhere

	p = root.Plot(630, 10, 320, 260).Title("Load")
	p.X().Title("hour")
	p.Y().Title("load").Unit("%").Range(0, 100)
	a := p.Area("load")
	for h := range 25 {
		a.Add(float64(h), 50+30*math.Sin(float64(h)/24*2*math.Pi))
	}

	p = root.Plot(10, 290, 300, 260).Title("Counts")
	b := p.Bar("count")
	b.Set([]float64{1, 2, 3, 4, 5}, []float64{3, 7, 12, 5, 1})
	p.X().Title("bin")

	p = root.Plot(320, 290, 300, 260).Title("Speeds")
	h := p.Histogram("speed", 10, 0, 5)
	h.Set([]float64{0.1, 0.7, 1.1, 1.2, 1.3, 1.9, 2.2, 2.4, 2.5, 3.3, 4.9, 7})
	p.X().Title("speed").Unit("m/s")

	p = root.Plot(630, 290, 320, 260).Title("Plate")
	hm := p.Heatmap("K", 6, 4)
	for j := range 4 {
		for i := range 6 {
			hm.Set(i, j, 290+float64(i*j))
		}
	}
	s.Advance(0)
	return s
}

func TestPlotGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := plotScene().Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "plots.svg", buf.Bytes())
}

// doc is a parsed snapshot with helpers to find elements.
type doc struct{ svgx.Doc }

func snapshotDoc(t *testing.T, s *scene.Scene) *doc {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	d := &doc{}
	if err := d.Parse(buf.String()); err != nil {
		t.Fatalf("snapshot does not parse: %v", err)
	}
	return d
}

func attr(e *svgx.Elem, name string) string {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

func hasClass(e *svgx.Elem, c string) bool {
	return strings.Contains(" "+attr(e, "class")+" ", " "+c+" ")
}

// within returns the elements under element i (any depth) that match.
func (d *doc) within(i int, match func(*svgx.Elem) bool) []int {
	var out []int
	for k := i + 1; k < len(d.Elems); k++ {
		if i < 0 {
			if match(&d.Elems[k]) {
				out = append(out, k)
			}
			continue
		}
		for p := d.Elems[k].Parent; p >= 0; p = d.Elems[p].Parent {
			if p == i {
				if match(&d.Elems[k]) {
					out = append(out, k)
				}
				break
			}
		}
	}
	return out
}

func (d *doc) byClass(i int, c string) []int {
	return d.within(i, func(e *svgx.Elem) bool { return hasClass(e, c) })
}

func nums(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '(' || r == ')' }) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%q in %q is not a number", f, s)
		}
		out = append(out, v)
	}
	return out
}

// TestPlotContract checks every plot of plotScene against the DOM
// contract the client's readout and zoom read (docs/plots.md): the
// groups and their classes, a clip path that exists, a data transform
// matrix(a 0 0 d e f) that flips y and maps the points inside the
// plotting area, scale kinds and titles, lines in increasing x.
func TestPlotContract(t *testing.T) {
	t.Parallel()
	d := snapshotDoc(t, plotScene())
	ids := map[string]int{}
	for i := range d.Elems {
		ids[attr(&d.Elems[i], "id")] = i
	}
	plots := d.byClass(-1, "vz-plot")
	if len(plots) != 6 {
		t.Fatalf("%d g.vz-plot, want 6", len(plots))
	}
	seen := map[string]bool{}
	for _, pi := range plots {
		pe := &d.Elems[pi]
		id := attr(pe, "data-vz-plot")
		if id == "" || seen[id] || pe.Tag != "g" {
			t.Fatalf("plot %d: data-vz-plot %q (tag %s), not unique and set", pi, id, pe.Tag)
		}
		seen[id] = true
		for _, c := range []string{"vz-axis-x", "vz-axis-y", "vz-grid", "vz-legend", "vz-plot-area"} {
			if n := len(d.byClass(pi, c)); n != 1 {
				t.Errorf("plot %s: %d .%s, want 1", id, n, c)
			}
		}
		for _, ai := range d.byClass(pi, "vz-axis") {
			if len(d.within(ai, func(e *svgx.Elem) bool { return e.Tag == "text" && e.Text != "" })) < 2 {
				t.Errorf("plot %s: axis %q has fewer than 2 labels", id, attr(&d.Elems[ai], "class"))
			}
		}
		area := d.byClass(pi, "vz-plot-area")[0]
		cp := attr(&d.Elems[area], "clip-path")
		ref := strings.TrimSuffix(strings.TrimPrefix(cp, "url(#"), ")")
		ci, ok := ids[ref]
		if !ok || d.Elems[ci].Tag != "clipPath" {
			t.Fatalf("plot %s: clip-path %q names no clipPath", id, cp)
		}
		rect := d.within(ci, func(e *svgx.Elem) bool { return e.Tag == "rect" })[0]
		r := &d.Elems[rect]
		ax, ay := nums(t, attr(r, "x"))[0], nums(t, attr(r, "y"))[0]
		aw, ah := nums(t, attr(r, "width"))[0], nums(t, attr(r, "height"))[0]
		for _, di := range d.byClass(area, "vz-plot-data") {
			de := &d.Elems[di]
			m := nums(t, strings.TrimPrefix(attr(de, "transform"), "matrix"))
			if len(m) != 6 || m[1] != 0 || m[2] != 0 || !(m[0] > 0) || !(m[3] < 0) {
				t.Fatalf("plot %s: transform %q is not matrix(a 0 0 d e f) with a > 0 > d", id, attr(de, "transform"))
			}
			if x := attr(de, "data-vz-x"); x != "linear" && x != "log" && x != "time" {
				t.Errorf("plot %s: data-vz-x %q", id, x)
			}
			if y := attr(de, "data-vz-y"); y != "linear" && y != "log" {
				t.Errorf("plot %s: data-vz-y %q", id, y)
			}
			for _, li := range d.within(di, func(e *svgx.Elem) bool { return e.Tag == "polyline" }) {
				le := &d.Elems[li]
				if attr(le, "data-vz-series") == "" || attr(le, "vector-effect") != "non-scaling-stroke" {
					t.Errorf("plot %s: polyline without data-vz-series or non-scaling-stroke", id)
				}
				p := nums(t, attr(le, "points"))
				for k := 0; k+1 < len(p); k += 2 {
					if k >= 2 && p[k] < p[k-2] {
						t.Fatalf("plot %s: points not in increasing x: %g after %g", id, p[k], p[k-2])
					}
					// The transform puts every point of a range that
					// follows the data inside the plotting area.
					x, y := m[0]*p[k]+m[4], m[3]*p[k+1]+m[5]
					if x < ax-0.01 || x > ax+aw+0.01 || y < ay-0.01 || y > ay+ah+0.01 {
						t.Fatalf("plot %s: point (%g, %g) maps to (%g, %g), outside the area %g,%g %gx%g", id, p[k], p[k+1], x, y, ax, ay, aw, ah)
					}
				}
			}
		}
	}
	// The heatmap: a cell per value with data-vz-v, and a colour bar.
	hm := d.within(-1, func(e *svgx.Elem) bool { return attr(e, "data-vz-v") != "" })
	if len(hm) != 24 {
		t.Errorf("%d heatmap cells with data-vz-v, want 24", len(hm))
	}
	if n := len(d.byClass(-1, "vz-colorbar")); n != 1 {
		t.Errorf("%d .vz-colorbar, want 1", n)
	}
	if n := len(d.byClass(-1, "vz-axis-y2")); n != 1 {
		t.Errorf("%d .vz-axis-y2, want 1", n)
	}
}

// TestPlotIgnoresNaN: NaN and infinite values, and values a log scale
// cannot show, are not drawn and do not stretch the axes.
func TestPlotIgnoresNaN(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	p := s.Root().Plot(0, 0, 400, 300)
	p.Y().Log()
	l := p.Line("v")
	for i, v := range []float64{1, math.NaN(), 10, math.Inf(1), -5, 0, 100, math.Inf(-1)} {
		l.Add(float64(i), v)
	}
	l.Add(math.NaN(), 3)
	s.Advance(0)
	lo, hi := p.Y().Shown()
	if !(lo > 0.5 && lo < 1) || !(hi > 100 && hi < 200) {
		t.Errorf("y shows [%g, %g], want about [1, 100]", lo, hi)
	}
	xlo, xhi := p.X().Shown()
	if !(xlo > -1 && xlo < 0) || !(xhi > 6 && xhi < 7) {
		t.Errorf("x shows [%g, %g], want about [0, 6]", xlo, xhi)
	}
	d := snapshotDoc(t, s)
	pl := d.within(-1, func(e *svgx.Elem) bool { return e.Tag == "polyline" })
	if got := attr(&d.Elems[pl[0]], "points"); got != "0,0 2,1 6,2" {
		t.Errorf("points %q, want the three positive finite ones in log10: 0,0 2,1 6,2", got)
	}
}

// TestPlotNoJitter: noisy data streaming inside a band leaves the y
// axis alone: after the first frames no op touches its ticks or labels.
func TestPlotNoJitter(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	p := s.Root().Plot(0, 0, 400, 300)
	p.X().Window(10)
	l := p.Line("noise")
	tm := 0.0
	step := func(n int) {
		for range n {
			tm += 0.1
			l.Add(tm, 5+math.Sin(tm*7.3)*math.Cos(tm*3.1))
			s.Advance(0.1)
		}
	}
	step(200)
	ticks := func() string {
		var b strings.Builder
		for _, k := range p.Y().Node().Children() {
			b.WriteString(k.Attr("transform") + k.Attr("y") + k.TextContent() + ";")
		}
		return b.String()
	}
	before := ticks()
	lo, hi := p.Y().Shown()
	step(400)
	if after := ticks(); after != before {
		t.Errorf("the y axis changed while the data stayed in its band:\n%s\n%s", before, after)
	}
	if l2, h2 := p.Y().Shown(); l2 != lo || h2 != hi {
		t.Errorf("y range moved from [%g, %g] to [%g, %g]", lo, hi, l2, h2)
	}
	// A jump out of the band grows the range at once.
	l.Add(tm+0.1, 50)
	s.Advance(0)
	if _, h := p.Y().Shown(); h < 50 {
		t.Errorf("after a value of 50 the range ends at %g", h)
	}
}

// TestPlotRescaleMovesTransformOnly: a new range moves the data's
// transform and the axes; no op touches the marks, which hold data
// coordinates.
func TestPlotRescaleMovesTransformOnly(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	p := s.Root().Plot(0, 0, 400, 300)
	l := p.Line("v")
	for i := range 50 {
		l.Add(float64(i), math.Sqrt(float64(i)))
	}
	v := scenetest.New(t, s)
	v.Advance(0)
	var line, data *scene.Node
	var find func(n *scene.Node)
	find = func(n *scene.Node) {
		if n.Tag() == "polyline" {
			line = n
		}
		if n.Attr("class") == "vz-plot-data" {
			data = n
		}
		for _, k := range n.Children() {
			find(k)
		}
	}
	find(p.Node())
	before := data.Attr("transform")
	p.Y().Range(-10, 10)
	p.X().Range(0, 100)
	v.Advance(0)
	touched := map[wire.Handle]int{}
	for _, op := range v.Ops() {
		touched[op.Node]++
	}
	if touched[line.Handle()] != 0 {
		t.Errorf("%d ops on the line after a new range", touched[line.Handle()])
	}
	if data.Attr("transform") == before || touched[data.Handle()] == 0 {
		t.Errorf("the data transform did not change: %q", data.Attr("transform"))
	}
}

// TestPanelPlot: a panel plot is marked for the page's panel, sized
// PanelPlotWidth across, and waits below the scene's box, outside the
// picture of exports; a second one goes below the first.
func TestPanelPlot(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Width: 300, Height: 200})
	a, b := s.PanelPlot(150), s.PanelPlot(120)
	s.Advance(0)
	for _, p := range []*scene.Plot{a, b} {
		g := p.Node()
		if g.Attr("data-vz-slot") != "panel" || g.Attr("data-vz-w") != strconv.Itoa(scene.PanelPlotWidth) || g.Parent() != s.Root() {
			t.Errorf("panel plot %s: slot %q, width %q, parent %v", g.ID(), g.Attr("data-vz-slot"), g.Attr("data-vz-w"), g.Parent())
		}
	}
	_, ya := a.Node().XY()
	_, yb := b.Node().XY()
	if ya < 200 || yb < ya+150 {
		t.Errorf("panel plots at y %g and %g, want below the box (200) and each other", ya, yb)
	}
}
