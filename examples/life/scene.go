// Command life is Conway's Game of Life on a torus (the edges wrap).
// Click a cell to bring it to life or kill it. Space plays or pauses, "s"
// steps one generation, "c" clears the board and "r" seeds it at random;
// the slider sets the generations per second. Only the cells that change
// are sent to the browser.
//
//	go run ./examples/life              # serves http://127.0.0.1:8000
//	vizserve ./examples/life/scene.go   # the same, rebuilt on every save
package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/vizserve/vizserve/scene"
)

// The board: cols × rows cells of cell × cell units, and a status line.
const (
	cols, rows = 48, 32
	cell       = 14.0
	boardW     = cols * cell
	boardH     = rows * cell
	density    = 0.3 // share of live cells after "r"
)

// Fill colours of live and dead cells.
const (
	liveFill = "#1b5e20"
	deadFill = "#e8eef0"
)

// life is the game and its scene. Everything in it belongs to the sim
// goroutine.
type life struct {
	s      *scene.Scene
	alive  []bool // alive[y*cols+x]
	next   []bool
	nodes  []*scene.Node
	gen    int
	speed  float64 // generations per second while playing
	due    float64 // generations owed to elapsed time
	status *scene.Node
	rng    *rand.Rand
}

// newLife builds a board seeded at random from seed. opt sets the scene's
// options (Paused, say); its size is the board's.
func newLife(seed uint64, opt scene.Options) *life {
	opt.Width, opt.Height = boardW, boardH+30
	l := &life{
		s:     scene.New(opt),
		alive: make([]bool, cols*rows),
		next:  make([]bool, cols*rows),
		nodes: make([]*scene.Node, cols*rows),
		speed: 10,
		rng:   rand.New(rand.NewPCG(seed, 2)),
	}
	board := l.s.Root().Group(`id="board"`, "cursor:pointer")
	for y := range rows {
		for x := range cols {
			l.nodes[y*cols+x] = board.Rect(float64(x)*cell, float64(y)*cell, cell-1, cell-1,
				fmt.Sprintf(`id="c-%d-%d" fill="%s"`, x, y, deadFill))
		}
	}
	// One handler for the board: the pointer's position names the cell,
	// also when it lands on the gap between two.
	board.OnClick(func(p scene.Pointer) { l.toggle(int(p.X/cell), int(p.Y/cell)) })
	l.status = l.s.Root().Text(4, boardH+20, "", `id="status"`, "font:14px sans-serif;fill:#333")

	l.s.Button("play", " ", l.playPause).Label("Play / pause")
	l.s.Button("step", "s", func() {
		l.s.Pause()
		l.step()
		l.s.Do(l.show) // after the pause, which Pause queues
	}).Label("Step")
	l.s.Button("clear", "c", l.clear).Label("Clear")
	l.s.Button("random", "r", l.random).Label("Random")
	l.s.Slider("speed", &l.speed, 1, 60, 1).Label("Generations per second")
	l.s.OnTick(l.tick)
	l.random()
	return l
}

// set brings cell i to life or kills it, and redraws it if it changed.
func (l *life) set(i int, on bool) {
	if l.alive[i] == on {
		return
	}
	l.alive[i] = on
	fill := deadFill
	if on {
		fill = liveFill
	}
	l.nodes[i].Set("fill", fill)
}

// toggle flips the cell at column x, row y (wrapping around the edges).
func (l *life) toggle(x, y int) {
	i := ((y%rows+rows)%rows)*cols + (x%cols+cols)%cols
	l.set(i, !l.alive[i])
	l.show()
}

func (l *life) playPause() {
	if l.s.Playing() {
		l.s.Pause()
	} else {
		l.due = 0
		l.s.Play()
	}
	l.s.Do(l.show) // after the change, which Play and Pause queue
}

func (l *life) clear() {
	for i := range l.alive {
		l.set(i, false)
	}
	l.gen = 0
	l.show()
}

func (l *life) random() {
	for i := range l.alive {
		l.set(i, l.rng.Float64() < density)
	}
	l.gen = 0
	l.show()
}

// tick runs the generations that dt seconds owe at the current speed, at
// most four a frame, so a slow machine slows the game instead of stalling.
func (l *life) tick(dt float64) {
	l.due += dt * l.speed
	for n := 0; l.due >= 1 && n < 4; n++ {
		l.step()
		l.due--
	}
	if l.due > 1 {
		l.due = 1
	}
}

// step computes the next generation.
func (l *life) step() {
	for y := range rows {
		up, down := (y+rows-1)%rows*cols, (y+1)%rows*cols
		row := y * cols
		for x := range cols {
			left, right := (x+cols-1)%cols, (x+1)%cols
			n := 0
			for _, j := range [8]int{up + left, up + x, up + right, row + left, row + right, down + left, down + x, down + right} {
				if l.alive[j] {
					n++
				}
			}
			i := row + x
			l.next[i] = n == 3 || n == 2 && l.alive[i]
		}
	}
	for i, on := range l.next {
		l.set(i, on)
	}
	l.gen++
	l.show()
}

// population counts the live cells.
func (l *life) population() int {
	n := 0
	for _, on := range l.alive {
		if on {
			n++
		}
	}
	return n
}

// show updates the status line.
func (l *life) show() {
	state := "playing"
	if !l.s.Playing() {
		state = "paused"
	}
	l.status.SetText(fmt.Sprintf("generation %d · %d alive · %s", l.gen, l.population(), state))
}
