// Package scenetest drives a scene in its author's tests and reads what a
// browser watching it would show, in the spirit of net/http/httptest.
//
//	v := scenetest.New(t, s)          // a viewer of s
//	v.Advance(1.0 / 60)               // one frame, as the sim loop runs it
//	v.Attr("ball-0", "cx")            // "412.5": as the browser's DOM has it
//	v.Click("ball-0", 410, 300)       // as the browser sends it
//	v.Advance(1.0 / 60)               // the click's handler runs, then a tick
//
// A [Viewer] is subscribed to the scene like a browser: every batch goes
// through the wire encoding and is applied to a model of the browser's DOM
// exactly as the client applies it, so a test sees what reaches viewers,
// not only the scene's own state. Time moves only when the test calls
// Advance: nothing runs in the background, nothing sleeps.
//
// A [DOM] is that model on its own, for tests that read messages from a
// real connection.
//
// Like package scene, scenetest imports neither net nor net/http.
package scenetest

import (
	"fmt"
	"testing"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// DOM is a model of a browser's DOM fed with the messages of a scene's
// stream. Its zero value is not ready; use NewDOM. A DOM is not safe for
// concurrent use.
type DOM struct {
	m *stream.Mirror
}

// NewDOM returns an empty DOM; it holds a scene after its first keyframe.
func NewDOM() *DOM { return &DOM{m: stream.NewMirror()} }

// ApplyMessage decodes one server→browser message and applies it as the
// browser client does. It returns the message's sequence number, which a
// test that plays the browser acknowledges.
func (d *DOM) ApplyMessage(msg []byte) (seq uint64, err error) {
	var b wire.Batch
	if err := b.UnmarshalBinary(msg); err != nil {
		return 0, err
	}
	if err := d.m.Apply(&b); err != nil {
		return 0, err
	}
	return b.Seq, nil
}

// Ready reports whether the DOM holds a scene: it got a keyframe.
func (d *DOM) Ready() bool { return d.m.Ready() }

// Has reports whether an element has the id.
func (d *DOM) Has(id string) bool {
	_, ok := d.m.ByID(id)
	return ok
}

// Attr returns the attribute of the element with the id, formatted as the
// browser has it (numbers as wire.FormatNum writes them), or "" if there
// is no such element or attribute.
func (d *DOM) Attr(id, name string) string {
	e, _ := d.m.ByID(id)
	v, _ := e.Attr(name)
	return v
}

// Text returns the text of the element with the id (its own, not its
// children's), or "".
func (d *DOM) Text(id string) string {
	e, _ := d.m.ByID(id)
	return e.Text
}

// Handle returns the handle events name the element with the id by, or 0
// if it has none (the browser sends no events for it).
func (d *DOM) Handle(id string) wire.Handle {
	e, _ := d.m.ByID(id)
	return e.Handle
}

// Count returns how many elements have the tag ("circle", "rect"...); ""
// counts every element.
func (d *DOM) Count(tag string) int {
	n := 0
	d.m.Elements(func(e stream.Element) bool {
		if tag == "" || e.Tag == tag {
			n++
		}
		return true
	})
	return n
}

// SVG returns the current frame as canonical SVG markup: each element's
// id first, then its other attributes sorted by name. Two DOMs that show
// the same scene return the same string, so it suits golden files.
func (d *DOM) SVG() string { return d.m.Markup() }

// Viewer is a test's viewer of a scene: a DOM subscribed to it. Its
// methods must be called from the test's goroutine, and the scene must not
// be running (no Scene.Run): the Viewer's Advance is the sim loop.
type Viewer struct {
	*DOM
	t   testing.TB
	s   *scene.Scene
	ops []wire.Op
	err error
}

// New subscribes a viewer to s until the test ends. It sees the scene
// from the next Advance on (its first batch is a keyframe).
func New(t testing.TB, s *scene.Scene) *Viewer {
	t.Helper()
	v := &Viewer{DOM: NewDOM(), t: t, s: s}
	unsubscribe := s.Subscribe(wire.SinkFunc(v.send))
	t.Cleanup(unsubscribe)
	return v
}

// send is the viewer's sink: it applies b after a round trip through the
// wire encoding, as the browser gets it. It runs on the scene's goroutine,
// that is inside Advance; errors wait for Advance to report them.
func (v *Viewer) send(b *wire.Batch) bool {
	if v.err != nil {
		return true
	}
	msg, err := b.MarshalBinary()
	if err != nil {
		v.err = fmt.Errorf("scenetest: the scene sent a batch that does not encode: %w", err)
		return true
	}
	if _, err := v.ApplyMessage(msg); err != nil {
		v.err = fmt.Errorf("scenetest: the scene sent a batch the browser cannot apply: %w", err)
		return true
	}
	if !b.IsKeyframe() {
		for _, op := range b.Ops {
			if op.Code != wire.OpStats {
				v.ops = append(v.ops, op)
			}
		}
	}
	return true
}

// Advance runs one frame of the scene, as its sim loop would after dt
// seconds: queued work and events (Click, Press...), one tick if the scene
// plays, drawing, then the batch the viewer applies. Advance(0) runs a
// frame without moving time. It fails the test if the batch is one a
// browser could not apply.
func (v *Viewer) Advance(dt float64) {
	v.t.Helper()
	v.AdvanceN(1, dt)
}

// AdvanceN runs n frames of dt seconds each.
func (v *Viewer) AdvanceN(n int, dt float64) {
	v.t.Helper()
	v.ops = v.ops[:0]
	for range n {
		v.s.Advance(dt)
		if v.err != nil {
			v.t.Fatal(v.err)
		}
	}
}

// Ops returns the ops the viewer received during the last Advance or
// AdvanceN call, keyframes and stats aside: what the frames cost on the
// wire. The slice is the viewer's until the next Advance.
func (v *Viewer) Ops() []wire.Op { return v.ops }

// handle returns the handle of the element with the id, failing the test
// if the viewer's DOM has no such element.
func (v *Viewer) handle(id string) wire.Handle {
	v.t.Helper()
	if !v.Ready() {
		v.t.Fatalf("scenetest: no frame yet to find %q in: call Advance first", id)
	}
	e, ok := v.m.ByID(id)
	if !ok {
		v.t.Fatalf("scenetest: no element has id %q", id)
	}
	if e.Handle == 0 {
		v.t.Fatalf("scenetest: element %q has no handle, so a browser sends no events for it", id)
	}
	return e.Handle
}

// Dispatch queues an event as if a viewer sent it; it is handled at the
// next Advance.
func (v *Viewer) Dispatch(e wire.Event) { v.s.Dispatch(e) }

// Click queues a primary-button click on the element with the id, at
// (x, y) in scene coordinates, as the browser sends it. It fails the test
// if the viewer's DOM has no such element.
func (v *Viewer) Click(id string, x, y float32) {
	v.t.Helper()
	v.Dispatch(wire.Event{Kind: wire.Click, Target: v.handle(id), X: x, Y: y, Button: 1})
}

// Key queues a key press (key down, then key up) for the scene, with the
// DOM KeyboardEvent.key value: "a", " ", "ArrowLeft". A browser turns a
// key bound to a control (Control.Key) into that control's change
// instead: use Press or Set for those.
func (v *Viewer) Key(key string) {
	v.Dispatch(wire.Event{Kind: wire.KeyDown, Key: key})
	v.Dispatch(wire.Event{Kind: wire.KeyUp, Key: key})
}

// Set queues a viewer's change of the control name (a slider, toggle,
// select or text box) to value.
func (v *Viewer) Set(name string, value wire.Value) {
	v.Dispatch(wire.Event{Kind: wire.ControlSet, Name: name, Value: value})
}

// Press queues a press of the button control name.
func (v *Viewer) Press(name string) {
	v.Dispatch(wire.Event{Kind: wire.ControlSet, Name: name})
}
