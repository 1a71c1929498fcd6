package scene

import (
	"math"
)

// Heatmap is a 2D field in a Plot, such as a temperature grid: cols×rows
// cells coloured by value through viridis (a perceptually uniform colour
// scale that reads in grey too), with a colour bar beside the plot. Each
// cell is a rect in data coordinates carrying its value in data-vz-v; a
// frame sends only the cells that changed.
type Heatmap struct {
	p          *Plot
	name       string
	cols, rows int
	vals       []float64
	x0, x1     float64
	y0, y1     float64
	fixed      bool
	lo, hi     float64 // the colour range drawn
	flo, fhi   float64 // the fixed one
	cells      []*Node
	dirty      bool
	bar        *Node
	barRect    *Node
	barTicks   []*Node
	barLabels  []*Node
	barTitle   *Node
}

// Heatmap adds a field of cols×rows cells covering [0, cols]×[0, rows]
// in data coordinates (see Extent), row 0 at the bottom. A plot holds
// one heatmap.
func (p *Plot) Heatmap(name string, cols, rows int) *Heatmap {
	cols, rows = max(cols, 1), max(rows, 1)
	if p.heat != nil {
		return p.heat
	}
	h := &Heatmap{p: p, name: name, cols: cols, rows: rows, vals: make([]float64, cols*rows),
		x1: float64(cols), y1: float64(rows), dirty: true}
	grid := p.data.Group(`class="vz-heatmap"`, `shape-rendering="crispEdges"`)
	grid.Set("data-vz-series", name)
	dx, dy := (h.x1-h.x0)/float64(cols), (h.y1-h.y0)/float64(rows)
	for j := range rows {
		for i := range cols {
			c := grid.Rect(h.x0+float64(i)*dx, h.y0+float64(j)*dy, dx, dy)
			c.Set("data-vz-v", "0").Set("fill", viridis(0))
			h.cells = append(h.cells, c)
		}
	}
	id := p.id + "-cmap"
	defs := p.g.El("defs")
	lg := defs.El("linearGradient", `id="`+id+`"`, `x1="0"`, `y1="1"`, `x2="0"`, `y2="0"`)
	for k := 0; k <= 10; k++ {
		t := float64(k) / 10
		lg.El("stop", `offset="`+num(t)+`"`, `stop-color="`+viridis(t)+`"`)
	}
	h.bar = p.g.Group(`class="vz-colorbar"`, `fill="`+inkColour+`"`)
	h.barRect = h.bar.Rect(0, 0, 12, 10, `fill="url(#`+id+`)"`, `stroke="`+inkColour+`"`, `stroke-width="0.5"`)
	p.heat = h
	p.marks = append(p.marks, h)
	p.dirty = true
	return h
}

// Extent sets the rectangle the cells cover, in data coordinates.
func (h *Heatmap) Extent(x0, x1, y0, y1 float64) *Heatmap {
	if !(x1 > x0) || !(y1 > y0) || !finite(x1-x0) || !finite(y1-y0) {
		return h
	}
	h.x0, h.x1, h.y0, h.y1 = x0, x1, y0, y1
	dx, dy := (x1-x0)/float64(h.cols), (y1-y0)/float64(h.rows)
	for j := range h.rows {
		for i := range h.cols {
			h.cells[j*h.cols+i].SetXY(x0+float64(i)*dx, y0+float64(j)*dy).SetSize(dx, dy)
		}
	}
	h.p.dirty = true
	return h
}

// Range fixes the colour scale to [lo, hi]; by default it spans the data.
func (h *Heatmap) Range(lo, hi float64) *Heatmap {
	h.fixed = finite(lo) && finite(hi) && lo < hi
	h.flo, h.fhi, h.dirty = lo, hi, true
	return h
}

// Set sets the value of cell (i, j): column i, row j from the bottom.
func (h *Heatmap) Set(i, j int, v float64) {
	if i < 0 || j < 0 || i >= h.cols || j >= h.rows {
		return
	}
	h.vals[j*h.cols+i] = v
	h.dirty = true
}

// SetAll sets every cell from vals, row by row from the bottom
// (vals[j*cols+i] is cell (i, j)).
func (h *Heatmap) SetAll(vals []float64) {
	copy(h.vals, vals)
	h.dirty = true
}

// At returns the value of cell (i, j).
func (h *Heatmap) At(i, j int) float64 {
	if i < 0 || j < 0 || i >= h.cols || j >= h.rows {
		return math.NaN()
	}
	return h.vals[j*h.cols+i]
}

func (h *Heatmap) onY2() bool    { return false }
func (h *Heatmap) label() string { return "" }

func (h *Heatmap) extent(a *Axis) (float64, float64) {
	lo, hi := h.y0, h.y1
	if a.kind == "x" {
		lo, hi = h.x0, h.x1
	}
	l, ok1 := a.toData(lo)
	u, ok2 := a.toData(hi)
	if !ok1 || !ok2 {
		return math.Inf(1), math.Inf(-1)
	}
	// The field fills the area: no padding (the caller pads ranges it
	// follows, so a heatmap's axes are best fixed; see Plot.Heatmap).
	return l, u
}

func (h *Heatmap) redraw() {
	if !h.dirty {
		return
	}
	h.dirty = false
	lo, hi := h.flo, h.fhi
	if !h.fixed {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range h.vals {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if lo > hi {
			lo, hi = 0, 1
		}
		if lo == hi {
			lo, hi = padded(lo, hi)
		}
	}
	h.lo, h.hi = lo, hi
	for k, v := range h.vals {
		c := h.cells[k]
		if !finite(v) {
			c.Set("fill", "none").Set("data-vz-v", "NaN")
			continue
		}
		c.Set("fill", viridis((v-lo)/(hi-lo))).SetNum("data-vz-v", v)
	}
}

// barWidth is the room the colour bar takes right of the plotting area.
func (h *Heatmap) barWidth() float64 {
	w := 0.0
	for _, t := range axisTicks(Linear, h.lo, h.hi, 200, false) {
		w = math.Max(w, textWidth(t.label, fontSize))
	}
	w = math.Max(w, textWidth("−0.000", fontSize))
	return 16 + 12 + tickLen + 4 + w
}

func (h *Heatmap) drawBar(x, y, height float64) {
	x += 16
	h.bar.SetXY(x, y)
	h.barRect.SetSize(12, height)
	ts := axisTicks(Linear, h.lo, h.hi, height, false)
	for len(h.barTicks) < len(ts) {
		h.barTicks = append(h.barTicks, h.bar.Line(0, 0, 0, 0, `stroke="`+inkColour+`"`))
		h.barLabels = append(h.barLabels, h.bar.Text(0, 0, "", `dominant-baseline="middle"`))
	}
	for i := len(ts); i < len(h.barTicks); i++ {
		h.barTicks[i].Remove()
		h.barLabels[i].Remove()
	}
	h.barTicks, h.barLabels = h.barTicks[:len(ts)], h.barLabels[:len(ts)]
	for i, t := range ts {
		ty := (1 - (t.v-h.lo)/(h.hi-h.lo)) * height
		h.barTicks[i].Set("x1", "12").SetNum("x2", 12+tickLen).SetNum("y1", ty).SetNum("y2", ty)
		h.barLabels[i].SetXY(12+tickLen+3, ty).SetText(t.label)
	}
	if h.name != "" {
		if h.barTitle == nil {
			h.barTitle = h.bar.Text(0, -6, "", `font-size="11"`, `fill="#222"`)
		}
		h.barTitle.SetText(h.name)
	}
}

// viridisStops are 17 evenly spaced colours of matplotlib's viridis.
var viridisStops = [17][3]uint8{
	{68, 1, 84}, {72, 26, 108}, {71, 47, 125}, {65, 68, 135}, {57, 86, 140},
	{49, 104, 142}, {42, 120, 142}, {35, 136, 142}, {31, 152, 139}, {34, 168, 132},
	{53, 183, 121}, {84, 197, 104}, {122, 209, 81}, {165, 219, 54}, {210, 226, 27},
	{253, 231, 37}, {253, 231, 37},
}

// viridis returns the colour of t in [0, 1] (clamped) as #rrggbb.
func viridis(t float64) string {
	if !(t > 0) {
		t = 0
	}
	t = math.Min(t, 1) * 15
	i := int(t)
	f := t - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	const hex = "0123456789abcdef"
	out := []byte{'#', 0, 0, 0, 0, 0, 0}
	for k := range 3 {
		v := int(math.Round(float64(a[k]) + f*(float64(b[k])-float64(a[k]))))
		out[1+2*k], out[2+2*k] = hex[v>>4], hex[v&15]
	}
	return string(out)
}

func (h *Heatmap) legendSwatch(g *Node) {}
