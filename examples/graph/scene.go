// Command graph lays out a random graph with forces: nodes push each other
// away, edges pull like springs, and a weak pull keeps the graph in the
// middle; the layout cools down until it stops. Drag a node to move it: it stays pinned where you drop it (drawn
// with an orange ring) and the rest of the graph arranges itself around
// it; double-click a node to let it go. Positions go to the browser
// rounded to a tenth of a unit, so a settled graph sends nothing.
//
//	go run ./examples/graph -n 40        # serves http://127.0.0.1:8000
//	vizserve ./examples/graph/scene.go   # the same, rebuilt on every save
package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vizserve/vizserve/scene"
)

const (
	width, height = 800.0, 600.0
	nodeRadius    = 12.0

	repulsion = 2e5 // px³/s²: push between every two nodes, over distance²
	spring    = 5.0 // 1/s²: pull of an edge per px it is longer than rest
	rest      = 60.0
	centring  = 0.3 // 1/s²: pull towards the middle per px away from it
	friction  = 4.0 // 1/s: share of the speed lost per second
	maxSpeed  = 1500.0

	// The layout cools down like d3-force's alpha: the forces are scaled
	// by a heat that decays with this time constant and stops the layout
	// below frozen. A drag or a release heats it up again.
	cooling = 3.0 // s
	frozen  = 0.002
	reheat  = 0.5
)

const (
	freeStyle   = "fill:#1565c0;stroke:#fff;stroke-width:2;cursor:grab"
	pinnedStyle = "fill:#1565c0;stroke:#ff6f00;stroke-width:4;cursor:grab"
)

type vertex struct {
	x, y, vx, vy float64
	pinned       bool
	node         *scene.Node
}

type edge struct {
	a, b int
	line *scene.Node
}

// graph is the layout and its scene. Everything in it belongs to the sim
// goroutine.
type graph struct {
	s     *scene.Scene
	verts []vertex
	edges []edge
	heat  float64 // 1 at the start, 0 when frozen
}

// newGraph builds a random connected graph of n nodes (a random tree plus
// n/3 more edges), from seed.
func newGraph(n int, seed uint64) *graph {
	g := &graph{s: scene.New(scene.Options{Width: width, Height: height}), heat: 1}
	rng := rand.New(rand.NewPCG(seed, 3))
	root := g.s.Root()
	root.Rect(0, 0, width, height, `id="bg"`, "fill:#fafafa")
	lines := root.Group(`id="edges"`, "stroke:#90a4ae;stroke-width:2")
	dots := root.Group(`id="nodes"`)

	linked := map[[2]int]bool{}
	link := func(a, b int) {
		if a == b || linked[[2]int{a, b}] || linked[[2]int{b, a}] {
			return
		}
		linked[[2]int{a, b}] = true
		g.edges = append(g.edges, edge{a: a, b: b})
	}
	for i := 1; i < n; i++ {
		link(i, rng.IntN(i))
	}
	for range n / 3 {
		link(rng.IntN(n), rng.IntN(n))
	}
	for i := range g.edges {
		e := &g.edges[i]
		e.line = lines.Line(0, 0, 0, 0, fmt.Sprintf(`id="e-%d-%d"`, e.a, e.b))
	}

	g.verts = make([]vertex, n)
	for i := range g.verts {
		v := &g.verts[i]
		a := 2 * math.Pi * float64(i) / float64(n)
		v.x = width/2 + 150*math.Cos(a) + rng.Float64()*20
		v.y = height/2 + 150*math.Sin(a) + rng.Float64()*20
		v.node = dots.Circle(v.x, v.y, nodeRadius, fmt.Sprintf(`id="v-%d"`, i), freeStyle)
		v.node.OnDrag(func(d scene.Drag) { g.drag(i, d) })
		v.node.OnDoubleClick(func(scene.Pointer) { g.pin(i, false) })
	}
	g.draw()
	g.s.OnTick(g.tick)
	return g
}

// drag moves node i with the pointer and pins it.
func (g *graph) drag(i int, d scene.Drag) {
	v := &g.verts[i]
	if d.Phase == scene.DragStart {
		g.pin(i, true)
	}
	g.heat = math.Max(g.heat, reheat)
	v.x = clamp(v.x+d.DX, nodeRadius, width-nodeRadius)
	v.y = clamp(v.y+d.DY, nodeRadius, height-nodeRadius)
	g.draw()
}

func (g *graph) pin(i int, on bool) {
	v := &g.verts[i]
	v.pinned, v.vx, v.vy = on, 0, 0
	g.heat = math.Max(g.heat, reheat)
	if on {
		v.node.SetStyle(pinnedStyle)
	} else {
		v.node.SetStyle(freeStyle)
	}
}

// tick moves the free nodes by the forces on them for dt seconds.
func (g *graph) tick(dt float64) {
	if g.heat == 0 {
		return
	}
	if g.heat *= math.Exp(-dt / cooling); g.heat < frozen {
		g.heat = 0
		for i := range g.verts {
			g.verts[i].vx, g.verts[i].vy = 0, 0
		}
		return
	}
	fx := make([]float64, len(g.verts))
	fy := make([]float64, len(g.verts))
	for i := range g.verts {
		a := &g.verts[i]
		for j := i + 1; j < len(g.verts); j++ {
			b := &g.verts[j]
			dx, dy := a.x-b.x, a.y-b.y
			d2 := math.Max(dx*dx+dy*dy, 25)
			d := math.Sqrt(d2)
			f := repulsion / d2
			fx[i] += f * dx / d
			fy[i] += f * dy / d
			fx[j] -= f * dx / d
			fy[j] -= f * dy / d
		}
		fx[i] -= centring * (a.x - width/2)
		fy[i] -= centring * (a.y - height/2)
	}
	for _, e := range g.edges {
		a, b := &g.verts[e.a], &g.verts[e.b]
		dx, dy := b.x-a.x, b.y-a.y
		d := math.Max(math.Hypot(dx, dy), 1)
		f := spring * (d - rest)
		fx[e.a] += f * dx / d
		fy[e.a] += f * dy / d
		fx[e.b] -= f * dx / d
		fy[e.b] -= f * dy / d
	}
	keep := math.Exp(-friction * dt)
	for i := range g.verts {
		v := &g.verts[i]
		if v.pinned {
			continue
		}
		v.vx = (v.vx + fx[i]*g.heat*dt) * keep
		v.vy = (v.vy + fy[i]*g.heat*dt) * keep
		if s := math.Hypot(v.vx, v.vy); s > maxSpeed {
			v.vx, v.vy = v.vx*maxSpeed/s, v.vy*maxSpeed/s
		}
		v.x = clamp(v.x+v.vx*dt, nodeRadius, width-nodeRadius)
		v.y = clamp(v.y+v.vy*dt, nodeRadius, height-nodeRadius)
	}
	g.draw()
}

// draw puts the nodes and edges where the layout says, rounded to a tenth
// of a unit: a change smaller than that sends nothing.
func (g *graph) draw() {
	for i := range g.verts {
		v := &g.verts[i]
		v.node.SetXY(tenth(v.x), tenth(v.y))
	}
	for _, e := range g.edges {
		a, b := &g.verts[e.a], &g.verts[e.b]
		e.line.SetNum("x1", tenth(a.x)).SetNum("y1", tenth(a.y)).SetNum("x2", tenth(b.x)).SetNum("y2", tenth(b.y))
	}
}

// kinetic is the layout's kinetic energy per node, in (px/s)².
func (g *graph) kinetic() float64 {
	var e float64
	for _, v := range g.verts {
		e += 0.5 * (v.vx*v.vx + v.vy*v.vy)
	}
	return e / float64(len(g.verts))
}

func tenth(v float64) float64 { return math.Round(v*10) / 10 }

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
