package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
)

var canvasShots = flag.String("canvas-shots", "", "write the canvas tests' screenshots to this directory, to look at them")

// checker is a 40×40 PNG of 8-pixel squares, as a data URL: an image
// drawn at its own size, so that no scaling filter tells SVG and canvas
// apart.
func checker(t testing.TB) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			c := color.RGBA{30, 90, 200, 255}
			if (x/8+y/8)%2 == 0 {
				c = color.RGBA{250, 220, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// shapes is a scene whose group "shapes" holds every kind of element and
// style the canvas draws, drawn on a canvas if canvas is set.
func shapes(t testing.TB, canvas bool) *scene.Scene {
	s := scene.New(scene.Options{Width: 400, Height: 300})
	root := s.Root()
	root.El("style").SetText(".k{fill:orange;stroke:navy;stroke-width:3px} .faint{opacity:0.5}")
	root.Rect(0, 0, 400, 300, `id="bg"`, "fill:#f8f8f0")
	g := root.Group(`id="shapes"`, `stroke-linejoin="round"`)
	if canvas {
		g.Canvas()
	}
	g.Circle(40, 40, 25, "fill:crimson")
	g.Ellipse(110, 40, 30, 18, `fill="teal" stroke="black" stroke-width="2"`)
	g.Rect(160, 15, 60, 50, `rx="10" ry="6"`, "fill:#3a7;stroke:#123;stroke-width:2")
	g.Rect(235, 15, 50, 50, `class="k"`)
	g.Rect(300, 15, 40, 50, `rx="8"`, "fill:#c6c")
	g.Line(350, 15, 390, 65, "stroke:purple;stroke-width:4;stroke-linecap:round")
	g.Polyline([]float64{20, 50, 80, 110}, []float64{130, 90, 130, 90}, "fill:none;stroke:#333;stroke-width:2;stroke-dasharray:6 3")
	g.Polygon([]float64{130, 170, 150}, []float64{130, 130, 90}, "fill:gold;fill-opacity:.6;stroke:#960")
	g.Path("M190,130 C220,70 260,150 280,90 L280,130 Z", "fill:steelblue;stroke:red;stroke-opacity:.5;stroke-width:3")
	g.Circle(330, 110, 22, `class="k faint"`)
	g.Text(20, 170, "Hello canvas", "font-size:20px;font-family:sans-serif;fill:#222")
	g.Text(300, 170, "mid", `text-anchor="middle" font-size="18"`, "font-weight:bold;fill:#a22")
	g.Image(340, 140, 40, 40, checker(t))
	rot := g.Group(`transform="translate(70,230) rotate(30)"`)
	rot.Rect(-30, -12, 60, 24, `class="k"`)
	rot.Group(`transform="scale(1.5)"`, `fill="purple"`).Circle(25, 0, 6)
	g.Group(`transform="matrix(1,0.3,0,1,150,190)"`).Rect(0, 0, 50, 40, "fill:#58f;stroke:#000")
	g.Circle(260, 240, 30, "fill:green;opacity:0.5")
	g.Rect(300, 200, 80, 60, `transform="rotate(-10 340 230)"`, "fill:none;stroke:#e60;stroke-width:5")
	return s
}

// screenshotScene opens s at 800×600 and returns the screenshot, once the
// canvas layers (want of them) have drawn.
func screenshotScene(t *testing.T, b *browser.Browser, s *scene.Scene, want int) (*browser.Page, image.Image) {
	t.Helper()
	site := Serve(t, s)
	p := Open(t, b, site.URL+"/")
	sceneViewport(t, p)
	WaitFor(t, p, fmt.Sprintf(`vizserve.canvas.layers === %d && (%d === 0 || vizserve.canvas.draws > 0)`, want, want))
	return p, shot(t, p)
}

// sceneViewport sizes page p so that its stage, above the run bar, is
// 800×600: the scenes here are that size, drawn at scale 1, so SVG and
// canvas differ only in anti-aliasing.
func sceneViewport(t *testing.T, p *browser.Page) {
	t.Helper()
	bar := Eval[float64](t, p, `document.getElementById("vz-run").getBoundingClientRect().height`)
	Must(t, p, p.SetViewport(Ctx(t), 800, 600+int(math.Round(bar))))
}

// shot takes a screenshot after two animation frames (so that a canvas
// drawn in the last one is on screen).
func shot(t *testing.T, p *browser.Page) image.Image {
	t.Helper()
	// The run bar shows each scene's own sim time: it is kept out of
	// the picture (its box stays, so the scene does not move).
	Must(t, p, p.Eval(Ctx(t), `document.getElementById("vz-run").style.visibility = "hidden"; new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil))
	data, err := p.Screenshot(Ctx(t))
	Must(t, p, err)
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func saveShot(t *testing.T, name string, img image.Image) {
	t.Helper()
	if *canvasShots == "" {
		return
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*canvasShots, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// imgDiff compares two screenshots: the number of pixels whose largest
// channel difference exceeds tol, the largest difference, and an image
// that shows the differing pixels in red.
func imgDiff(a, b image.Image, tol int) (over, worst int, d *image.RGBA) {
	r := a.Bounds()
	d = image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			m := max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2)) >> 8
			worst = max(worst, m)
			if m > tol {
				over++
				d.Set(x, y, color.RGBA{255, 0, 0, 255})
			} else {
				gray := uint8((r1 + g1 + b1) / 3 >> 8)
				d.Set(x, y, color.RGBA{gray, gray, gray, 255})
			}
		}
	}
	return over, worst, d
}

func absDiff(a, b uint32) int { return int(max(a, b) - min(a, b)) }

// TestCanvasPixels: a group drawn on a canvas looks like the same group
// drawn as SVG: every shape, paint, opacity, class from the page's CSS,
// text and transform of the shapes scene, compared pixel by pixel with a
// small tolerance for the anti-aliasing of edges.
func TestCanvasPixels(t *testing.T) {
	t.Parallel()
	b := browser.ForTest(t)
	ps, svgShot := screenshotScene(t, b, shapes(t, false), 0)
	pc, canvasShot := screenshotScene(t, b, shapes(t, true), 1)
	if n := Eval[int](t, pc, `document.querySelectorAll("#shapes > :not([data-vz-canvas])").length`); n != 0 {
		t.Fatalf("the canvas group keeps %d DOM children", n)
	}
	if n := Eval[int](t, ps, `document.querySelectorAll("#shapes > *").length`); n != 17 {
		t.Fatalf("the SVG group has %d children, want 17", n)
	}
	saveShot(t, "pixels-svg.png", svgShot)
	saveShot(t, "pixels-canvas.png", canvasShot)
	const tol = 64
	over, worst, d := imgDiff(svgShot, canvasShot, tol)
	saveShot(t, "pixels-diff.png", d)
	total := svgShot.Bounds().Dx() * svgShot.Bounds().Dy()
	t.Logf("%d of %d pixels differ by more than %d (worst %d)", over, total, tol, worst)
	// Edges: text hinting and the rounding of curves differ by a pixel
	// here and there; a missing or misplaced shape is thousands.
	if over > 100 {
		t.Errorf("%d pixels differ by more than %d between the SVG and the canvas drawing (see -canvas-shots)", over, tol)
	}
	// The test can fail: without the canvas drawing the same page differs.
	Must(t, pc, pc.Eval(Ctx(t), `document.querySelector("#shapes canvas").style.visibility = "hidden"`, nil))
	blank := shot(t, pc)
	if n, _, _ := imgDiff(svgShot, blank, tol); n < 5000 {
		t.Fatalf("the page without the canvas differs from SVG in only %d pixels: the comparison proves nothing", n)
	}
	NoPageErrors(t, ps)
	NoPageErrors(t, pc)
}

// hits is the scene of the hit-testing tests: overlapping circles, a
// rotated rectangle in nested groups, a draggable circle, all in a canvas
// group, with an SVG rectangle over part of it and a background below.
type hits struct {
	s                *scene.Scene
	a, b, rot, drag  *scene.Node
	cover, bg, layer *scene.Node
	clicks           []string // "id x y" per click
	hovers           []string // "+id" / "-id"
	drags            []scene.Drag
	wheels           []string
}

func newHits() *hits {
	h := &hits{s: scene.New(scene.Options{Width: 400, Height: 200})}
	root := h.s.Root()
	h.bg = root.Rect(0, 0, 400, 200, `id="bg"`, "fill:#eef")
	h.layer = root.Group(`id="layer"`).Canvas()
	h.a = h.layer.Circle(80, 100, 30, `id="a"`, "fill:#c33;cursor:pointer")
	h.b = h.layer.Circle(120, 100, 30, `id="b"`, "fill:#33c;fill-opacity:.8")
	g := h.layer.Group(`transform="translate(250,60)"`).Group(`id="rg"`, `transform="rotate(45)"`)
	h.rot = g.Rect(-40, -8, 80, 16, `id="rot"`, "fill:#3a3")
	h.drag = h.layer.Circle(330, 150, 20, `id="drag"`, "fill:#fa0;stroke:#000;stroke-width:6")
	h.cover = root.Rect(180, 150, 60, 40, `id="cover"`, "fill:#888")
	h.layer.Circle(210, 150, 25, `id="under"`, "fill:#0aa") // partly under cover
	click := func(n *scene.Node) func(scene.Pointer) {
		return func(p scene.Pointer) {
			h.clicks = append(h.clicks, fmt.Sprintf("%s %.1f %.1f", p.Target.ID(), p.X, p.Y))
		}
	}
	for _, n := range []*scene.Node{h.a, h.b, h.rot, h.cover, h.bg} {
		n.OnClick(click(n))
	}
	h.s.ByID("under").OnClick(click(nil))
	h.a.OnHover(func(e scene.Hover) {
		h.hovers = append(h.hovers, map[bool]string{true: "+", false: "-"}[e.In]+e.Target.ID())
	})
	h.drag.OnDrag(func(d scene.Drag) {
		h.drags = append(h.drags, d)
		h.drag.SetXY(d.X, d.Y)
	})
	h.b.OnWheel(func(w scene.Wheel) { h.wheels = append(h.wheels, fmt.Sprintf("%s %.0f", w.Target.ID(), w.DY)) })
	return h
}

func (h *hits) lastClick(t *testing.T, want int) string {
	t.Helper()
	SimUntil(t, h.s, fmt.Sprintf("%d clicks in Go", want), func() bool { return len(h.clicks) >= want })
	return Sim(t, h.s, func() string { return h.clicks[len(h.clicks)-1] })
}

// TestCanvasEvents: clicks, hover, drag and wheel on records drawn on a
// canvas reach their Go handlers with the right node and the scene
// coordinates of the pointer, through a rotated nested group; the
// topmost of two overlapping records wins, an SVG element over the
// canvas takes its own clicks, and empty canvas lets them through to what
// is below.
func TestCanvasEvents(t *testing.T) {
	t.Parallel()
	h := newHits()
	site := Serve(t, h.s)
	p := Open(t, browser.ForTest(t), site.URL+"/")
	WaitFor(t, p, `vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0`)
	n := 0
	click := func(what string, x, y float64, want string) {
		t.Helper()
		vx, vy := SceneToViewport(t, p, x, y)
		Must(t, p, p.Click(Ctx(t), vx, vy))
		n++
		got := h.lastClick(t, n)
		var id string
		var gx, gy float64
		fmt.Sscanf(got, "%s %g %g", &id, &gx, &gy)
		if id != want || math.Abs(gx-x) > 0.6 || math.Abs(gy-y) > 0.6 {
			t.Errorf("click %s at (%g, %g): Go got %q, want %s at the same place", what, x, y, got, want)
		}
	}
	click("on a alone", 60, 100, "a")
	click("where b overlaps a", 100, 100, "b") // b is drawn later: topmost
	click("on b alone", 140, 110, "b")
	// Along the rotated rectangle's axis, outside its unrotated box.
	click("on the rotated rect", 250+30*math.Cos(math.Pi/4), 60+30*math.Sin(math.Pi/4), "rot")
	click("beside the rotated rect", 250+30, 60, "bg")
	click("on the SVG rect over the canvas", 200, 170, "cover")
	click("on the record beside it", 210, 135, "under")
	click("on empty canvas", 20, 20, "bg")

	// Hover: into a, then to b's part (b is on top: a is left).
	move := func(x, y float64) {
		t.Helper()
		vx, vy := SceneToViewport(t, p, x, y)
		Must(t, p, p.Mouse(Ctx(t), browser.MouseEvent{Type: "mouseMoved", X: vx, Y: vy}))
	}
	// The clicks above moved the pointer into a and out of it (b covers a at 100, 100).
	if got := Sim(t, h.s, func() string { return fmt.Sprint(h.hovers) }); got != "[+a -a]" {
		t.Errorf("hovers while clicking %s, want [+a -a]", got)
	}
	move(20, 20)
	if c := Eval[string](t, p, `getComputedStyle(document.getElementById("bg")).cursor`); c != "auto" {
		t.Errorf("cursor over the background: %q, want auto", c)
	}
	move(60, 100)
	SimUntil(t, h.s, "hover into a", func() bool { return len(h.hovers) >= 3 })
	// The record's cursor shows over it, though the element under the pointer is the background.
	if c := Eval[string](t, p, `getComputedStyle(document.getElementById("bg")).cursor`); c != "pointer" {
		t.Errorf("cursor over a: %q, want pointer", c)
	}
	move(140, 100)
	SimUntil(t, h.s, "hover out of a", func() bool { return len(h.hovers) >= 4 })
	if got := Sim(t, h.s, func() string { return fmt.Sprint(h.hovers) }); got != "[+a -a +a -a]" {
		t.Errorf("hovers %s, want [+a -a +a -a]", got)
	}

	// Wheel on b.
	vx, vy := SceneToViewport(t, p, 140, 100)
	Must(t, p, p.Wheel(Ctx(t), vx, vy, 0, 120))
	SimUntil(t, h.s, "a wheel on b", func() bool { return len(h.wheels) == 1 })
	if got := Sim(t, h.s, func() string { return h.wheels[0] }); got != "b 120" {
		t.Errorf("wheel: Go got %q, want b 120", got)
	}

	// Drag the circle by its stroke's outer edge to (60, 40): the pointer
	// is captured, so the moves that leave the circle still go to it.
	x0, y0 := SceneToViewport(t, p, 330+22, 150)
	x1, y1 := SceneToViewport(t, p, 60, 40)
	Must(t, p, p.Drag(Ctx(t), x0, y0, x1, y1, 8))
	SimUntil(t, h.s, "the drag's end", func() bool { return len(h.drags) > 0 && h.drags[len(h.drags)-1].Phase == scene.DragEnd })
	ds := Sim(t, h.s, func() []scene.Drag { return append([]scene.Drag(nil), h.drags...) })
	first, last := ds[0], ds[len(ds)-1]
	if first.Phase != scene.DragStart || math.Abs(first.X-352) > 0.6 || math.Abs(first.Y-150) > 0.6 || first.Target.ID() != "drag" {
		t.Errorf("drag start %+v, want at (352, 150) on drag", first)
	}
	if math.Abs(last.X-60) > 0.6 || math.Abs(last.Y-40) > 0.6 || len(ds) < 4 {
		t.Errorf("drag of %d events ends at (%g, %g), want (60, 40)", len(ds), last.X, last.Y)
	}
	NoPageErrors(t, p)
}

// patched is a scene for TestCanvasPatches: a few records the test
// changes with every kind of op, the same way in two scenes.
type patched struct {
	s                 *scene.Scene
	g, c1, c2, c3, tx *scene.Node
	bg, ln            *scene.Node
	step              int
	canvas            bool
}

func newPatched(canvas bool) *patched {
	p := &patched{s: scene.New(scene.Options{Width: 400, Height: 300}), canvas: canvas}
	root := p.s.Root()
	p.bg = root.Rect(0, 0, 400, 300, `id="bg"`, "fill:#fff")
	p.g = root.Group(`id="g"`)
	if canvas {
		p.g.Canvas()
	}
	p.c1 = p.g.Circle(100, 100, 40, "fill:#c33")
	p.c2 = p.g.Circle(150, 110, 40, "fill:#33c")
	p.c3 = p.g.Rect(250, 50, 80, 60, "fill:#3a3")
	p.tx = p.g.Text(40, 250, "before", "font-size:24px;fill:#222")
	p.ln = p.g.Polyline([]float64{20, 60}, []float64{280, 200}, "fill:none;stroke:#960;stroke-width:6")
	return p
}

// do changes both scenes with fn and waits until both pages show it.
func (p *patched) do(t *testing.T, other *patched, pages []*browser.Page, fn func(*patched)) {
	t.Helper()
	for _, q := range []*patched{p, other} {
		Sim(t, q.s, func() bool {
			fn(q)
			q.step++
			q.bg.Set("data-step", fmt.Sprint(q.step))
			return true
		})
	}
	for _, pg := range pages {
		WaitFor(t, pg, fmt.Sprintf(`document.getElementById("bg").getAttribute("data-step") === "%d"`, p.step))
	}
}

// TestCanvasPatches: each kind of op on canvas records (move, attribute,
// number, text, transform, remove, create, raise) shows in the drawing
// as it does in SVG.
func TestCanvasPatches(t *testing.T) {
	t.Parallel()
	ps, pc := newPatched(false), newPatched(true)
	sites := []*Site{Serve(t, ps.s), Serve(t, pc.s)}
	var pages []*browser.Page
	for _, site := range sites {
		// A browser each: a page in a background tab is not drawn.
		pg := Open(t, browser.ForTest(t), site.URL+"/")
		sceneViewport(t, pg)
		pages = append(pages, pg)
	}
	WaitFor(t, pages[1], `vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0`)
	steps := []struct {
		name string
		fn   func(*patched)
	}{
		{"move", func(q *patched) { q.c1.SetXY(60, 180) }},
		{"attributes", func(q *patched) { q.c2.Set("fill", "#0a0").SetNum("r", 55).SetStyle("stroke:#000;stroke-width:4") }},
		{"text", func(q *patched) { q.tx.SetText("after, longer") }},
		{"transform", func(q *patched) { q.c3.SetTransform("rotate(20 290 80)") }},
		{"raise", func(q *patched) { q.c1.SetXY(120, 120).Raise() }},
		{"append points", func(q *patched) { q.ln.AppendPoints(120, 280, 200, 190, 380, 290).TrimPoints(1) }},
		{"remove", func(q *patched) { q.c2.Remove() }},
		{"create", func(q *patched) {
			sub := q.g.Group(`transform="translate(300,200) scale(2)"`)
			sub.Polygon([]float64{0, 30, 15}, []float64{0, 0, 25}, "fill:orange;stroke:#630")
			q.g.Ellipse(200, 60, 50, 20, "fill:purple;fill-opacity:.5").Lower()
		}},
		{"create a layer", func(q *patched) {
			l := q.s.Root().Group(`id="late"`)
			if q.canvas {
				l.Canvas()
			}
			l.Rect(20, 20, 60, 40, "fill:#09c;stroke:#000")
			l.Text(50, 80, "late", `text-anchor="middle"`, "font-size:16px")
		}},
	}
	var before image.Image
	for i, st := range steps {
		ps.do(t, pc, pages, st.fn)
		svgShot, canvasShot := shot(t, pages[0]), shot(t, pages[1])
		over, worst, d := imgDiff(svgShot, canvasShot, 64)
		saveShot(t, fmt.Sprintf("patch-%d-%s-canvas.png", i, st.name), canvasShot)
		if over > 100 {
			saveShot(t, fmt.Sprintf("patch-%d-%s-diff.png", i, st.name), d)
			t.Errorf("after %s: %d pixels differ between SVG and canvas (worst %d)", st.name, over, worst)
		}
		if before != nil {
			if n, _, _ := imgDiff(before, canvasShot, 64); n < 200 {
				t.Errorf("after %s: the canvas drawing changed in only %d pixels", st.name, n)
			}
		}
		before = canvasShot
	}
	if n := Eval[int](t, pages[1], `vizserve.canvas.layers`); n != 2 {
		t.Errorf("%d canvas layers after a marked group was created, want 2", n)
	}
	if n := Eval[int](t, pages[1], `document.querySelectorAll("#g > :not([data-vz-canvas]), #late > :not([data-vz-canvas])").length`); n != 0 {
		t.Errorf("the canvas group has %d DOM children after the patches", n)
	}
	for _, pg := range pages {
		NoPageErrors(t, pg)
	}
}

// FuzzCanvasTransform holds the canvas layers' transform parser
// (canvas.ts, parseTransform) to the browser's own reading of the same
// transform attribute: the matrix it consolidates to, or the identity
// when it refuses the list. The seeds run with go test; go test -fuzz
// runs the browser for every input (slow, but it is the reference).
func FuzzCanvasTransform(f *testing.F) {
	for _, s := range []string{
		"", "translate(10,20)", "translate(10)", "rotate(30)", "rotate(30 5 6)", "scale(2)", "scale(2,3)",
		"matrix(1,2,3,4,5,6)", "skewX(10) skewY(-20)", "translate(1,2) rotate(3) scale(4)",
		"translate(1 2)rotate(3)", " translate( 1 , 2 ) , scale(2) ", "translate(1e2,-.5e-1)",
		"translate(1,2", "translate()", "rotate(1,2)", "foo(1)", "scale(1,2,3)", "translate(1,,2)",
		"translate(1,2) x", ",translate(1)", "translate(.5.5)", "translate(5.)", "TRANSLATE(1)",
	} {
		f.Add(s)
	}
	s := scene.New(scene.Options{Width: 10, Height: 10})
	site := Serve(f, s)
	p := Open(f, browser.ForTest(f), site.URL+"/")
	f.Fuzz(func(t *testing.T, tr string) {
		var got struct {
			Ours, Theirs []float64
		}
		js := fmt.Sprintf(`(() => {
			const s = %s;
			const g = document.createElementNS("http://www.w3.org/2000/svg", "g");
			g.setAttribute("transform", s);
			const l = g.transform.baseVal;
			const m = l.numberOfItems ? l.consolidate().matrix : {a: 1, b: 0, c: 0, d: 1, e: 0, f: 0};
			return {Ours: [...vizserve.parseTransform(s)], Theirs: [m.a, m.b, m.c, m.d, m.e, m.f]};
		})()`, jsString(tr))
		if err := p.Eval(Ctx(t), js, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Ours) != 6 || len(got.Theirs) != 6 {
			t.Fatalf("%q: %v", tr, got)
		}
		for i := range 6 {
			a, b := got.Ours[i], got.Theirs[i]
			// The browser keeps float32 matrices.
			if math.Abs(a-b) > 1e-4*math.Max(1, math.Abs(b)) && !(math.IsNaN(a) && math.IsNaN(b)) {
				t.Fatalf("transform %q: ours %v, the browser's %v", tr, got.Ours, got.Theirs)
			}
		}
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
