package scene

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/vizserve/vizserve/scene/wire"
)

// LineChart is a live line chart of sim metrics (energy, population...):
// a group of retained nodes that redraws at most once per frame, only when
// a value was added.
type LineChart struct {
	g       *Node
	w, h    float64
	window  int
	series  []*Series
	hiLabel *Node
	loLabel *Node
	fixed   bool
	lo, hi  float64
	dirty   bool
	pts     []byte
}

// Series is one line of a LineChart.
type Series struct {
	c    *LineChart
	line *Node
	vals []float64 // ring buffer of the last window values
	next int
	n    int
}

// LineChart adds a w×h line chart at (x, y) under n, showing the last
// window values of each series. The y range follows the data unless set
// with Range.
func (n *Node) LineChart(x, y, w, h float64, window int) *LineChart {
	if window < 2 {
		window = 2
	}
	g := n.Group(`class="vz-chart"`).SetXY(x, y)
	g.Rect(0, 0, w, h, "fill:none;stroke:#999;stroke-width:1")
	c := &LineChart{g: g, w: w, h: h, window: window}
	c.hiLabel = g.Text(2, 10, "", "font-size:10px;fill:#666")
	c.loLabel = g.Text(2, h-3, "", "font-size:10px;fill:#666")
	n.s.preFlush = append(n.s.preFlush, c.redraw)
	return c
}

// Node returns the chart's group, to move or remove it.
func (c *LineChart) Node() *Node { return c.g }

// Range fixes the y range to [lo, hi].
func (c *LineChart) Range(lo, hi float64) *LineChart {
	c.fixed, c.lo, c.hi, c.dirty = true, lo, hi, true
	return c
}

// Series adds a line named name (shown in a legend) drawn with style, for
// example "stroke:crimson".
func (c *LineChart) Series(name, style string) *Series {
	s := &Series{c: c, vals: make([]float64, c.window)}
	s.line = c.g.El("polyline", "fill:none;stroke-width:1.5;"+style)
	i := float64(len(c.series))
	c.g.Line(c.w-70, 8+12*i, c.w-58, 8+12*i, "stroke-width:2;"+style)
	c.g.Text(c.w-54, 12+12*i, name, "font-size:10px;fill:#333")
	c.series = append(c.series, s)
	return s
}

// Add appends a value; the oldest falls out of the window.
func (s *Series) Add(v float64) {
	s.vals[s.next] = v
	s.next = (s.next + 1) % len(s.vals)
	s.n = min(s.n+1, len(s.vals))
	s.c.dirty = true
}

// Last returns the newest value, or 0.
func (s *Series) Last() float64 {
	if s.n == 0 {
		return 0
	}
	return s.vals[(s.next-1+len(s.vals))%len(s.vals)]
}

func (s *Series) at(i int) float64 { // i-th of the n values, oldest first
	return s.vals[(s.next-s.n+i+2*len(s.vals))%len(s.vals)]
}

func (c *LineChart) redraw() {
	if !c.dirty || c.g.removed {
		return
	}
	c.dirty = false
	lo, hi := c.lo, c.hi
	if !c.fixed {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, s := range c.series {
			for i := range s.n {
				v := s.at(i)
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if lo > hi {
			lo, hi = 0, 1
		}
		if lo == hi {
			lo, hi = lo-1, hi+1
		}
	}
	dx := c.w / float64(c.window-1)
	for _, s := range c.series {
		c.pts = c.pts[:0]
		off := c.window - s.n // the newest value sits at the right edge
		for i := range s.n {
			v := s.at(i)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			y := c.h - (v-lo)/(hi-lo)*c.h
			y = math.Max(0, math.Min(c.h, y))
			if len(c.pts) > 0 {
				c.pts = append(c.pts, ' ')
			}
			c.pts = wire.AppendNum(c.pts, f32(float64(off+i)*dx))
			c.pts = append(c.pts, ',')
			c.pts = wire.AppendNum(c.pts, f32(y))
		}
		s.line.Set("points", string(c.pts))
	}
	c.hiLabel.SetText(strconv.FormatFloat(hi, 'g', 4, 64))
	c.loLabel.SetText(strconv.FormatFloat(lo, 'g', 4, 64))
}

// Histogram is a live histogram: bins over [lo, hi) drawn as bars.
type Histogram struct {
	g        *Node
	w, h     float64
	lo, hi   float64
	counts   []int
	bars     []*Node
	maxLabel *Node
	dirty    bool
}

// Histogram adds a w×h histogram at (x, y) under n with bins bins over
// [lo, hi). Values outside go to the first or last bin.
func (n *Node) Histogram(x, y, w, h float64, bins int, lo, hi float64) *Histogram {
	if bins < 1 {
		bins = 1
	}
	g := n.Group(`class="vz-histogram"`).SetXY(x, y)
	g.Rect(0, 0, w, h, "fill:none;stroke:#999;stroke-width:1")
	hg := &Histogram{g: g, w: w, h: h, lo: lo, hi: hi, counts: make([]int, bins)}
	bw := w / float64(bins)
	for i := range bins {
		hg.bars = append(hg.bars, g.Rect(float64(i)*bw+0.5, h, math.Max(bw-1, 0.5), 0, "fill:steelblue"))
	}
	hg.maxLabel = g.Text(2, 10, "", "font-size:10px;fill:#666")
	g.Text(0, h+11, strconv.FormatFloat(lo, 'g', 4, 64), "font-size:10px;fill:#666")
	g.Text(w, h+11, strconv.FormatFloat(hi, 'g', 4, 64), "font-size:10px;fill:#666;text-anchor:end")
	n.s.preFlush = append(n.s.preFlush, hg.redraw)
	return hg
}

// Node returns the histogram's group.
func (hg *Histogram) Node() *Node { return hg.g }

// Observe counts one value.
func (hg *Histogram) Observe(v float64) {
	if math.IsNaN(v) {
		return
	}
	i := int(math.Floor((v - hg.lo) / (hg.hi - hg.lo) * float64(len(hg.counts))))
	i = max(0, min(len(hg.counts)-1, i))
	hg.counts[i]++
	hg.dirty = true
}

// Set replaces the counts with those of values.
func (hg *Histogram) Set(values []float64) {
	hg.Reset()
	for _, v := range values {
		hg.Observe(v)
	}
	hg.dirty = true
}

// Reset clears the counts.
func (hg *Histogram) Reset() {
	clear(hg.counts)
	hg.dirty = true
}

// Counts returns the current bin counts (the histogram's own slice).
func (hg *Histogram) Counts() []int { return hg.counts }

func (hg *Histogram) redraw() {
	if !hg.dirty || hg.g.removed {
		return
	}
	hg.dirty = false
	top := 1
	for _, c := range hg.counts {
		top = max(top, c)
	}
	for i, c := range hg.counts {
		bh := float64(c) / float64(top) * (hg.h - 14)
		hg.bars[i].SetNum("y", hg.h-bh).SetNum("height", bh)
	}
	hg.maxLabel.SetText(strconv.Itoa(top))
}

// WriteCSV writes the data of the plot's marks to w as CSV with the
// header series,x,y: every point each Line, Scatter, Area and Bar keeps
// (see Mark.Keep), at full precision, whatever the page draws; and for a
// Histogram one row per bin, x its lower edge and y its count. Heatmaps
// are left out (Heatmap has its own values). The client's CSV download
// holds what the page has; this holds what the sim kept.
func (p *Plot) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	cw.Write([]string{"series", "x", "y"})
	for _, m := range p.marks {
		switch m := m.(type) {
		case *Mark:
			for i := range m.xs {
				cw.Write([]string{m.name, f(m.xs[i]), f(m.ys[i])})
			}
		case *Hist:
			bw := (m.hi - m.lo) / float64(len(m.counts))
			for i, c := range m.counts {
				cw.Write([]string{m.name, f(m.lo + float64(i)*bw), strconv.Itoa(c)})
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("scene: plot CSV: %w", err)
	}
	return nil
}
