package scenetest_test

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

// newCounter is the scene under test: a ball that rolls right and a count
// of the clicks on it.
func newCounter() *scene.Scene {
	s := scene.New(scene.Options{Width: 200, Height: 100})
	clicks := 0
	label := s.Root().Text(10, 90, "0 clicks", `id="label"`)
	ball := s.Root().Circle(20, 50, 10, `id="ball"`)
	speed := 30.0
	s.Slider("speed", &speed, 0, 100, 1)
	ball.OnClick(func(scene.Pointer) {
		clicks++
		label.SetText(fmt.Sprint(clicks, " clicks"))
	})
	s.OnTick(func(dt float64) {
		x, y := ball.XY()
		ball.SetXY(x+speed*dt, y)
	})
	return s
}

func Example() {
	// An example has no *testing.T of its own; a test passes its t.
	t := &testing.T{}
	v := scenetest.New(t, newCounter())
	v.Advance(0) // the first frame: the viewer gets its keyframe
	fmt.Println(v.Attr("ball", "cx"), v.Text("label"))

	v.AdvanceN(60, 1.0/60) // a second of sim time
	fmt.Println(v.Attr("ball", "cx"), len(v.Ops()), "ops")

	v.Click("ball", 50, 50)
	v.Set("speed", wire.Number(0))
	v.Advance(1.0 / 60)
	fmt.Println(v.Attr("ball", "cx"), v.Text("label"), v.Count("circle"), "circle")
	// Output:
	// 20 0 clicks
	// 50 60 ops
	// 50 1 clicks 1 circle
}
