package e2e

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
)

// clutter is a canvas group of n records of every kind that hit testing
// knows, overlapping, some in transformed groups, some hidden, some with
// pointer-events none, seeded so that each run is the same scene.
func clutter(n int, seed uint64) (*scene.Scene, []*scene.Node) {
	s := scene.New(scene.Options{Width: 600, Height: 400})
	root := s.Root()
	root.Rect(0, 0, 600, 400, `id="bg"`, "fill:#fff")
	layer := root.Group(`id="layer"`).Canvas()
	rng := rand.New(rand.NewPCG(seed, 1))
	f := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	var all []*scene.Node
	parent := layer
	for i := range n {
		if i%40 == 0 {
			parent = layer.Group(fmt.Sprintf(`transform="translate(%.1f,%.1f) rotate(%.0f) scale(%.2f)"`, f(-50, 50), f(-50, 50), f(-30, 30), f(0.7, 1.4)))
		}
		if i%3 == 0 {
			parent = layer
		}
		x, y := f(0, 600), f(0, 400)
		var nd *scene.Node
		switch i % 7 {
		case 0:
			nd = parent.Circle(x, y, f(2, 20), "fill:#c33")
		case 1:
			nd = parent.Rect(x, y, f(2, 40), f(2, 30), "fill:#3c3;stroke:#000;stroke-width:3")
		case 2:
			nd = parent.Ellipse(x, y, f(2, 25), f(2, 10), "fill:#33c")
		case 3:
			nd = parent.Line(x, y, x+f(-40, 40), y+f(-40, 40), "stroke:#000;stroke-width:4")
		case 4:
			nd = parent.Path(fmt.Sprintf("M%.1f,%.1f q20,-30 40,0 t40,0 l-20,20 z", x, y), "fill:#fc3;stroke:#630")
		case 5:
			nd = parent.Polygon([]float64{x, x + 20, x + 10}, []float64{y, y, y - 18}, "fill:none;stroke:#609;stroke-width:5")
		default:
			nd = parent.Text(x, y, "txt", "font:14px sans-serif")
		}
		switch {
		case i%23 == 0:
			nd.Set("display", "none")
		case i%29 == 0:
			nd.Set("pointer-events", "none")
		}
		all = append(all, nd)
	}
	return s, all
}

// TestCanvasHitGrid: the grid finds the same record as a scan of every
// record in paint order, at thousands of points over a cluttered layer,
// before and after records move, grow, are raised, removed and created.
func TestCanvasHitGrid(t *testing.T) {
	t.Parallel()
	s, all := clutter(1500, 7)
	site := Serve(t, s)
	p := Open(t, browser.ForTest(t), site.URL+"/")
	WaitFor(t, p, `vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0`)
	rng := rand.New(rand.NewPCG(3, 3))
	xs, ys := make([]float64, 4000), make([]float64, 4000)
	for i := range xs {
		xs[i], ys[i] = rng.Float64()*640-20, rng.Float64()*440-20
	}
	compare := func(when string) {
		t.Helper()
		var got struct{ Grid, Scan []int }
		Must(t, p, p.Eval(Ctx(t), fmt.Sprintf(`(() => {
			const xs = %s, ys = %s, c = vizserve.canvas;
			return {Grid: c.hits(xs, ys, false), Scan: c.hits(xs, ys, true)};
		})()`, jsonOf(xs), jsonOf(ys)), &got))
		hit, diff := 0, 0
		for i := range got.Grid {
			if got.Scan[i] != 0 {
				hit++
			}
			if got.Grid[i] != got.Scan[i] {
				if diff < 5 {
					t.Errorf("%s: at (%.1f, %.1f) the grid hits %d, the scan %d", when, xs[i], ys[i], got.Grid[i], got.Scan[i])
				}
				diff++
			}
		}
		// The comparison proves something only if many points hit.
		if hit < len(xs)/4 {
			t.Fatalf("%s: only %d of %d points hit a record", when, hit, len(xs))
		}
		t.Logf("%s: %d points hit, %d differ", when, hit, diff)
	}
	compare("at first")
	step := 0
	change := func(fn func()) {
		step++
		Sim(t, s, func() bool {
			fn()
			s.ByID("bg").Set("data-step", fmt.Sprint(step))
			return true
		})
		WaitFor(t, p, fmt.Sprintf(`document.getElementById("bg").getAttribute("data-step") === "%d"`, step))
	}
	change(func() {
		for i, n := range all {
			if i%2 == 0 {
				n.SetTransform(fmt.Sprintf("translate(%.1f,%.1f)", rng.Float64()*100-50, rng.Float64()*100-50))
			}
		}
	})
	compare("after moves")
	change(func() {
		for i, n := range all {
			switch i % 5 {
			case 0:
				n.Raise()
			case 1:
				n.Remove()
			case 2:
				if i%7 == 0 {
					n.SetNum("r", 60) // bigger than a cell
				}
			}
		}
		l := s.ByID("layer")
		for range 50 {
			l.Circle(rng.Float64()*600, rng.Float64()*400, 15, "fill:#0cc")
		}
	})
	compare("after raises, removals and creates")
	NoPageErrors(t, p)
}

func jsonOf(v []float64) string {
	b := []byte("[")
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%.3f", x)
	}
	return string(append(b, ']'))
}

// BenchmarkBrowserHitTest: the JavaScript time of one pointer event over
// a canvas layer of n moving circles (the movers scene), hit-tested with
// the grid and with a scan of every record (the way before the grid),
// one after the other in the same page: each sub-benchmark dispatches
// batches of pointermove events at random points of the layer, through
// the client's own listeners ("µs/event", which includes hover and
// cursor), and hit-tests the same points alone ("µs/hit"), and once
// after a batch has moved all n ("µs/hit-after-moves": with the grid,
// placing the moved records first, unless a draw did). "draws" reports
// the layer's JavaScript time per draw of the same page without a grid,
// with one and a resting pointer, and with one and a hit test in every
// frame (each draw then places the moves), in alternating rounds: what
// keeping the grid costs the moves. Run one n at a time with
// -bench 'BenchmarkBrowserHitTest/elements=20000/'; -benchtime=10x
// (10 batches of events, 10 rounds of 20 draws in each mode).
func BenchmarkBrowserHitTest(b *testing.B) {
	logMachine(b)
	br := browserForBench(b)
	for _, n := range []int{5000, 20000, 50000} {
		m := newMovers(n, false)
		m.layer.Canvas()
		site := serveForBench(b, m.s)
		p := openForBench(b, br, site.URL+"/")
		ctx, cancel := context.WithTimeout(context.Background(), Patience)
		if err := p.WaitFor(ctx, "vizserve.canvas.layers === 1 && vizserve.canvas.draws > 0"); err != nil {
			cancel()
			b.Fatal(err)
		}
		cancel()
		for _, mode := range []string{"scan", "grid"} {
			b.Run(fmt.Sprintf("elements=%d/events/%s", n, mode), func(b *testing.B) {
				b.ReportAllocs()
				ctx, cancel := context.WithTimeout(context.Background(), Patience)
				defer cancel()
				// Each b.N is a batch of events (20 for the scan, which takes
				// milliseconds each, 200 for the grid) and of hit tests
				// alone (vizserve.canvas.hits, without the client's event
				// handling); the page reports ms per event and per hit.
				k := 200
				if mode == "scan" {
					k = 20
				}
				var per, hits, after []float64
				for range b.N {
					var ms struct{ Event, Hit, After float64 }
					if err := p.Eval(ctx, fmt.Sprintf(`(() => {
						const c = vizserve.canvas, l = document.querySelector("#dots"), bg = document.getElementById("bg");
						const m = l.getScreenCTM(), W = %g, H = %g, scan = %v, k = %d;
						const ev = (x, y) => new PointerEvent("pointermove", {bubbles: true, clientX: m.a * x + m.c * y + m.e, clientY: m.b * x + m.d * y + m.f, pointerId: 1, pointerType: "mouse"});
						c.scan(scan);
						const evs = [], xs = [], ys = [];
						for (let i = 0; i < k; i++) {
							xs.push(Math.random() * W);
							ys.push(Math.random() * H);
							evs.push(ev(xs[i], ys[i]));
						}
						bg.dispatchEvent(evs[0]); // builds the grid, out of the timing
						let t0 = performance.now();
						for (const e of evs) bg.dispatchEvent(e);
						const event = (performance.now() - t0) / k;
						t0 = performance.now();
						c.hits(xs, ys, scan);
						const hit = (performance.now() - t0) / k;
						// The first hit after a batch of moves: it places every moved record first.
						return new Promise(done => {
							const seq = vizserve.seq;
							const wait = () => {
								if (vizserve.seq === seq) return requestAnimationFrame(wait);
								const t1 = performance.now();
								c.hits([xs[0]], [ys[0]], scan);
								done({Event: event, Hit: hit, After: performance.now() - t1});
							};
							requestAnimationFrame(wait);
						});
					})()`, moversW, moversH, mode == "scan", k), &ms); err != nil {
						b.Fatal(err)
					}
					per = append(per, ms.Event)
					hits = append(hits, ms.Hit)
					after = append(after, ms.After)
				}
				b.ReportMetric(median(hits)*1000, "µs/hit")
				b.ReportMetric(median(after)*1000, "µs/hit-after-moves")
				b.ReportMetric(median(per)*1000, "µs/event")
			})
		}
		b.Run(fmt.Sprintf("elements=%d/draws", n), func(b *testing.B) {
			// Rounds of 20 draws without a grid and with one, alternating
			// in the same page, so that the machine's load drifts alike
			// over both.
			ctx, cancel := context.WithTimeout(context.Background(), 3*Patience)
			defer cancel()
			// Modes: no grid; a grid and a resting pointer (the moves are
			// only marked); a grid and a hit test in every frame (each
			// draw places the moves).
			modes := []string{"scan", "idle", "pointer"}
			per := map[string][]float64{}
			for i := range len(modes) * max(2, b.N) {
				mode := modes[i%len(modes)]
				var ms float64
				if err := p.Eval(ctx, fmt.Sprintf(`new Promise(done => {
					const c = vizserve.canvas, mode = %q;
					c.scan(mode === "scan");
					if (mode !== "scan") c.hits([1], [1], false); // builds the grid
					const d0 = c.draws, m0 = c.drawMs;
					const wait = () => {
						const s = vizserve.canvas;
						if (s.draws < d0 + 20) {
							if (mode === "pointer") c.hits([500], [350], false);
							return requestAnimationFrame(wait);
						}
						done((s.drawMs - m0) / (s.draws - d0));
					};
					requestAnimationFrame(wait);
				})`, mode), &ms); err != nil {
					b.Fatal(err)
				}
				per[mode] = append(per[mode], ms)
			}
			sc := median(per["scan"])
			for _, m := range modes {
				b.ReportMetric(median(per[m]), "ms/draw-"+m)
			}
			b.ReportMetric(median(per["pointer"])/sc, "pointer/scan")
		})
	}
}

// FuzzCanvasPathInfo holds the canvas layers' path reader (canvas.ts,
// pathInfo: the boxes of hit testing, the vertices of markers) to the
// browser's reading of the same d: its box holds the browser's bounding
// box of the path, and its last vertex is where the browser's path
// ends. The seeds run with go test; go test -fuzz runs the browser for
// every input.
func FuzzCanvasPathInfo(f *testing.F) {
	for _, d := range []string{
		"M10,10 L90,90", "M0 0 h10 v10 h-10 z", "m5,5 l10,0 0,10 -10,0z m20,0 l5,5",
		"M10,80 C40,10 65,10 95,80 S150,150 180,80", "M10,80 Q52.5,10 95,80 T180,80",
		"M10 10 A30 30 0 0 1 50 50", "M10,10 a20,10 30 1,0 40,0", "M1e1-5L.5.5", "M10,10 L20,20 x 30,30",
		"L10,10", "M,10,10", "M10 10 20 20 30 5", "M0,0 Z L10,10", "M 0 0 C 1 2 3", "", "M5 5",
		"M0 0a10 10 0 1010 0", "M3,4 v-2e1 h+1.5",
	} {
		f.Add(d)
	}
	s := scene.New(scene.Options{Width: 10, Height: 10})
	site := Serve(f, s)
	p := Open(f, browser.ForTest(f), site.URL+"/")
	f.Fuzz(func(t *testing.T, d string) {
		var got struct {
			Box         []float64
			Verts       int
			EX, EY      float64
			Theirs      []float64
			Len, TX, TY float64
			Drawn       bool
		}
		js := fmt.Sprintf(`(() => {
			const d = %s;
			const info = vizserve.canvas.pathInfo(d);
			const svg = document.querySelector("#vz-view > svg");
			const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
			p.setAttribute("d", d);
			svg.appendChild(p);
			const b = p.getBBox(), len = p.getTotalLength();
			const end = len > 0 ? p.getPointAtLength(len) : {x: 0, y: 0};
			p.remove();
			const last = info.verts[info.verts.length - 1];
			return {Box: info.box, Verts: info.verts.length, EX: last ? last.x : 0, EY: last ? last.y : 0,
				Theirs: [b.x, b.y, b.x + b.width, b.y + b.height], Len: len, TX: end.x, TY: end.y,
				Drawn: b.width > 0 || b.height > 0 || len > 0};
		})()`, jsString(d))
		if err := p.Eval(Ctx(t), js, &got); err != nil {
			t.Fatal(err)
		}
		if !got.Drawn {
			return
		}
		if got.Box == nil {
			t.Fatalf("path %q: the browser draws it (box %v), ours has no box", d, got.Theirs)
		}
		const eps = 1e-3
		tol := func(v float64) float64 { return eps * math.Max(1, math.Abs(v)) }
		b, th := got.Box, got.Theirs
		if th[0] < b[0]-tol(b[0]) || th[1] < b[1]-tol(b[1]) || th[2] > b[2]+tol(b[2]) || th[3] > b[3]+tol(b[3]) {
			t.Fatalf("path %q: our box %v does not hold the browser's %v", d, b, th)
		}
		// The end of a path's last subpath: a moveto alone adds no length, so only compare with length.
		if got.Len > 0 && (math.Abs(got.EX-got.TX) > 0.01*math.Max(1, math.Abs(got.TX)) || math.Abs(got.EY-got.TY) > 0.01*math.Max(1, math.Abs(got.TY))) {
			ends := got.Verts > 0
			if ends {
				t.Fatalf("path %q: our last vertex (%g, %g), the browser's path ends at (%g, %g)", d, got.EX, got.EY, got.TX, got.TY)
			}
		}
	})
}
