// Command plots is a gallery of the plots package scene draws, each live:
// a small simulation (particles in a well, shaken by a heat bath, and a
// plate that a moving torch heats) feeds a line chart with a second y
// axis, a scatter plot, an area, bars, a histogram, a heatmap with its
// colour bar, and, in the side panel, a log-scale chart.
//
//	go run ./examples/plots             # serves http://127.0.0.1:8000
//	vizserve ./examples/plots/scene.go  # the same, rebuilt on every save
package main

import (
	"math"
	"math/rand/v2"

	"github.com/vizserve/vizserve/scene"
)

// The scene's size and the grid of plots on it.
const (
	width    = 1020.0
	height   = 720.0
	cols     = 3
	plotW    = 330.0
	plotH    = 350.0
	gap      = 10.0
	nPart    = 400
	gridW    = 48
	gridH    = 32
	window   = 20.0 // seconds the line chart shows
	wellK    = 4.0  // the well's stiffness
	regions  = 8    // bars: particles per region of x, over ±span
	span     = 1.6
	histBins = 20
)

// world is the simulation and its plots. Everything in it belongs to the
// sim goroutine.
type world struct {
	s        *scene.Scene
	rng      *rand.Rand
	x, v     []float64 // particles
	heat     []float64 // the plate, gridW×gridH, row 0 at the bottom
	next     []float64
	friction float64
	bath     float64 // the heat bath's temperature
	torch    bool
	t        float64

	kinetic, potential, plate *scene.Mark
	phase                     *scene.Mark
	stored                    *scene.Mark
	counts                    *scene.Mark
	speeds                    *scene.Hist
	field                     *scene.Heatmap
	energyLog                 *scene.Mark
	plots                     []*scene.Plot
}

func newWorld(seed uint64) *world {
	w := &world{
		s:        scene.New(scene.Options{Width: width, Height: height}),
		rng:      rand.New(rand.NewPCG(seed, 7)),
		x:        make([]float64, nPart),
		v:        make([]float64, nPart),
		heat:     make([]float64, gridW*gridH),
		next:     make([]float64, gridW*gridH),
		friction: 0.4,
		bath:     1,
		torch:    true,
	}
	for i := range w.x {
		w.x[i] = w.rng.NormFloat64()
		w.v[i] = w.rng.NormFloat64() * 2
	}
	root := w.s.Root()
	root.Rect(0, 0, width, height, `id="bg"`, "fill:#f7f7f9")
	at := func(i int) (float64, float64) {
		return gap + float64(i%cols)*(plotW+gap), gap + float64(i/cols)*(plotH+gap)
	}
	plot := func(i int, title string) *scene.Plot {
		x, y := at(i)
		p := root.Plot(x, y, plotW, plotH).Title(title)
		w.plots = append(w.plots, p)
		return p
	}

	p := plot(0, "Energy, and the plate's temperature")
	p.X().Time().Window(window).Title("sim time").Unit("s")
	p.Y().Title("energy").Unit("J")
	p.Y2().Title("temperature").Unit("K")
	w.kinetic = p.Line("kinetic")
	w.potential = p.Line("potential")
	w.plate = p.Line("plate").Y2()

	p = plot(1, "Phase space")
	p.X().Title("position").Unit("m").Range(-2, 2)
	p.Y().Title("velocity").Unit("m/s").Range(-4, 4)
	w.phase = p.Scatter("particles")

	p = plot(2, "Heat stored in the plate")
	p.X().Time().Window(window).Title("sim time")
	p.Y().Title("heat").Unit("kJ")
	w.stored = p.Area("heat")

	p = plot(3, "Particles per region")
	p.X().Title("region")
	p.Y().Title("particles")
	w.counts = p.Bar("count")

	p = plot(4, "Speeds")
	p.X().Title("speed").Unit("m/s")
	p.Y().Title("particles")
	w.speeds = p.Histogram("speed", histBins, 0, 4)

	p = plot(5, "The plate")
	p.X().Title("x").Unit("cm")
	p.Y().Title("y").Unit("cm")
	w.field = p.Heatmap("K", gridW, gridH).Extent(0, 48, 0, 32)

	lp := w.s.PanelPlot(200).Title("One particle's energy")
	lp.X().Time().Window(window).Title("sim time").Unit("s")
	lp.Y().Log().Title("energy").Unit("J")
	w.energyLog = lp.Line("particle 1")
	w.plots = append(w.plots, lp)

	w.s.Slider("friction", &w.friction, 0, 3, 0.05).Label("Friction (1/s)")
	w.s.Slider("bath", &w.bath, 0, 5, 0.1).Label("Heat bath (J)")
	w.s.Toggle("torch", &w.torch).Label("Torch on the plate")
	w.s.OnTick(w.tick)
	w.record()
	return w
}

// tick advances the particles (a Langevin step in a harmonic well) and
// the plate (explicit diffusion, a torch circling over it, cooling edges),
// then feeds every plot.
func (w *world) tick(dt float64) {
	w.t += dt
	noise := math.Sqrt(2 * w.friction * w.bath * dt)
	for i := range w.x {
		w.v[i] += (-wellK*w.x[i]-w.friction*w.v[i])*dt + noise*w.rng.NormFloat64()
		w.x[i] += w.v[i] * dt
	}
	const alpha = 0.2
	tx := gridW/2 + gridW/3*math.Cos(w.t*0.5)
	ty := gridH/2 + gridH/3*math.Sin(w.t*0.7)
	for j := range gridH {
		for i := range gridW {
			k := j*gridW + i
			c := w.heat[k]
			sum := 0.0
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				a, b := i+d[0], j+d[1]
				if a < 0 || b < 0 || a >= gridW || b >= gridH {
					sum += 0 // the edges are held at 0 (room temperature)
				} else {
					sum += w.heat[b*gridW+a]
				}
			}
			n := c + alpha*(sum-4*c)
			if w.torch {
				r2 := (float64(i)-tx)*(float64(i)-tx) + (float64(j)-ty)*(float64(j)-ty)
				n += 40 * dt * math.Exp(-r2/8)
			}
			w.next[k] = n
		}
	}
	w.heat, w.next = w.next, w.heat
	w.record()
}

// record feeds the plots with the current state.
func (w *world) record() {
	var ke, pe float64
	for i := range w.x {
		ke += 0.5 * w.v[i] * w.v[i]
		pe += 0.5 * wellK * w.x[i] * w.x[i]
	}
	ke, pe = ke/nPart, pe/nPart
	var total float64
	for _, h := range w.heat {
		total += h
	}
	mean := 293 + total/float64(len(w.heat))
	w.kinetic.Add(w.t, ke)
	w.potential.Add(w.t, pe)
	w.plate.Add(w.t, mean)
	w.stored.Add(w.t, total/1000)
	w.energyLog.Add(w.t, 0.5*w.v[0]*w.v[0]+0.5*wellK*w.x[0]*w.x[0])

	xs, vs := w.x[:200], w.v[:200]
	w.phase.Set(xs, vs)

	var per [regions]float64
	var speeds []float64
	for i, x := range w.x {
		r := int(math.Floor((x + span) / (2 * span) * regions))
		per[max(0, min(regions-1, r))]++
		speeds = append(speeds, math.Abs(w.v[i]))
	}
	rx := make([]float64, regions)
	for i := range rx {
		rx[i] = float64(i + 1)
	}
	w.counts.Set(rx, per[:])
	w.speeds.Set(speeds)
	temps := make([]float64, len(w.heat))
	for k, h := range w.heat {
		temps[k] = 293 + h
	}
	w.field.SetAll(temps)
}
