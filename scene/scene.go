package scene

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/scene/wire"
)

// Options configure a scene. The zero value is usable.
type Options struct {
	// Width and Height are the size of the root <svg> in user units.
	// Default 800 × 600.
	Width, Height float64
	// ViewBox is the root's viewBox. Default "0 0 Width Height", so that
	// scene coordinates are the user units above.
	ViewBox string
	// ID is the DOM id of the root <svg>. Default "scene".
	ID string
	// Rate is the target number of ticks per second. Default 60.
	Rate float64
	// Paused starts the simulation paused.
	Paused bool
	// MaxEvents bounds the events queued for the sim goroutine; beyond it
	// events are dropped (pointer moves are coalesced first). Default 4096.
	MaxEvents int
	// MaxEventBytes bounds the same queue in bytes (an event's struct and
	// its strings), so large key or text events cannot pile up where small
	// ones would fit by count. Default 1 MiB.
	MaxEventBytes int
	// Logger receives recovered panics and dropped events. Default
	// slog.Default().
	Logger *slog.Logger
}

// Scene is a live SVG scene: a tree of nodes, the simulation loop that
// changes it, the events that steer it and the controls bound to Go values.
// It is a wire.Source: viewers subscribe to its stream of batches.
//
// One goroutine, the sim goroutine, owns the scene: it runs OnTick
// functions, event handlers, control changes and functions given to Do.
// Code running there needs no locks. From other goroutines call only Do,
// Dispatch, Subscribe, Snapshot and the loop controls (Play, Pause, Step,
// SetSpeed); everything else belongs to the sim goroutine.
type Scene struct {
	opt  Options
	log_ *slog.Logger

	root  *Node
	nodes map[wire.Handle]*Node
	ids   map[string]*Node
	next  wire.Handle

	// changes since the last flush
	log   []logEntry
	dirty []*Node

	seq       uint64
	batch     wire.Batch
	sinks     []*subscription
	tickFns   []func(dt float64)
	preFlush  []func()
	drawers   []*drawer
	drawn     bool // the drawers have run at least once
	controls  []*Control
	ctlDirty  bool
	overlay   string
	ovlDirty  bool
	notices   []string                         // since the last flush
	drags     map[uint64]map[uint64]*dragState // viewer → pointer id → drag
	dragSeq   uint64
	simTime   float64
	speed     float64
	playing   bool
	steps     int
	resetFns  []func()
	restart   func()  // set by vizserve's child (scenehook.SetRestart): a reset without resetFns
	halted    bool    // a panic paused the sim and set the overlay
	statsDue  bool    // send stats with the next frame
	tickHz    float64 // the last measured tick rate, for stats sent between measurements
	activity  bool    // something ran since the last frame (an event, a Do)
	ticks     int
	statsAt   time.Time
	statsTick int

	mu      sync.Mutex // guards the queues below
	calls   []call
	events  []wire.Event
	evBytes int // eventCost of events
	dropped int
	wake    chan struct{}
	runDone chan struct{} // closed when the current Run returns; nil when none runs
	running atomic.Bool
}

type call struct {
	fn       func()
	internal bool // bookkeeping (a subscription), not a change to the scene
}

type logEntry struct {
	code           wire.Code
	n              *Node
	parent, before *Node
}

type subscription struct {
	sink wire.Sink
	dead atomic.Bool
}

// New returns a scene with an empty root <svg>.
func New(opt Options) *Scene {
	if opt.Width <= 0 {
		opt.Width = 800
	}
	if opt.Height <= 0 {
		opt.Height = 600
	}
	if opt.ViewBox == "" {
		opt.ViewBox = "0 0 " + wire.FormatNum(f32(opt.Width)) + " " + wire.FormatNum(f32(opt.Height))
	}
	if opt.ID == "" {
		opt.ID = "scene"
	}
	if opt.Rate <= 0 {
		opt.Rate = 60
	}
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = 4096
	}
	if opt.MaxEventBytes <= 0 {
		opt.MaxEventBytes = 1 << 20
	}
	s := &Scene{
		opt:     opt,
		log_:    opt.Logger,
		nodes:   map[wire.Handle]*Node{},
		ids:     map[string]*Node{},
		wake:    make(chan struct{}, 1),
		speed:   1,
		playing: !opt.Paused,
		drags:   map[uint64]map[uint64]*dragState{},
	}
	if s.log_ == nil {
		s.log_ = slog.Default()
	}
	s.root = s.newNode(nil, nil, "svg", opt.ID)
	s.root.attrs = []attr{
		{name: "xmlns", s: "http://www.w3.org/2000/svg"},
		{name: "xmlns:xlink", s: "http://www.w3.org/1999/xlink"},
	}
	s.root.setString("width", wire.FormatNum(f32(opt.Width)))
	s.root.setString("height", wire.FormatNum(f32(opt.Height)))
	s.root.setString("viewBox", opt.ViewBox)
	s.root.fresh = false
	return s
}

// Root returns the root <svg> node. Handlers on the root receive the
// events of the whole scene (key presses, and events no node handles).
func (s *Scene) Root() *Node { return s.root }

// ByID returns the live node with the given DOM id, or nil.
func (s *Scene) ByID(id string) *Node { return s.ids[id] }

// ByHandle returns the live node with the given handle, or nil.
func (s *Scene) ByHandle(h wire.Handle) *Node { return s.nodes[h] }

// Len returns the number of live nodes, the root included.
func (s *Scene) Len() int { return len(s.nodes) }

func (s *Scene) newNode(parent, before *Node, tag, id string) *Node {
	s.next++
	n := &Node{s: s, h: s.next, tag: tag, id: id, fresh: true}
	if id == "" {
		n.id = s.genID(n.h)
	} else if s.ids[id] != nil {
		panic(fmt.Sprintf("scene: id %q is already in use", id))
	}
	s.nodes[n.h] = n
	s.ids[n.id] = n
	if parent != nil {
		insertNode(parent, n, before)
		s.log = append(s.log, logEntry{code: wire.OpCreate, n: n, parent: parent, before: before})
	}
	return n
}

func (s *Scene) genID(h wire.Handle) string {
	id := "n" + strconv.FormatUint(uint64(h), 36)
	for s.ids[id] != nil {
		id += "_"
	}
	return id
}

func (s *Scene) forget(n *Node) {
	n.removed = true
	n.parent = nil
	delete(s.nodes, n.h)
	if s.ids[n.id] == n {
		delete(s.ids, n.id)
	}
	for _, k := range n.kids {
		s.forget(k)
	}
}

// OnTick adds fn to the functions called on every tick with the elapsed
// sim time in seconds (1/Rate times the speed).
func (s *Scene) OnTick(fn func(dt float64)) { s.tickFns = append(s.tickFns, fn) }

// SetOverlay shows text over the scene in every viewer (for errors); ""
// clears it. A panic in sim code shows one by itself.
func (s *Scene) SetOverlay(text string) {
	if s.overlay != text {
		s.overlay, s.ovlDirty = text, true
	}
}

// Notice shows text in every viewer's page for a few seconds (a toast that
// screen readers announce), for what a person should know but need not
// act on. Unlike the overlay it is not part of a keyframe: a viewer that
// connects later does not see it. Sim goroutine only, like SetOverlay.
func (s *Scene) Notice(text string) {
	s.notices = append(s.notices, text)
}

// SimTime returns the sim time in seconds: the sum of every tick's dt.
func (s *Scene) SimTime() float64 { return s.simTime }

// --- the stream ---

// flush turns the changes since the last flush into one batch and sends
// it to every subscriber. Its cost is proportional to what changed.
func (s *Scene) flush() {
	for _, fn := range s.preFlush {
		fn()
	}
	ops := s.batch.Ops[:0]
	if s.ctlDirty {
		ops = append(ops, wire.Op{Code: wire.OpControls, Controls: s.controlDefs()})
		s.ctlDirty = false
	}
	ops = s.controlValueOps(ops)
	if s.ovlDirty {
		ops = append(ops, wire.Op{Code: wire.OpOverlay, Text: s.overlay})
		s.ovlDirty = false
	}
	for _, text := range s.notices {
		ops = append(ops, wire.Op{Code: wire.OpNotice, Text: text})
	}
	s.notices = s.notices[:0]
	for _, e := range s.log {
		switch e.code {
		case wire.OpCreate:
			n := e.n
			ops = append(ops, wire.Op{Code: wire.OpCreate, Node: n.h, Parent: e.parent.h, Before: handleOf(e.before),
				Tag: n.tag, Name: n.id, Mask: n.mask, Attrs: n.wireAttrs(), Text: n.text})
			n.fresh = false
		case wire.OpMove:
			ops = append(ops, wire.Op{Code: wire.OpMove, Node: e.n.h, Parent: e.parent.h, Before: handleOf(e.before)})
		case wire.OpRemove:
			ops = append(ops, wire.Op{Code: wire.OpRemove, Node: e.n.h})
		}
	}
	clear(s.log)
	s.log = s.log[:0]
	for _, n := range s.dirty {
		n.dirty = false
		if n.removed {
			continue
		}
		ops = n.appendChanges(ops)
	}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	s.batch.Ops = ops
	if len(ops) == 0 {
		return
	}
	s.seq++
	s.batch.Seq = s.seq
	s.send(&s.batch)
	clear(s.batch.Ops)
}

func (s *Scene) send(b *wire.Batch) {
	var kf *wire.Batch
	live := s.sinks[:0]
	for _, sub := range s.sinks {
		if sub.dead.Load() {
			continue
		}
		live = append(live, sub)
		if !sub.sink.Send(b) {
			if kf == nil {
				kf = s.keyframe()
			}
			sub.sink.Send(kf)
		}
	}
	clear(s.sinks[len(live):])
	s.sinks = live
}

func handleOf(n *Node) wire.Handle {
	if n == nil {
		return 0
	}
	return n.h
}

// appendChanges appends the ops for n's changed attributes, text and mask.
func (n *Node) appendChanges(ops []wire.Op) []wire.Op {
	k := 0
	for i := range n.attrs {
		a := &n.attrs[i]
		if !a.dirty {
			if a.kind == kPoints && a.pts.edit != nil {
				ops = a.pts.edit.AppendOps(ops, n.h, a.name)
				a.pts.edit = nil // the op holds its points: the next edit is a new one
			}
			n.attrs[k] = *a
			k++
			continue
		}
		a.dirty = false
		switch a.kind {
		case kPoints:
			a.pts.edit = nil
			ops = append(ops, wire.Op{Code: wire.OpSetAttr, Node: n.h, Name: a.name, Text: a.value()})
		case kDel:
			ops = append(ops, wire.Op{Code: wire.OpDelAttr, Node: n.h, Name: a.name})
			continue // dropped from attrs
		case kStr:
			ops = append(ops, wire.Op{Code: wire.OpSetAttr, Node: n.h, Name: a.name, Text: a.s})
		case kTranslate:
			ops = append(ops, wire.Op{Code: wire.OpSetXY, Node: n.h, Pair: wire.PairTranslate, X: a.x, Y: a.y})
		case kPose:
			ops = append(ops, wire.Op{Code: wire.OpSetPose, Node: n.h, X: a.x, Y: a.y, Angle: a.angle})
		case kPoseScaled:
			ops = append(ops, wire.Op{Code: wire.OpSetPoseScaled, Node: n.h, X: a.x, Y: a.y, Angle: a.angle, Scale: a.scale})
		case kNum:
			paired := false
			if p := wire.PairStartingWith(a.name); p != 0 {
				_, second := p.Names()
				for j := i + 1; j < len(n.attrs); j++ {
					if b := &n.attrs[j]; b.name == second && b.dirty && b.kind == kNum {
						ops = append(ops, wire.Op{Code: wire.OpSetXY, Node: n.h, Pair: p, X: a.x, Y: b.x})
						b.dirty = false
						paired = true
						break
					}
				}
			}
			if !paired {
				ops = append(ops, wire.Op{Code: wire.OpSetNum, Node: n.h, Name: a.name, X: a.x})
			}
		}
		n.attrs[k] = *a
		k++
	}
	clear(n.attrs[k:])
	n.attrs = n.attrs[:k]
	if n.textDirty {
		n.textDirty = false
		ops = append(ops, wire.Op{Code: wire.OpSetText, Node: n.h, Text: n.text})
	}
	if n.maskDirty {
		n.maskDirty = false
		ops = append(ops, wire.Op{Code: wire.OpListen, Node: n.h, Mask: n.mask})
	}
	return ops
}

// keyframe returns a batch that brings a new viewer to the current
// (flushed) state: the markup and handle table, the controls, the overlay.
func (s *Scene) keyframe() *wire.Batch {
	b, _ := s.root.appendMarkup(make([]byte, 0, 64*len(s.nodes)), nil)
	table := make([]wire.Entry, 0, len(s.nodes))
	var walk func(n *Node)
	walk = func(n *Node) {
		table = append(table, wire.Entry{Node: n.h, ID: n.id, Mask: n.mask})
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(s.root)
	kf := &wire.Batch{Seq: s.seq, Ops: []wire.Op{{Code: wire.OpKeyframe, Text: string(b), Table: table}}}
	if len(s.controls) > 0 {
		kf.Ops = append(kf.Ops, wire.Op{Code: wire.OpControls, Controls: s.controlDefs()})
	}
	if s.overlay != "" {
		kf.Ops = append(kf.Ops, wire.Op{Code: wire.OpOverlay, Text: s.overlay})
	}
	return kf
}

// Subscribe implements wire.Source. The sink's first batch is a keyframe;
// it is sent from the sim goroutine at its next turn (or the next Advance
// when Run is not running).
func (s *Scene) Subscribe(sink wire.Sink) (unsubscribe func()) {
	sub := &subscription{sink: sink}
	s.do(func() {
		if sub.dead.Load() {
			return
		}
		if !s.drawn && len(s.drawers) > 0 {
			s.draw() // an immediate scene has no picture before its first frame
		}
		s.flush() // the keyframe must not include changes existing viewers have not had
		sink.Send(s.keyframe())
		s.sinks = append(s.sinks, sub)
	}, true)
	return func() { sub.dead.Store(true) }
}

// Markup returns the SVG markup of the scene's current state (the root
// <svg> element), for a server-side first render. Sim goroutine only.
func (s *Scene) Markup() string {
	b, _ := s.root.appendMarkup(nil, nil)
	return string(b)
}

// WriteSVG writes the current state as a standalone SVG document. It must
// run on the sim goroutine; from elsewhere use Snapshot.
func (s *Scene) WriteSVG(w io.Writer) error {
	ew := &errWriter{w: w}
	c := svg.New(ew)
	var ns []string
	var b []byte
	font := true // the root declares the page's font, unless the scene sets one
	for i := range s.root.attrs {
		a := &s.root.attrs[i]
		if a.kind == kDel || a.name == "xmlns" || a.name == "xmlns:xlink" {
			continue
		}
		if a.name == "font-family" || a.name == "font" || (a.name == "style" && strings.Contains(a.value(), "font")) {
			font = false
		}
		b = append(b[:0], a.name...)
		b = append(b, '=', '"')
		b = svgx.AppendAttrValue(b, a.value())
		ns = append(ns, string(append(b, '"')))
	}
	if font {
		ns = append(ns, `font-family="`+string(svgx.AppendAttrValue(nil, wire.FontStack))+`"`)
	}
	c.Startraw(append([]string{`id="` + string(svgx.AppendAttrValue(nil, s.root.id)) + `"`}, ns...)...)
	if s.root.text != "" {
		ew.Write(svgx.AppendText(nil, s.root.text))
	}
	var scratch []svgx.Attr
	for _, k := range s.root.kids {
		b, scratch = k.appendMarkup(b[:0], scratch)
		ew.Write(append(b, '\n'))
	}
	c.End()
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// Snapshot writes the current frame as a standalone SVG document (for
// /snapshot.svg and exports). It may be called from any goroutine but the
// sim goroutine (use WriteSVG there): while Run is running, it waits for
// the sim goroutine to render the frame.
func (s *Scene) Snapshot(w io.Writer) error {
	s.mu.Lock()
	stopped := s.runDone
	s.mu.Unlock()
	if stopped == nil {
		return s.WriteSVG(w)
	}
	var buf strings.Builder
	done := make(chan error, 1)
	s.do(func() { done <- s.WriteSVG(&buf) }, true)
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-stopped:
		return s.Snapshot(w) // Run returned before rendering: render here
	}
	_, err := io.WriteString(w, buf.String())
	return err
}

// --- the loop ---

// Do schedules fn to run on the sim goroutine. It may be called from any
// goroutine, including the sim goroutine, and never blocks.
func (s *Scene) Do(fn func()) { s.do(fn, false) }

func (s *Scene) do(fn func(), internal bool) {
	s.mu.Lock()
	s.calls = append(s.calls, call{fn, internal})
	s.mu.Unlock()
	s.signal()
}

func (s *Scene) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Dispatch implements wire.Source: it queues a viewer's event for the sim
// goroutine. It may be called from any goroutine and never blocks.
// Consecutive pointer moves of one pointer are coalesced; beyond
// Options.MaxEvents events or Options.MaxEventBytes bytes are dropped, and
// so are events whose coordinates, deltas or number value are NaN or
// infinite (the wire decoder refuses those already; this covers sources
// that call Dispatch directly).
func (s *Scene) Dispatch(ev wire.Event) {
	if ev.Kind == wire.Ack {
		return
	}
	if !ev.Finite() {
		s.log_.Warn("scene: event with a non-finite number dropped", "event", ev.String())
		return
	}
	s.mu.Lock()
	if n := len(s.events); ev.Kind == wire.PointerMove && n > 0 {
		last := &s.events[n-1]
		if last.Kind == wire.PointerMove && last.Pointer == ev.Pointer && last.Viewer == ev.Viewer && last.Target == ev.Target {
			*last = ev
			s.mu.Unlock()
			return
		}
	}
	// A viewer's leaving is never dropped: it ends what the scene keeps
	// for the viewer, and there is one per viewer connection.
	cost := eventCost(&ev)
	if ev.Kind != wire.ViewerLeft && (len(s.events) >= s.opt.MaxEvents || s.evBytes+cost > s.opt.MaxEventBytes) {
		s.dropped++
		s.mu.Unlock()
		return
	}
	s.events = append(s.events, ev)
	s.evBytes += cost
	s.mu.Unlock()
	s.signal()
}

// eventCost is what a queued event holds in memory: the struct and the
// bytes of its strings.
func eventCost(ev *wire.Event) int {
	return int(unsafe.Sizeof(*ev)) + len(ev.Key) + len(ev.Code) + len(ev.Name) + len(ev.Value.Str)
}

// Play resumes ticking, and clears the overlay of a panic. Safe from any
// goroutine.
func (s *Scene) Play() { s.Do(func() { s.clearHalt(); s.playing = true }) }

// Pause stops ticking; events, controls and Do still run. Safe from any
// goroutine.
func (s *Scene) Pause() { s.Do(func() { s.playing = false }) }

// Step runs one tick while paused. Safe from any goroutine.
func (s *Scene) Step() { s.Do(func() { s.steps++ }) }

// OnReset adds fn to the functions a reset calls, on the sim goroutine, to
// put the simulation back in its initial state (see Reset). A scene with
// none cannot reset: viewers do not show a reset button.
func (s *Scene) OnReset(fn func()) {
	s.resetFns = append(s.resetFns, fn)
	s.statsDue = true // viewers learn it with the next stats
}

// CanReset reports whether a reset does something: OnReset was called, or
// the scene runs under vizserve, which resets a scene without OnReset by
// starting its program afresh. Sim goroutine only.
func (s *Scene) CanReset() bool { return len(s.resetFns) > 0 || s.restart != nil }

// Reset restarts the simulation from its initial state: it calls the
// OnReset functions, sets the sim time to 0, drops pending steps, clears
// a panic's overlay and plays (or stays paused with Options.Paused). The
// speed is kept. Without OnReset functions it does nothing. Safe from any
// goroutine.
func (s *Scene) Reset() { s.Do(s.reset) }

func (s *Scene) reset() {
	if len(s.resetFns) == 0 {
		if s.restart != nil {
			s.restart()
		}
		return
	}
	s.clearHalt()
	s.guard("OnReset", func() {
		for _, fn := range s.resetFns {
			fn()
		}
	})
	if s.halted {
		return // the reset itself panicked: stay paused with its overlay
	}
	s.simTime, s.steps = 0, 0
	s.playing = !s.opt.Paused
}

// clearHalt removes the overlay of a panic, if one is shown.
func (s *Scene) clearHalt() {
	if s.halted {
		s.halted = false
		s.SetOverlay("")
	}
}

// Speeds a viewer's run command may set.
const (
	MinSpeed = 0.25
	MaxSpeed = 8
)

// runCommand carries out a viewer's run command and tells every viewer
// the new state at once.
func (s *Scene) runCommand(ev *wire.Event) {
	switch ev.Cmd {
	case wire.RunPlay:
		s.clearHalt()
		s.playing = true
	case wire.RunPause:
		s.playing = false
	case wire.RunStep:
		s.clearHalt()
		s.playing = false
		s.steps++
	case wire.RunSpeed:
		s.speed = min(max(float64(ev.Speed), MinSpeed), MaxSpeed)
	case wire.RunReset:
		s.reset()
	}
	s.statsDue = true
}

// SetSpeed multiplies every tick's dt by speed (default 1). Safe from any
// goroutine.
func (s *Scene) SetSpeed(speed float64) {
	s.Do(func() {
		if speed > 0 {
			s.speed = speed
		}
	})
}

// Playing reports whether the sim is ticking. Sim goroutine only.
func (s *Scene) Playing() bool { return s.playing }

// Speed returns the speed multiplier. Sim goroutine only.
func (s *Scene) Speed() float64 { return s.speed }

// runQueued runs the queued functions and events on the sim goroutine.
func (s *Scene) runQueued() {
	for {
		s.mu.Lock()
		calls, events := s.calls, s.events
		s.calls, s.events, s.evBytes = nil, nil, 0
		dropped := s.dropped
		s.dropped = 0
		s.mu.Unlock()
		if dropped > 0 {
			s.log_.Warn("scene: events dropped: the sim goroutine is not keeping up", "dropped", dropped)
		}
		if len(calls) == 0 && len(events) == 0 {
			return
		}
		for _, c := range calls {
			s.activity = s.activity || !c.internal
			s.guard("Do", c.fn)
		}
		if len(events) > 0 {
			s.activity = true
		}
		for i := range events {
			s.handle(&events[i])
		}
	}
}

// guard runs fn, turning a panic into a paused sim and an overlay, so a
// bug in a handler does not take the server down.
func (s *Scene) guard(where string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			stack := string(debug.Stack())
			s.log_.Error("scene: panic in sim code; the sim is paused", "in", where, "panic", v, "stack", stack)
			s.playing = false
			s.halted, s.statsDue = true, true
			s.SetOverlay(fmt.Sprintf("panic in %s: %v\n\nThe simulation is paused.\n\n%s", where, v, trimStack(stack)))
		}
	}()
	fn()
}

// scenePkg prefixes the functions of this package in a stack trace.
const scenePkg = "github.com/vizserve/vizserve/scene."

// trimStack cuts a debug.Stack trace taken in guard's recover down to the
// frames of the code that panicked: the leading frames of runtime/debug,
// the runtime's panic machinery and guard's deferred function go, and so
// does everything from the scene's own caller of the code (guard, Advance,
// Run…) on. What remains starts at the frame that panicked (the user's
// function, or a scene method it called with a bad argument) and is at most
// 40 lines long.
func trimStack(st string) string {
	lines := strings.Split(strings.TrimRight(st, "\n"), "\n")
	out := lines[:0:0]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "goroutine ") {
		out = append(out, lines[0])
		lines = lines[1:]
	}
	// Frames are pairs: the function, then its file:line indented by a tab.
	lead := true
	for i := 0; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if lead {
			if strings.HasPrefix(fn, "runtime/debug.") || strings.HasPrefix(fn, "runtime.") ||
				strings.HasPrefix(fn, "panic(") || strings.HasPrefix(fn, scenePkg+"(*Scene).guard") {
				continue
			}
			lead = false
		} else if strings.HasPrefix(fn, scenePkg+"(*Scene).") || strings.HasPrefix(fn, scenePkg+"(*drawer).") {
			break
		}
		out = append(out, fn, lines[i+1])
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return strings.Join(out, "\n")
}

// Advance runs one frame on the calling goroutine, exactly as Run does at
// each tick: queued functions and events, one tick of dt×speed if playing
// (or a step is pending), immediate-mode drawing, then one batch to the
// subscribers. Use it to drive a scene without Run: in tests, or to render
// a few frames for an export. It must not be called while Run is running.
func (s *Scene) Advance(dt float64) {
	s.runQueued()
	ticked := false
	if s.playing || s.steps > 0 {
		if !s.playing {
			s.steps--
		}
		d := dt * s.speed
		s.guard("OnTick", func() {
			for _, fn := range s.tickFns {
				fn(d)
			}
		})
		s.simTime += d
		s.ticks++
		ticked = true
	}
	s.frame(ticked)
}

// frame draws immediate-mode content if anything happened, and sends the
// changes to the subscribers.
func (s *Scene) frame(ticked bool) {
	if ticked || s.activity || s.ctlDirty || !s.drawn {
		s.draw()
	}
	s.activity = false
	s.flush()
	if s.statsDue {
		s.statsDue = false
		s.sendStats(s.tickHz)
	}
}

// draw runs the immediate-mode drawers.
func (s *Scene) draw() {
	for _, d := range s.drawers {
		s.guard("Draw", d.frame)
	}
	s.drawn = true
}

// Run runs the simulation loop on the calling goroutine, which becomes the
// sim goroutine, until ctx is done; then it returns nil. Ticks come at
// Options.Rate; a tick that comes late is dropped rather than bunched, so
// sim time slows down when the machine cannot keep up. Events and Do
// functions run as soon as they arrive, and their changes go out at once.
// Once a second the subscribers get a stats op.
func (s *Scene) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("scene: Run is already running")
	}
	stopped := make(chan struct{})
	s.mu.Lock()
	s.runDone = stopped
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.runDone = nil
		s.mu.Unlock()
		close(stopped)
		s.running.Store(false)
	}()
	period := time.Duration(float64(time.Second) / s.opt.Rate)
	t := time.NewTicker(period)
	defer t.Stop()
	s.statsAt = time.Now()
	s.statsTick = s.ticks
	dt := period.Seconds()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			s.runQueued()
			if s.activity {
				// What an event or Do changed goes out now, not at the next
				// tick: a click shows up to a frame earlier.
				s.frame(false)
			}
		case now := <-t.C:
			s.Advance(dt)
			if el := now.Sub(s.statsAt); el >= time.Second {
				s.tickHz = float64(s.ticks-s.statsTick) / el.Seconds()
				s.statsDue = false
				s.sendStats(s.tickHz)
				s.statsAt, s.statsTick = now, s.ticks
			}
		}
	}
}

func (s *Scene) sendStats(hz float64) {
	s.tickHz = hz
	s.send(&wire.Batch{Seq: s.seq, Ops: []wire.Op{{Code: wire.OpStats, Stats: s.stats()}}})
}

func (s *Scene) stats() *wire.Stats {
	return &wire.Stats{
		Viewers:  uint64(len(s.sinks)),
		TickHz:   float32(s.tickHz),
		Speed:    float32(s.speed),
		SimTime:  s.simTime,
		Paused:   !s.playing,
		CanReset: s.CanReset(),
		Halted:   s.halted,
	}
}
