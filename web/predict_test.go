package web

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene/wire"
)

// A drag moves the dragged node in the page at once, before the sim has
// answered (here the sim answers only when the test says so), and the
// sim's answer wins: its position once the pointer rests, and after the
// drag the sim's position, the one from before the drag if the sim sent
// none.
func TestClientPredictsDrag(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	ctx := testCtx(t)
	cx := func() string { return eval[string](t, p, `document.getElementById("ball").getAttribute("cx")`) }
	x, y := center(t, p, "ball")
	sx, sy := toScene(t, p, x, y)
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: x, Y: y}))
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mousePressed", X: x, Y: y, Button: "left", Buttons: 1, ClickCount: 1}))
	x1, y1 := x+60, y+40
	for i := 1; i <= 4; i++ {
		f := float64(i) / 4
		must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: x + f*(x1-x), Y: y + f*(y1-y), Button: "left", Buttons: 1}))
	}
	v.waitEvent(t, 0, wire.PointerMove)
	// The pointer's position in scene units is where the prediction puts
	// the ball: it started at (50, 40) under the pointer.
	tx, ty := toScene(t, p, x1, y1)
	want := []float64{50 + tx - sx, 40 + ty - sy}
	waitFor(t, p, fmt.Sprintf(`Math.abs(+document.getElementById("ball").getAttribute("cx") - %g) < 0.01 && Math.abs(+document.getElementById("ball").getAttribute("cy") - %g) < 0.01`, want[0], want[1]))
	if eval[int](t, p, `vizserve.seq`) != 1 {
		t.Fatalf("the page applied batches after the keyframe: the prediction is the client's own")
	}

	// The sim answers with a position of its own (it keeps the ball on a
	// rail, say): the page shows it, the pointer having come to rest.
	w.ball.SetXY(120, 40)
	for _, b := range w.frame(t) {
		v.send(t, b)
	}
	waitFor(t, p, `document.getElementById("ball").getAttribute("cx") === "120" && document.getElementById("ball").getAttribute("cy") === "40"`)
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseReleased", X: x1, Y: y1, Button: "left", ClickCount: 1}))
	v.waitEvent(t, 0, wire.PointerUp)
	nextFrames(t, p, 2)
	if got := cx(); got != "120" {
		t.Errorf("after the drag cx = %q, want the sim's 120", got)
	}
	sameDOM(t, p, w.mirror)

	// A drag the sim does not answer with a move leaves the ball where
	// the sim has it.
	x, y = center(t, p, "ball")
	mark := v.mark()
	must(t, p.Drag(ctx, x, y, x-50, y+30, 4))
	v.wait(t, "the second drag's up", mark, false, func(evs []wire.Event) bool {
		for _, e := range evs {
			if e.Kind == wire.PointerUp {
				return true
			}
		}
		return false
	})
	nextFrames(t, p, 2)
	sameDOM(t, p, w.mirror)
	noPageErrors(t, p)
}
