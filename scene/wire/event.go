package wire

import (
	"fmt"
	"math"
	"strconv"
)

// EventKind is the first byte of every browser→server message.
type EventKind byte

// Browser→server message kinds. KindAck is not an event: it acknowledges
// that the browser applied every batch up to Seq.
const (
	PointerDown EventKind = 0x01
	PointerMove EventKind = 0x02
	PointerUp   EventKind = 0x03
	Click       EventKind = 0x04
	DblClick    EventKind = 0x05
	Wheel       EventKind = 0x06
	KeyDown     EventKind = 0x07
	KeyUp       EventKind = 0x08
	Enter       EventKind = 0x09 // pointer entered the target (hover)
	Leave       EventKind = 0x0A // pointer left the target
	ControlSet  EventKind = 0x0B // a viewer changed a control (or pressed a button)
	Run         EventKind = 0x0C // a viewer's run command: play, pause, step, speed, reset
	Ack         EventKind = 0x10

	// ViewerLeft says that viewer Event.Viewer is gone, so that what a
	// source keeps for it (drags in progress) ends. Servers make it when a
	// viewer's connection ends; it is never on the browser wire.
	ViewerLeft EventKind = 0x20
)

var kindNames = map[EventKind]string{
	PointerDown: "pointer-down", PointerMove: "pointer-move", PointerUp: "pointer-up",
	Click: "click", DblClick: "dblclick", Wheel: "wheel", KeyDown: "key-down", KeyUp: "key-up",
	Enter: "enter", Leave: "leave", ControlSet: "control", Run: "run", Ack: "ack",
	ViewerLeft: "viewer-left",
}

func (k EventKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// IsPointer reports whether k carries the pointer layout (position, buttons).
func (k EventKind) IsPointer() bool {
	return k >= PointerDown && k <= DblClick || k == Enter || k == Leave
}

// RunCmd is the command byte of a Run event.
type RunCmd uint8

// Run commands. Only RunSpeed uses Event.Speed.
const (
	RunPlay  RunCmd = 1 // resume ticking (and clear a panic's overlay)
	RunPause RunCmd = 2 // stop ticking
	RunStep  RunCmd = 3 // run one tick while paused
	RunSpeed RunCmd = 4 // set the speed multiplier to Event.Speed
	RunReset RunCmd = 5 // restart the simulation from its initial state
)

var runNames = [...]string{RunPlay: "play", RunPause: "pause", RunStep: "step", RunSpeed: "speed", RunReset: "reset"}

func (c RunCmd) String() string {
	if c >= RunPlay && c <= RunReset {
		return runNames[c]
	}
	return "run(" + strconv.Itoa(int(c)) + ")"
}

// Mods is a set of keyboard modifiers held during an event.
type Mods uint8

// Modifier bits.
const (
	Shift Mods = 1 << iota
	Ctrl
	Alt
	Meta
)

// Event is one browser→server message. Which fields it uses depends on Kind:
//
//	pointer kinds, Enter, Leave  Target, X, Y, Button, Buttons, Mods, Pointer
//	Wheel                        Target, X, Y, DX, DY, Mods
//	KeyDown, KeyUp               Target, Key, Code, Mods, Repeat
//	ControlSet                   Name, Value
//	Run                          Cmd, Speed
//	Ack                          Seq
//	ViewerLeft                   Viewer
//
// Viewer is not on the browser wire: the server that reads an event from
// a connection sets it to that viewer's number (unique within the server,
// never 0), so that sources can tell viewers apart; 0 means unknown.
//
// X and Y are in scene (SVG user) coordinates. Target is the handle of the
// element the event is for (0 means the scene itself).
type Event struct {
	Kind    EventKind
	Target  Handle
	X, Y    float32
	DX, DY  float32 // wheel deltas in CSS pixels
	Button  uint8   // DOM PointerEvent.button of the button that changed, +1 (0 = none)
	Buttons uint8   // DOM PointerEvent.buttons: bit 0 primary, bit 1 secondary, bit 2 middle
	Mods    Mods
	Pointer uint64 // DOM PointerEvent.pointerId
	Repeat  bool
	Key     string  // DOM KeyboardEvent.key, e.g. "a", "ArrowLeft", " "
	Code    string  // DOM KeyboardEvent.code, e.g. "KeyA"
	Name    string  // control name
	Value   Value   // control value
	Cmd     RunCmd  // run command
	Speed   float32 // speed of a RunSpeed command (0 for the others)
	Seq     uint64  // acked sequence number
	Viewer  uint64  // the viewer it came from, set by the server (see above)
}

func (e Event) String() string {
	switch {
	case e.Kind.IsPointer():
		return fmt.Sprintf("%v target=%d x=%g y=%g button=%d buttons=%d mods=%d", e.Kind, e.Target, e.X, e.Y, e.Button, e.Buttons, e.Mods)
	case e.Kind == Wheel:
		return fmt.Sprintf("%v target=%d x=%g y=%g dx=%g dy=%g", e.Kind, e.Target, e.X, e.Y, e.DX, e.DY)
	case e.Kind == KeyDown || e.Kind == KeyUp:
		return fmt.Sprintf("%v target=%d key=%q code=%q mods=%d", e.Kind, e.Target, e.Key, e.Code, e.Mods)
	case e.Kind == ControlSet:
		return fmt.Sprintf("%v %s=%v", e.Kind, e.Name, e.Value)
	case e.Kind == Run:
		if e.Cmd == RunSpeed {
			return fmt.Sprintf("run speed %g", e.Speed)
		}
		return "run " + e.Cmd.String()
	case e.Kind == Ack:
		return fmt.Sprintf("ack %d", e.Seq)
	case e.Kind == ViewerLeft:
		return fmt.Sprintf("viewer-left %d", e.Viewer)
	}
	return e.Kind.String()
}

// AppendBinary appends the encoding of e to dst.
func (e *Event) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, byte(e.Kind))
	switch {
	case e.Kind.IsPointer():
		dst = appendUvarint(dst, uint64(e.Target))
		dst = appendF32(dst, e.X)
		dst = appendF32(dst, e.Y)
		dst = append(dst, e.Button, e.Buttons, byte(e.Mods))
		dst = appendUvarint(dst, e.Pointer)
	case e.Kind == Wheel:
		dst = appendUvarint(dst, uint64(e.Target))
		dst = appendF32(dst, e.X)
		dst = appendF32(dst, e.Y)
		dst = appendF32(dst, e.DX)
		dst = appendF32(dst, e.DY)
		dst = append(dst, byte(e.Mods))
	case e.Kind == KeyDown || e.Kind == KeyUp:
		if err := checkUTF8(e.Key, e.Code); err != nil {
			return dst, fmt.Errorf("wire: encode %v: %w", e.Kind, err)
		}
		dst = appendUvarint(dst, uint64(e.Target))
		dst = appendString(dst, e.Key)
		dst = appendString(dst, e.Code)
		dst = append(dst, byte(e.Mods))
		dst = appendBool(dst, e.Repeat)
	case e.Kind == ControlSet:
		if err := checkUTF8(e.Name, e.Value.Str); err != nil {
			return dst, fmt.Errorf("wire: encode %v: %w", e.Kind, err)
		}
		dst = appendString(dst, e.Name)
		dst = appendValue(dst, e.Value)
	case e.Kind == Run:
		if e.Cmd < RunPlay || e.Cmd > RunReset {
			return dst, fmt.Errorf("wire: encode event: unknown run command %d", e.Cmd)
		}
		dst = append(dst, byte(e.Cmd))
		dst = appendF32(dst, e.Speed)
	case e.Kind == Ack:
		dst = appendUvarint(dst, e.Seq)
	case e.Kind == ViewerLeft:
		return dst, fmt.Errorf("wire: encode event: %v is made by servers, not sent by browsers", e.Kind)
	default:
		return dst, fmt.Errorf("wire: encode event: unknown kind %d", e.Kind)
	}
	return dst, nil
}

// MarshalBinary encodes e.
func (e *Event) MarshalBinary() ([]byte, error) { return e.AppendBinary(nil) }

// MaxEventSize bounds one browser→server message in bytes. The largest
// event the protocol needs is a text box's value (the client caps it at
// MaxTextLen UTF-16 units, at most 3 bytes each in UTF-8) with the control's
// name; servers refuse longer messages before buffering them (close 1009).
const MaxEventSize = 16 << 10

// MaxTextLen is the longest text box value a client sends, in UTF-16 code
// units (the DOM's maxlength).
const MaxTextLen = 4000

// finite32 reads a float32 that must be neither NaN nor ±Inf: coordinates
// and deltas reach user code, where one NaN poisons a simulation's state.
func (r *reader) finite32(what string) float32 {
	at := r.off
	v := r.f32(what)
	if r.err == nil && !isFinite(float64(v)) {
		r.off = at
		r.fail("%s is %v, not a finite number", what, v)
	}
	return v
}

// Finite reports whether every number e carries for its kind (position,
// wheel deltas, a control's number) is neither NaN nor infinite.
func (e *Event) Finite() bool {
	switch {
	case e.Kind.IsPointer():
		return isFinite(float64(e.X)) && isFinite(float64(e.Y))
	case e.Kind == Wheel:
		return isFinite(float64(e.X)) && isFinite(float64(e.Y)) && isFinite(float64(e.DX)) && isFinite(float64(e.DY))
	case e.Kind == ControlSet:
		return e.Value.Kind != KindNumber || isFinite(e.Value.Num)
	case e.Kind == Run:
		return isFinite(float64(e.Speed))
	}
	return true
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// UnmarshalBinary decodes one browser→server message into e. The message
// must hold exactly one event or ack: trailing bytes are an error.
func (e *Event) UnmarshalBinary(data []byte) error {
	*e = Event{}
	if len(data) == 0 {
		return ErrEmpty
	}
	if len(data) > MaxEventSize {
		return &DecodeError{Msg: fmt.Sprintf("event of %d bytes exceeds the limit of %d", len(data), MaxEventSize)}
	}
	r := &reader{b: data}
	e.Kind = EventKind(r.byte1("event kind"))
	switch {
	case e.Kind.IsPointer():
		e.Target = r.handle("target")
		e.X = r.finite32("x")
		e.Y = r.finite32("y")
		e.Button = r.byte1("button")
		e.Buttons = r.byte1("buttons")
		e.Mods = r.mods()
		e.Pointer = r.uvarint("pointer id")
	case e.Kind == Wheel:
		e.Target = r.handle("target")
		e.X = r.finite32("x")
		e.Y = r.finite32("y")
		e.DX = r.finite32("dx")
		e.DY = r.finite32("dy")
		e.Mods = r.mods()
	case e.Kind == KeyDown || e.Kind == KeyUp:
		e.Target = r.handle("target")
		e.Key = r.str("key")
		e.Code = r.str("code")
		e.Mods = r.mods()
		e.Repeat = r.boolean("repeat")
	case e.Kind == ControlSet:
		e.Name = r.str("control name")
		at := r.off
		e.Value = r.value()
		if r.err == nil && e.Value.Kind == KindNumber && !isFinite(e.Value.Num) {
			r.off = at
			r.fail("control value %v is not a finite number", e.Value.Num)
		}
	case e.Kind == Run:
		e.Cmd = RunCmd(r.byte1("run command"))
		if r.err == nil && (e.Cmd < RunPlay || e.Cmd > RunReset) {
			r.off--
			r.fail("unknown run command %d", byte(e.Cmd))
		}
		e.Speed = r.finite32("speed")
	case e.Kind == Ack:
		e.Seq = r.uvarint("sequence number")
	default:
		r.off = 0
		r.fail("unknown event kind 0x%02x", byte(e.Kind))
	}
	if r.err == nil && r.left() > 0 {
		r.fail("%d trailing bytes after %v event", r.left(), e.Kind)
	}
	return r.err
}

// DecodeEvent decodes one browser→server message.
func DecodeEvent(data []byte) (Event, error) {
	var e Event
	err := e.UnmarshalBinary(data)
	return e, err
}

func (r *reader) mods() Mods {
	m := r.byte1("modifiers")
	if m > 0x0f {
		r.fail("modifier byte 0x%02x has unknown bits", m)
	}
	return Mods(m)
}
