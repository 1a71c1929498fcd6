// Command bouncing shows balls falling under gravity and bouncing off the
// walls. Click a ball to kick it; the sliders set gravity and how much
// speed a bounce keeps (elasticity), and "shake" kicks a random ball every
// 1.5 s so that the balls never come to rest; the chart plots the balls'
// total energy, which bounces lose and kicks add.
//
//	go run ./examples/bouncing -n 200        # serves http://127.0.0.1:8000
//	go run ./examples/bouncing -n 5000 -canvas   # the balls drawn on a canvas
//	vizserve ./examples/bouncing/scene.go    # the same, rebuilt on every save
//
// Under vizserve the balls keep their positions and velocities across
// edits: the scene's state (State) is carried over to the new code.
package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vizserve/vizserve/scene"
)

// The box the balls live in, and the chart below it, in scene units.
const (
	width      = 800.0
	boxHeight  = 480.0
	height     = 600.0
	radius     = 10.0
	kickSpeed  = 600.0 // upward speed a click gives, px/s
	kickSpread = 30.0  // sideways speed per px the click is off-centre
	shakeEvery = 1.5   // seconds between the kicks of "shake"
)

// Ball is one ball's position and velocity, in px and px/s.
type Ball struct {
	X, Y, VX, VY float64
}

// State is what a live reload carries over to the new code.
type State struct {
	Balls []Ball
}

// world is the simulation and its scene. Everything in it belongs to the
// sim goroutine.
type world struct {
	s          *scene.Scene
	st         *State
	gravity    float64 // px/s², downwards
	elasticity float64 // share of the speed a bounce keeps
	shake      bool    // kick a random ball every shakeEvery seconds
	sinceShake float64 // seconds since the last of those kicks
	rng        *rand.Rand
	layer      *scene.Node
	nodes      []*scene.Node // nodes[i] draws st.Balls[i]
	energy     *scene.Mark
}

// newWorld builds n balls at random places (from seed), the controls and
// the energy chart.
func newWorld(n int, seed uint64) *world {
	w := &world{
		s:          scene.New(scene.Options{Width: width, Height: height}),
		st:         &State{},
		gravity:    500,
		elasticity: 0.9,
		shake:      true,
		rng:        rand.New(rand.NewPCG(seed, 2)),
	}
	root := w.s.Root()
	root.Rect(0, 0, width, boxHeight, `id="box"`, "fill:#f4f6fb;stroke:#99a")
	w.layer = root.Group(`id="balls"`)
	chart := root.Plot(0, boxHeight, width, height-boxHeight)
	chart.X().Time().Window(5)
	chart.Y().Title("energy")
	w.energy = chart.Line("energy").Color("#c62828")

	rng := rand.New(rand.NewPCG(seed, 1))
	for range n {
		w.st.Balls = append(w.st.Balls, Ball{
			X:  radius + rng.Float64()*(width-2*radius),
			Y:  radius + rng.Float64()*(boxHeight/2),
			VX: (rng.Float64() - 0.5) * 300,
			VY: (rng.Float64() - 0.5) * 300,
		})
	}
	w.sync()

	w.s.Slider("gravity", &w.gravity, 0, 2000, 10).Label("Gravity (px/s²)")
	w.s.Slider("elasticity", &w.elasticity, 0, 1, 0.01).Label("Elasticity")
	w.s.Toggle("shake", &w.shake).Label("Shake (a kick every 1.5 s)")
	w.s.OnTick(w.tick)
	return w
}

// sync makes the nodes match the state: one per ball, where the ball is.
// It runs after a live reload restored a state, which may hold a different
// number of balls than the new code started with.
func (w *world) sync() {
	for len(w.nodes) > len(w.st.Balls) {
		last := len(w.nodes) - 1
		w.nodes[last].Remove()
		w.nodes = w.nodes[:last]
	}
	for i := len(w.nodes); i < len(w.st.Balls); i++ {
		n := w.layer.Circle(0, 0, radius, fmt.Sprintf(`id="ball-%d"`, i), fmt.Sprintf("fill:hsl(%d,70%%,50%%);cursor:pointer", i*47%360))
		n.OnClick(func(p scene.Pointer) { w.kick(i, p.X) })
		w.nodes = append(w.nodes, n)
	}
	for i, b := range w.st.Balls {
		w.nodes[i].SetXY(b.X, b.Y)
	}
}

// kick sends ball i upwards, and sideways away from where it was hit.
func (w *world) kick(i int, x float64) {
	b := &w.st.Balls[i]
	b.VY = -kickSpeed
	b.VX += (b.X - x) * kickSpread
}

// tick moves every ball by dt seconds and bounces it off the walls.
func (w *world) tick(dt float64) {
	g, e := w.gravity, w.elasticity
	if w.sinceShake += dt; w.shake && w.sinceShake >= shakeEvery && len(w.st.Balls) > 0 {
		// The balls would come to rest: keep the scene alive, the way a
		// click would, off-centre by up to a radius.
		w.sinceShake = 0
		i := w.rng.IntN(len(w.st.Balls))
		w.kick(i, w.st.Balls[i].X+(w.rng.Float64()*2-1)*radius)
	}
	for i := range w.st.Balls {
		b := &w.st.Balls[i]
		b.VY += g * dt
		b.X += b.VX * dt
		b.Y += b.VY * dt
		if b.X < radius {
			b.X, b.VX = radius, math.Abs(b.VX)*e
		} else if b.X > width-radius {
			b.X, b.VX = width-radius, -math.Abs(b.VX)*e
		}
		if b.Y < radius {
			b.Y, b.VY = radius, math.Abs(b.VY)*e
		} else if b.Y > boxHeight-radius {
			b.Y, b.VY = boxHeight-radius, -math.Abs(b.VY)*e
		}
		w.nodes[i].SetXY(b.X, b.Y)
	}
	w.energy.Add(w.s.SimTime(), w.totalEnergy())
}

// totalEnergy is the kinetic and potential energy of all balls, per unit
// mass, in (px/s)² / 1000, with the floor as zero.
func (w *world) totalEnergy() float64 {
	var e float64
	for _, b := range w.st.Balls {
		e += 0.5*(b.VX*b.VX+b.VY*b.VY) + w.gravity*(boxHeight-radius-b.Y)
	}
	return e / 1000
}
