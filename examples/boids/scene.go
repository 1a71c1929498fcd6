// Command boids shows a flock: every boid steers away from neighbours that
// are too close (separation), towards their mean heading (alignment) and
// towards their centre (cohesion), in a field that wraps around at the
// edges. Each boid is an arrow turned to its heading by SetPose, about 15
// bytes a boid a tick on the wire; the sliders weigh the three rules and
// set the speed and how far a boid sees.
//
//	go run ./examples/boids -n 600          # serves http://127.0.0.1:8000
//	vizserve ./examples/boids/scene.go      # the same, rebuilt on every save
//
// Under vizserve the flock keeps its positions and velocities across
// edits: the scene's state (State) is carried over to the new code.
package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vizserve/vizserve/scene"
)

// The field the boids fly in, in scene units.
const (
	width  = 960.0
	height = 600.0
	// arrow is a boid's shape, pointing along +x around its centre:
	// SetPose turns it to the boid's heading.
	arrow = "M7,0 L-5,4.5 L-2.5,0 L-5,-4.5 Z"
	// maxForce bounds a boid's steering, in px/s², so that turns stay
	// smooth however strong the rules are.
	maxForce = 400.0
)

// Boid is one boid's position and velocity, in px and px/s.
type Boid struct {
	X, Y, VX, VY float64
}

// State is what a live reload carries over to the new code.
type State struct {
	Boids []Boid
}

// world is the flock and its scene. Everything in it belongs to the sim
// goroutine.
type world struct {
	s *scene.Scene
	// st is the flock; nodes[i] draws st.Boids[i].
	st    *State
	layer *scene.Node
	nodes []*scene.Node

	separation, alignment, cohesion float64 // weights of the three rules
	speed                           float64 // the speed boids settle at, px/s
	vision                          float64 // how far a boid sees, px

	// place draws a boid's node at (x, y) facing angle degrees: SetPose,
	// or in the benchmark the string transform it replaces.
	place func(n *scene.Node, x, y, angle float64)

	grid  map[cell][]int // scratch: boids by cell of side vision
	steer []vec          // scratch: each boid's steering this tick
}

type vec struct{ x, y float64 }

type cell struct{ i, j int }

func pose(n *scene.Node, x, y, angle float64) { n.SetPose(x, y, angle) }

// newWorld builds a flock of n boids at random places and headings (from
// seed) and the controls.
func newWorld(n int, seed uint64) *world {
	w := &world{
		s:          scene.New(scene.Options{Width: width, Height: height}),
		st:         &State{},
		separation: 1.5,
		alignment:  1,
		cohesion:   1,
		speed:      120,
		vision:     50,
		place:      pose,
		grid:       map[cell][]int{},
	}
	root := w.s.Root()
	root.Rect(0, 0, width, height, `id="sky"`, "fill:#f4f6fb")
	w.layer = root.Group(`id="boids"`)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range n {
		a := rng.Float64() * 2 * math.Pi
		v := w.speed * (0.5 + rng.Float64())
		w.st.Boids = append(w.st.Boids, Boid{
			X: rng.Float64() * width, Y: rng.Float64() * height,
			VX: v * math.Cos(a), VY: v * math.Sin(a),
		})
	}
	w.sync()

	w.s.Slider("separation", &w.separation, 0, 4, 0.1).Label("Separation").Group("Rules")
	w.s.Slider("alignment", &w.alignment, 0, 4, 0.1).Label("Alignment").Group("Rules")
	w.s.Slider("cohesion", &w.cohesion, 0, 4, 0.1).Label("Cohesion").Group("Rules")
	w.s.Slider("speed", &w.speed, 20, 400, 10).Label("Speed").Unit("px/s").Group("Flight")
	w.s.Slider("vision", &w.vision, 10, 120, 5).Label("Vision").Unit("px").Group("Flight")
	w.s.OnTick(w.tick)
	return w
}

// sync makes the nodes match the state: one arrow per boid, where it is,
// facing where it flies. It runs after a live reload restored a state,
// which may hold a different number of boids than the new code started
// with.
func (w *world) sync() {
	for len(w.nodes) > len(w.st.Boids) {
		last := len(w.nodes) - 1
		w.nodes[last].Remove()
		w.nodes = w.nodes[:last]
	}
	for i := len(w.nodes); i < len(w.st.Boids); i++ {
		fill := fmt.Sprintf("fill:hsl(%d,65%%,42%%)", 190+i*37%90)
		w.nodes = append(w.nodes, w.layer.Path(arrow, fmt.Sprintf(`id="boid-%d"`, i), fill))
	}
	for i := range w.st.Boids {
		w.draw(i)
	}
}

// heading is the direction of a velocity in degrees, clockwise from +x on
// screen (y grows downwards), as SVG's rotate turns.
func heading(vx, vy float64) float64 { return math.Atan2(vy, vx) * 180 / math.Pi }

func (w *world) draw(i int) {
	b := &w.st.Boids[i]
	w.place(w.nodes[i], b.X, b.Y, heading(b.VX, b.VY))
}

// wrap brings d, a difference of coordinates on a circle of length l,
// into [-l/2, l/2): the field wraps around, so the nearest copy counts.
func wrap(d, l float64) float64 {
	if d >= l/2 {
		return d - l
	}
	if d < -l/2 {
		return d + l
	}
	return d
}

// tick applies the three rules to every boid, then moves each by dt
// seconds at its new velocity.
func (w *world) tick(dt float64) {
	boids := w.st.Boids
	// Neighbours are looked up in a grid of cells at least vision wide, in
	// the cell of the boid and the eight around it; three cells across at
	// least, so that those nine are distinct.
	cols, rows := max(3, int(width/w.vision)), max(3, int(height/w.vision))
	cw, ch := width/float64(cols), height/float64(rows)
	r := min(w.vision, cw, ch)
	for k, v := range w.grid {
		w.grid[k] = v[:0]
	}
	cellOf := func(b *Boid) cell {
		return cell{min(cols-1, int(b.X/cw)), min(rows-1, int(b.Y/ch))}
	}
	for i := range boids {
		c := cellOf(&boids[i])
		w.grid[c] = append(w.grid[c], i)
	}
	w.steer = append(w.steer[:0], make([]vec, len(boids))...)
	for i := range boids {
		b := &boids[i]
		c := cellOf(b)
		var sep, ali, coh vec
		n := 0
		for di := -1; di <= 1; di++ {
			for dj := -1; dj <= 1; dj++ {
				nc := cell{((c.i+di)%cols + cols) % cols, ((c.j+dj)%rows + rows) % rows}
				for _, j := range w.grid[nc] {
					if j == i {
						continue
					}
					o := &boids[j]
					dx, dy := wrap(o.X-b.X, width), wrap(o.Y-b.Y, height)
					d2 := dx*dx + dy*dy
					if d2 > r*r || d2 == 0 {
						continue
					}
					n++
					// Separation: away from each neighbour within half
					// of the vision, more the closer it is.
					if d2 < r*r/4 {
						sep.x -= dx / d2 * r
						sep.y -= dy / d2 * r
					}
					ali.x += o.VX
					ali.y += o.VY
					coh.x += dx
					coh.y += dy
				}
			}
		}
		if n == 0 {
			continue
		}
		fn := float64(n)
		// Each rule is a desired velocity change, in px/s per second.
		f := vec{
			w.separation*sep.x*w.speed/fn + w.alignment*(ali.x/fn-b.VX) + w.cohesion*coh.x/fn*2,
			w.separation*sep.y*w.speed/fn + w.alignment*(ali.y/fn-b.VY) + w.cohesion*coh.y/fn*2,
		}
		if m := math.Hypot(f.x, f.y); m > maxForce {
			f.x, f.y = f.x/m*maxForce, f.y/m*maxForce
		}
		w.steer[i] = f
	}
	for i := range boids {
		b := &boids[i]
		b.VX += w.steer[i].x * dt
		b.VY += w.steer[i].y * dt
		// Settle at the set speed: a boid flies, it never stops.
		if s := math.Hypot(b.VX, b.VY); s > 0 {
			k := 1 + (w.speed/s-1)*min(1, 2*dt)
			b.VX, b.VY = b.VX*k, b.VY*k
		} else {
			b.VX = w.speed
		}
		b.X = math.Mod(b.X+b.VX*dt+width, width)
		b.Y = math.Mod(b.Y+b.VY*dt+height, height)
		w.draw(i)
	}
}
