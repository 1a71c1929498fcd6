package scene

import (
	"math"
	"slices"

	"github.com/vizserve/vizserve/scene/wire"
)

// Plot is a live chart with axes: linear, log or time scales with nice
// ticks, grid lines, axis titles, a legend outside the plotting area, and
// marks (Line, Scatter, Area, Bar, Histogram, Heatmap) that take data as
// the sim produces it. It redraws at most once per frame, when something
// changed.
//
//	p := root.Plot(20, 20, 400, 240)
//	p.X().Time().Title("sim time").Window(30)
//	p.Y().Title("energy").Unit("J")
//	e := p.Line("energy")
//	s.OnTick(func(dt float64) { e.Add(s.SimTime(), energy()) })
//
// A plot is a group of retained nodes in the DOM shape of docs/plots.md:
// a g.vz-plot holding g.vz-axis groups, a g.vz-grid, a g.vz-legend and
// the marks in data coordinates under g.vz-plot-data, whose transform maps
// them to the plotting area. Pages style plots through those classes.
type Plot struct {
	g        *Node
	id       string
	w, h     float64
	x, y, y2 *Axis
	marks    []plotMark
	heat     *Heatmap
	title    string
	dirty    bool
	seq      int // marks created, for default colours

	bg, clipRect *Node
	grid         *Node
	area         *Node
	data, data2  *Node // marks on the y axis, and on the second one
	legend       *Node
	titleNode    *Node
	gridX, gridY []*Node
	legendItems  []*Node
	legendKey    string
	left, right  float64 // margins, which only grow (no jitter)
}

// Axis is one axis of a Plot: its scale, range and title.
type Axis struct {
	p      *Plot
	kind   string // "x", "y" or "y2"
	scale  Scale
	title  string
	unit   string
	fixed  bool
	lo, hi float64
	window float64
	auto   autoRange

	g             *Node
	spine, titleN *Node
	ticks, labels []*Node
	cur           []tick
	// the range drawn, in data space (log10 for a log scale)
	dlo, dhi float64
}

// plotMark is what a Plot draws: a Mark, a Hist or a Heatmap.
type plotMark interface {
	extent(a *Axis) (lo, hi float64) // in the axis's data space
	onY2() bool
	redraw()
	legendSwatch(g *Node)
	label() string
}

// palette is matplotlib's tab10, the colours marks get in turn.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

const (
	plotFont  = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
	inkColour = "#333"
	gridColor = "#e6e6e6"
	tickLen   = 5.0
)

// Plot adds a w×h plot at (x, y) under n. Its axes are linear and follow
// the data until told otherwise (see Axis).
func (n *Node) Plot(x, y, w, h float64) *Plot {
	p := newPlot(n, w, h)
	p.g.SetXY(x, y)
	return p
}

// PanelPlotWidth is the width, in user units, of a plot in the page's
// side panel (PanelPlot): the panel's inner width, to which the page
// scales it.
const PanelPlotWidth = 244

// PanelPlot adds a plot h user units high to the page's side panel, under
// the controls. The page moves it there and scales it to the panel's
// width (PanelPlotWidth user units across); in exports and snapshots,
// which have no panel, it lies below the scene's box, outside the picture.
func (s *Scene) PanelPlot(h float64) *Plot {
	y := s.opt.Height + 10
	for _, c := range s.root.kids {
		if c.Attr("data-vz-slot") == "panel" {
			_, cy := c.XY()
			y = math.Max(y, cy+c.num("data-vz-h")+10)
		}
	}
	p := newPlot(s.root, PanelPlotWidth, h)
	p.g.Set("data-vz-slot", "panel").SetNum("data-vz-w", PanelPlotWidth).SetNum("data-vz-h", h)
	p.g.SetXY(0, y)
	return p
}

func newPlot(n *Node, w, h float64) *Plot {
	g := n.Group(`class="vz-plot"`)
	p := &Plot{g: g, id: g.ID(), w: w, h: h, dirty: true}
	g.Set("data-vz-plot", p.id).Set("font-family", plotFont).SetNum("font-size", fontSize)
	p.bg = g.Rect(0, 0, w, h, `class="vz-plot-bg"`, `fill="#fff"`)
	defs := g.El("defs")
	clip := defs.El("clipPath", `id="`+p.id+`-clip"`)
	p.clipRect = clip.Rect(0, 0, w, h)
	p.grid = g.Group(`class="vz-grid"`, `stroke="`+gridColor+`"`, `stroke-width="1"`)
	p.area = g.Group(`class="vz-plot-area"`, `clip-path="url(#`+p.id+`-clip)"`)
	p.data = p.area.Group(`class="vz-plot-data"`)
	p.x = &Axis{p: p, kind: "x"}
	p.y = &Axis{p: p, kind: "y"}
	for _, a := range []*Axis{p.x, p.y} {
		a.g = g.Group(`class="vz-axis vz-axis-`+a.kind+`"`, `fill="`+inkColour+`"`)
		a.spine = a.g.Line(0, 0, 0, 0, `stroke="`+inkColour+`"`)
	}
	p.legend = g.Group(`class="vz-legend"`, `fill="`+inkColour+`"`)
	n.s.preFlush = append(n.s.preFlush, p.redraw)
	return p
}

// Node returns the plot's group, to move or remove it.
func (p *Plot) Node() *Node { return p.g }

// Title sets the plot's title, drawn above it.
func (p *Plot) Title(t string) *Plot {
	p.title, p.dirty = t, true
	return p
}

// X returns the x axis.
func (p *Plot) X() *Axis { return p.x }

// Y returns the y axis.
func (p *Plot) Y() *Axis { return p.y }

// Y2 returns the second y axis, on the right, creating it: for series of
// another scale than the first (see Mark.Y2). For more than two scales,
// draw small multiples: several plots one above the other, sharing the
// x axis's settings.
func (p *Plot) Y2() *Axis {
	if p.y2 == nil {
		p.y2 = &Axis{p: p, kind: "y2"}
		p.y2.g = p.g.Group(`class="vz-axis vz-axis-y2"`, `fill="`+inkColour+`"`)
		p.y2.spine = p.y2.g.Line(0, 0, 0, 0, `stroke="`+inkColour+`"`)
		p.legend.Raise()
		p.data2 = p.area.Group(`class="vz-plot-data"`, `data-vz-axis="y2"`)
		p.dirty = true
	}
	return p.y2
}

// Log makes the axis logarithmic: each decade gets the same length, and
// values that are not positive are left out. Marks hold log10 values.
func (a *Axis) Log() *Axis { return a.setScale(Log) }

// Time makes the axis a scale of sim time in seconds (for x), ticked at
// whole seconds, minutes and hours.
func (a *Axis) Time() *Axis { return a.setScale(Time) }

// Linear makes the axis linear (the default).
func (a *Axis) Linear() *Axis { return a.setScale(Linear) }

func (a *Axis) setScale(sc Scale) *Axis {
	if a.kind != "x" && sc == Time {
		sc = Linear
	}
	a.scale, a.auto, a.p.dirty = sc, autoRange{}, true
	for _, m := range a.p.marks {
		if mk, ok := m.(*Mark); ok {
			mk.dirty, mk.full = true, true
		}
	}
	return a
}

// Scale returns the axis's scale.
func (a *Axis) Scale() Scale { return a.scale }

// Title sets the axis's title.
func (a *Axis) Title(t string) *Axis {
	a.title, a.p.dirty = t, true
	return a
}

// Unit sets the unit shown after the title, in parentheses: "energy (J)".
func (a *Axis) Unit(u string) *Axis {
	a.unit, a.p.dirty = u, true
	return a
}

// Range fixes the axis's range to [lo, hi] (real values, also on a log
// scale). An empty or non-finite range returns to following the data.
func (a *Axis) Range(lo, hi float64) *Axis {
	a.fixed = finite(lo) && finite(hi) && lo < hi && (a.scale != Log || lo > 0)
	a.lo, a.hi, a.p.dirty = lo, hi, true
	return a
}

// Auto makes the axis follow the data (the default): the range grows at
// once when data leaves it, and shrinks only once the data has used less
// than half of it for 90 redraws, so that streaming data does not make
// the axis jitter.
func (a *Axis) Auto() *Axis {
	a.fixed, a.window, a.auto, a.p.dirty = false, 0, autoRange{}, true
	return a
}

// Window makes the x axis show the last w units of x (seconds on a time
// scale) up to the newest point, scrolling as data comes; marks forget
// the points that scrolled out.
func (a *Axis) Window(w float64) *Axis {
	if finite(w) && w > 0 {
		a.window, a.fixed, a.p.dirty = w, false, true
	}
	return a
}

// Shown returns the range the axis last drew, in real values.
func (a *Axis) Shown() (lo, hi float64) {
	if a.scale == Log {
		return math.Pow(10, a.dlo), math.Pow(10, a.dhi)
	}
	return a.dlo, a.dhi
}

func (a *Axis) fullTitle() string {
	if a.unit == "" {
		return a.title
	}
	if a.title == "" {
		return a.unit
	}
	return a.title + " (" + a.unit + ")"
}

// toData maps a value to the axis's data space; ok is false for values
// the scale cannot show.
func (a *Axis) toData(v float64) (float64, bool) {
	if !finite(v) {
		return 0, false
	}
	if a.scale == Log {
		if v <= 0 {
			return 0, false
		}
		return math.Log10(v), true
	}
	return v, true
}

func (p *Plot) axisMarks(a *Axis) []plotMark {
	var out []plotMark
	for _, m := range p.marks {
		if a.kind == "x" || (a.kind == "y2") == m.onY2() {
			out = append(out, m)
		}
	}
	return out
}

// resolve sets the axis's drawn range from its marks.
func (a *Axis) resolve() {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range a.p.axisMarks(a) {
		l, h := m.extent(a)
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	switch {
	case a.fixed:
		l, _ := a.toData(a.lo)
		h, _ := a.toData(a.hi)
		a.dlo, a.dhi = l, h
	case a.window > 0 && finite(hi):
		a.dlo, a.dhi = hi-a.window, hi
	case a.window > 0:
		a.dlo, a.dhi = 0, a.window
	case a.p.heat != nil && lo < hi:
		a.dlo, a.dhi = lo, hi // a field fills the plotting area
	default:
		if lo > hi {
			lo, hi = math.NaN(), math.NaN()
		}
		a.dlo, a.dhi = a.auto.update(lo, hi)
	}
	if !(a.dhi > a.dlo) || !finite(a.dhi-a.dlo) {
		a.dlo, a.dhi = padded(a.dlo, a.dlo)
		if !finite(a.dlo) || !finite(a.dhi) {
			a.dlo, a.dhi = 0, 1
		}
	}
}

func (p *Plot) legendEntries() []plotMark {
	var out []plotMark
	for _, m := range p.marks {
		if m.label() != "" {
			out = append(out, m)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

func (p *Plot) redraw() {
	dirty := p.dirty
	for _, m := range p.marks {
		if mk, ok := m.(*Mark); ok && mk.dirty {
			dirty = true
		}
		if h, ok := m.(*Hist); ok && h.dirty {
			dirty = true
		}
	}
	if p.heat != nil && p.heat.dirty {
		dirty = true
	}
	if !dirty || p.g.removed {
		return
	}
	p.dirty = false
	axes := []*Axis{p.x, p.y}
	if p.y2 != nil {
		axes = append(axes, p.y2)
	}
	for _, a := range axes {
		a.resolve()
	}

	// Layout: the top holds the title and the legend, the bottom the x
	// axis; the left and right margins fit the y axes' labels, and only
	// grow, so that the plotting area does not jump as labels change.
	top := 8.0
	if p.title != "" {
		top += 18
	}
	entries := p.legendEntries()
	legendRows := p.layoutLegend(entries)
	top += float64(legendRows)*16 + 6
	bottom := tickLen + 4 + fontSize + 6
	if p.x.fullTitle() != "" {
		bottom += titleSize + 6
	}
	areaH := math.Max(10, p.h-top-bottom)
	p.y.cur = axisTicks(p.y.scale, p.y.dlo, p.y.dhi, areaH, false)
	left := 6 + tickLen + 4 + maxLabelWidth(p.y.cur)
	if p.y.fullTitle() != "" {
		left += titleSize + 8
	}
	right := 18.0
	if p.y2 != nil {
		p.y2.cur = axisTicks(p.y2.scale, p.y2.dlo, p.y2.dhi, areaH, false)
		right = 6 + tickLen + 4 + maxLabelWidth(p.y2.cur)
		if p.y2.fullTitle() != "" {
			right += titleSize + 8
		}
	}
	if p.heat != nil {
		right += p.heat.barWidth()
	}
	p.left, p.right = math.Max(p.left, left), math.Max(p.right, right)
	areaX, areaY := p.left, top
	areaW := math.Max(10, p.w-p.left-p.right)
	p.x.cur = axisTicks(p.x.scale, p.x.dlo, p.x.dhi, areaW, true)

	p.bg.SetSize(p.w, p.h)
	p.clipRect.SetXY(areaX, areaY).SetSize(areaW, areaH)

	// The data transforms: data coordinates to the plot's.
	sx := areaW / (p.x.dhi - p.x.dlo)
	ex := areaX - sx*p.x.dlo
	setData := func(g *Node, a *Axis) {
		sy := -areaH / (a.dhi - a.dlo)
		fy := areaY + areaH - sy*a.dlo
		g.Set("transform", "matrix("+num(sx)+" 0 0 "+num(sy)+" "+num(ex)+" "+num(fy)+")")
		g.Set("data-vz-x", p.x.scale.String()).Set("data-vz-y", a.scale.String())
		g.Set("data-vz-xlabel", p.x.fullTitle()).Set("data-vz-ylabel", a.fullTitle())
	}
	setData(p.data, p.y)
	if p.y2 != nil {
		setData(p.data2, p.y2)
	}

	// Axes and grid.
	px := func(a *Axis, v float64) float64 { return (v - a.dlo) / (a.dhi - a.dlo) }
	var gx, gy []float64
	p.x.g.SetXY(areaX, areaY+areaH)
	p.x.spine.SetNum("x2", areaW).Set("y2", "0")
	p.x.drawTicks(func(t tick) (float64, float64) { return px(p.x, t.v) * areaW, 0 }, func(x float64) { gx = append(gx, x) })
	p.x.drawTitle(areaW/2, tickLen+4+fontSize+6+titleSize, 0)
	p.y.g.SetXY(areaX, areaY)
	p.y.spine.Set("x2", "0").SetNum("y2", areaH)
	p.y.drawTicks(func(t tick) (float64, float64) { return 0, (1 - px(p.y, t.v)) * areaH }, func(y float64) { gy = append(gy, y) })
	p.y.drawTitle(-(p.left - 6 - titleSize + 2), areaH/2, -90)
	if p.y2 != nil {
		p.y2.g.SetXY(areaX+areaW, areaY)
		p.y2.spine.Set("x2", "0").SetNum("y2", areaH)
		p.y2.drawTicks(func(t tick) (float64, float64) { return 0, (1 - px(p.y2, t.v)) * areaH }, nil)
		w := 6 + tickLen + 4 + maxLabelWidth(p.y2.cur)
		p.y2.drawTitle(w+titleSize-4, areaH/2, 90)
	}
	p.gridX = gridLines(p.grid, p.gridX, gx, func(n *Node, x float64) {
		n.SetNum("x1", areaX+x).SetNum("x2", areaX+x).SetNum("y1", areaY).SetNum("y2", areaY+areaH)
	})
	p.gridY = gridLines(p.grid, p.gridY, gy, func(n *Node, y float64) {
		n.SetNum("x1", areaX).SetNum("x2", areaX+areaW).SetNum("y1", areaY+y).SetNum("y2", areaY+y)
	})

	// Title and legend.
	if p.title != "" {
		if p.titleNode == nil {
			p.titleNode = p.g.Text(0, 0, "", `class="vz-plot-title"`, `font-size="13"`, `font-weight="600"`, `fill="#222"`)
		}
		p.titleNode.SetXY(8, 18).SetText(p.title)
	} else if p.titleNode != nil {
		p.titleNode.SetText("")
	}
	ly := 8.0
	if p.title != "" {
		ly += 18
	}
	p.legend.SetXY(areaX, ly)

	for _, m := range p.marks {
		m.redraw()
	}
	if p.heat != nil {
		p.heat.drawBar(areaX+areaW+p.right-p.heat.barWidth(), areaY, areaH)
	}
}

// layoutLegend draws the legend's entries in rows that fit the plot's
// width (at most 3) and returns the number of rows.
func (p *Plot) layoutLegend(entries []plotMark) int {
	key := ""
	for _, m := range entries {
		key += m.label() + "\x00"
	}
	if key == p.legendKey {
		return p.legendRows()
	}
	p.legendKey = key
	for _, n := range p.legendItems {
		n.Remove()
	}
	p.legendItems = p.legendItems[:0]
	x, row := 0.0, 0
	avail := p.w - 60
	for _, m := range entries {
		w := 18 + textWidth(m.label(), fontSize) + 14
		if x > 0 && x+w > avail && row < 2 {
			x, row = 0, row+1
		}
		it := p.legend.Group(`class="vz-legend-item"`).SetXY(x, float64(row)*16)
		m.legendSwatch(it)
		it.Text(18, 4, m.label(), `dominant-baseline="middle"`)
		p.legendItems = append(p.legendItems, it)
		x += w
	}
	return p.legendRows()
}

func (p *Plot) legendRows() int {
	rows := 0
	for _, it := range p.legendItems {
		_, y := it.XY()
		rows = max(rows, int(y/16)+1)
	}
	return rows
}

func maxLabelWidth(ts []tick) float64 {
	w := 0.0
	for _, t := range ts {
		w = math.Max(w, textWidth(t.label, fontSize))
	}
	return w
}

func num(v float64) string { return wire.FormatNum(f32(v)) }

// drawTicks places the axis's tick marks and labels, reusing nodes; grid
// is called with the position of each major tick along the axis.
func (a *Axis) drawTicks(at func(tick) (float64, float64), grid func(float64)) {
	for len(a.ticks) < len(a.cur) {
		a.ticks = append(a.ticks, a.g.Line(0, 0, 0, 0, `stroke="`+inkColour+`"`))
		a.labels = append(a.labels, a.g.Text(0, 0, ""))
	}
	for i := len(a.cur); i < len(a.ticks); i++ {
		a.ticks[i].Remove()
		a.labels[i].Remove()
	}
	a.ticks, a.labels = a.ticks[:len(a.cur)], a.labels[:len(a.cur)]
	for i, t := range a.cur {
		x, y := at(t)
		l := tickLen
		if t.minor {
			l = 3
		}
		ln, lb := a.ticks[i], a.labels[i]
		ln.SetXY(x, y)
		lb.SetText(t.label)
		switch a.kind {
		case "x":
			ln.Set("x2", "0").SetNum("y2", l)
			lb.SetXY(x, tickLen+4+fontSize-1).Set("text-anchor", "middle")
			if grid != nil && !t.minor {
				grid(x)
			}
		case "y":
			ln.SetNum("x2", -l).Set("y2", "0")
			lb.SetXY(-tickLen-4, y).Set("text-anchor", "end").Set("dominant-baseline", "middle")
			if grid != nil && !t.minor {
				grid(y)
			}
		case "y2":
			ln.SetNum("x2", l).Set("y2", "0")
			lb.SetXY(tickLen+4, y).Set("text-anchor", "start").Set("dominant-baseline", "middle")
		}
	}
}

func (a *Axis) drawTitle(x, y, rotate float64) {
	t := a.fullTitle()
	if t == "" {
		if a.titleN != nil {
			a.titleN.SetText("")
		}
		return
	}
	if a.titleN == nil {
		a.titleN = a.g.Text(0, 0, "", `class="vz-axis-title"`, `text-anchor="middle"`, `font-size="12"`, `fill="#222"`)
	}
	a.titleN.SetText(t)
	if rotate != 0 {
		a.titleN.SetTransform("translate(" + num(x) + "," + num(y) + ") rotate(" + num(rotate) + ")")
	} else {
		a.titleN.SetXY(x, y)
	}
}

// gridLines keeps one line per position under g, placed by set.
func gridLines(g *Node, lines []*Node, pos []float64, set func(*Node, float64)) []*Node {
	for len(lines) < len(pos) {
		lines = append(lines, g.Line(0, 0, 0, 0))
	}
	for i := len(pos); i < len(lines); i++ {
		lines[i].Remove()
	}
	lines = lines[:len(pos)]
	for i, v := range pos {
		set(lines[i], v)
	}
	return lines
}

// --- marks ---

// logFloor is where bars and areas start on a log scale (10^-100), below
// any range drawn, so that marks need not change with the range.
const logFloor = -100

type markKind uint8

const (
	kindLine markKind = iota
	kindScatter
	kindArea
	kindBar
)

// Mark is one data series of a Plot, drawn as a line, dots, a filled
// area or bars. Points are kept in increasing x order; the newest Keep
// points (default 100,000) are kept, and a scrolling x axis (Axis.Window)
// forgets the points that left it.
type Mark struct {
	p      *Plot
	kind   markKind
	name   string
	color  string
	y2     bool
	xs, ys []float64
	keep   int
	dirty  bool
	node   *Node // polyline, or path for scatter, area and bars
	fill   *Node // the area's fill under its line
	buf    []byte

	// What the node holds, so that a redraw sends only the change: lines
	// and areas append the points added since the last redraw (m.xs[from:])
	// and trim the drawn points that scrolled out (trimmed). full says the
	// points must be set again (an insert, Set, a new scale).
	full    bool
	from    int
	trimmed int
	drawn   int        // points in the line
	last    [2]float32 // the line's last point, in data space
	xy, fxy []float32
}

// Line adds a line through the points, in x order.
func (p *Plot) Line(name string) *Mark { return p.addMark(kindLine, name) }

// Scatter adds dots at the points.
func (p *Plot) Scatter(name string) *Mark { return p.addMark(kindScatter, name) }

// Area adds a line with the area down to zero filled.
func (p *Plot) Area(name string) *Mark { return p.addMark(kindArea, name) }

// Bar adds bars from zero to each point's y, centred on its x, as wide as
// 80% of the closest spacing of the xs.
func (p *Plot) Bar(name string) *Mark { return p.addMark(kindBar, name) }

func (p *Plot) nextColor() string {
	c := palette[p.seq%len(palette)]
	p.seq++
	return c
}

func (p *Plot) addMark(kind markKind, name string) *Mark {
	m := &Mark{p: p, kind: kind, name: name, color: p.nextColor(), keep: 100000, dirty: true, full: true}
	m.build(p.data)
	p.marks = append(p.marks, m)
	p.dirty = true
	return m
}

func (m *Mark) build(parent *Node) {
	if m.fill != nil {
		m.fill.Remove()
		m.fill = nil
	}
	if m.node != nil {
		m.node.Remove()
	}
	switch m.kind {
	case kindLine:
		m.node = parent.El("polyline", `fill="none"`, `stroke-width="1.75"`, `stroke-linejoin="round"`, `vector-effect="non-scaling-stroke"`)
	case kindScatter:
		m.node = parent.El("path", `fill="none"`, `stroke-width="6"`, `stroke-linecap="round"`, `vector-effect="non-scaling-stroke"`, `stroke-opacity="0.8"`)
	case kindArea:
		m.fill = parent.El("path", `stroke="none"`, `fill-opacity="0.25"`)
		m.fill.Set("data-vz-series", m.name).Set("data-vz-kind", "area-fill").Set("fill", m.color)
		m.node = parent.El("polyline", `fill="none"`, `stroke-width="1.5"`, `vector-effect="non-scaling-stroke"`)
	case kindBar:
		m.node = parent.El("path", `stroke="none"`)
	}
	m.node.Set("data-vz-series", m.name).Set("data-vz-kind", [...]string{kindLine: "line", kindScatter: "scatter", kindArea: "line", kindBar: "bar"}[m.kind])
	m.paint()
	m.dirty, m.full = true, true
}

func (m *Mark) paint() {
	if m.kind == kindBar {
		m.node.Set("fill", m.color)
	} else {
		m.node.Set("stroke", m.color)
	}
	if m.fill != nil {
		m.fill.Set("fill", m.color)
	}
}

// Color sets the mark's colour (any SVG colour), instead of the next of
// the plot's palette.
func (m *Mark) Color(c string) *Mark {
	m.color = c
	m.paint()
	m.p.legendKey = "" // redraw the swatches
	m.p.dirty = true
	return m
}

// Y2 puts the mark on the plot's second y axis, on the right.
func (m *Mark) Y2() *Mark {
	if !m.y2 {
		m.p.Y2()
		m.y2 = true
		m.build(m.p.data2)
		m.p.legendKey = ""
	}
	return m
}

// Keep sets how many of the newest points the mark keeps (at least 2).
func (m *Mark) Keep(n int) *Mark {
	m.keep = max(n, 2)
	m.trim()
	return m
}

// Add adds the point (x, y). Points come in increasing x, as a sim's time
// does; one with a smaller x than the last is put in its place. A point
// whose x is NaN is dropped (it has no place in x order); other NaN and
// infinite values are kept but not drawn.
func (m *Mark) Add(x, y float64) {
	if math.IsNaN(x) {
		return
	}
	if n := len(m.xs); n == 0 || !(x < m.xs[n-1]) {
		m.xs, m.ys = append(m.xs, x), append(m.ys, y)
	} else {
		i, _ := slices.BinarySearch(m.xs, x)
		for i < n && m.xs[i] == x {
			i++
		}
		m.xs, m.ys = slices.Insert(m.xs, i, x), slices.Insert(m.ys, i, y)
		m.full = true
	}
	m.trim()
	m.dirty = true
}

// Set replaces the mark's points with (xs[i], ys[i]), sorted by x
// (points whose x is NaN are dropped).
func (m *Mark) Set(xs, ys []float64) {
	n := min(len(xs), len(ys))
	m.xs, m.ys = m.xs[:0], m.ys[:0]
	for i := range n {
		if !math.IsNaN(xs[i]) {
			m.xs, m.ys = append(m.xs, xs[i]), append(m.ys, ys[i])
		}
	}
	n = len(m.xs)
	if !slices.IsSorted(m.xs) {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case m.xs[a] < m.xs[b]:
				return -1
			case m.xs[a] > m.xs[b]:
				return 1
			}
			return 0
		})
		sx, sy := make([]float64, n), make([]float64, n)
		for i, j := range idx {
			sx[i], sy[i] = m.xs[j], m.ys[j]
		}
		m.xs, m.ys = sx, sy
	}
	m.trim()
	m.dirty, m.full = true, true
}

// Clear removes every point.
func (m *Mark) Clear() {
	m.xs, m.ys = m.xs[:0], m.ys[:0]
	m.dirty, m.full = true, true
}

// Len returns the number of points kept.
func (m *Mark) Len() int { return len(m.xs) }

// Last returns the newest point; ok is false without points.
func (m *Mark) Last() (x, y float64, ok bool) {
	if len(m.xs) == 0 {
		return 0, 0, false
	}
	return m.xs[len(m.xs)-1], m.ys[len(m.ys)-1], true
}

// Points returns the kept points (the mark's own slices: do not modify).
func (m *Mark) Points() (xs, ys []float64) { return m.xs, m.ys }

func (m *Mark) trim() {
	drop := len(m.xs) - m.keep
	if w := m.p.x.window; w > 0 && len(m.xs) > 0 {
		// Keep one point before the window, so the line enters from the edge.
		cut := m.xs[len(m.xs)-1] - w
		i, _ := slices.BinarySearch(m.xs, cut)
		drop = max(drop, i-1)
	}
	if drop <= 0 {
		return
	}
	if !m.full {
		// The drawn points among those dropped leave the node at the next
		// redraw; those not yet drawn were never sent.
		for i := range min(drop, m.from) {
			if m.drawable(i) {
				m.trimmed++
			}
		}
		m.from = max(m.from-drop, 0)
	}
	m.xs = append(m.xs[:0], m.xs[drop:]...)
	m.ys = append(m.ys[:0], m.ys[drop:]...)
	m.dirty = true // Keep drops points too
}

// drawable reports whether point i is drawn: its x and y are values the
// scales can show.
func (m *Mark) drawable(i int) bool {
	_, okx := m.p.x.toData(m.xs[i])
	_, oky := m.yAxis().toData(m.ys[i])
	return okx && oky
}

func (m *Mark) onY2() bool    { return m.y2 }
func (m *Mark) label() string { return m.name }

func (m *Mark) yAxis() *Axis {
	if m.y2 {
		return m.p.y2
	}
	return m.p.y
}

func (m *Mark) extent(a *Axis) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	vals := m.ys
	if a.kind == "x" {
		vals = m.xs
	}
	for i, v := range vals {
		if !finite(m.xs[i]) || !finite(m.ys[i]) {
			continue
		}
		if d, ok := a.toData(v); ok {
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
	}
	if a.kind == "x" && m.kind == kindBar && lo <= hi {
		w := m.barWidth() / 2
		lo, hi = lo-w, hi+w
	}
	if a.kind != "x" && (m.kind == kindBar || m.kind == kindArea) && a.scale == Linear && lo <= hi {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	return lo, hi
}

func (m *Mark) barWidth() float64 {
	gap := math.Inf(1)
	for i := 1; i < len(m.xs); i++ {
		if d := m.xs[i] - m.xs[i-1]; d > 0 {
			gap = math.Min(gap, d)
		}
	}
	if !finite(gap) {
		gap = 1
	}
	return gap * 0.8
}

func (m *Mark) redraw() {
	if !m.dirty {
		return
	}
	m.dirty = false
	if (m.kind == kindLine || m.kind == kindArea) && !m.full {
		m.redrawTail()
		return
	}
	m.full, m.from, m.trimmed = false, len(m.xs), 0
	ya := m.yAxis()
	b := m.buf[:0]
	pt := func(b []byte, x, y float64) []byte {
		b = wire.AppendNum(b, f32(x))
		b = append(b, ',')
		return wire.AppendNum(b, f32(y))
	}
	var xs, ys []float64
	for i := range m.xs {
		x, okx := m.p.x.toData(m.xs[i])
		y, oky := ya.toData(m.ys[i])
		if okx && oky {
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	base := 0.0
	if ya.scale == Log {
		base = logFloor
	}
	switch m.kind {
	case kindLine, kindArea:
		for i := range xs {
			if i > 0 {
				b = append(b, ' ')
			}
			b = pt(b, xs[i], ys[i])
		}
		m.node.Set("points", string(b))
		m.drawn = len(xs)
		if len(xs) > 0 {
			m.last = [2]float32{f32(xs[len(xs)-1]), f32(ys[len(ys)-1])}
		}
		if m.kind == kindArea {
			fxy := m.fxy[:0]
			for i := 1; i < len(xs); i++ {
				fxy = m.appendQuad(fxy, f32(xs[i-1]), f32(ys[i-1]), f32(xs[i]), f32(ys[i]))
			}
			m.fill.Set("d", string(wire.AppendPointsText(b[:0], "d", 0, fxy)))
			m.fxy = fxy
		}
	case kindScatter:
		for i := range xs {
			b = append(b, 'M')
			b = pt(b, xs[i], ys[i])
			b = append(b, "h0"...)
		}
		m.node.Set("d", string(b))
	case kindBar:
		w := m.barWidth()
		for i := range xs {
			b = append(b, 'M')
			b = pt(b, xs[i]-w/2, base)
			b = append(b, 'V')
			b = wire.AppendNum(b, f32(ys[i]))
			b = append(b, 'H')
			b = wire.AppendNum(b, f32(xs[i]+w/2))
			b = append(b, 'V')
			b = wire.AppendNum(b, f32(base))
			b = append(b, 'Z')
		}
		m.node.Set("d", string(b))
	}
	m.buf = b
}

// redrawTail brings a line's points up to date with a trim of those that
// scrolled out and an append of those added: a few bytes per point on the
// wire, whatever the line's length.
func (m *Mark) redrawTail() {
	ya := m.yAxis()
	if m.trimmed > 0 {
		m.node.TrimPoints(m.trimmed)
		if m.fill != nil {
			m.fill.TrimPoints(4 * m.trimmed)
		}
		m.drawn = max(m.drawn-m.trimmed, 0)
	}
	xy, fxy := m.xy[:0], m.fxy[:0]
	for i := m.from; i < len(m.xs); i++ {
		x, okx := m.p.x.toData(m.xs[i])
		y, oky := ya.toData(m.ys[i])
		if !okx || !oky {
			continue
		}
		pt := [2]float32{f32(x), f32(y)}
		xy = append(xy, pt[0], pt[1])
		if m.fill != nil && m.drawn > 0 {
			fxy = m.appendQuad(fxy, m.last[0], m.last[1], pt[0], pt[1])
		}
		m.last = pt
		m.drawn++
	}
	if len(xy) > 0 {
		m.node.AppendPoints(xy...)
	}
	if len(fxy) > 0 {
		m.fill.AppendPoints(fxy...)
	}
	m.xy, m.fxy, m.from, m.trimmed = xy, fxy, len(m.xs), 0
}

// appendQuad appends to an area's fill the four corners of the strip
// between points a and b and the base: base under a, a, b, base under b.
// The fill is these strips in a row, one path whose shared edges cancel,
// so that a point added appends one strip and a point that scrolled out
// trims one, whatever the area's length.
func (m *Mark) appendQuad(fxy []float32, ax, ay, bx, by float32) []float32 {
	base := float32(0)
	if m.yAxis().scale == Log {
		base = logFloor
	}
	return append(fxy, ax, base, ax, ay, bx, by, bx, base)
}

func (m *Mark) legendSwatch(g *Node) {
	switch m.kind {
	case kindLine:
		g.Line(0, 0, 14, 0, `stroke="`+m.color+`"`, `stroke-width="2"`)
	case kindScatter:
		g.Circle(7, 0, 3.5, `fill="`+m.color+`"`)
	default:
		g.Rect(1, -5, 12, 10, `fill="`+m.color+`"`)
	}
}

// --- histogram ---

// Hist is a live histogram in a Plot: counts of values in bins over
// [lo, hi), drawn as adjoining bars; values outside go to the first or
// last bin.
type Hist struct {
	p      *Plot
	name   string
	color  string
	lo, hi float64
	counts []int
	node   *Node
	dirty  bool
	buf    []byte
}

// Histogram adds a histogram of bins bins over [lo, hi).
func (p *Plot) Histogram(name string, bins int, lo, hi float64) *Hist {
	if bins < 1 {
		bins = 1
	}
	if !(hi > lo) || !finite(hi-lo) {
		lo, hi = 0, 1
	}
	h := &Hist{p: p, name: name, color: p.nextColor(), lo: lo, hi: hi, counts: make([]int, bins), dirty: true}
	h.node = p.data.El("path", `stroke="#fff"`, `stroke-width="0.5"`, `vector-effect="non-scaling-stroke"`)
	h.node.Set("data-vz-series", name).Set("data-vz-kind", "hist").Set("fill", h.color)
	p.marks = append(p.marks, h)
	p.dirty = true
	return h
}

// Color sets the bars' colour.
func (h *Hist) Color(c string) *Hist {
	h.color = c
	h.node.Set("fill", c)
	h.p.legendKey = ""
	return h
}

// Observe counts one value; NaN is ignored.
func (h *Hist) Observe(v float64) {
	if math.IsNaN(v) {
		return
	}
	i := int(math.Floor((v - h.lo) / (h.hi - h.lo) * float64(len(h.counts))))
	i = max(0, min(len(h.counts)-1, i))
	h.counts[i]++
	h.dirty = true
}

// Set replaces the counts with those of values.
func (h *Hist) Set(values []float64) {
	h.Reset()
	for _, v := range values {
		h.Observe(v)
	}
}

// Reset clears the counts.
func (h *Hist) Reset() {
	clear(h.counts)
	h.dirty = true
}

// Counts returns the bin counts (the histogram's own slice).
func (h *Hist) Counts() []int { return h.counts }

func (h *Hist) onY2() bool    { return false }
func (h *Hist) label() string { return h.name }

func (h *Hist) extent(a *Axis) (float64, float64) {
	if a.kind == "x" {
		lo, _ := a.toData(h.lo)
		hi, _ := a.toData(h.hi)
		return lo, hi
	}
	top := 0
	for _, c := range h.counts {
		top = max(top, c)
	}
	if a.scale == Log {
		return 0, math.Log10(math.Max(1, float64(top)))
	}
	return 0, float64(max(top, 1))
}

func (h *Hist) redraw() {
	if !h.dirty {
		return
	}
	h.dirty = false
	b := h.buf[:0]
	bw := (h.hi - h.lo) / float64(len(h.counts))
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		x0, _ := h.p.x.toData(h.lo + float64(i)*bw)
		x1, _ := h.p.x.toData(h.lo + float64(i+1)*bw)
		y, base := float64(c), 0.0
		if h.p.y.scale == Log {
			y, base = math.Log10(y), logFloor
		}
		b = append(b, 'M')
		b = wire.AppendNum(b, f32(x0))
		b = append(b, ',')
		b = wire.AppendNum(b, f32(base))
		b = append(b, 'V')
		b = wire.AppendNum(b, f32(y))
		b = append(b, 'H')
		b = wire.AppendNum(b, f32(x1))
		b = append(b, 'V')
		b = wire.AppendNum(b, f32(base))
		b = append(b, 'Z')
	}
	h.node.Set("d", string(b))
	h.buf = b
}

func (h *Hist) legendSwatch(g *Node) { g.Rect(1, -5, 12, 10, `fill="`+h.color+`"`) }

// Node returns the axis's group (g.vz-axis).
func (a *Axis) Node() *Node { return a.g }
