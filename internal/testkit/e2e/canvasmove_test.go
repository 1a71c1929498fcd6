package e2e

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
)

// TestCanvasReparent: a record moved out of its canvas group (AppendTo a
// plain group) leaves the canvas and is an element of the DOM, with its
// handle, so its clicks still reach Go; moved back, it is a record
// again. At each step the page looks as the same scene drawn as SVG.
func TestCanvasReparent(t *testing.T) {
	t.Parallel()
	type sc struct {
		s            *scene.Scene
		layer, plain *scene.Node
		c, sub       *scene.Node
		clicks       []string
	}
	mk := func(canvas bool) *sc {
		x := &sc{s: scene.New(scene.Options{Width: 400, Height: 300})}
		root := x.s.Root()
		root.Rect(0, 0, 400, 300, `id="bg"`, "fill:#fff")
		x.plain = root.Group(`id="plain"`, `transform="translate(200,0)"`)
		x.layer = root.Group(`id="layer"`)
		if canvas {
			x.layer.Canvas()
		}
		x.layer.Circle(60, 60, 30, "fill:#999")
		x.c = x.layer.Circle(100, 150, 40, `id="c"`, "fill:#c33;stroke:#000;stroke-width:4")
		x.sub = x.layer.Group(`id="sub"`, `transform="translate(20,200)"`)
		x.sub.Rect(0, 0, 60, 40, `id="r"`, "fill:#36c")
		x.sub.Text(0, 60, "sub", `id="t"`, "font:16px sans-serif")
		for _, n := range []*scene.Node{x.c, x.s.ByID("r")} {
			n.OnClick(func(p scene.Pointer) { x.clicks = append(x.clicks, p.Target.ID()) })
		}
		return x
	}
	ss, sc2 := mk(false), mk(true)
	var pages []*browser.Page
	for _, x := range []*sc{ss, sc2} {
		p := Open(t, browser.ForTest(t), Serve(t, x.s).URL+"/")
		sceneViewport(t, p)
		pages = append(pages, p)
	}
	pc := pages[1]
	WaitFor(t, pc, `vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0`)
	step := 0
	do := func(fn func(x *sc)) {
		t.Helper()
		step++
		for _, x := range []*sc{ss, sc2} {
			Sim(t, x.s, func() bool {
				fn(x)
				x.s.ByID("bg").Set("data-step", fmt.Sprint(step))
				return true
			})
		}
		for _, p := range pages {
			WaitFor(t, p, fmt.Sprintf(`document.getElementById("bg").getAttribute("data-step") === "%d"`, step))
		}
		a, b := shot(t, pages[0]), shot(t, pc)
		if over, worst, _ := imgDiff(a, b, 64); over > 100 {
			t.Errorf("step %d: %d pixels differ between SVG and canvas (worst %d)", step, over, worst)
		}
	}
	inDOM := func(id string) string {
		return Eval[string](t, pc, fmt.Sprintf(`document.getElementById(%q)?.parentElement?.id ?? ""`, id))
	}
	clickAt := func(x, y float64, want string) {
		t.Helper()
		n := Sim(t, sc2.s, func() int { return len(sc2.clicks) })
		vx, vy := SceneToViewport(t, pc, x, y)
		Must(t, pc, pc.Click(Ctx(t), vx, vy))
		SimUntil(t, sc2.s, "a click in Go", func() bool { return len(sc2.clicks) > n })
		if got := Sim(t, sc2.s, func() string { return sc2.clicks[len(sc2.clicks)-1] }); got != want {
			t.Errorf("click at (%g, %g): Go got %q, want %q", x, y, got, want)
		}
	}
	if inDOM("c") != "" {
		t.Fatalf("the record c is in the DOM before any move")
	}
	clickAt(100, 150, "c")
	do(func(x *sc) { x.c.AppendTo(x.plain) })
	if got := inDOM("c"); got != "plain" {
		t.Errorf("after AppendTo(plain), c's element is in %q, want plain", got)
	}
	// The circle is now at (300, 150), under the plain group's translation.
	clickAt(300, 150, "c")
	do(func(x *sc) { x.sub.AppendTo(x.plain) })
	if got := inDOM("r"); got != "sub" || inDOM("sub") != "plain" {
		t.Errorf("after moving the group sub: r in %q, sub in %q", got, inDOM("sub"))
	}
	clickAt(230, 220, "r")
	do(func(x *sc) { x.c.SetXY(20, 100).AppendTo(x.layer) })
	if got := inDOM("c"); got != "" {
		t.Errorf("moved back into the layer, c is still in the DOM (in %q)", got)
	}
	clickAt(20, 100, "c")
	do(func(x *sc) { x.sub.InsertBefore(x.c) })
	clickAt(40, 220, "r")
	if n := Eval[int](t, pc, `document.querySelectorAll("#layer > :not([data-vz-canvas])").length`); n != 0 {
		t.Errorf("the canvas group has %d DOM children", n)
	}
	if n := Eval[int](t, pc, `vizserve.canvas.layers`); n != 1 {
		t.Errorf("%d canvas layers, want 1", n)
	}
	for _, p := range pages {
		NoPageErrors(t, p)
	}
}
