package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
)

// features are the SVG features canvas records draw beyond plain shapes:
// each builds its part of a scene into the group g (drawn on a canvas or
// as SVG) and defs (outside the group), and says how many pixels may
// differ from SVG's drawing (edges; a blur's approximation).
var features = []struct {
	name  string
	build func(root, defs, g *scene.Node)
	tol   int
}{
	{"group-opacity", func(root, defs, g *scene.Node) {
		// Overlapping circles in a translucent group: one layer, so the overlap is not darker.
		o := g.Group(`opacity="0.5"`)
		o.Circle(100, 150, 70, "fill:#c00")
		o.Circle(170, 150, 70, "fill:#00c")
		// A record with fill and stroke: its stroke over its fill does not show the fill.
		g.Circle(320, 150, 60, "fill:#0a0;stroke:#000;stroke-width:30;opacity:0.5")
		// Nested: 0.5 × 0.6, one layer each.
		n := g.Group(`opacity="0.5"`).Group(`opacity="0.6"`)
		n.Rect(420, 80, 120, 120, "fill:#f80")
		n.Rect(480, 140, 120, 120, "fill:#08f")
		// A lone shape: its opacity multiplies (no layer needed).
		g.Group(`opacity="0.3"`).Rect(650, 80, 100, 160, "fill:#606")
	}, 100},
	{"gradients", func(root, defs, g *scene.Node) {
		lg := defs.El("linearGradient", `id="lg"`)
		lg.El("stop", `offset="0"`, `stop-color="#c00"`)
		lg.El("stop", `offset="0.5"`, `stop-color="#fd0"`)
		lg.El("stop", `offset="100%"`, "stop-color:#00c;stop-opacity:0.4")
		rg := defs.El("radialGradient", `id="rg"`, `cx="0.4"`, `cy="0.4"`, `r="0.6"`, `fx="0.3"`, `fy="0.3"`)
		rg.El("stop", `offset="0"`, `stop-color="#fff"`)
		rg.El("stop", `offset="1"`, `stop-color="#063"`)
		us := defs.El("linearGradient", `id="us"`, `gradientUnits="userSpaceOnUse"`, `x1="0"`, `y1="0"`, `x2="800"`, `y2="0"`, `gradientTransform="rotate(20)"`)
		us.El("stop", `offset="0"`, `stop-color="#0aa"`)
		us.El("stop", `offset="1"`, `stop-color="#a0a"`)
		defs.El("linearGradient", `id="inh"`, `href="#lg"`, `x2="0"`, `y2="1"`)
		g.Rect(30, 30, 220, 120, "fill:url(#lg)")
		g.Ellipse(420, 100, 140, 70, `fill="url(#rg)"`)
		g.Rect(600, 30, 170, 240, "fill:url(#us);stroke:url(#lg);stroke-width:16")
		g.Circle(140, 300, 90, "fill:url(#inh)")
		g.Rect(300, 220, 200, 100, "fill:url(#missing) #777")
		g.Text(30, 480, "Gradient text", "font:bold 60px sans-serif;fill:url(#lg)")
		// A gradient defined in the canvas group itself.
		own := g.El("defs").El("radialGradient", `id="own"`, `gradientUnits="userSpaceOnUse"`, `cx="650"`, `cy="450"`, `r="100"`)
		own.El("stop", `offset="0"`, `stop-color="#ff0"`)
		own.El("stop", `offset="1"`, `stop-color="#f00"`)
		g.Rect(550, 350, 200, 200, "fill:url(#own)")
	}, 100},
	{"patterns", func(root, defs, g *scene.Node) {
		p := defs.El("pattern", `id="dots"`, `patternUnits="userSpaceOnUse"`, `width="40"`, `height="40"`)
		p.Rect(0, 0, 40, 40, "fill:#ffe")
		p.Circle(20, 20, 10, "fill:#c33")
		b := defs.El("pattern", `id="stripes"`, `width="0.25"`, `height="0.25"`)
		b.Rect(0, 0, 30, 15, "fill:#36c")
		g.Rect(40, 40, 320, 240, "fill:url(#dots);stroke:#000;stroke-width:2")
		g.Rect(420, 40, 240, 240, "fill:url(#stripes)")
		g.Circle(200, 420, 120, `fill="url(#dots)"`, `transform="rotate(15 200 420)"`)
	}, 100},
	{"clip-path", func(root, defs, g *scene.Node) {
		defs.El("clipPath", `id="band"`).Rect(0, 100, 800, 120)
		c := defs.El("clipPath", `id="disc"`)
		c.Circle(560, 200, 120)
		defs.El("clipPath", `id="half"`, `clipPathUnits="objectBoundingBox"`).Rect(0, 0, 0.5, 1)
		g.Circle(160, 160, 120, "fill:#c60", `clip-path="url(#band)"`)
		grp := g.Group(`clip-path="url(#disc)"`)
		for i := range 8 {
			grp.Rect(420+float64(i)*36, 60, 18, 300, fmt.Sprintf("fill:hsl(%d,70%%,45%%)", i*45))
		}
		g.Ellipse(200, 430, 160, 80, "fill:#393;clip-path:url(#half)")
	}, 100},
	{"use", func(root, defs, g *scene.Node) {
		star := defs.El("g", `id="star"`)
		star.Polygon([]float64{0, 12, 50, 18, 30, 0, -30, -18, -50, -12}, []float64{-50, -15, -15, 8, 45, 25, 45, 8, -15, -15}, "stroke:#000;stroke-width:3")
		sym := defs.El("symbol", `id="sym"`, `viewBox="0 0 10 10"`)
		sym.Circle(5, 5, 4, "fill:#09c")
		g.Use(100, 120, "star", "fill:#fc0")
		g.Use(260, 120, "star", "fill:#c0f", `transform="rotate(20 260 120)"`)
		g.Use(380, 60, "sym", `width="120"`, `height="120"`)
		mine := g.El("defs").Rect(0, 0, 60, 30, `id="brick"`, "fill:#a33")
		_ = mine
		for i := range 4 {
			g.Use(100+float64(i)*70, 300, "brick")
		}
	}, 100},
	{"tspan", func(root, defs, g *scene.Node) {
		t := g.Text(60, 100, "Plain ", "font:40px sans-serif;fill:#222")
		t.El("tspan", "font-weight:bold;fill:#c00").SetText("bold ")
		t.El("tspan", `dy="20"`, "fill:#06c").SetText("lower")
		m := g.Text(400, 250, "Mid ", `text-anchor="middle"`, "font:36px sans-serif")
		m.El("tspan", "fill:#090").SetText("anchored")
		n := g.Text(60, 400, "Line one", "font:30px serif")
		n.El("tspan", `x="60"`, `dy="40"`).SetText("line two")
	}, 100},
	{"markers", func(root, defs, g *scene.Node) {
		arrow := defs.El("marker", `id="arrow"`, `viewBox="0 0 10 10"`, `refX="10"`, `refY="5"`, `markerWidth="6"`, `markerHeight="6"`, `orient="auto-start-reverse"`)
		arrow.Path("M0,0 L10,5 L0,10 z", "fill:#c00")
		dot := defs.El("marker", `id="dot"`, `markerWidth="8"`, `markerHeight="8"`, `refX="4"`, `refY="4"`, `markerUnits="userSpaceOnUse"`)
		dot.Circle(4, 4, 4, "fill:#06c")
		g.Line(60, 80, 360, 160, "stroke:#333;stroke-width:3;marker-end:url(#arrow);marker-start:url(#arrow)")
		g.Polyline([]float64{420, 500, 580, 660, 740}, []float64{160, 60, 160, 60, 160}, "fill:none;stroke:#333;stroke-width:2;marker-mid:url(#dot);marker-end:url(#arrow)")
		g.Path("M80,300 C180,200 280,400 380,300 S560,200 700,320", `fill="none"`, `stroke="#393"`, `stroke-width="4"`, `marker-start="url(#dot)"`, `marker-mid="url(#dot)"`, `marker-end="url(#arrow)"`)
		g.Polygon([]float64{200, 300, 250}, []float64{400, 400, 500}, "fill:#eee;stroke:#000;marker-mid:url(#dot)")
	}, 100},
	{"filter", func(root, defs, g *scene.Node) {
		defs.El("filter", `id="blur"`, `x="-50%"`, `y="-50%"`, `width="200%"`, `height="200%"`).El("feGaussianBlur", `stdDeviation="6"`)
		defs.El("filter", `id="shadow"`, `x="-50%"`, `y="-50%"`, `width="200%"`, `height="200%"`).El("feDropShadow", `dx="8"`, `dy="8"`, `stdDeviation="4"`, `flood-color="#000"`, `flood-opacity="0.5"`)
		g.Circle(160, 160, 80, "fill:#c30", `filter="url(#blur)"`)
		sh := g.Group(`filter="url(#shadow)"`)
		sh.Rect(340, 80, 160, 160, "fill:#39c")
		sh.Circle(500, 240, 60, "fill:#fc0")
	}, 100},
	{"units", func(root, defs, g *scene.Node) {
		g.El("circle", `cx="25%"`, `cy="30%"`, `r="10%"`, "fill:#c33")
		g.El("rect", `x="50%"`, `y="10%"`, `width="30%"`, `height="25%"`, "fill:#36c")
		t := g.Group(`font-size="20"`)
		t.Text(60, 400, "Two em", `font-size="2em"`, "fill:#222")
		t.El("rect", `x="400"`, `y="350"`, `width="10em"`, `height="4em"`, "fill:none;stroke:#093;stroke-width:0.5em")
		t.El("line", `x1="5%"`, `y1="90%"`, `x2="95%"`, `y2="90%"`, "stroke:#000;stroke-width:1%")
	}, 100},
}

// featureScene is the scene of one feature at 800×600, its group drawn on
// a canvas if canvas is set.
func featureScene(build func(root, defs, g *scene.Node), canvas bool) *scene.Scene {
	s := scene.New(scene.Options{Width: 800, Height: 600})
	root := s.Root()
	root.Rect(0, 0, 800, 600, `id="bg"`, "fill:#fff")
	defs := root.El("defs")
	g := root.Group(`id="feat"`)
	if canvas {
		g.Canvas()
	}
	build(root, defs, g)
	return s
}

// TestCanvasFeatures: each SVG feature of canvas records (group opacity
// composited as one layer, gradients, patterns, clip paths, use, tspan,
// markers, filters, em and % lengths) looks as SVG draws it, pixel by
// pixel; and each would fail without its drawing.
func TestCanvasFeatures(t *testing.T) {
	t.Parallel()
	b := browser.ForTest(t)
	var pairs []image.Image
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			_, svgShot := screenshotScene(t, b, featureScene(f.build, false), 0)
			pc, canvasShot := screenshotScene(t, b, featureScene(f.build, true), 1)
			saveShot(t, "feature-"+f.name+"-svg.png", svgShot)
			saveShot(t, "feature-"+f.name+"-canvas.png", canvasShot)
			over, worst, d := imgDiff(svgShot, canvasShot, 64)
			t.Logf("%d pixels differ by more than 64 (worst %d)", over, worst)
			if over > f.tol {
				saveShot(t, "feature-"+f.name+"-diff.png", d)
				t.Errorf("%s: %d pixels differ between the SVG and the canvas drawing, at most %d may (see -canvas-shots)", f.name, over, f.tol)
			}
			Must(t, pc, pc.Eval(Ctx(t), `document.querySelector("#feat canvas").style.visibility = "hidden"`, nil))
			if n, _, _ := imgDiff(svgShot, shot(t, pc), 64); n < 20*f.tol {
				t.Errorf("%s: without the canvas the page differs in only %d pixels: the comparison proves little", f.name, n)
			}
			NoPageErrors(t, pc)
			pairs = append(pairs, svgShot, canvasShot)
		})
	}
	if *canvasShots != "" && len(pairs) == 2*len(features) {
		saveShot(t, "features.png", sideBySide(pairs))
	}
	// The docs' picture: SVG (left) and canvas (right) of a few features.
	if *featuresPicture && len(pairs) == 2*len(features) {
		var some []image.Image
		for i, f := range features {
			switch f.name {
			case "gradients", "clip-path", "markers", "filter":
				some = append(some, pairs[2*i], pairs[2*i+1])
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, sideBySide(some)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../../../docs/img/canvas-features.png", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var featuresPicture = flag.Bool("canvas-features-picture", false, "write docs/img/canvas-features.png from TestCanvasFeatures")

// sideBySide lays out pairs of screenshots (SVG, canvas) in rows, each
// scaled to half size.
func sideBySide(imgs []image.Image) image.Image {
	const w, h = 400, 300
	out := image.NewRGBA(image.Rect(0, 0, 2*w, h*len(imgs)/2))
	for i, im := range imgs {
		x0, y0 := (i%2)*w, (i/2)*h
		for y := range h {
			for x := range w {
				out.Set(x0+x, y0+y, im.At(im.Bounds().Min.X+2*x, im.Bounds().Min.Y+2*y))
			}
		}
	}
	var _ draw.Image = out
	return out
}
