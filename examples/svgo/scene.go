// Command svgo shows a drawing written with plain svgo calls made live
// with one line. clock is ordinary svgo code: it draws a clock face on any
// *svg.SVG, a file as well as a scene. scene.Immediate calls it on every
// frame, diffs what it drew with the previous frame by element id, and
// sends the browser only what changed: the hands and the digital time.
// The slider sets how fast the clock's time runs; "r" resets it to 10:10.
//
//	go run ./examples/svgo              # serves http://127.0.0.1:8000
//	vizserve ./examples/svgo/scene.go   # the same, rebuilt on every save
package main

import (
	"fmt"
	"math"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/scene"
)

// The clock's size, and the time it starts at (seconds since midnight).
const (
	size   = 400
	centre = size / 2
	start  = 10*3600 + 10*60
)

// clock draws a clock showing t seconds since midnight with plain svgo
// calls.
func clock(c *svg.SVG, t float64) {
	c.Start(size, size)
	c.Rect(0, 0, size, size, "fill:#f6f1e7")
	c.Circle(centre, centre, 180, "fill:#fffdf5;stroke:#333;stroke-width:6")
	for i := range 60 {
		inner := 165
		style := "stroke:#555;stroke-width:2"
		if i%5 == 0 {
			inner, style = 150, "stroke:#222;stroke-width:5"
		}
		x1, y1 := polar(float64(i)/60, inner)
		x2, y2 := polar(float64(i)/60, 175)
		c.Line(x1, y1, x2, y2, style)
	}
	for h := 1; h <= 12; h++ {
		x, y := polar(float64(h)/12, 125)
		c.Text(x, y+10, fmt.Sprint(h), "text-anchor:middle;font:bold 28px serif;fill:#222")
	}
	sec := math.Mod(t, 60)
	mins := math.Mod(t/60, 60)
	hours := math.Mod(t/3600, 12)
	c.Text(centre, 290, fmt.Sprintf("%02d:%02d:%02d", int(hours), int(mins), int(sec)),
		`id="digital"`, "text-anchor:middle;font:20px monospace;fill:#555")
	hand := func(id string, turn float64, length int, style string) {
		x, y := polar(turn, length)
		c.Line(centre, centre, x, y, `id="`+id+`"`, style)
	}
	hand("hour", hours/12, 95, "stroke:#222;stroke-width:10;stroke-linecap:round")
	hand("minute", mins/60, 140, "stroke:#222;stroke-width:6;stroke-linecap:round")
	hand("second", math.Floor(sec)/60, 160, "stroke:#c62828;stroke-width:2")
	c.Circle(centre, centre, 8, "fill:#c62828")
	c.End()
}

// polar is the point at length from the centre, a turn of the clock
// (0 is twelve o'clock, 0.25 three) round it, in whole units.
func polar(turn float64, length int) (x, y int) {
	a := 2 * math.Pi * turn
	return centre + int(math.Round(float64(length)*math.Sin(a))), centre - int(math.Round(float64(length)*math.Cos(a)))
}

// newClock returns the live clock: the one line that makes the svgo
// drawing a scene, a clock that moves with sim time, and its controls.
func newClock() *scene.Scene {
	t, speed := float64(start), 1.0
	s := scene.Immediate(size, size, func(c *svg.SVG) { clock(c, t) })
	s.OnTick(func(dt float64) { t += dt })
	s.Slider("speed", &speed, 1, 600, 1).Label("Speed (× real time)").OnChange(func() { s.SetSpeed(speed) })
	s.Button("reset", "r", func() { t = start }).Label("Reset to 10:10")
	// Draw the first frame now: an immediate scene draws in its frames,
	// and a page loaded before the first one would show an empty clock.
	s.Advance(0)
	return s
}
