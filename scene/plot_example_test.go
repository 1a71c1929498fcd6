package scene_test

import (
	"fmt"
	"math"
	"os"

	"github.com/vizserve/vizserve/scene"
)

// A live line chart of a sim metric against sim time, scrolling over the
// last 10 seconds, with axis titles and units.
func ExampleNode_Plot() {
	s := scene.New(scene.Options{Width: 400, Height: 300})
	p := s.Root().Plot(0, 0, 400, 300).Title("Energy")
	p.X().Time().Window(10).Title("sim time").Unit("s")
	p.Y().Title("energy").Unit("J")
	e := p.Line("energy")
	s.OnTick(func(dt float64) {
		t := s.SimTime()
		e.Add(t, 2+math.Sin(t))
	})
	for range 60 * 12 {
		s.Advance(1.0 / 60)
	}
	lo, hi := p.X().Shown()
	fmt.Printf("x shows %.0f to %.0f s, %d points kept\n", lo, hi, e.Len())
	ylo, yhi := p.Y().Shown()
	fmt.Printf("y shows %.2f to %.2f J\n", ylo, yhi)
	// Output:
	// x shows 2 to 12 s, 601 points kept
	// y shows 0.86 to 3.26 J
}

// Two series of different scales: the second on its own axis, on the
// right. Bars, areas, scatter plots, histograms and heatmaps are made the
// same way (Plot.Bar, Area, Scatter, Histogram, Heatmap).
func ExamplePlot_Y2() {
	s := scene.New(scene.Options{})
	p := s.Root().Plot(10, 10, 500, 300)
	p.Y().Title("population")
	p.Y2().Log().Title("infections")
	pop, inf := p.Line("population"), p.Line("infections").Y2()
	for d := range 30 {
		pop.Add(float64(d), 1000-float64(d))
		inf.Add(float64(d), math.Pow(2, float64(d)/3))
	}
	s.Advance(0)
	fmt.Println(p.Y().Scale(), p.Y2().Scale())
	// Output:
	// linear log
}

// A plot's data as CSV: every point its marks keep, at full precision,
// and a histogram's counts by bin.
func ExamplePlot_WriteCSV() {
	s := scene.New(scene.Options{})
	p := s.Root().Plot(0, 0, 300, 200)
	e := p.Line("energy, total")
	e.Add(0, 1.5)
	e.Add(0.1, 1.25)
	h := p.Histogram("speed", 2, 0, 1)
	h.Set([]float64{0.2, 0.7, 0.9})
	if err := p.WriteCSV(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// series,x,y
	// "energy, total",0,1.5
	// "energy, total",0.1,1.25
	// speed,0,1
	// speed,0.5,2
}
