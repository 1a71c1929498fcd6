package web

// Tests of the browser client in headless Chromium, against the scripted
// server of harness_test.go. They skip without Chromium unless
// VIZSERVE_REQUIRE_PEERS=1.

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// world is the test scene: 400×300 CSS units showing a 200×150 viewBox, so
// that scene coordinates differ from the page's pixels.
type world struct {
	*sceneFixture
	ball, hot, label, box *scene.Node
	gravity, count        float64
	trails                bool
	mode, title           string
	drops                 int
	extraCSS              []string // for the page
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{gravity: 9.8, count: 3, trails: true, mode: "fast", title: "hello"}
	s := scene.New(scene.Options{Width: 400, Height: 300, ViewBox: "0 0 200 150"})
	s.Root().OnKeyDown(func(scene.Key) {}).OnKeyUp(func(scene.Key) {})
	s.Root().Rect(0, 0, 200, 150, `id="bg"`, "fill:#eef")
	w.box = s.Root().Group(`id="box"`)
	w.ball = s.Root().Circle(50, 40, 10, `id="ball"`, "fill:crimson").
		OnClick(func(scene.Pointer) {}).
		OnDrag(func(scene.Drag) {}).
		OnWheel(func(scene.Wheel) {})
	w.hot = s.Root().Rect(120, 90, 40, 30, `id="hot"`, "fill:orange").
		OnHover(func(scene.Hover) {}).
		OnDoubleClick(func(scene.Pointer) {})
	w.label = s.Root().Text(10, 140, "t = 0", `id="label"`)
	s.Slider("gravity", &w.gravity, 0, 20, 0.1).Label("Gravity")
	s.Number("count", &w.count)
	s.Toggle("trails", &w.trails)
	s.Button("drop", "r", func() { w.drops++ })
	s.Select("mode", &w.mode, "fast", "slow")
	s.TextInput("title", &w.title)
	w.sceneFixture = newFixture(t, s)
	return w
}

// start opens path on a harness serving the world, sends the keyframe on
// the connection the page opens, and waits until the client is live.
func (w *world) start(t *testing.T, path string) (*harness, *browser.Page, *viewer) {
	t.Helper()
	kf := w.keyframe(t)
	d := w.pageData()
	d.ExtraCSS = w.extraCSS
	h := newHarness(t, d)
	p := h.open(path)
	v := h.accept()
	v.send(t, kf)
	waitFor(t, p, `vizserve.state === "live"`)
	return h, p, v
}

// ties are float32 values halfway between two shortest decimals.
var ties = []float64{274.078125, -8091.53125, 19234.8125, -51520.5625, 140305.125, 1224.78125, 57.6015625}

func TestClientKeyframeAndOps(t *testing.T) {
	w := newWorld(t)
	kf := w.keyframe(t)
	h := newHarness(t, w.pageData())
	p := h.open("/")

	// Before any script ran, the server rendered the scene and the panel.
	if n := eval[int](t, p, `document.querySelectorAll("#vz-view #ball").length`); n != 1 {
		t.Fatalf("the page shows %d balls before the keyframe, want 1", n)
	}
	if n := eval[int](t, p, `document.querySelectorAll("#vz-controls [data-vz-control]").length`); n != 6 {
		t.Errorf("the panel has %d controls, want 6", n)
	}
	eval[any](t, p, `document.getElementById("ball").dataset.old = "1"`)

	v := h.accept()
	v.send(t, kf)
	waitFor(t, p, `vizserve.state === "live"`)
	if old := eval[bool](t, p, `document.getElementById("ball").dataset.old === "1"`); old {
		t.Error("the keyframe did not replace the server-rendered scene")
	}
	if s := eval[string](t, p, `document.getElementById("vz-status").textContent`); s != "live" {
		t.Errorf("the indicator says %q, want live", s)
	}
	sameDOM(t, p, w.mirror)

	// Count DOM lookups while ops apply: elements are found through the
	// handle table, never by query.
	eval[any](t, p, `(() => {
		window.vzView = document.getElementById("vz-view");
		window.lookups = 0;
		for (const [o, names] of [[Document.prototype, ["getElementById", "querySelector", "querySelectorAll", "getElementsByTagName"]], [Element.prototype, ["querySelector", "querySelectorAll", "getElementsByTagName"]]]) {
			for (const n of names) { const f = o[n]; o[n] = function(...a) { window.lookups++; return f.apply(this, a); }; }
		}
	})()`)

	steps := []struct {
		name   string
		change func()
	}{
		{"set-xy", func() { w.ball.SetXY(70, 60) }},
		{"set-attr", func() { w.ball.Set("fill", "navy").Set("data-note", `a "quoted" & <odd> value`) }},
		{"set-num", func() { w.ball.SetNum("r", 12.75) }},
		{"del-attr", func() { w.ball.Unset("data-note") }},
		{"set-text", func() { w.label.SetText("t = 1 & <more>") }},
		{"create", func() {
			w.box.Rect(1, 2, 3, 4, `id="r1"`, "fill:green")
			w.box.Circle(5, 6, 7, `id="c1"`).SetText("inner")
			w.box.Text(0, 0, "x", `id="t1"`)
		}},
		{"move raise", func() { w.s.ByID("bg").Raise() }},
		{"move reparent", func() { w.ball.AppendTo(w.box) }},
		{"move lower", func() { w.s.ByID("bg").Lower() }},
		{"remove", func() { w.s.ByID("r1").Remove() }},
		{"remove subtree", func() { w.box.Remove() }},
		{"translate", func() { w.hot.SetTransform("translate(1.5,-2)") }},
		{"pose after attr", func() { w.hot.SetPose(10.25, -3, 1.0/3) }},
		{"pose scaled", func() { w.hot.SetPoseScaled(-0.5, 1e6, 359.9, 0.75) }},
		{"attr after pose", func() { w.hot.SetTransform("rotate(5)") }},
		{"pose again", func() { w.hot.SetPose(0, 0, -90) }},
		{"pose on a new node", func() { w.s.Root().Path("M1,0 L-1,1 L-1,-1 Z", `id="arrow"`).SetPose(30, 40, 45) }},
		{"del after pose", func() { w.hot.Unset("transform") }},
		// Float32 values halfway between two shortest decimals: Go rounds
		// those to even, JavaScript's toPrecision away from zero.
		// (A create carries the scene's text: the values must come in
		// set-num and set-pose ops, which the client formats.)
		{"ties create", func() {
			g := w.s.Root().Group(`id="ties"`)
			for i := range ties {
				g.Rect(0, 0, 1, 1, fmt.Sprintf(`id="tie%d"`, i))
			}
		}},
		{"ties", func() {
			for i, v := range ties {
				w.s.ByID(fmt.Sprintf("tie%d", i)).SetNum("x", v).SetPose(v, -v, v)
			}
		}},
		{"point lists create", func() {
			w.s.Root().Polyline([]float64{0, 1}, []float64{0, 1}, `id="pl"`)
			w.s.Root().Path("", `id="pp"`)
		}},
		{"append-points", func() {
			for _, v := range ties {
				w.s.ByID("pl").AppendPoints(float32(v), float32(-v))
			}
			w.s.ByID("pp").AppendPoints(1, 2, 3.5, -4)
		}},
		{"trim-points", func() { w.s.ByID("pl").TrimPoints(3); w.s.ByID("pp").TrimPoints(1) }},
		{"replace last points", func() { w.s.ByID("pl").ReplaceLastPoints(2, 0.1, 0.2); w.s.ByID("pp").ReplaceLastPoints(5, 9, 9) }},
		{"append to an absent list", func() { w.s.ByID("hot").AppendPoints(1, 1) }},
	}
	for _, st := range steps {
		st.change()
		for _, b := range w.frame(t) {
			v.send(t, b)
		}
		sameDOM(t, p, w.mirror)
		if t.Failed() {
			t.Fatalf("after %s", st.name)
		}
	}
	if n := eval[int](t, p, `window.lookups`); n > 0 {
		t.Errorf("applying ops looked elements up %d times", n)
	}
	// Ops for the removed subtree's handles are ignored.
	v.send(t, &wire.Batch{Seq: 900, Ops: []wire.Op{{Code: wire.OpSetXY, Node: w.ball.Handle(), Pair: wire.PairCXY, X: 1, Y: 2}}})
	mark := v.mark()
	v.waitEvent(t, mark, wire.Ack)
	sameDOM(t, p, w.mirror)
	if got := eval[int](t, p, `document.querySelectorAll("#ball").length`); got != 0 {
		t.Errorf("the removed ball is still there (%d)", got)
	}
	noPageErrors(t, p)
}

func TestClientAcks(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	// Record which animation frame each ack leaves in.
	eval[any](t, p, `(() => {
		window.frameNo = 0;
		const tick = () => { window.frameNo++; requestAnimationFrame(tick); };
		requestAnimationFrame(tick);
		window.ackFrames = [];
		const send = WebSocket.prototype.send;
		WebSocket.prototype.send = function(m) {
			if (m instanceof Uint8Array && m[0] === 0x10) window.ackFrames.push(window.frameNo);
			return send.call(this, m);
		};
	})()`)
	mark := v.mark()
	seq := w.mirror.Seq()
	for i := range 20 {
		w.ball.SetXY(float64(i), float64(i))
		for _, b := range w.frame(t) {
			v.send(t, b)
		}
	}
	want := w.mirror.Seq()
	if want <= seq {
		t.Fatalf("the scene's sequence number did not advance (%d → %d)", seq, want)
	}
	acks := v.wait(t, "an ack of the last batch", mark, true, func(evs []wire.Event) bool {
		return len(evs) > 0 && evs[len(evs)-1].Kind == wire.Ack && evs[len(evs)-1].Seq == want
	})
	last := uint64(0)
	for _, a := range acks {
		if a.Kind != wire.Ack {
			t.Errorf("unexpected event %v", a)
			continue
		}
		if a.Seq <= last {
			t.Errorf("acks not increasing: %d after %d", a.Seq, last)
		}
		last = a.Seq
	}
	if len(acks) > 20 {
		t.Errorf("%d acks for 20 batches", len(acks))
	}
	frames := eval[[]int](t, p, `window.ackFrames`)
	for i := 1; i < len(frames); i++ {
		if frames[i] == frames[i-1] {
			t.Errorf("two acks in animation frame %d: %v", frames[i], frames)
		}
	}
	sameDOM(t, p, w.mirror)
	noPageErrors(t, p)
}

// TestClientMergesBatches holds the page's animation frames while batches
// arrive, then lets one frame apply them all: the DOM must equal the
// mirror's, and each value the batches set again and again must be
// written once.
func TestClientMergesBatches(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	// Hold animation frames and the client's one-second fallback timer.
	eval[any](t, p, `(() => {
		window.held = [];
		window.realRAF = window.requestAnimationFrame;
		window.realTimeout = window.setTimeout;
		window.requestAnimationFrame = cb => { window.held.push(cb); return 0; };
		window.setTimeout = (cb, ms, ...a) => ms === 1000 ? 0 : window.realTimeout(cb, ms, ...a);
	})()`)
	// Values set again and again around one step that changes the tree:
	// the held values must reach the DOM before it, and once each.
	var r9 *scene.Node
	steps := []func(){
		func() {
			r9 = w.box.Rect(1, 2, 3, 4, `id="r9"`, "fill:green")
			w.s.Root().Polyline([]float64{0}, []float64{0}, `id="pl"`)
		},
		func() { w.ball.SetXY(1, 1); w.label.SetText("a"); w.hot.Set("fill", "red") },
		func() { w.ball.SetXY(2, 2); r9.Set("fill", "blue") },
		func() { r9.SetXY(5, 6); w.ball.SetNum("cx", 7); w.hot.Unset("fill") },
		func() { w.ball.SetXY(3, 3); w.label.SetText("b"); w.hot.Set("fill", "teal") },
		func() { r9.Remove(); w.ball.AppendTo(w.box) },
		func() { w.ball.SetNum("cy", 9); w.hot.Set("data-x", "1") },
		// Point-list edits, also of a value set in a batch of the same frame.
		func() { w.s.ByID("pl").AppendPoints(1, 1, 2, 2) },
		func() { w.s.ByID("pl").TrimPoints(1).AppendPoints(3, 3) },
		func() { w.s.ByID("pl").Set("points", "5,5") },
		func() { w.s.ByID("pl").AppendPoints(6, 6.5) },
	}
	for i := range 10 {
		steps = append(steps, func() { w.ball.SetXY(float64(10+i), 20); w.label.SetText(fmt.Sprint("t = ", i)) })
	}
	n := 0
	for _, st := range steps {
		st()
		for _, b := range w.frame(t) {
			v.send(t, b)
			n++
		}
	}
	waitFor(t, p, fmt.Sprintf("vizserve.queued === %d", n))
	if n < len(steps) {
		t.Fatalf("%d batches for %d frames", n, len(steps))
	}
	mark := v.mark()
	// Count attribute writes per element and name, then run the held frame.
	eval[any](t, p, `(() => {
		window.writes = {};
		const count = (el, name) => { const k = el.id + " " + name; window.writes[k] = (window.writes[k] || 0) + 1; };
		for (const f of ["setAttribute", "removeAttribute"]) {
			const real = Element.prototype[f];
			Element.prototype[f] = function(name, ...a) { count(this, name); return real.call(this, name, ...a); };
		}
		window.requestAnimationFrame = window.realRAF;
		window.setTimeout = window.realTimeout;
		const held = window.held;
		window.held = [];
		for (const cb of held) cb(performance.now());
	})()`)
	sameDOM(t, p, w.mirror)
	ack := v.waitEvent(t, mark, wire.Ack)
	if ack.Seq != w.mirror.Seq() {
		t.Errorf("one frame acked %d, want the last batch's %d", ack.Seq, w.mirror.Seq())
	}
	writes := eval[map[string]int](t, p, `window.writes`)
	// The ball's and the rect's positions: once before the step that
	// changes the tree, once after it (the rect's first x is its create,
	// and so is the polyline's first points).
	for k, want := range map[string]int{"ball cx": 2, "ball cy": 2, "hot fill": 1, "r9 x": 2, "r9 fill": 1, "hot data-x": 1, "pl points": 2} {
		if writes[k] != want {
			t.Errorf("%q written %d times in one frame of %d batches, want %d; all writes: %v", k, writes[k], n, want, writes)
		}
	}
	noPageErrors(t, p)
}

func TestClientEvents(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	ctx := testCtx(t)
	ball, root := w.ball.Handle(), wire.RootHandle

	// pointer drops the moves (the ball wants them, for dragging).
	buttonEvents := func(evs []wire.Event) []wire.Event {
		var out []wire.Event
		for _, e := range evs {
			if e.Kind != wire.PointerMove {
				out = append(out, e)
			}
		}
		return out
	}

	t.Run("click", func(t *testing.T) {
		x, y := center(t, p, "ball")
		mark := v.mark()
		must(t, p.Click(ctx, x, y))
		evs := v.wait(t, "down, up, click", mark, false, func(evs []wire.Event) bool { return len(buttonEvents(evs)) >= 3 })
		evs = buttonEvents(evs)
		for i, want := range []wire.EventKind{wire.PointerDown, wire.PointerUp, wire.Click} {
			e := evs[i]
			if e.Kind != want || e.Target != ball || !near(float64(e.X), 50) || !near(float64(e.Y), 40) {
				t.Errorf("event %d = %v, want %v on the ball (handle %d) at (50, 40)", i, e, want, ball)
			}
		}
		if evs[0].Button != 1 || evs[0].Buttons != 1 || evs[1].Button != 1 || evs[1].Buttons != 0 || evs[2].Button != 1 {
			t.Errorf("buttons: down %d/%d, up %d/%d, click %d; want the primary", evs[0].Button, evs[0].Buttons, evs[1].Button, evs[1].Buttons, evs[2].Button)
		}
	})

	t.Run("drag", func(t *testing.T) {
		x, y := center(t, p, "ball")
		// The ball's radius is 10 scene units: its box gives the scale,
		// independently of the client's arithmetic.
		scale := eval[float64](t, p, `document.getElementById("ball").getBoundingClientRect().width / 20`)
		// Far beyond the ball: the capture keeps the moves and the up on it.
		must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: x, Y: y}))
		nextFrames(t, p, 2)
		mark := v.mark()
		x1, y1 := x+150, y+100
		must(t, p.Drag(ctx, x, y, x1, y1, 5))
		evs := v.wait(t, "the end of the drag", mark, false, func(evs []wire.Event) bool {
			for _, e := range evs {
				if e.Kind == wire.PointerUp {
					return true
				}
			}
			return false
		})
		var down, up *wire.Event
		moves := 0
		for i, e := range evs {
			if e.Target != ball {
				t.Errorf("%v is not for the ball", e)
			}
			switch {
			case e.Kind == wire.PointerDown:
				down = &evs[i]
			case e.Kind == wire.PointerUp:
				up = &evs[i]
			case e.Kind == wire.PointerMove && down != nil:
				moves++
				if e.Buttons != 1 {
					t.Errorf("move during the drag with buttons %d, want 1", e.Buttons)
				}
			}
		}
		if down == nil || up == nil || moves == 0 {
			t.Fatalf("drag events %v: want down, moves, up", evs)
		}
		ex, ey := 50+150/scale, 40+100/scale
		if !near(float64(down.X), 50) || !near(float64(down.Y), 40) || !near(float64(up.X), ex) || !near(float64(up.Y), ey) {
			t.Errorf("down at (%g, %g), up at (%g, %g); want (50, 40), (%.2f, %.2f)", down.X, down.Y, up.X, up.Y, ex, ey)
		}
	})

	t.Run("wheel", func(t *testing.T) {
		x, y := center(t, p, "ball")
		mark := v.mark()
		must(t, p.Wheel(ctx, x, y, 0, 120))
		e := v.waitEvent(t, mark, wire.Wheel)
		if e.Target != ball || e.DY != 120 || e.DX != 0 || !near(float64(e.X), 50) {
			t.Errorf("wheel = %+v, want dy 120 on the ball at x 50", e)
		}
		// Over the background nobody wants the wheel: nothing is sent.
		mark = v.mark()
		bx, by := center(t, p, "label")
		must(t, p.Wheel(ctx, bx, by, 0, 50))
		nextFrames(t, p, 2)
		if evs := v.since(mark, false); len(evs) > 0 {
			t.Errorf("a wheel nobody handles sent %v", evs)
		}
	})

	t.Run("keys", func(t *testing.T) {
		mark := v.mark()
		must(t, p.Press(ctx, "a", browser.Shift))
		evs := v.wait(t, "key down and up", mark, false, func(evs []wire.Event) bool { return len(evs) >= 2 })
		d, u := evs[0], evs[1]
		if d.Kind != wire.KeyDown || u.Kind != wire.KeyUp || d.Target != root || d.Key != "a" || d.Code != "KeyA" || d.Mods != wire.Shift {
			t.Errorf("keys = %v, %v; want down and up of a, KeyA, Shift, for the root", d, u)
		}
	})

	t.Run("hover", func(t *testing.T) {
		x, y := center(t, p, "hot")
		bx, by := center(t, p, "label")
		hot := w.hot.Handle()
		must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: bx, Y: by}))
		mark := v.mark()
		must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: x, Y: y}))
		e := v.waitEvent(t, mark, wire.Enter)
		if e.Target != hot {
			t.Errorf("enter %v, want the hot rect (%d)", e, hot)
		}
		mark = v.mark()
		must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: bx, Y: by}))
		e = v.waitEvent(t, mark, wire.Leave)
		if e.Target != hot {
			t.Errorf("leave %v, want the hot rect", e)
		}
	})

	t.Run("dblclick", func(t *testing.T) {
		x, y := center(t, p, "hot")
		mark := v.mark()
		for _, ev := range []browser.MouseEvent{
			{Type: "mousePressed", X: x, Y: y, Button: "left", Buttons: 1, ClickCount: 1},
			{Type: "mouseReleased", X: x, Y: y, Button: "left", ClickCount: 1},
			{Type: "mousePressed", X: x, Y: y, Button: "left", Buttons: 1, ClickCount: 2},
			{Type: "mouseReleased", X: x, Y: y, Button: "left", ClickCount: 2},
		} {
			must(t, p.Mouse(ctx, ev))
		}
		e := v.waitEvent(t, mark, wire.DblClick)
		if e.Target != w.hot.Handle() || !near(float64(e.X), 140) || !near(float64(e.Y), 105) {
			t.Errorf("dblclick %v, want the hot rect at (140, 105)", e)
		}
	})

	t.Run("coalesced moves", func(t *testing.T) {
		x, y := center(t, p, "ball")
		nextFrames(t, p, 1)
		mark := v.mark()
		// Twenty moves in one task: at most one message per frame.
		eval[any](t, p, fmt.Sprintf(`(() => {
			const el = document.getElementById("ball");
			for (let i = 0; i < 20; i++) el.dispatchEvent(new PointerEvent("pointermove", {bubbles: true, pointerId: 1, clientX: %g + i * 0.1, clientY: %g, buttons: 0}));
		})()`, x, y))
		e := v.waitEvent(t, mark, wire.PointerMove)
		nextFrames(t, p, 3)
		var moves []wire.Event
		for _, e := range v.since(mark, false) {
			if e.Kind == wire.PointerMove {
				moves = append(moves, e)
			}
		}
		ex, ey := toScene(t, p, x+1.9, y)
		if len(moves) != 1 || !near(float64(e.X), ex) || !near(float64(e.Y), ey) || e.Target != ball {
			t.Errorf("moves %v, want one, at the last position (%.2f, %.2f), for the ball", moves, ex, ey)
		}
	})
	noPageErrors(t, p)
}

func TestClientView(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	ctx := testCtx(t)

	x, y := center(t, p, "ball")
	mark := v.mark()
	// Ctrl+wheel zooms around the pointer; it is not a scene wheel.
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseWheel", X: x, Y: y, DeltaY: -300, Modifiers: browser.Ctrl}))
	z := eval[float64](t, p, `vizserve.view.z`)
	if z <= 1.5 {
		t.Errorf("zoom after ctrl+wheel = %g, want > 1.5", z)
	}
	x2, y2 := center(t, p, "ball")
	if math.Abs(x2-x) > 1 || math.Abs(y2-y) > 1 {
		t.Errorf("the point under the pointer moved: (%g, %g) → (%g, %g)", x, y, x2, y2)
	}
	// Space+drag pans.
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseMoved", X: 100, Y: 100}))
	key := func(typ string) {
		eval[any](t, p, `document.dispatchEvent(new KeyboardEvent("`+typ+`", {key: " ", code: "Space", bubbles: true}))`)
	}
	key("keydown")
	must(t, p.Drag(ctx, 100, 100, 160, 130, 3))
	key("keyup")
	x3, y3 := center(t, p, "ball")
	if !near(x3-x2, 60) || !near(y3-y2, 30) {
		t.Errorf("space+drag by (60, 30) moved the ball by (%g, %g)", x3-x2, y3-y2)
	}
	// Middle-drag pans too.
	for _, ev := range []browser.MouseEvent{
		{Type: "mousePressed", X: 200, Y: 200, Button: "middle", Buttons: 4, ClickCount: 1},
		{Type: "mouseMoved", X: 180, Y: 190, Button: "middle", Buttons: 4},
		{Type: "mouseReleased", X: 180, Y: 190, Button: "middle", ClickCount: 1},
	} {
		must(t, p.Mouse(ctx, ev))
	}
	x4, y4 := center(t, p, "ball")
	if !near(x4-x3, -20) || !near(y4-y3, -10) {
		t.Errorf("middle-drag by (-20, -10) moved the ball by (%g, %g)", x4-x3, y4-y3)
	}
	// None of that reached the scene except the space key itself.
	for _, e := range v.since(mark, false) {
		if e.Kind != wire.KeyDown && e.Kind != wire.KeyUp {
			t.Errorf("a view gesture sent %v", e)
		}
	}
	// Scene coordinates still come out right in the zoomed view.
	mark = v.mark()
	must(t, p.Click(ctx, x4, y4))
	e := v.waitEvent(t, mark, wire.Click)
	if !near(float64(e.X), 50) || !near(float64(e.Y), 40) {
		t.Errorf("click on the zoomed ball at (%g, %g), want (50, 40)", e.X, e.Y)
	}
	// Double-click on the background resets the view.
	bx, by := fromScene(t, p, 100, 20)
	for _, ev := range []browser.MouseEvent{
		{Type: "mousePressed", X: bx, Y: by, Button: "left", Buttons: 1, ClickCount: 1},
		{Type: "mouseReleased", X: bx, Y: by, Button: "left", ClickCount: 1},
		{Type: "mousePressed", X: bx, Y: by, Button: "left", Buttons: 1, ClickCount: 2},
		{Type: "mouseReleased", X: bx, Y: by, Button: "left", ClickCount: 2},
	} {
		must(t, p.Mouse(ctx, ev))
	}
	waitFor(t, p, `vizserve.view.z === 1 && vizserve.view.px === 0`)
	x5, y5 := center(t, p, "ball")
	if !near(x5, x) || !near(y5, y) {
		t.Errorf("after reset the ball is at (%g, %g), want (%g, %g)", x5, y5, x, y)
	}
	// Shift+` resets too.
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseWheel", X: x, Y: y, DeltaY: 200, Modifiers: browser.Ctrl}))
	waitFor(t, p, `vizserve.view.z < 1`)
	must(t, p.Press(ctx, "~", browser.Shift))
	waitFor(t, p, `vizserve.view.z === 1`)
	noPageErrors(t, p)
}

func TestClientControls(t *testing.T) {
	w := newWorld(t)
	_, p, v := w.start(t, "/")
	ctx := testCtx(t)
	ctl := func(name string) string {
		return `document.querySelector('[data-vz-control="` + name + `"]')`
	}

	// Values from the server show in the panel.
	w.gravity, w.trails, w.mode, w.title, w.count = 3.5, false, "slow", "changed", 7
	for _, b := range w.frame(t) {
		v.send(t, b)
	}
	waitFor(t, p, ctl("gravity")+`.querySelector("input").value === "3.5" && `+ctl("gravity")+`.querySelector("output").textContent === "3.5"`)
	waitFor(t, p, `!`+ctl("trails")+`.querySelector("input").checked`)
	waitFor(t, p, ctl("mode")+`.querySelector("select").value === "slow"`)
	waitFor(t, p, ctl("title")+`.querySelector("input").value === "changed"`)
	waitFor(t, p, ctl("count")+`.querySelector("input").value === "7"`)

	expect := func(t *testing.T, mark int, name string, want wire.Value) {
		t.Helper()
		e := v.waitEvent(t, mark, wire.ControlSet)
		if e.Name != name || e.Value != want {
			t.Errorf("control event %v %v, want %s = %v", e.Name, e.Value, name, want)
		}
	}
	t.Run("slider", func(t *testing.T) {
		mark := v.mark()
		eval[any](t, p, `(() => { const i = `+ctl("gravity")+`.querySelector("input"); i.value = "12.3"; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
		expect(t, mark, "gravity", wire.Number(12.3))
		if got := eval[string](t, p, ctl("gravity")+`.querySelector("output").textContent`); got != "12.3" {
			t.Errorf("slider output %q, want 12.3", got)
		}
	})
	t.Run("toggle", func(t *testing.T) {
		r := eval[struct{ X, Y float64 }](t, p, `(() => { const b = `+ctl("trails")+`.querySelector("input").getBoundingClientRect(); return {X: b.left + b.width / 2, Y: b.top + b.height / 2}; })()`)
		mark := v.mark()
		must(t, p.Click(ctx, r.X, r.Y))
		expect(t, mark, "trails", wire.Bool(true))
	})
	t.Run("button key", func(t *testing.T) {
		mark := v.mark()
		must(t, p.Press(ctx, "r", 0))
		expect(t, mark, "drop", wire.Value{})
		nextFrames(t, p, 2)
		for _, e := range v.since(mark, false) {
			if e.Kind == wire.KeyDown || e.Kind == wire.KeyUp {
				t.Errorf("the button's key also went to the scene: %v", e)
			}
		}
	})
	t.Run("button click", func(t *testing.T) {
		r := eval[struct{ X, Y float64 }](t, p, `(() => { const b = `+ctl("drop")+`.querySelector("button").getBoundingClientRect(); return {X: b.left + b.width / 2, Y: b.top + b.height / 2}; })()`)
		mark := v.mark()
		must(t, p.Click(ctx, r.X, r.Y))
		expect(t, mark, "drop", wire.Value{})
	})
	t.Run("select", func(t *testing.T) {
		mark := v.mark()
		eval[any](t, p, `(() => { const s = `+ctl("mode")+`.querySelector("select"); s.value = "fast"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
		expect(t, mark, "mode", wire.String("fast"))
	})
	t.Run("text", func(t *testing.T) {
		eval[any](t, p, `(() => { const i = `+ctl("title")+`.querySelector("input"); i.focus(); i.select(); })()`)
		mark := v.mark()
		must(t, p.Type(ctx, "Hi\n"))
		expect(t, mark, "title", wire.String("Hi"))
		for _, e := range v.since(mark, false) {
			if e.Kind == wire.KeyDown || e.Kind == wire.KeyUp {
				t.Errorf("typing in the panel went to the scene: %v", e)
			}
		}
		if u := eval[string](t, p, `location.href`); !strings.HasSuffix(u, "/") {
			t.Errorf("Enter submitted the form: %s", u)
		}
	})
	t.Run("number", func(t *testing.T) {
		mark := v.mark()
		eval[any](t, p, `(() => { const i = `+ctl("count")+`.querySelector("input"); i.value = "42"; i.dispatchEvent(new Event("change", {bubbles: true})); })()`)
		expect(t, mark, "count", wire.Number(42))
	})
	t.Run("new definitions", func(t *testing.T) {
		v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpControls, Controls: []wire.Control{
			{Kind: wire.Button, Name: "go", Label: "Go!", Key: "g"},
			{Kind: wire.Slider, Name: "speed", Min: 1, Max: 5, Step: 1, Value: wire.Number(2)},
		}}}})
		waitFor(t, p, `document.querySelectorAll("#vz-controls [data-vz-control]").length === 2`)
		if got := eval[string](t, p, ctl("speed")+`.querySelector("input").value`); got != "2" {
			t.Errorf("new slider value %q, want 2", got)
		}
		mark := v.mark()
		must(t, p.Press(ctx, "g", 0))
		expect(t, mark, "go", wire.Value{})
		v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpControls}}})
		waitFor(t, p, `document.getElementById("vz-panel").hidden`)
	})
	noPageErrors(t, p)
}

func TestClientOverlayHUDAsset(t *testing.T) {
	w := newWorld(t)
	h, p, v := w.start(t, "/")
	ctx := testCtx(t)

	msg := "./scene.go:12:3: undefined: x\n./scene.go:14:1: <missing> return"
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpOverlay, Text: msg}}})
	waitFor(t, p, `!document.getElementById("vz-overlay").hidden`)
	if got := eval[string](t, p, `document.getElementById("vz-overlay").textContent`); got != msg {
		t.Errorf("overlay %q, want %q", got, msg)
	}
	if n := eval[int](t, p, `document.getElementById("vz-overlay").children.length`); n != 0 {
		t.Errorf("the overlay text made %d elements", n)
	}
	if f := eval[string](t, p, `getComputedStyle(document.getElementById("vz-overlay")).fontFamily`); !strings.Contains(f, "monospace") {
		t.Errorf("overlay font %q is not monospace", f)
	}
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpOverlay}}})
	waitFor(t, p, `document.getElementById("vz-overlay").hidden`)

	// A notice: a toast in a role=status box, as text, that goes away.
	note := "The previous version's state does not fit this one: <it> starts afresh"
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpNotice, Text: note}}})
	waitFor(t, p, `document.querySelectorAll(".vz-notice").length === 1`)
	if got := eval[string](t, p, `(() => { const n = document.querySelector(".vz-notice"); return n.parentElement.getAttribute("role") + "|" + n.textContent + "|" + n.children.length })()`); got != "status|"+note+"|0" {
		t.Errorf("notice: role|text|children %q, want %q", got, "status|"+note+"|0")
	}
	if *update {
		png, err := p.Screenshot(ctx)
		must(t, err)
		if err := os.WriteFile(filepath.Join("..", "docs", "img", "notice.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, p, `document.querySelectorAll(".vz-notice").length === 0`) // gone after NOTICE_MS

	// The HUD: ` toggles it; it shows the server's stats and its own rates.
	if !eval[bool](t, p, `document.getElementById("vz-hud").hidden`) {
		t.Error("the HUD shows before it was asked for")
	}
	mark := v.mark()
	must(t, p.Press(ctx, "`", 0))
	waitFor(t, p, `!document.getElementById("vz-hud").hidden`)
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpStats, Stats: &wire.Stats{
		Viewers: 3, TickHz: 59.5, Speed: 2, SimTime: 12.25, Paused: true, Lag: 4}}}})
	for _, s := range []string{"viewers 3", "tick 59.5 Hz", "lag 4", "paused", "×2", "fps ", "patches "} {
		waitFor(t, p, `document.getElementById("vz-hud").textContent.includes(`+jsString(s)+`)`)
	}
	waitFor(t, p, `/fps [1-9]/.test(document.getElementById("vz-hud").textContent)`)
	for _, e := range v.since(mark, false) {
		t.Errorf("the HUD key went to the scene: %v", e)
	}
	must(t, p.Press(ctx, "`", 0))
	waitFor(t, p, `document.getElementById("vz-hud").hidden`)

	// A new stylesheet swaps the link's href.
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpAsset, Tag: "css", Name: "style.css", Text: "/assets/style.css?v=2"}}})
	waitFor(t, p, `document.querySelector('link[data-vz-asset="style.css"]').getAttribute("href").endsWith("/assets/style.css?v=2")`)
	// A new script reloads the page, which reconnects; the view is kept.
	x, y := center(t, p, "ball")
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseWheel", X: x, Y: y, DeltaY: -200, Modifiers: browser.Ctrl}))
	view := eval[map[string]float64](t, p, `vizserve.view`)
	if view["z"] <= 1 {
		t.Fatalf("ctrl+wheel did not zoom: %v", view)
	}
	eval[any](t, p, `window.beforeReload = true`)
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpAsset, Tag: "js", Name: "client.js", Text: "/assets/client.js?v=2"}}})
	v2 := h.accept()
	v2.send(t, w.mirror.Keyframe())
	waitFor(t, p, `window.vizserve && vizserve.state === "live"`)
	if eval[bool](t, p, `window.beforeReload === true`) {
		t.Error("the page did not reload for a new script")
	}
	if got := eval[map[string]float64](t, p, `vizserve.view`); got["z"] != view["z"] || got["px"] != view["px"] || got["py"] != view["py"] {
		t.Errorf("view after the reload %v, want %v", got, view)
	}
	noPageErrors(t, p)
}

func TestClientReconnect(t *testing.T) {
	w := newWorld(t)
	h, p, v := w.start(t, "/")
	ctx := testCtx(t)
	eval[any](t, p, `window.marker = 42`)
	x, y := center(t, p, "ball")
	must(t, p.Mouse(ctx, browser.MouseEvent{Type: "mouseWheel", X: x, Y: y, DeltaY: -250, Modifiers: browser.Ctrl}))
	view := eval[map[string]float64](t, p, `vizserve.view`)
	box := eval[string](t, p, `document.getElementById("vz-view").getAttribute("viewBox")`)
	if view["z"] <= 1 {
		t.Fatalf("ctrl+wheel did not zoom: %v", view)
	}

	// The server goes away; the scene changes meanwhile.
	closed := time.Now()
	must(t, v.c.Close(ws.StatusGoingAway, "restarting"))
	w.ball.SetXY(120, 30)
	w.s.Root().Rect(5, 5, 10, 10, `id="late"`, "fill:teal")
	w.frame(t)
	v2 := h.accept()
	gap := time.Since(closed)
	retries := eval[[]float64](t, p, `vizserve.retries`)
	t.Logf("reconnected %v after the close; scheduled delays %v ms", gap.Round(time.Millisecond), retries)
	if len(retries) != 1 || retries[0] > 100 || retries[0] < 0 {
		t.Errorf("retry delays %v: want one, at most 100 ms", retries)
	}
	if gap > time.Second {
		t.Errorf("the reconnect came %v after the close, want about 100 ms", gap)
	}
	if s := eval[string](t, p, `vizserve.state`); s == "live" {
		t.Errorf("state %q before the new keyframe", s)
	}

	// The new connection resyncs from its keyframe, in the same page.
	v2.send(t, w.mirror.Keyframe())
	waitFor(t, p, `vizserve.state === "live" && vizserve.connects === 2`)
	sameDOM(t, p, w.mirror)
	if m := eval[int](t, p, `window.marker`); m != 42 {
		t.Errorf("window.marker = %d after the reconnect: the page reloaded", m)
	}
	if got := eval[map[string]float64](t, p, `vizserve.view`); got["z"] != view["z"] || got["px"] != view["px"] || got["py"] != view["py"] {
		t.Errorf("view after the reconnect %v, want %v", got, view)
	}
	if got := eval[string](t, p, `document.getElementById("vz-view").getAttribute("viewBox")`); got != box {
		t.Errorf("viewBox after the reconnect %q, want %q", got, box)
	}
	// Events flow on the new connection, acks too.
	mark := v2.mark()
	x, y = center(t, p, "ball")
	must(t, p.Click(ctx, x, y))
	e := v2.waitEvent(t, mark, wire.Click)
	if !near(float64(e.X), 120) || !near(float64(e.Y), 30) {
		t.Errorf("click at (%g, %g), want the moved ball at (120, 30)", e.X, e.Y)
	}
	v2.waitEvent(t, 0, wire.Ack)
	noPageErrors(t, p)
}

func TestClientBackoff(t *testing.T) {
	w := newWorld(t)
	h, p, v := w.start(t, "/")
	h.refuse.Store(true)
	must(t, v.c.Close(ws.StatusGoingAway, "down for a while"))
	// 100, 200, 400, 800, 1600, 2000, 2000 ms at most, each at least half.
	n := 7
	if testing.Short() {
		n = 4 // up to 800 ms
	}
	waitFor(t, p, fmt.Sprintf(`vizserve.retries.length >= %d`, n))
	if !testing.Short() {
		waitFor(t, p, `/^reconnecting in [12] s$/.test(document.getElementById("vz-status").textContent)`)
	}
	retries := eval[[]float64](t, p, `vizserve.retries`)
	for i, d := range retries[:n] {
		base := math.Min(100*math.Pow(2, float64(i)), 2000)
		if d > base || d < base/2 {
			t.Errorf("retry %d after %g ms, want %g..%g", i, d, base/2, base)
		}
	}
	h.refuse.Store(false)
	v2 := h.accept()
	v2.send(t, w.mirror.Keyframe())
	waitFor(t, p, `vizserve.state === "live"`)
	// A keyframe resets the backoff: the next retry is quick again.
	n = len(eval[[]float64](t, p, `vizserve.retries`))
	must(t, v2.c.Close(ws.StatusGoingAway, "again"))
	v3 := h.accept()
	retries = eval[[]float64](t, p, `vizserve.retries`)
	if len(retries) != n+1 || retries[n] > 100 {
		t.Errorf("retries after a live connection %v, want one more of at most 100 ms", retries[n:])
	}
	v3.send(t, w.mirror.Keyframe())
	waitFor(t, p, `vizserve.state === "live"`)
}

func TestSceneSVGLive(t *testing.T) {
	w := newWorld(t)
	w.extraCSS = []string{"/user/a.css"}
	_, p, v := w.start(t, "/scene.svg")
	ctx := testCtx(t)
	// The scene's own stylesheet applies, and an asset op swaps it.
	waitFor(t, p, `getComputedStyle(document.getElementById("ball")).opacity === "0.5"`)
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpAsset, Tag: "css", Name: "/user/a.css", Text: "/user/b.css"}}})
	waitFor(t, p, `getComputedStyle(document.getElementById("ball")).opacity === "0.25"`)
	if ct := eval[string](t, p, `document.contentType`); ct != "image/svg+xml" {
		t.Fatalf("document type %q", ct)
	}
	if n := eval[int](t, p, `document.getElementsByTagNameNS("http://www.w3.org/1999/xhtml", "body").length`); n != 0 {
		t.Errorf("the SVG document has %d HTML bodies", n)
	}
	sameDOM(t, p, w.mirror)
	w.ball.SetXY(100, 60)
	for _, b := range w.frame(t) {
		v.send(t, b)
	}
	sameDOM(t, p, w.mirror)
	if cx := eval[string](t, p, `document.getElementById("ball").getAttribute("cx")`); cx != "100" {
		t.Errorf("ball cx %q after set-xy, want 100", cx)
	}
	if s := eval[string](t, p, `document.getElementById("vz-status").textContent`); s != "live" {
		t.Errorf("indicator %q", s)
	}
	// The controls arrive with the keyframe and work.
	waitFor(t, p, `!document.getElementById("vz-panel").hidden && document.querySelectorAll("[data-vz-control]").length === 6`)
	mark := v.mark()
	must(t, p.Press(ctx, "r", 0))
	if e := v.waitEvent(t, mark, wire.ControlSet); e.Name != "drop" {
		t.Errorf("control event %v, want drop", e)
	}
	// Events carry scene coordinates here too.
	x, y := center(t, p, "ball")
	mark = v.mark()
	must(t, p.Click(ctx, x, y))
	e := v.waitEvent(t, mark, wire.Click)
	if e.Target != w.ball.Handle() || !near(float64(e.X), 100) || !near(float64(e.Y), 60) {
		t.Errorf("click %v, want the ball at (100, 60)", e)
	}
	// The panel folds away from the scene.
	sx, sy := eval[float64](t, p, `document.querySelector("#vz-panel summary").getBoundingClientRect().left + 20`),
		eval[float64](t, p, `document.querySelector("#vz-panel summary").getBoundingClientRect().top + 5`)
	must(t, p.Click(ctx, sx, sy))
	waitFor(t, p, `!document.getElementById("vz-panel").open`)
	v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpOverlay, Text: "panic: boom"}}})
	waitFor(t, p, `document.getElementById("vz-overlay").textContent === "panic: boom" && !document.getElementById("vz-overlay").hidden`)
	noPageErrors(t, p)
}

// TestClientRefuses sends messages that break the protocol: the client
// closes the connection (with 4007: see docs/client.md), naming the
// problem as the Go decoder does, and connects again.
func TestClientRefuses(t *testing.T) {
	w := newWorld(t)
	h, p, v := w.start(t, "/")
	ball := uint64(w.ball.Handle())
	seq := byte(w.mirror.Seq() + 1)
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		text bool // send as a text message
		code ws.StatusCode
		// apply: the batch decodes but cannot be applied (Mirror.Apply
		// refuses it too).
		apply bool
		why   string
	}{
		{name: "unknown op", msg: []byte{seq, 0xee}, code: 4007},
		{name: "truncated set-xy", msg: []byte{seq, 0x08, byte(ball), 0x02, 0, 0}, code: 4007},
		{name: "truncated set-pose", msg: []byte{seq, 0x0b, byte(ball), 0, 0, 0, 0, 0, 0, 0, 0}, code: 4007},
		{name: "set-pose-scaled without scale", msg: []byte{seq, 0x0c, byte(ball), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, code: 4007},
		{name: "non-minimal varint", msg: []byte{0x80, 0x00}, code: 4007},
		{name: "invalid UTF-8", msg: cat([]byte{seq, 0x09, byte(ball)}, str("\xff\xfe")), code: 4007},
		{name: "event handler attribute", msg: cat([]byte{seq, 0x05, byte(ball), 0}, str("onclick"), str("alert(1)")), code: 4007},
		{name: "unknown run flags", msg: []byte{seq, 0x22, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0}, code: 4007},
		{name: "unknown pair", msg: []byte{seq, 0x08, byte(ball), 9, 0, 0, 0, 0, 0, 0, 0, 0}, code: 4007},
		{name: "truncated append-points", msg: []byte{seq, 0x0d, byte(ball), 15, 0, 1, 0, 0, 0, 0, 0, 0, 0}, code: 4007},
		{name: "append-points count too big", msg: []byte{seq, 0x0d, byte(ball), 15, 0x80, 0x80, 0x80, 0x80, 0x08, 0}, code: 4007},
		{name: "trim-points of an event handler", msg: cat([]byte{seq, 0x0e, byte(ball), 0}, str("onload"), []byte{1}), code: 4007},
		{name: "create without id", msg: cat([]byte{seq, 0x02, 99, 1, 0}, str("rect"), str(""), []byte{0, 0}, str("")), code: 4007},
		{name: "keyframe id missing", msg: cat([]byte{seq, 0x01}, str(`<svg id="a"/>`), []byte{1, 1}, str("b"), []byte{0}), code: 4007, apply: true},
		{name: "keyframe root without handle 1", msg: cat([]byte{seq, 0x01}, str(`<svg id="a"><g id="b"/></svg>`), []byte{1, 2}, str("b"), []byte{0}), code: 4007, apply: true},
		{name: "create of a live handle", msg: cat([]byte{seq, 0x02, byte(ball), 1, 0}, str("rect"), str("dup"), []byte{0, 0}, str("")), code: 4007, apply: true},
		{name: "text message", msg: []byte("hello"), text: true, code: 4003, why: "text messages are not part of vizserve.v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The Go side's verdict is the reference.
			if !tc.text {
				b, err := wire.DecodeBatch(tc.msg)
				switch {
				case tc.apply && err != nil:
					t.Fatalf("Go decoder refuses it (%v); the case is about applying", err)
				case tc.apply:
					m := stream.NewMirror()
					if err := m.Apply(w.mirror.Keyframe()); err != nil {
						t.Fatal(err)
					}
					if err := m.Apply(b); err == nil {
						t.Fatalf("the Go mirror applies %x", tc.msg)
					}
				case err == nil:
					t.Fatalf("the Go decoder accepts %x", tc.msg)
				default:
					tc.why = err.Error()
				}
			}
			conns := eval[int](t, p, `vizserve.connects`)
			ctx := testCtx(t)
			typ := ws.MessageBinary
			if tc.text {
				typ = ws.MessageText
			}
			must(t, v.c.Write(ctx, typ, tc.msg))
			err := v.closed(t)
			var ce ws.CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Fatalf("the client ended the connection with %v, want close code %d", err, tc.code)
			}
			if tc.why != "" && !strings.HasPrefix(tc.why, ce.Reason) || len(ce.Reason) < 10 {
				t.Errorf("close reason %q, want %q", ce.Reason, tc.why)
			}
			t.Logf("closed with %d %q", ce.Code, ce.Reason)
			v = h.accept()
			v.send(t, w.mirror.Keyframe())
			waitFor(t, p, fmt.Sprintf(`vizserve.state === "live" && vizserve.connects === %d`, conns+1))
			sameDOM(t, p, w.mirror)
		})
	}
	// A warning for each, no errors.
	noPageErrors(t, p)
}

// TestClientIncompatible: a server that selects another subprotocol is not
// talked to. Chromium itself fails such a handshake (the client then keeps
// retrying, like for a server that is down), so the page is made to see a
// foreign subprotocol on a real connection.
func TestClientIncompatible(t *testing.T) {
	w := newWorld(t)
	h, p, v := w.start(t, "/")
	eval[any](t, p, `void Object.defineProperty(WebSocket.prototype, "protocol", {get() { return "vizserve.v2"; }})`)
	must(t, v.c.Close(ws.StatusGoingAway, "upgrade"))
	v2 := h.accept()
	err := v2.closed(t)
	if ws.CloseStatus(err) != 4002 {
		t.Errorf("the client ended the connection with %v, want 4002", err)
	}
	waitFor(t, p, `vizserve.state === "incompatible"`)
	if s := eval[string](t, p, `document.getElementById("vz-status").textContent`); s != "this page needs a vizserve.v1 server" {
		t.Errorf("indicator %q", s)
	}
	// And it does not try again.
	nextFrames(t, p, 30)
	select {
	case v3 := <-h.viewers:
		t.Errorf("the client connected again (%v)", v3.c.RemoteAddr())
	default:
	}
	if n := eval[int](t, p, `vizserve.connects`); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestClientURL: the websocket URL comes from the page's URL and the path
// in data-vz-ws; an access token on the page's URL goes along.
func TestClientURL(t *testing.T) {
	w := newWorld(t)
	kf := w.keyframe(t)
	d := w.pageData()
	d.WSPath = "/ws?room=1"
	h := newHarness(t, d)
	p := h.open("/?token=abc%2Bd#top")
	v := h.accept()
	if got, want := v.c.Target(), "/ws?room=1&token=abc%2Bd"; got != want {
		t.Errorf("websocket request target %q, want %q", got, want)
	}
	if got := v.c.Subprotocol(); got != wire.Subprotocol {
		t.Errorf("subprotocol %q", got)
	}
	v.send(t, kf)
	waitFor(t, p, `vizserve.state === "live"`)
}

var controlsPNG = flag.String("controls-png", "", "write a screenshot of TestClientControlExtras's panel to this file (docs/img/controls.png)")

// TestClientControlExtras: values read with their step's precision and
// unit, a log slider sends the real value of its thumb's position, and
// groups are titled sections that hold their controls.
func TestClientControlExtras(t *testing.T) {
	accel, k, mass, speed := 9.8, 1.0, 2.0, 1.0
	grid := true
	s := scene.New(scene.Options{Width: 400, Height: 300})
	s.Root().Rect(0, 0, 400, 300, "fill:#eef")
	s.Root().Circle(200, 150, 40, "fill:teal")
	s.Slider("speed", &speed, 0, 4, 0.25).Label("Speed").Format("×%.2f")
	s.Slider("accel", &accel, 0, 20, 0.1).Label("Gravity").Unit("m/s²").Group("Physics")
	s.Slider("k", &k, 0.01, 100, 0).Label("Stiffness").Unit("N/m").Log().Group("Physics")
	s.Number("mass", &mass).Range(0, 10, 0.25).Label("Mass").Unit("kg").Group("Physics")
	s.Toggle("grid", &grid).Label("Grid").Group("View")
	s.Button("reset", "r", func() {}).Label("Reset")
	w := &world{sceneFixture: newFixture(t, s)}
	_, p, v := w.start(t, "/")
	ctl := func(name string) string {
		return `document.querySelector('[data-vz-control="` + name + `"]')`
	}
	text := func(name, sel string) string {
		t.Helper()
		return eval[string](t, p, ctl(name)+`.querySelector("`+sel+`").textContent`)
	}
	waitFor(t, p, ctl("accel")+`.querySelector("output").textContent === "9.8 m/s²"`)

	t.Run("step precision and unit", func(t *testing.T) {
		mark := v.mark()
		eval[any](t, p, `(() => { const i = `+ctl("accel")+`.querySelector("input"); i.value = "4.1"; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
		e := v.waitEvent(t, mark, wire.ControlSet)
		if e.Name != "accel" || e.Value != wire.Number(4.1) {
			t.Errorf("event %s %v, want accel 4.1", e.Name, e.Value)
		}
		if got := text("accel", "output"); got != "4.1 m/s²" {
			t.Errorf("slider shows %q, want %q", got, "4.1 m/s²")
		}
		// A value computed in floating point reads with the step's decimals.
		v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{
			{Code: wire.OpControlValue, Name: "accel", Value: wire.Number(0 + 41*0.1)},
			{Code: wire.OpControlValue, Name: "speed", Value: wire.Number(2.5)},
			{Code: wire.OpControlValue, Name: "mass", Value: wire.Number(2.5)},
		}})
		waitFor(t, p, ctl("mass")+`.querySelector("input").value === "2.50"`)
		if got := text("accel", "output"); got != "4.1 m/s²" {
			t.Errorf("slider shows %q for 4.1000000000000005, want %q", got, "4.1 m/s²")
		}
		if got := text("speed", "output"); got != "×2.50" {
			t.Errorf("formatted slider shows %q, want ×2.50", got)
		}
		if got := text("mass", ".vz-unit"); got != "kg" {
			t.Errorf("number box unit %q, want kg", got)
		}
	})
	t.Run("log slider", func(t *testing.T) {
		for _, tt := range []struct {
			pos  string
			want float64
			text string
		}{{"500", 1, "1.00 N/m"}, {"750", 10, "10.0 N/m"}, {"0", 0.01, "0.0100 N/m"}, {"1000", 100, "100 N/m"}, {"600", 2.51, "2.51 N/m"}} {
			mark := v.mark()
			eval[any](t, p, `(() => { const i = `+ctl("k")+`.querySelector("input"); i.value = "`+tt.pos+`"; i.dispatchEvent(new Event("input", {bubbles: true})); })()`)
			e := v.waitEvent(t, mark, wire.ControlSet)
			if e.Name != "k" || e.Value != wire.Number(tt.want) {
				t.Errorf("thumb at %s/1000: event %s %v, want k %v", tt.pos, e.Name, e.Value, tt.want)
			}
			if got := text("k", "output"); got != tt.text {
				t.Errorf("thumb at %s/1000 shows %q, want %q", tt.pos, got, tt.text)
			}
		}
		// A value from the server puts the thumb where it belongs.
		v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{{Code: wire.OpControlValue, Name: "k", Value: wire.Number(0.1)}}})
		waitFor(t, p, ctl("k")+`.querySelector("input").value === "250"`)
	})
	t.Run("groups", func(t *testing.T) {
		type section struct {
			Legend   string
			Controls []string
		}
		got := eval[[]section](t, p, `Array.from(document.querySelectorAll("#vz-controls > fieldset")).map((f) => ({
			Legend: f.querySelector(":scope > legend").textContent,
			Controls: Array.from(f.querySelectorAll("[data-vz-control]")).map((c) => c.dataset.vzControl)}))`)
		want := []section{{"Physics", []string{"accel", "k", "mass"}}, {"View", []string{"grid"}}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sections %v, want %v", got, want)
		}
		top := eval[[]string](t, p, `Array.from(document.getElementById("vz-controls").children).map((c) => c.dataset.vzControl || c.dataset.vzGroup)`)
		if fmt.Sprint(top) != "[speed Physics View reset]" {
			t.Errorf("panel order %v, want [speed Physics View reset]", top)
		}
	})
	if *controlsPNG != "" {
		ctx := testCtx(t)
		must(t, p.SetViewport(ctx, 720, 420))
		v.send(t, &wire.Batch{Seq: w.mirror.Seq(), Ops: []wire.Op{
			{Code: wire.OpControlValue, Name: "accel", Value: wire.Number(9.8)},
			{Code: wire.OpControlValue, Name: "k", Value: wire.Number(3.16)},
			{Code: wire.OpControlValue, Name: "speed", Value: wire.Number(1.25)},
		}})
		waitFor(t, p, ctl("speed")+`.querySelector("output").textContent === "×1.25"`)
		nextFrames(t, p, 2)
		png, err := p.Screenshot(ctx)
		must(t, err)
		must(t, os.WriteFile(*controlsPNG, png, 0o644))
	}
	noPageErrors(t, p)
}
