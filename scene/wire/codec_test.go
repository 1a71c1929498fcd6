package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// allOps has one op of every code, with every field the code uses set.
func allOps() []Op {
	return []Op{
		{Code: OpKeyframe, Text: `<svg id="root" width="10"><circle id="c"/></svg>`,
			Table: []Entry{{Node: 1, ID: "root", Mask: MaskKeyDown}, {Node: 2, ID: "c", Mask: MaskClick | MaskCapture}}},
		{Code: OpCreate, Node: 300, Parent: 1, Before: 2, Tag: "rect", Name: "box", Mask: MaskHover,
			Attrs: []Attr{{"x", "1"}, {"data-weird", "é\"<"}}, Text: "hi"},
		{Code: OpCreate, Node: 301, Parent: 300, Tag: "g", Name: "g1"},
		{Code: OpRemove, Node: 300},
		{Code: OpMove, Node: 2, Parent: 1, Before: 0},
		{Code: OpSetAttr, Node: 2, Name: "fill", Text: "red"},
		{Code: OpSetAttr, Node: 2, Name: "data-x", Text: ""},
		{Code: OpDelAttr, Node: 2, Name: "stroke"},
		{Code: OpDelAttr, Node: 2, Name: "my-attr"},
		{Code: OpSetNum, Node: 2, Name: "r", X: 2.5},
		{Code: OpSetXY, Node: 2, Pair: PairCXY, X: -1.25, Y: 1e6},
		{Code: OpSetXY, Node: 1 << 40, Pair: PairTranslate, X: 3, Y: 4},
		{Code: OpSetText, Node: 2, Text: "héllo\n"},
		{Code: OpListen, Node: 2, Mask: MaskDblClick | MaskWheel},
		{Code: OpSetPose, Node: 2, X: 10.5, Y: -3, Angle: 271.25},
		{Code: OpSetPose, Node: 1 << 40, X: float32(math.Copysign(0, -1)), Y: math.MaxFloat32, Angle: -90},
		{Code: OpSetPoseScaled, Node: 300, X: 1, Y: 2, Angle: 45, Scale: 0.5},
		{Code: OpSetPoseScaled, Node: 2, X: 1, Y: 2, Angle: 0, Scale: 1},
		{Code: OpAppendPoints, Node: 2, Name: "points", Count: 0, XY: []float32{1, 2, -3.5, 4e6}},
		{Code: OpAppendPoints, Node: 1 << 40, Name: "d", Count: 300},
		{Code: OpAppendPoints, Node: 2, Name: "data-line", Count: 1, XY: []float32{0.1, 0.2}},
		{Code: OpTrimPoints, Node: 2, Name: "points", Count: 10000},
		{Code: OpTrimPoints, Node: 300, Name: "d", Count: 0},
		{Code: OpOverlay, Text: "scene.go:12: undefined: x"},
		{Code: OpOverlay},
		{Code: OpAsset, Tag: "css", Name: "client.css", Text: "/assets/client.3f2a.css"},
		{Code: OpStats, Stats: &Stats{Viewers: 3, TickHz: 59.5, Speed: 2, SimTime: 12.25, Paused: true, Lag: 4}},
		{Code: OpControls, Controls: []Control{
			{Kind: Slider, Name: "g", Label: "Gravity", Min: 0, Max: 20, Step: 0.1, Value: Number(9.8)},
			{Kind: Toggle, Name: "trails", Value: Bool(true)},
			{Kind: Button, Name: "reset", Key: "r"},
			{Kind: Select, Name: "mode", Options: []string{"a", "b"}, Value: String("b")},
			{Kind: TextBox, Name: "title", Value: String("")},
			{Kind: NumberBox, Name: "n", Value: Number(-3)},
			{Kind: Slider, Name: "a", Min: 0, Max: 20, Step: 0.1, Value: Number(4.1),
				Group: "Physics", Unit: "m/s²", Format: "%.2f"},
			{Kind: Slider, Name: "k", Min: 0.01, Max: 100, Value: Number(1), Log: true},
			{Kind: NumberBox, Name: "m", Value: Number(2), Unit: "kg"},
			{Kind: Toggle, Name: "grid", Value: Bool(false), Group: "View"},
		}},
		{Code: OpControlValue, Name: "g", Value: Number(1.5)},
		{Code: OpControlValue, Name: "trails", Value: Bool(false)},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	t.Parallel()
	for _, op := range allOps() {
		t.Run(op.Code.String(), func(t *testing.T) {
			t.Parallel()
			in := &Batch{Seq: 1<<35 + 7, Ops: []Op{op}}
			msg, err := in.MarshalBinary()
			noErr(t, err)
			var out Batch
			noErr(t, out.UnmarshalBinary(msg))
			equal(t, "batch", out, *in)
		})
	}
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		in := &Batch{Seq: 9, Ops: allOps()}
		msg, err := in.MarshalBinary()
		noErr(t, err)
		out, err := DecodeBatch(msg)
		noErr(t, err)
		equal(t, "batch", *out, *in)
	})
}

func TestSetXYSize(t *testing.T) {
	t.Parallel()
	// The brief of the protocol: moving one element costs at most 16 bytes.
	for _, h := range []Handle{1, 127, 128, 1<<14 - 1, 1 << 14, 1<<21 - 1, 1 << 21, 1<<28 - 1} {
		op := Op{Code: OpSetXY, Node: h, Pair: PairXY, X: 1, Y: 2}
		b, err := appendOp(nil, &op, nil)
		noErr(t, err)
		if len(b) > 16 {
			t.Errorf("SetXY for handle %d takes %d bytes, want <= 16", h, len(b))
		}
		if h < 128 && len(b) != 11 {
			t.Errorf("SetXY for handle %d takes %d bytes, want 11", h, len(b))
		}
	}
}

func TestSetPoseSize(t *testing.T) {
	t.Parallel()
	// A pose is a move and a turn: 16 bytes at most for handles below 2^21,
	// 4 more with a scale.
	for _, h := range []Handle{1, 127, 128, 1<<14 - 1, 1 << 14, 1<<21 - 1} {
		want := 1 + len(binary.AppendUvarint(nil, uint64(h))) + 12
		for _, code := range []Code{OpSetPose, OpSetPoseScaled} {
			op := Op{Code: code, Node: h, X: 1, Y: 2, Angle: 3, Scale: 2}
			b, err := appendOp(nil, &op, nil)
			noErr(t, err)
			if len(b) != want {
				t.Errorf("%v for handle %d takes %d bytes, want %d", code, h, len(b), want)
			}
			want += 4
		}
		if want-8 > 16 {
			t.Errorf("a pose for handle %d takes %d bytes, want <= 16", h, want-8)
		}
	}
}

func TestByteLayout(t *testing.T) {
	t.Parallel()
	// Golden bytes pin the layout documented in docs/protocol.md.
	tests := []struct {
		name string
		b    Batch
		want []byte
	}{
		{"setxy", Batch{Seq: 300, Ops: []Op{{Code: OpSetXY, Node: 5, Pair: PairCXY, X: 1, Y: -2}}},
			[]byte{0xac, 0x02, 0x08, 0x05, 0x02, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}},
		{"setattr static", Batch{Seq: 1, Ops: []Op{{Code: OpSetAttr, Node: 2, Name: "fill", Text: "red"}}},
			[]byte{0x01, 0x05, 0x02, 18, 0x03, 'r', 'e', 'd'}},
		{"setattr literal", Batch{Seq: 1, Ops: []Op{{Code: OpSetAttr, Node: 2, Name: "k", Text: ""}}},
			[]byte{0x01, 0x05, 0x02, 0x00, 0x01, 'k', 0x00}},
		{"remove", Batch{Seq: 0, Ops: []Op{{Code: OpRemove, Node: 128}}},
			[]byte{0x00, 0x03, 0x80, 0x01}},
		{"empty", Batch{Seq: 2}, []byte{0x02}},
		// One point appended to a polyline: 13 bytes with a one-byte handle.
		{"appendpoints", Batch{Seq: 1, Ops: []Op{{Code: OpAppendPoints, Node: 5, Name: "points", XY: []float32{1, -2}}}},
			[]byte{0x01, 0x0d, 0x05, 15, 0x00, 0x01, // handle 5, points, drop 0, 1 point
				0x00, 0x00, 0x80, 0x3f, // x = 1
				0x00, 0x00, 0x00, 0xc0}}, // y = -2
		{"trimpoints", Batch{Seq: 1, Ops: []Op{{Code: OpTrimPoints, Node: 5, Name: "d", Count: 10000}}},
			[]byte{0x01, 0x0e, 0x05, 14, 0x90, 0x4e}}, // handle 5, d, keep 10000
		{"setpose", Batch{Seq: 1, Ops: []Op{{Code: OpSetPose, Node: 5, X: 1, Y: -2, Angle: 90}}},
			[]byte{0x01, 0x0b, 0x05,
				0x00, 0x00, 0x80, 0x3f, // x = 1
				0x00, 0x00, 0x00, 0xc0, // y = -2
				0x00, 0x00, 0xb4, 0x42}}, // angle = 90
		{"setposescaled", Batch{Seq: 1, Ops: []Op{{Code: OpSetPoseScaled, Node: 5, X: 1, Y: -2, Angle: 90, Scale: 2}}},
			[]byte{0x01, 0x0c, 0x05,
				0x00, 0x00, 0x80, 0x3f,
				0x00, 0x00, 0x00, 0xc0,
				0x00, 0x00, 0xb4, 0x42,
				0x00, 0x00, 0x00, 0x40}}, // scale = 2
		// A control without extras keeps the layout of before they existed.
		{"control", Batch{Seq: 1, Ops: []Op{{Code: OpControls, Controls: []Control{
			{Kind: Slider, Name: "g", Min: 0, Max: 2, Step: 0.5, Value: Number(1)}}}}},
			[]byte{0x01, 0x23, 0x01,
				0x01, 0x01, 'g', 0x00, // kind slider, name "g", label ""
				0, 0, 0, 0, 0, 0, 0, 0, // min 0
				0, 0, 0, 0, 0, 0, 0, 0x40, // max 2
				0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // step 0.5
				0x00, 0x00, // key "", no options
				0x01, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}}, // value 1
		// Extras set the kind's high bit and follow the value.
		{"control extras", Batch{Seq: 1, Ops: []Op{{Code: OpControls, Controls: []Control{
			{Kind: Slider, Name: "g", Min: 0, Max: 2, Step: 0.5, Value: Number(1),
				Log: true, Group: "P", Unit: "m", Format: "%d"}}}}},
			[]byte{0x01, 0x23, 0x01,
				0x81, 0x01, 'g', 0x00,
				0, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 0x40,
				0, 0, 0, 0, 0, 0, 0xe0, 0x3f,
				0x00, 0x00,
				0x01, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
				0x01,      // flags: log
				0x01, 'P', // group
				0x01, 'm', // unit
				0x02, '%', 'd'}}, // format
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.b.MarshalBinary()
			noErr(t, err)
			equal(t, "bytes", got, tt.want)
		})
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty message"},
		{"unknown op", []byte{1, 0x7f}, "offset 1: unknown op code 0x7f"},
		{"truncated setxy", []byte{1, 0x08, 5, 2, 0, 0}, "set-xy op: truncated: missing x (float32)"},
		{"truncated setpose", []byte{1, 0x0b, 5, 0, 0, 0x80, 0x3f, 0, 0, 0, 0}, "set-pose op: truncated: missing angle (float32)"},
		{"setpose without scale", []byte{1, 0x0c, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "set-pose-scaled op: truncated: missing scale (float32)"},
		{"bad pair", []byte{1, 0x08, 5, 9, 0, 0, 0, 0, 0, 0, 0, 0}, "unknown attribute pair 9"},
		{"huge string", []byte{1, 0x09, 5, 0xff, 0xff, 0xff, 0xff, 0x0f}, "text length 4294967295 exceeds the remaining 0 bytes"},
		{"bad utf8", []byte{1, 0x09, 5, 2, 0xff, 0xfe}, "text is not valid UTF-8"},
		{"attr key out of table", []byte{1, 0x06, 5, 0x7f}, "attribute key 127 is not in the static table"},
		{"empty attr name", []byte{1, 0x06, 5, 0x00, 0x00}, "empty attribute name"},
		{"huge attr count", []byte{1, 0x02, 2, 1, 0, 1, 'g', 1, 'a', 0, 0xff, 0xff, 0x03}, "attribute count 65535 exceeds"},
		{"huge table", []byte{1, 0x01, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, "table entry count 4294967295 exceeds"},
		{"varint overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "varint overflows"},
		{"non-minimal varint", []byte{0x80, 0x00}, "not minimally encoded"},
		{"bad bool", []byte{1, 0x24, 1, 'g', 2, 7}, "bool byte 7"},
		{"bad value kind", []byte{1, 0x24, 1, 'g', 9}, "unknown value kind 9"},
		{"create handle 0", []byte{1, 0x02, 0, 1, 0, 1, 'g', 1, 'a', 0, 0, 0}, "handle and parent must not be 0"},
		{"create empty id", []byte{1, 0x02, 2, 1, 0, 1, 'g', 0, 0, 0, 0}, "empty id"},
		{"mask too big", []byte{1, 0x0a, 2, 0xff, 0xff, 0xff, 0xff, 0x1f}, "exceeds 32 bits"},
		{"bad control kind", []byte{1, 0x23, 1, 99, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "unknown control kind 99"},
		{"bad control kind with extras", []byte{1, 0x23, 1, 0x87, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "unknown control kind 7"},
		{"bad control flags", toggleWithExtras(2, 0, 0, 0), "unknown control flags 0x02"},
		{"truncated control extras", toggleWithExtras(1, 0), "unit"},
		{"huge point count", []byte{1, 0x0d, 5, 15, 0, 0xff, 0xff, 0x03, 0, 0, 0, 0}, "point count 65535 exceeds"},
		{"truncated point", []byte{1, 0x0d, 5, 15, 0, 1, 0, 0, 0, 0, 0, 0, 0}, "append-points op: point count 1 exceeds what the remaining 7 bytes can hold"},
		{"trim count too big", []byte{1, 0x0e, 5, 15, 0x80, 0x80, 0x80, 0x80, 0x08}, "count 2147483648 exceeds 2147483647"},
		{"trim event handler", []byte{1, 0x0e, 5, 0, 7, 'o', 'n', 'c', 'l', 'i', 'c', 'k', 1}, "event handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b Batch
			err := b.UnmarshalBinary(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			var de *DecodeError
			if len(tt.msg) > 0 && !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
		})
	}
}

// toggleWithExtras is a controls op of one toggle "a" (value true) whose
// kind says that extras follow, and then tail.
func toggleWithExtras(tail ...byte) []byte {
	b := []byte{1, 0x23, 1, byte(Toggle) | controlExtras, 1, 'a'}
	b = append(b, make([]byte, 1+8+8+8+1+1)...) // label, min, max, step, key, options
	b = append(b, 2, 1)                         // value true
	return append(b, tail...)
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	for _, op := range []Op{
		{Code: 0x55},
		{Code: OpSetXY, Node: 1, Pair: 0},
		{Code: OpSetText, Node: 1, Text: "\xff"},
		{Code: OpAppendPoints, Node: 1, Name: "points", XY: []float32{1}},
		{Code: OpTrimPoints, Node: 1, Name: "points", Count: -1},
		{Code: OpTrimPoints, Node: 1, Name: "id", Count: 1},
	} {
		b := &Batch{Ops: []Op{op}}
		if _, err := b.MarshalBinary(); err == nil {
			t.Errorf("encoding %+v: no error", op)
		}
	}
}

func allEvents() []Event {
	return []Event{
		{Kind: PointerDown, Target: 7, X: 1.5, Y: -2, Button: 1, Buttons: 1, Mods: Shift | Meta, Pointer: 3},
		{Kind: PointerMove, Target: 7, X: 100, Y: 200, Buttons: 1},
		{Kind: PointerUp, Target: 1 << 33, X: 0, Y: 0, Button: 1},
		{Kind: Click, Target: 2, X: 3, Y: 4, Button: 1},
		{Kind: DblClick, Target: 2, X: 3, Y: 4, Button: 1},
		{Kind: Enter, Target: 2, X: 3, Y: 4},
		{Kind: Leave, Target: 2, X: math.MaxFloat32, Y: -math.SmallestNonzeroFloat32},
		{Kind: Wheel, Target: 1, X: 10, Y: 20, DX: 0, DY: -120, Mods: Ctrl},
		{Kind: KeyDown, Target: 0, Key: "ArrowLeft", Code: "ArrowLeft", Mods: Alt, Repeat: true},
		{Kind: KeyUp, Target: 4, Key: "é", Code: "KeyE"},
		{Kind: ControlSet, Name: "gravity", Value: Number(12.5)},
		{Kind: ControlSet, Name: "reset"},
		{Kind: ControlSet, Name: "mode", Value: String("fast")},
		{Kind: Run, Cmd: RunPlay},
		{Kind: Run, Cmd: RunPause},
		{Kind: Run, Cmd: RunStep},
		{Kind: Run, Cmd: RunSpeed, Speed: 0.25},
		{Kind: Run, Cmd: RunReset},
		{Kind: Ack, Seq: 1 << 50},
	}
}

// TestRunLayout pins the bytes of a run event and of a stats op's run
// flags as docs/protocol.md gives them.
func TestRunLayout(t *testing.T) {
	t.Parallel()
	ev := Event{Kind: Run, Cmd: RunSpeed, Speed: 2}
	msg, err := ev.MarshalBinary()
	noErr(t, err)
	equal(t, "run speed 2", msg, []byte{0x0c, 0x04, 0x00, 0x00, 0x00, 0x40})
	ev = Event{Kind: Run, Cmd: RunStep}
	msg, err = ev.MarshalBinary()
	noErr(t, err)
	equal(t, "run step", msg, []byte{0x0c, 0x03, 0, 0, 0, 0})

	b := Batch{Seq: 1, Ops: []Op{{Code: OpStats, Stats: &Stats{Paused: true, CanReset: true, Halted: true}}}}
	got, err := b.MarshalBinary()
	noErr(t, err)
	want := []byte{0x01, 0x22, 0x00, // seq, stats, viewers
		0, 0, 0, 0, 0, 0, 0, 0, // tick_hz, speed
		0, 0, 0, 0, 0, 0, 0, 0, // sim_time
		0x07, 0x00} // run: paused|can-reset|halted, lag
	equal(t, "stats run flags", got, want)
	// Paused alone is the byte of the v1 paused bool.
	b.Ops[0].Stats = &Stats{Paused: true}
	got, err = b.MarshalBinary()
	noErr(t, err)
	equal(t, "stats paused", got[len(got)-2], byte(0x01))
	want[len(want)-2] = 0x0f
	if _, err := DecodeBatch(want); err == nil || !strings.Contains(err.Error(), "unknown bits") {
		t.Fatalf("run flags 0x0f: err %v, want unknown bits", err)
	}
}

func TestEventRoundTrip(t *testing.T) {
	t.Parallel()
	for _, ev := range allEvents() {
		t.Run(ev.Kind.String(), func(t *testing.T) {
			t.Parallel()
			msg, err := ev.MarshalBinary()
			noErr(t, err)
			got, err := DecodeEvent(msg)
			noErr(t, err)
			equal(t, "event", got, ev)
		})
	}
}

func TestPointerMoveSize(t *testing.T) {
	t.Parallel()
	ev := Event{Kind: PointerMove, Target: 200, X: 1, Y: 2, Buttons: 1}
	msg, err := ev.MarshalBinary()
	noErr(t, err)
	if len(msg) != 1+2+8+3+1 {
		t.Fatalf("pointer move is %d bytes, want 15", len(msg))
	}
}

func TestDecodeEventErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty message"},
		{"unknown", []byte{0x55}, "unknown event kind 0x55"},
		{"viewer left is the server's own", []byte{0x20, 1}, "unknown event kind 0x20"},
		{"truncated pointer", []byte{0x01, 7, 0, 0}, "missing x"},
		{"trailing", []byte{0x10, 5, 0}, "1 trailing bytes after ack"},
		{"bad mods", []byte{0x06, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0}, "unknown bits"},
		{"key string too long", []byte{0x07, 0, 9, 'a'}, "key length 9 exceeds"},
		{"NaN x", nonFinite(t, Event{Kind: PointerDown, X: float32(math.NaN())}), "x is NaN, not a finite number"},
		{"+Inf y", nonFinite(t, Event{Kind: Click, Y: float32(math.Inf(1))}), "y is +Inf"},
		{"-Inf wheel dy", nonFinite(t, Event{Kind: Wheel, DY: float32(math.Inf(-1))}), "dy is -Inf"},
		{"NaN wheel dx", nonFinite(t, Event{Kind: Wheel, DX: float32(math.NaN())}), "dx is NaN"},
		{"NaN control", nonFinite(t, Event{Kind: ControlSet, Name: "g", Value: Number(math.NaN())}), "control value NaN is not a finite number"},
		{"Inf control", nonFinite(t, Event{Kind: ControlSet, Name: "g", Value: Number(math.Inf(1))}), "control value +Inf"},
		{"unknown run command", []byte{0x0c, 0x09, 0, 0, 0, 0}, "unknown run command 9"},
		{"truncated run", []byte{0x0c, 0x01}, "missing speed"},
		{"NaN speed", nonFinite(t, Event{Kind: Run, Cmd: RunSpeed, Speed: float32(math.NaN())}), "speed is NaN"},
		{"too large", nonFinite(t, Event{Kind: KeyDown, Key: strings.Repeat("k", MaxEventSize)}), "exceeds the limit of 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeEvent(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// nonFinite encodes ev, which the encoder allows although the decoder
// refuses it (so tests can play a hostile client).
func nonFinite(t *testing.T, ev Event) []byte {
	msg, err := ev.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestFormatNum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    float32
		want string
	}{
		{0, "0"}, {float32(math.Copysign(0, -1)), "0"}, {1, "1"}, {-2.5, "-2.5"}, {0.1, "0.1"},
		{1e6, "1000000"}, {1.0 / 3, "0.33333334"}, {123.456, "123.456"},
	}
	for _, tt := range tests {
		if got := FormatNum(tt.v); got != tt.want {
			t.Errorf("FormatNum(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if got := FormatTranslate(1.5, -2); got != "translate(1.5,-2)" {
		t.Errorf("FormatTranslate = %q", got)
	}
	if got := FormatPose(1.5, -2, 1.0/3); got != "translate(1.5,-2) rotate(0.33333334)" {
		t.Errorf("FormatPose = %q", got)
	}
	if got := FormatPose(0, 0, float32(math.Copysign(0, -1))); got != "translate(0,0) rotate(0)" {
		t.Errorf("FormatPose of zeros = %q", got)
	}
	if got := FormatPoseScaled(1e6, 0.1, -90, 1); got != "translate(1000000,0.1) rotate(-90) scale(1)" {
		t.Errorf("FormatPoseScaled = %q", got)
	}
}

func TestPairs(t *testing.T) {
	t.Parallel()
	for p := PairXY; p < PairTranslate; p++ {
		a, b := p.Names()
		if PairOf(a, b) != p {
			t.Errorf("pair %d (%s,%s) does not round-trip", p, a, b)
		}
	}
	if a, b := Pair(99).Names(); a != "" || b != "" {
		t.Errorf("unknown pair has names %q %q", a, b)
	}
}

func TestCheckAttrName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "id", "onclick", "OnLoad", "0abc", "a b", "a\"", "\xff"} {
		if CheckAttrName(name) == nil {
			t.Errorf("CheckAttrName(%q) = nil, want an error", name)
		}
		b := &Batch{Ops: []Op{{Code: OpSetAttr, Node: 2, Name: name}}}
		if _, err := b.MarshalBinary(); err == nil {
			t.Errorf("encoding set-attr %q: no error", name)
		}
	}
	for _, name := range []string{"x", "xlink:href", "data-x_y.z", "one"[1:], "opacity"} {
		if err := CheckAttrName(name); err != nil {
			t.Errorf("CheckAttrName(%q) = %v", name, err)
		}
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestProtocolDoc keeps docs/protocol.md's tables in step with the code.
func TestProtocolDoc(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Skipf("docs/protocol.md not found: %v", err)
	}
	text := string(doc)
	for k, name := range attrTable[1:] {
		if !strings.Contains(text, fmt.Sprintf("| %d | `%s` |", k+1, name)) {
			t.Errorf("docs/protocol.md lacks attribute %d %q in its table", k+1, name)
		}
	}
	for code, name := range codeNames {
		if !strings.Contains(text, fmt.Sprintf("| 0x%02X | %s |", byte(code), name)) {
			t.Errorf("docs/protocol.md lacks op 0x%02X %s", byte(code), name)
		}
	}
	for kind, name := range kindNames {
		doc := strings.ReplaceAll(name, "-", " ")
		if !strings.Contains(text, fmt.Sprintf("| 0x%02X | %s", byte(kind), doc)) {
			t.Errorf("docs/protocol.md lacks event 0x%02X %s", byte(kind), doc)
		}
	}
}

// TestEncoder: a batch encoded once and written with a sequence number and
// figures of its own has the bytes of that batch, so numbered and
// patched, encoded whole; AppendBatch does not touch the ops.
func TestEncoder(t *testing.T) {
	t.Parallel()
	ops := append(allOps(), Op{Code: OpStats}, Op{Code: OpSetNum, Node: 3, Name: "r", X: 2})
	before := fmt.Sprintf("%+v", ops)
	enc, err := NewEncoder(ops)
	noErr(t, err)
	for _, seq := range []uint64{0, 1, 127, 128, 1<<35 + 7} {
		for _, v := range []*ViewerStats{nil, {}, {Viewers: 3, Lag: 300}, {Viewers: 1 << 40, Lag: 1}} {
			// What a hub did before Encoder: copy the ops, set each
			// stats op's figures, encode the batch whole.
			want := &Batch{Seq: seq, Ops: slices.Clone(ops)}
			if v != nil {
				for i := range want.Ops {
					if op := &want.Ops[i]; op.Code == OpStats {
						st := Stats{}
						if op.Stats != nil {
							st = *op.Stats
						}
						st.Viewers, st.Lag = v.Viewers, v.Lag
						op.Stats = &st
					}
				}
			}
			wantMsg, err := want.MarshalBinary()
			noErr(t, err)
			got, err := AppendBatch([]byte("x"), seq, ops, v)
			noErr(t, err)
			equal(t, fmt.Sprintf("AppendBatch seq %d %+v", seq, v), got, append([]byte("x"), wantMsg...))
			equal(t, fmt.Sprintf("Encoder seq %d %+v", seq, v), enc.AppendBatch([]byte("x"), seq, v), append([]byte("x"), wantMsg...))
		}
	}
	equal(t, "ops after encoding", fmt.Sprintf("%+v", ops), before)
	if _, err := NewEncoder([]Op{{Code: 0x7f}}); err == nil {
		t.Error("NewEncoder accepted an unknown op")
	}
	empty, err := NewEncoder(nil)
	noErr(t, err)
	equal(t, "empty", empty.AppendBatch(nil, 2, nil), []byte{0x02})
}

func TestPairStartingWith(t *testing.T) {
	t.Parallel()
	for p := PairXY; p < PairTranslate; p++ {
		if a, _ := p.Names(); PairStartingWith(a) != p {
			t.Errorf("PairStartingWith(%q) = %d, want %d", a, PairStartingWith(a), p)
		}
	}
	for _, name := range []string{"y", "transform", "", "cy"} {
		if p := PairStartingWith(name); p != 0 {
			t.Errorf("PairStartingWith(%q) = %d, want 0", name, p)
		}
	}
}
