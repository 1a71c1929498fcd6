package scene

import "github.com/vizserve/vizserve/scene/wire"

// Mods is the set of modifier keys held during an event.
type Mods = wire.Mods

// Modifier keys.
const (
	Shift = wire.Shift
	Ctrl  = wire.Ctrl
	Alt   = wire.Alt
	Meta  = wire.Meta
)

// Pointer is a pointer event (mouse, pen or touch) in scene coordinates.
type Pointer struct {
	// Target is the node the event is for: the one whose handler runs, or
	// a descendant of it (the element under the pointer).
	Target  *Node
	X, Y    float64
	Button  int // the button that changed: 0 primary, 1 middle, 2 secondary; -1 none (moves)
	Buttons int // the buttons held: bit 0 primary, bit 1 secondary, bit 2 middle
	Mods    Mods
	ID      uint64 // pointer id: tells touches apart
	// Viewer tells viewers (browser connections) apart: events of
	// different viewers have different numbers, whatever their pointer
	// ids. 0 when the source does not say (events dispatched directly).
	Viewer uint64
}

// DragPhase tells a drag's start, moves and end apart.
type DragPhase uint8

// Drag phases.
const (
	DragStart DragPhase = iota
	DragMove
	DragEnd
)

// Drag is a pointer drag: down on a node, moves (the browser captures the
// pointer, so moves keep coming when it leaves the node), up.
type Drag struct {
	Pointer
	Phase          DragPhase
	DX, DY         float64 // movement since the previous drag event
	StartX, StartY float64 // where the drag started
}

// Wheel is a wheel or trackpad scroll over the scene.
type Wheel struct {
	Target *Node
	X, Y   float64 // pointer position
	DX, DY float64 // scroll deltas in CSS pixels
	Mods   Mods
}

// Key is a key press or release. Key is the DOM KeyboardEvent.key ("a",
// "A", "ArrowLeft", " "); Code the physical key ("KeyA").
type Key struct {
	Target *Node
	Key    string
	Code   string
	Mods   Mods
	Repeat bool
}

// Hover is the pointer entering (In) or leaving a node.
type Hover struct {
	Target *Node
	In     bool
	X, Y   float64
}

type handlers struct {
	click, dblclick, down, move, up func(Pointer)
	drag                            func(Drag)
	wheel                           func(Wheel)
	keyDown, keyUp                  func(Key)
	hover                           func(Hover)
}

func (n *Node) handlers() *handlers {
	if n.on == nil {
		n.on = &handlers{}
	}
	return n.on
}

// OnClick sets the node's click handler (nil removes it). Handlers run on
// the sim goroutine. Events bubble: an event on a node without a handler
// of its kind goes to its nearest ancestor that has one.
func (n *Node) OnClick(fn func(Pointer)) *Node {
	n.handlers().click = fn
	n.setMask(wire.MaskClick, fn != nil)
	return n
}

// OnDoubleClick sets the node's double-click handler.
func (n *Node) OnDoubleClick(fn func(Pointer)) *Node {
	n.handlers().dblclick = fn
	n.setMask(wire.MaskDblClick, fn != nil)
	return n
}

// OnPointerDown sets the node's pointer-down handler.
func (n *Node) OnPointerDown(fn func(Pointer)) *Node {
	n.handlers().down = fn
	n.setMask(wire.MaskPointerDown, fn != nil || n.on.drag != nil)
	return n
}

// OnPointerMove sets the node's pointer-move handler. Browsers send at
// most one move per animation frame.
func (n *Node) OnPointerMove(fn func(Pointer)) *Node {
	n.handlers().move = fn
	n.setMask(wire.MaskPointerMove, fn != nil || n.on.drag != nil)
	return n
}

// OnPointerUp sets the node's pointer-up handler.
func (n *Node) OnPointerUp(fn func(Pointer)) *Node {
	n.handlers().up = fn
	n.setMask(wire.MaskPointerUp, fn != nil || n.on.drag != nil)
	return n
}

// OnDrag makes the node draggable: fn gets DragStart on pointer down, then
// DragMove for every move (with the pointer captured) and DragEnd on up.
func (n *Node) OnDrag(fn func(Drag)) *Node {
	h := n.handlers()
	h.drag = fn
	on := fn != nil
	n.setMask(wire.MaskCapture, on)
	n.setMask(wire.MaskPointerDown, on || h.down != nil)
	n.setMask(wire.MaskPointerMove, on || h.move != nil)
	n.setMask(wire.MaskPointerUp, on || h.up != nil)
	return n
}

// OnWheel sets the node's wheel handler.
func (n *Node) OnWheel(fn func(Wheel)) *Node {
	n.handlers().wheel = fn
	n.setMask(wire.MaskWheel, fn != nil)
	return n
}

// OnKeyDown sets the node's key-down handler. Key events go to the node
// that has keyboard focus in the browser, else to the root: set key
// handlers on Root() for scene-wide keys.
func (n *Node) OnKeyDown(fn func(Key)) *Node {
	n.handlers().keyDown = fn
	n.setMask(wire.MaskKeyDown, fn != nil)
	return n
}

// OnKeyUp sets the node's key-up handler.
func (n *Node) OnKeyUp(fn func(Key)) *Node {
	n.handlers().keyUp = fn
	n.setMask(wire.MaskKeyUp, fn != nil)
	return n
}

// OnHover sets the node's hover handler: called with In true when the
// pointer enters the node and false when it leaves.
func (n *Node) OnHover(fn func(Hover)) *Node {
	n.handlers().hover = fn
	n.setMask(wire.MaskHover, fn != nil)
	return n
}

type dragState struct {
	n              *Node
	startX, startY float64
	p              Pointer // the last event of the drag
	seq            uint64  // order of starting, to end the oldest first
}

// MaxDragsPerViewer bounds the drags one viewer has in progress at once:
// a browser has a mouse, a pen and a handful of touches. Past it, a new
// drag ends the viewer's oldest one first (as a lost pointer-up would
// have), so that pointer-downs with fresh ids cannot grow the table.
const MaxDragsPerViewer = 16

// endDrag ends drag d of viewer's pointer id, telling its handler.
func (s *Scene) endDrag(viewer, id uint64, d *dragState) {
	s.dropDrag(viewer, id)
	if d.n.removed || d.n.on == nil || d.n.on.drag == nil {
		return
	}
	dg := Drag{Pointer: d.p, Phase: DragEnd, StartX: d.startX, StartY: d.startY}
	dg.Buttons = 0
	s.guard("OnDrag", func() { d.n.on.drag(dg) })
}

// dropDrag forgets the drag of viewer's pointer id.
func (s *Scene) dropDrag(viewer, id uint64) {
	ds := s.drags[viewer]
	delete(ds, id)
	if len(ds) == 0 {
		delete(s.drags, viewer)
	}
}

// startDrag records a drag of node n by pointer p, ending the one its
// pointer had (a pointer-up that never came) or, at MaxDragsPerViewer,
// the viewer's oldest.
func (s *Scene) startDrag(n *Node, p Pointer) {
	ds := s.drags[p.Viewer]
	if old := ds[p.ID]; old != nil {
		s.endDrag(p.Viewer, p.ID, old)
	} else if len(ds) >= MaxDragsPerViewer {
		var oldID uint64
		var oldest *dragState
		for id, d := range ds {
			if oldest == nil || d.seq < oldest.seq {
				oldID, oldest = id, d
			}
		}
		s.endDrag(p.Viewer, oldID, oldest)
	}
	if ds = s.drags[p.Viewer]; ds == nil {
		ds = map[uint64]*dragState{}
		s.drags[p.Viewer] = ds
	}
	s.dragSeq++
	ds[p.ID] = &dragState{n: n, startX: p.X, startY: p.Y, p: p, seq: s.dragSeq}
}

// handle runs one event on the sim goroutine.
func (s *Scene) handle(ev *wire.Event) {
	switch ev.Kind {
	case wire.ControlSet:
		s.controlEvent(ev)
		return
	case wire.Run:
		s.runCommand(ev)
		return
	case wire.ViewerLeft:
		for id, d := range s.drags[ev.Viewer] {
			s.endDrag(ev.Viewer, id, d)
		}
		return
	}
	target := s.root
	if ev.Target != 0 {
		target = s.nodes[ev.Target]
		if target == nil {
			return // the node is gone: the event is stale
		}
	}
	p := Pointer{Target: target, X: float64(ev.X), Y: float64(ev.Y), Button: int(ev.Button) - 1,
		Buttons: int(ev.Buttons), Mods: ev.Mods, ID: ev.Pointer, Viewer: ev.Viewer}
	// A drag in progress owns its pointer's moves and up.
	if d := s.drags[ev.Viewer][ev.Pointer]; d != nil && (ev.Kind == wire.PointerMove || ev.Kind == wire.PointerUp) {
		if d.n.removed || d.n.on == nil || d.n.on.drag == nil {
			s.endDrag(ev.Viewer, ev.Pointer, d)
		} else {
			phase := DragMove
			if ev.Kind == wire.PointerUp {
				phase = DragEnd
				s.dropDrag(ev.Viewer, ev.Pointer)
			}
			dg := Drag{Pointer: p, Phase: phase, DX: p.X - d.p.X, DY: p.Y - d.p.Y, StartX: d.startX, StartY: d.startY}
			d.p = p
			s.guard("OnDrag", func() { d.n.on.drag(dg) })
			return
		}
	}
	find := func(has func(h *handlers) bool) *Node {
		for n := target; n != nil; n = n.parent {
			if n.on != nil && has(n.on) {
				return n
			}
		}
		return nil
	}
	switch ev.Kind {
	case wire.PointerDown:
		if n := find(func(h *handlers) bool { return h.drag != nil || h.down != nil }); n != nil {
			if n.on.down != nil {
				s.guard("OnPointerDown", func() { n.on.down(p) })
			}
			if n.on.drag != nil && !n.removed {
				s.startDrag(n, p)
				dg := Drag{Pointer: p, Phase: DragStart, StartX: p.X, StartY: p.Y}
				s.guard("OnDrag", func() { n.on.drag(dg) })
			}
		}
	case wire.PointerMove:
		if n := find(func(h *handlers) bool { return h.move != nil }); n != nil {
			s.guard("OnPointerMove", func() { n.on.move(p) })
		}
	case wire.PointerUp:
		if n := find(func(h *handlers) bool { return h.up != nil }); n != nil {
			s.guard("OnPointerUp", func() { n.on.up(p) })
		}
	case wire.Click:
		if n := find(func(h *handlers) bool { return h.click != nil }); n != nil {
			s.guard("OnClick", func() { n.on.click(p) })
		}
	case wire.DblClick:
		if n := find(func(h *handlers) bool { return h.dblclick != nil }); n != nil {
			s.guard("OnDoubleClick", func() { n.on.dblclick(p) })
		}
	case wire.Wheel:
		w := Wheel{Target: target, X: p.X, Y: p.Y, DX: float64(ev.DX), DY: float64(ev.DY), Mods: ev.Mods}
		if n := find(func(h *handlers) bool { return h.wheel != nil }); n != nil {
			s.guard("OnWheel", func() { n.on.wheel(w) })
		}
	case wire.KeyDown, wire.KeyUp:
		k := Key{Target: target, Key: ev.Key, Code: ev.Code, Mods: ev.Mods, Repeat: ev.Repeat}
		if ev.Kind == wire.KeyDown {
			if n := find(func(h *handlers) bool { return h.keyDown != nil }); n != nil {
				s.guard("OnKeyDown", func() { n.on.keyDown(k) })
			}
		} else if n := find(func(h *handlers) bool { return h.keyUp != nil }); n != nil {
			s.guard("OnKeyUp", func() { n.on.keyUp(k) })
		}
	case wire.Enter, wire.Leave:
		// Hover does not bubble: entering a child is not entering the parent again.
		if target.on != nil && target.on.hover != nil {
			hv := Hover{Target: target, In: ev.Kind == wire.Enter, X: p.X, Y: p.Y}
			s.guard("OnHover", func() { target.on.hover(hv) })
		}
	}
}
