package wire

import (
	"fmt"
	"strconv"
)

// Subprotocol is the WebSocket subprotocol name of this protocol version.
// A client and server that cannot agree on it must not talk.
const Subprotocol = "vizserve.v1"

// Handle is the numeric name of a node on the wire. Handles are assigned by
// the scene, never reused while the scene lives, and reset by a keyframe.
// 0 means "none"; the scene's root <svg> element is always RootHandle.
type Handle uint64

// RootHandle is the handle of the root <svg> element.
const RootHandle Handle = 1

// Code is an operation code: the first byte of every op.
type Code byte

// Operation codes of server→browser ops. docs/protocol.md gives the byte
// layout of each.
const (
	OpKeyframe      Code = 0x01 // replace the whole scene: markup + handle table
	OpCreate        Code = 0x02 // create an element under a parent
	OpRemove        Code = 0x03 // remove an element and its subtree
	OpMove          Code = 0x04 // move an element (reorder or reparent)
	OpSetAttr       Code = 0x05 // set an attribute to a string
	OpDelAttr       Code = 0x06 // remove an attribute
	OpSetNum        Code = 0x07 // set an attribute to a float32
	OpSetXY         Code = 0x08 // set an attribute pair (x/y, cx/cy...) to two float32
	OpSetText       Code = 0x09 // set an element's own text
	OpListen        Code = 0x0A // set which events an element wants
	OpSetPose       Code = 0x0B // set transform to translate(X,Y) rotate(Angle)
	OpSetPoseScaled Code = 0x0C // the same with scale(Scale) after it
	OpAppendPoints  Code = 0x0D // drop the last Count items of a point list, then append points
	OpTrimPoints    Code = 0x0E // keep only the last Count items of a point list
	OpOverlay       Code = 0x20 // show (or clear, with "") the error overlay
	OpAsset         Code = 0x21 // a stylesheet or script changed URL
	OpStats         Code = 0x22 // numbers for the HUD
	OpControls      Code = 0x23 // the full list of control definitions
	OpControlValue  Code = 0x24 // one control's new value
	OpNotice        Code = 0x25 // a short message the page shows for a few seconds
)

var codeNames = map[Code]string{
	OpKeyframe: "keyframe", OpCreate: "create", OpRemove: "remove", OpMove: "move",
	OpSetAttr: "set-attr", OpDelAttr: "del-attr", OpSetNum: "set-num", OpSetXY: "set-xy",
	OpSetText: "set-text", OpListen: "listen", OpSetPose: "set-pose", OpSetPoseScaled: "set-pose-scaled",
	OpAppendPoints: "append-points", OpTrimPoints: "trim-points",
	OpOverlay: "overlay", OpAsset: "asset",
	OpStats: "stats", OpControls: "controls", OpControlValue: "control-value",
	OpNotice: "notice",
}

func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("op(0x%02x)", byte(c))
}

// Pair names the two attributes an OpSetXY op sets.
type Pair byte

// Attribute pairs of OpSetXY. PairTranslate sets transform to
// "translate(X,Y)".
const (
	PairXY        Pair = 1 // x, y
	PairCXY       Pair = 2 // cx, cy
	PairXY1       Pair = 3 // x1, y1
	PairXY2       Pair = 4 // x2, y2
	PairSize      Pair = 5 // width, height
	PairRXY       Pair = 6 // rx, ry
	PairTranslate Pair = 7 // transform="translate(X,Y)"
)

var pairNames = [...][2]string{
	PairXY: {"x", "y"}, PairCXY: {"cx", "cy"}, PairXY1: {"x1", "y1"}, PairXY2: {"x2", "y2"},
	PairSize: {"width", "height"}, PairRXY: {"rx", "ry"}, PairTranslate: {"transform", ""},
}

// Names returns the attribute names a pair sets; for PairTranslate the
// second is "".
func (p Pair) Names() (string, string) {
	if p == 0 || int(p) >= len(pairNames) {
		return "", ""
	}
	n := pairNames[p]
	return n[0], n[1]
}

// PairOf returns the pair whose names are x and y, or 0.
func PairOf(x, y string) Pair {
	for p := PairXY; p < PairTranslate; p++ {
		if n := pairNames[p]; n[0] == x && n[1] == y {
			return p
		}
	}
	return 0
}

// PairStartingWith returns the pair whose first attribute is name (x, cx,
// x1, x2, width, rx), or 0. PairTranslate is not among them: its one
// attribute is a transform.
func PairStartingWith(name string) Pair {
	for p := PairXY; p < PairTranslate; p++ {
		if pairNames[p][0] == name {
			return p
		}
	}
	return 0
}

// FontStack is the font a scene's text gets where the scene sets none: the
// page's own (web/client/style.css), which standalone SVG documents and
// exports declare on their root so that they look as the page does.
const FontStack = "system-ui, -apple-system, 'Segoe UI', sans-serif"

// EventMask says which events an element wants the browser to send.
type EventMask uint32

// Event mask bits. MaskCapture asks the browser to capture the pointer on
// pointer down over the element, so that moves and the up go to it (drag).
const (
	MaskClick EventMask = 1 << iota
	MaskDblClick
	MaskPointerDown
	MaskPointerMove
	MaskPointerUp
	MaskWheel
	MaskKeyDown
	MaskKeyUp
	MaskHover
	MaskCapture
)

// Attr is one attribute as text.
type Attr struct {
	Name, Value string
}

// Entry is one row of a keyframe's handle table.
type Entry struct {
	Node Handle
	ID   string
	Mask EventMask
}

// ValueKind is the type of a control value.
type ValueKind byte

// Value kinds.
const (
	KindNone   ValueKind = 0
	KindNumber ValueKind = 1
	KindBool   ValueKind = 2
	KindString ValueKind = 3
)

// Value is a control value: a number, a bool or a string.
type Value struct {
	Kind ValueKind
	Num  float64 // KindNumber; KindBool uses 0 or 1
	Str  string  // KindString
}

// Number, Bool and String make Values.
func Number(v float64) Value { return Value{Kind: KindNumber, Num: v} }

// Bool makes a boolean Value.
func Bool(v bool) Value {
	if v {
		return Value{Kind: KindBool, Num: 1}
	}
	return Value{Kind: KindBool}
}

// String makes a string Value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

func (v Value) String() string {
	switch v.Kind {
	case KindNumber:
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.Num != 0)
	case KindString:
		return strconv.Quote(v.Str)
	}
	return "none"
}

// ControlKind is the type of a control.
type ControlKind byte

// Control kinds.
const (
	Slider    ControlKind = 1 // number in [Min, Max] by Step
	NumberBox ControlKind = 2 // free number (Min/Max/Step apply if Min < Max)
	Toggle    ControlKind = 3 // bool
	Button    ControlKind = 4 // no value; Key is an optional keyboard key (DOM KeyboardEvent.key)
	Select    ControlKind = 5 // string, one of Options
	TextBox   ControlKind = 6 // string
)

// Control is the definition of one control and its current value.
//
// Group, Unit, Format and Log were added within v1 (docs/protocol.md,
// "Control extras"): a control that sets none of them encodes exactly as
// before.
type Control struct {
	Kind           ControlKind
	Name           string // unique; events and values name the control by it
	Label          string
	Min, Max, Step float64
	Key            string
	Options        []string
	Value          Value

	Group  string // the titled section of the panel it is drawn in; "" for none
	Unit   string // shown after a number's value, such as "m/s²"
	Format string // how a slider shows its value (see [CheckFormat]); "" for Step's precision
	Log    bool   // a slider whose thumb moves in log space (needs 0 < Min < Max)
}

// The control kind byte's high bit says that an extension block (flags,
// group, unit, format) follows the control's value.
const (
	controlExtras = 0x80
	controlLog    = 1 // flags bit: Log
)

// hasExtras reports whether c needs the extension block.
func (c *Control) hasExtras() bool {
	return c.Group != "" || c.Unit != "" || c.Format != "" || c.Log
}

// Stats are numbers for the viewer's HUD.
type Stats struct {
	Viewers uint64  // viewers connected to this scene
	TickHz  float32 // measured sim ticks per second
	Speed   float32 // sim speed multiplier
	SimTime float64 // seconds of sim time
	Paused  bool
	// CanReset says the scene can restart from its initial state (a run
	// reset command does something); the page shows its reset button.
	CanReset bool
	// Halted says a panic in sim code paused the sim (the overlay shows
	// it); the page offers resume and reset there.
	Halted bool
	Lag    uint64 // this viewer's lag: latest sequence number minus its last ack
}

// Op is one operation. Which fields an op uses depends on Code:
//
//	OpKeyframe      Text (the <svg> markup), Table
//	OpCreate        Node, Parent, Before, Tag, Name (the DOM id), Mask, Attrs, Text
//	OpRemove        Node
//	OpMove          Node, Parent, Before
//	OpSetAttr       Node, Name, Text (the value)
//	OpDelAttr       Node, Name
//	OpSetNum        Node, Name, X
//	OpSetXY         Node, Pair, X, Y
//	OpSetText       Node, Text
//	OpListen        Node, Mask
//	OpSetPose       Node, X, Y, Angle (degrees)
//	OpSetPoseScaled Node, X, Y, Angle, Scale
//	OpAppendPoints  Node, Name, Count (items dropped from the end first), XY (x0, y0, x1, y1...)
//	OpTrimPoints    Node, Name, Count (items kept, the last ones)
//	OpOverlay       Text ("" clears)
//	OpAsset         Tag ("css" or "js"), Name (the asset's logical name), Text (its new URL)
//	OpStats         Stats
//	OpControls      Controls
//	OpControlValue  Name, Value
//	OpNotice        Text (shown for a few seconds; never part of a keyframe)
//
// Before is the sibling to insert before; 0 appends.
type Op struct {
	Code     Code
	Pair     Pair
	Mask     EventMask
	Node     Handle
	Parent   Handle
	Before   Handle
	X, Y     float32
	Angle    float32   // OpSetPose, OpSetPoseScaled: rotation in degrees
	Scale    float32   // OpSetPoseScaled: uniform scale
	Count    int       // OpAppendPoints: items dropped first; OpTrimPoints: items kept
	XY       []float32 // OpAppendPoints: the points, x and y in turn
	Name     string
	Tag      string
	Text     string
	Attrs    []Attr
	Table    []Entry
	Controls []Control
	Value    Value
	Stats    *Stats
}

// Batch is one server→browser message: a sequence number and ops, applied
// in order.
type Batch struct {
	// Seq is the source's sequence number of the newest state the batch
	// contains. It never decreases on one connection; a message carrying
	// only control ops (stats, overlay) may repeat the previous one.
	Seq uint64
	Ops []Op
}

// IsKeyframe reports whether b starts with a keyframe.
func (b *Batch) IsKeyframe() bool { return len(b.Ops) > 0 && b.Ops[0].Code == OpKeyframe }

// FormatNum formats a float32 attribute value: the shortest decimal that
// reads back as the same float32, without an exponent. Every op and every
// keyframe formats numbers this way so that the DOM built from patches
// equals the DOM of a fresh keyframe.
func FormatNum(v float32) string {
	return string(AppendNum(nil, v))
}

// AppendNum appends FormatNum(v) to b.
func AppendNum(b []byte, v float32) []byte {
	if v == 0 {
		return append(b, '0') // also for -0
	}
	return strconv.AppendFloat(b, float64(v), 'f', -1, 32)
}

// FormatTranslate is the transform value PairTranslate sets.
func FormatTranslate(x, y float32) string {
	b := make([]byte, 0, 32)
	b = append(b, "translate("...)
	b = AppendNum(b, x)
	b = append(b, ',')
	b = AppendNum(b, y)
	return string(append(b, ')'))
}

// FormatPose is the transform value OpSetPose sets:
// "translate(X,Y) rotate(A)", numbers as FormatNum writes them.
func FormatPose(x, y, angle float32) string {
	return string(appendPose(make([]byte, 0, 48), x, y, angle, 1, false))
}

// FormatPoseScaled is the transform value OpSetPoseScaled sets:
// "translate(X,Y) rotate(A) scale(S)", also when S is 1.
func FormatPoseScaled(x, y, angle, scale float32) string {
	return string(appendPose(make([]byte, 0, 64), x, y, angle, scale, true))
}

func appendPose(b []byte, x, y, angle, scale float32, scaled bool) []byte {
	b = append(b, "translate("...)
	b = AppendNum(b, x)
	b = append(b, ',')
	b = AppendNum(b, y)
	b = append(b, ") rotate("...)
	b = AppendNum(b, angle)
	b = append(b, ')')
	if scaled {
		b = append(b, " scale("...)
		b = AppendNum(b, scale)
		b = append(b, ')')
	}
	return b
}
