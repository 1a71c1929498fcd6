package scene_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestEventDispatch(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	var log []string
	logf := func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }
	g := s.Root().Group(`id="g"`)
	child := g.Rect(0, 0, 10, 10, `id="child"`)
	other := s.Root().Circle(50, 50, 5, `id="other"`)
	knob := s.Root().Circle(0, 0, 3, `id="knob"`)
	g.OnClick(func(p scene.Pointer) { logf("click %s via g at %g,%g button %d", p.Target.ID(), p.X, p.Y, p.Button) })
	g.OnDoubleClick(func(p scene.Pointer) { logf("dblclick %s", p.Target.ID()) })
	s.Root().OnKeyDown(func(k scene.Key) {
		logf("key %q %q mods %d repeat %v on %s", k.Key, k.Code, k.Mods, k.Repeat, k.Target.ID())
	})
	s.Root().OnKeyUp(func(k scene.Key) { logf("keyup %q", k.Key) })
	s.Root().OnWheel(func(w scene.Wheel) { logf("wheel %g,%g at %g,%g on %s", w.DX, w.DY, w.X, w.Y, w.Target.ID()) })
	other.OnHover(func(h scene.Hover) { logf("hover %v", h.In) })
	other.OnPointerMove(func(p scene.Pointer) { logf("move %g,%g", p.X, p.Y) })
	other.OnPointerDown(func(p scene.Pointer) { logf("down on other") })
	other.OnPointerUp(func(p scene.Pointer) { logf("up on other") })
	knob.OnDrag(func(d scene.Drag) {
		logf("drag %d at %g,%g d %g,%g from %g,%g", d.Phase, d.X, d.Y, d.DX, d.DY, d.StartX, d.StartY)
	})
	s.Advance(0)
	h := func(n *scene.Node) wire.Handle { return n.Handle() }
	for _, ev := range []wire.Event{
		{Kind: wire.Click, Target: h(child), X: 1, Y: 2, Button: 1},
		{Kind: wire.DblClick, Target: h(child)},
		{Kind: wire.KeyDown, Key: "ArrowLeft", Code: "ArrowLeft", Mods: scene.Shift | scene.Ctrl, Repeat: true},
		{Kind: wire.KeyUp, Target: h(child), Key: "a"},
		{Kind: wire.Wheel, Target: h(child), X: 3, Y: 4, DY: -100},
		{Kind: wire.Enter, Target: h(other)},
		{Kind: wire.Leave, Target: h(other)},
		{Kind: wire.Enter, Target: h(child)}, // no hover handler, and hover does not bubble
		{Kind: wire.PointerDown, Target: h(knob), X: 10, Y: 10, Button: 1, Buttons: 1, Pointer: 7},
		{Kind: wire.PointerMove, Target: h(other), X: 12, Y: 15, Buttons: 1, Pointer: 7}, // captured by the drag
		{Kind: wire.PointerMove, Target: h(other), X: 13, Y: 16, Pointer: 8},             // another pointer
		{Kind: wire.PointerUp, Target: h(other), X: 20, Y: 20, Button: 1, Pointer: 7},
		{Kind: wire.PointerUp, Target: h(other), Pointer: 7}, // the drag is over
		{Kind: wire.Click, Target: 999},                      // stale: ignored
		{Kind: wire.Ack, Seq: 5},                             // not an event: ignored
	} {
		s.Dispatch(ev)
	}
	s.Advance(0)
	want := []string{
		"click child via g at 1,2 button 0",
		"dblclick child",
		`key "ArrowLeft" "ArrowLeft" mods 3 repeat true on scene`,
		`keyup "a"`,
		"wheel 0,-100 at 3,4 on child",
		"hover true",
		"hover false",
		"drag 0 at 10,10 d 0,0 from 10,10",
		"drag 1 at 12,15 d 2,5 from 10,10",
		"move 13,16",
		"drag 2 at 20,20 d 8,5 from 10,10",
		"up on other",
	}
	equal(t, "handled", strings.Join(log, "\n"), strings.Join(want, "\n"))
}

func TestPointerMovesCoalesce(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	var xs []float64
	s.Root().OnPointerMove(func(p scene.Pointer) { xs = append(xs, p.X) })
	for i := range 100 {
		s.Dispatch(wire.Event{Kind: wire.PointerMove, X: float32(i)})
	}
	s.Dispatch(wire.Event{Kind: wire.Click})
	s.Dispatch(wire.Event{Kind: wire.PointerMove, X: 500})
	s.Advance(0)
	equal(t, "moves", xs, []float64{99, 500})
}

func TestEventQueueBounded(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{MaxEvents: 10, Logger: discard()})
	n := 0
	s.Root().OnClick(func(scene.Pointer) { n++ })
	for range 1000 {
		s.Dispatch(wire.Event{Kind: wire.Click})
	}
	s.Advance(0)
	if n != 10 {
		t.Fatalf("%d clicks handled, want the first 10", n)
	}
}

// The queue is bounded in bytes too: large key events (a hostile client
// can send 16 KiB ones) stop at MaxEventBytes although far fewer than
// MaxEvents are queued, and small ones still fit after the queue drains.
func TestEventQueueBoundedInBytes(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{MaxEventBytes: 64 << 10, Logger: discard()})
	var keys []int
	s.Root().OnKeyDown(func(k scene.Key) { keys = append(keys, len(k.Key)) })
	big := strings.Repeat("k", 8<<10)
	for range 100 {
		s.Dispatch(wire.Event{Kind: wire.KeyDown, Key: big})
	}
	s.Advance(0)
	if len(keys) == 0 || len(keys) >= 8 {
		t.Fatalf("%d events of 8 KiB handled from a 64 KiB queue, want between 1 and 7", len(keys))
	}
	keys = nil
	for range 100 {
		s.Dispatch(wire.Event{Kind: wire.KeyDown, Key: "a"})
	}
	s.Advance(0)
	if len(keys) != 100 {
		t.Fatalf("%d small key events handled after the queue drained, want 100", len(keys))
	}
}

// Events whose numbers are NaN or infinite never reach handlers: one NaN
// in a position poisons a simulation's state for good.
func TestNonFiniteEventsDropped(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	var xs []float64
	s.Root().OnClick(func(p scene.Pointer) { xs = append(xs, p.X) })
	g := 1.0
	s.Slider("g", &g, 0, 10, 0.5)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	s.Dispatch(wire.Event{Kind: wire.Click, X: nan})
	s.Dispatch(wire.Event{Kind: wire.Click, Y: -inf})
	s.Dispatch(wire.Event{Kind: wire.ControlSet, Name: "g", Value: wire.Number(math.NaN())})
	s.Dispatch(wire.Event{Kind: wire.ControlSet, Name: "g", Value: wire.Number(math.Inf(-1))})
	s.Dispatch(wire.Event{Kind: wire.Click, X: 3})
	s.Advance(0)
	equal(t, "clicks", xs, []float64{3})
	if g != 1 {
		t.Fatalf("slider value %v after non-finite sets, want 1", g)
	}
}

func TestMasksReachViewers(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	c := s.Root().Circle(0, 0, 1)
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	c.OnClick(func(scene.Pointer) {}).OnDrag(func(scene.Drag) {})
	s.Advance(0)
	want := wire.MaskClick | wire.MaskCapture | wire.MaskPointerDown | wire.MaskPointerMove | wire.MaskPointerUp
	if !strings.Contains(v.mirror.Dump(), fmt.Sprintf("%q mask=%d", c.ID(), want)) {
		t.Fatalf("mask not sent: %s", v.mirror.Dump())
	}
	c.OnDrag(nil).OnClick(nil)
	s.Advance(0)
	if !strings.Contains(v.mirror.Dump(), fmt.Sprintf("%q mask=0", c.ID())) {
		t.Fatalf("mask not cleared: %s", v.mirror.Dump())
	}
	sameState(t, "viewer", v.mirror, fresh(t, s))
}

func TestControls(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	g, n := 5.0, 1.0
	on := false
	mode, title := "a", "t"
	presses, changes := 0, 0
	s.Slider("g", &g, 0, 10, 0.5).Label("Gravity").OnChange(func() { changes++ })
	s.Number("n", &n).Range(0, 100, 0)
	s.Toggle("on", &on)
	s.Select("mode", &mode, "a", "b")
	s.TextInput("title", &title)
	s.Button("reset", "r", func() { presses++ })
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	for _, ev := range []wire.Event{
		{Kind: wire.ControlSet, Name: "g", Value: wire.Number(7.3)},      // snapped to 7.5
		{Kind: wire.ControlSet, Name: "g", Value: wire.Number(99)},       // clamped to 10
		{Kind: wire.ControlSet, Name: "g", Value: wire.String("x")},      // wrong kind: ignored
		{Kind: wire.ControlSet, Name: "n", Value: wire.Number(42.25)},    // no step
		{Kind: wire.ControlSet, Name: "on", Value: wire.Bool(true)},      //
		{Kind: wire.ControlSet, Name: "mode", Value: wire.String("zzz")}, // not an option: ignored
		{Kind: wire.ControlSet, Name: "title", Value: wire.String("hé")}, //
		{Kind: wire.ControlSet, Name: "reset"},                           //
		{Kind: wire.ControlSet, Name: "nope", Value: wire.Number(1)},     // unknown: ignored
	} {
		s.Dispatch(ev)
	}
	s.Advance(0)
	if g != 10 || n != 42.25 || !on || mode != "a" || title != "hé" || presses != 1 || changes != 2 {
		t.Fatalf("g=%v n=%v on=%v mode=%q title=%q presses=%d changes=%d", g, n, on, mode, title, presses, changes)
	}
	// A change made by the sim itself reaches viewers too.
	mode = "b"
	s.Advance(0)
	d := v.mirror.Dump()
	for _, want := range []string{`control "g"=10`, `control "n"=42.25`, `control "on"=true`, `control "mode"="b"`, `control "title"="hé"`} {
		if !strings.Contains(d, want) {
			t.Errorf("viewer lacks %s:\n%s", want, d)
		}
	}
	sameState(t, "viewer", v.mirror, fresh(t, s))
	kf := fresh(t, s).Keyframe()
	ctl := kf.Ops[1].Controls
	if ctl[0].Label != "Gravity" || ctl[0].Step != 0.5 || ctl[5].Key != "r" || ctl[3].Options[1] != "b" {
		t.Fatalf("definitions: %+v", ctl)
	}
}

// Drags are per viewer: two viewers whose pointers share an id drag their
// own nodes, and a viewer that leaves ends its drags.
func TestDragsPerViewer(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	a := s.Root().Circle(0, 0, 5, `id="a"`)
	b := s.Root().Circle(100, 0, 5, `id="b"`)
	var log []string
	drag := func(name string) func(scene.Drag) {
		return func(d scene.Drag) { log = append(log, fmt.Sprintf("%s %v v%d x=%g", name, d.Phase, d.Viewer, d.X)) }
	}
	a.OnDrag(drag("a"))
	b.OnDrag(drag("b"))
	ev := func(kind wire.EventKind, viewer uint64, target *scene.Node, x float32) {
		s.Dispatch(wire.Event{Kind: kind, Viewer: viewer, Target: target.Handle(), X: x, Pointer: 1, Buttons: 1})
		s.Advance(0)
	}
	ev(wire.PointerDown, 1, a, 0)
	ev(wire.PointerDown, 2, b, 100)
	ev(wire.PointerMove, 1, a, 10)
	ev(wire.PointerMove, 2, b, 110)
	ev(wire.PointerUp, 1, a, 20)
	s.Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: 2})
	s.Advance(0)
	ev(wire.PointerMove, 2, b, 130) // no drag left: nothing
	equal(t, "drags", log, []string{
		fmt.Sprintf("a %v v1 x=0", scene.DragStart), fmt.Sprintf("b %v v2 x=100", scene.DragStart),
		fmt.Sprintf("a %v v1 x=10", scene.DragMove), fmt.Sprintf("b %v v2 x=110", scene.DragMove),
		fmt.Sprintf("a %v v1 x=20", scene.DragEnd), fmt.Sprintf("b %v v2 x=110", scene.DragEnd),
	})
}

// Pointer-downs with ever new pointer ids cannot grow the drag table: past
// MaxDragsPerViewer, each ends the viewer's oldest drag; the viewer's
// leaving ends the rest; a move of an ended pointer drags nothing.
func TestDragsBoundedPerViewer(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	c := s.Root().Circle(0, 0, 5)
	starts, ends, moves := 0, 0, 0
	c.OnDrag(func(d scene.Drag) {
		switch d.Phase {
		case scene.DragStart:
			starts++
		case scene.DragEnd:
			ends++
		case scene.DragMove:
			moves++
		}
	})
	const downs = 400
	for i := range downs {
		s.Dispatch(wire.Event{Kind: wire.PointerDown, Viewer: 7, Target: c.Handle(), Pointer: uint64(i + 1), Buttons: 1})
		if i%50 == 49 {
			s.Advance(0)
		}
	}
	s.Advance(0)
	if starts != downs || ends != downs-scene.MaxDragsPerViewer {
		t.Fatalf("%d pointer-downs: %d drags started, %d ended; want %d ended (%d left in progress)", downs, starts, ends, downs-scene.MaxDragsPerViewer, scene.MaxDragsPerViewer)
	}
	s.Dispatch(wire.Event{Kind: wire.PointerMove, Viewer: 7, Target: c.Handle(), Pointer: 1, Buttons: 1})
	s.Dispatch(wire.Event{Kind: wire.PointerMove, Viewer: 7, Target: c.Handle(), Pointer: downs, Buttons: 1})
	s.Advance(0)
	if moves != 1 {
		t.Fatalf("%d drag moves, want 1: the oldest pointer's drag was ended, the newest is in progress", moves)
	}
	s.Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: 7})
	s.Advance(0)
	if ends != downs {
		t.Fatalf("%d drags ended after the viewer left, want all %d", ends, downs)
	}
}

// The display options reach the definitions; a step of 0.1 binds 4.1, not
// 4.1000000000000005; a log slider clamps in real values.
func TestControlExtras(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	a, k, m := 1.0, 1.0, 1.0
	s.Slider("a", &a, 0, 20, 0.1).Unit("m/s²").Format("%.2f").Group("Physics")
	s.Slider("k", &k, 0.01, 100, 0).Log().Group("Physics")
	s.Number("m", &m).Unit("kg")
	s.Advance(0)
	for _, ev := range []wire.Event{
		{Kind: wire.ControlSet, Name: "a", Value: wire.Number(4.1)},
		{Kind: wire.ControlSet, Name: "k", Value: wire.Number(0.001)},
	} {
		s.Dispatch(ev)
	}
	s.Advance(0)
	if a != 4.1 || k != 0.01 {
		t.Errorf("a = %v, k = %v; want 4.1, 0.01", a, k)
	}
	ctl := fresh(t, s).Keyframe().Ops[1].Controls
	want := []wire.Control{
		{Kind: wire.Slider, Name: "a", Label: "a", Max: 20, Step: 0.1, Value: wire.Number(4.1), Group: "Physics", Unit: "m/s²", Format: "%.2f"},
		{Kind: wire.Slider, Name: "k", Label: "k", Min: 0.01, Max: 100, Value: wire.Number(0.01), Group: "Physics", Log: true},
		{Kind: wire.NumberBox, Name: "m", Label: "m", Value: wire.Number(1), Unit: "kg"},
	}
	if !reflect.DeepEqual(ctl, want) {
		t.Errorf("definitions:\n got  %+v\n want %+v", ctl, want)
	}
	for name, fn := range map[string]func(){
		"bad format":      func() { s.Slider("x", &a, 0, 1, 0).Format("%g") },
		"log of a number": func() { s.Number("y", &m).Log() },
		"log from 0":      func() { s.Slider("z", &a, 0, 1, 0).Log() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}
