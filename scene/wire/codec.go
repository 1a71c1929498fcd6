package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/vizserve/vizserve/internal/svgx"
)

// attrTable is the protocol's static attribute-name table: an attribute
// key k in 1..len(attrTable)-1 on the wire means attrTable[k]; key 0 is
// followed by the name as a string. The table is part of protocol v1 and
// never changes within a version.
var attrTable = [...]string{
	"", // 0: literal name follows
	"x", "y", "cx", "cy", "r", "rx", "ry", "width", "height",
	"x1", "y1", "x2", "y2", "d", "points", "transform", "style",
	"fill", "stroke", "stroke-width", "opacity", "fill-opacity", "stroke-opacity",
	"class", "href", "xlink:href", "font-size", "font-family", "text-anchor",
	"visibility", "display", "viewBox", "stroke-dasharray", "font-weight",
	"dominant-baseline", "preserveAspectRatio", "offset", "stop-color",
}

var attrIndex = func() map[string]uint64 {
	m := make(map[string]uint64, len(attrTable))
	for i, n := range attrTable[1:] {
		m[n] = uint64(i + 1)
	}
	return m
}()

// AttrNames returns the static attribute table (index 1 first).
func AttrNames() []string { return append([]string(nil), attrTable[1:]...) }

// DecodeError is a malformed message.
type DecodeError struct {
	Offset int  // byte offset of the problem
	Op     Code // the op being decoded, or 0
	Msg    string
}

func (e *DecodeError) Error() string {
	if e.Op != 0 {
		return fmt.Sprintf("wire: offset %d: %v op: %s", e.Offset, e.Op, e.Msg)
	}
	return fmt.Sprintf("wire: offset %d: %s", e.Offset, e.Msg)
}

// ErrEmpty is returned for a message with no bytes.
var ErrEmpty = errors.New("wire: empty message")

// --- encoding ---

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendF32(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

func appendF64(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// CheckAttrName reports whether name may be set through the protocol: an
// XML name, not "id" (ids are fixed at creation), and not an event-handler
// attribute ("on..."), since nothing from the wire is ever evaluated.
func CheckAttrName(name string) error {
	switch {
	case name == "":
		return errors.New("empty attribute name")
	case !svgx.ValidName(name) || !utf8.ValidString(name):
		return fmt.Errorf("attribute name %q is not an XML name", name)
	case name == "id":
		return errors.New("attribute id cannot be set: ids are fixed when an element is created")
	case len(name) >= 2 && (name[0]|0x20) == 'o' && (name[1]|0x20) == 'n':
		return fmt.Errorf("attribute %q is an event handler; vizserve never sends code", name)
	}
	return nil
}

func appendAttrKey(b []byte, name string) []byte {
	if k, ok := attrIndex[name]; ok {
		return binary.AppendUvarint(b, k)
	}
	b = append(b, 0)
	return appendString(b, name)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendValue(b []byte, v Value) []byte {
	switch v.Kind {
	case KindNumber:
		return appendF64(append(b, byte(KindNumber)), v.Num)
	case KindBool:
		return appendBool(append(b, byte(KindBool)), v.Num != 0)
	case KindString:
		return appendString(append(b, byte(KindString)), v.Str)
	}
	return append(b, byte(KindNone))
}

// AppendBinary appends the encoding of b (docs/protocol.md) to dst. It
// fails for an op code it does not know or strings that are not UTF-8.
func (b *Batch) AppendBinary(dst []byte) ([]byte, error) {
	return AppendBatch(dst, b.Seq, b.Ops, nil)
}

// ViewerStats are the figures of a stats op that differ from one viewer to
// the next, filled in by whoever writes to that viewer (the hub).
type ViewerStats struct {
	Viewers uint64 // Stats.Viewers
	Lag     uint64 // Stats.Lag
}

// AppendBatch appends to dst the message of a batch numbered seq with the
// given ops: the bytes of (&Batch{Seq: seq, Ops: ops}).AppendBinary, except
// that when v is not nil its figures stand for every stats op's Viewers and
// Lag. The ops are not modified, so a writer can send one batch to many
// viewers, each with its own sequence number and figures, without copying
// or patching anything.
func AppendBatch(dst []byte, seq uint64, ops []Op, v *ViewerStats) ([]byte, error) {
	dst = appendUvarint(dst, seq)
	for i := range ops {
		var err error
		dst, err = appendOp(dst, &ops[i], v)
		if err != nil {
			return dst, fmt.Errorf("wire: encode op %d: %w", i, err)
		}
	}
	return dst, nil
}

// Encoder is a batch's ops encoded once, for writing as many messages as
// there are viewers: AppendBatch(dst, seq, v) appends the same bytes as
// the package's AppendBatch(dst, seq, ops, v), without encoding the ops
// again. An Encoder never changes after NewEncoder: any number of
// goroutines may call AppendBatch at once.
type Encoder struct {
	ops   []byte // the ops encoded, without each stats op's Viewers and Lag
	stats []statsAt
}

// statsAt is where a stats op's Viewers and Lag go in Encoder.ops, and the
// op's own values.
type statsAt struct {
	at           int // offset of Viewers, right after the op code; Lag follows statsMid bytes later
	viewers, lag uint64
}

// statsMid is the length of a stats op's fixed middle: TickHz, Speed,
// SimTime, Paused.
const statsMid = 4 + 4 + 8 + 1

// NewEncoder encodes ops. It fails as Batch.AppendBinary does; ops may
// change afterwards without changing the Encoder.
func NewEncoder(ops []Op) (*Encoder, error) {
	e := &Encoder{}
	var err error
	for i := range ops {
		op := &ops[i]
		if op.Code != OpStats {
			if e.ops, err = appendOp(e.ops, op, nil); err != nil {
				return nil, fmt.Errorf("wire: encode op %d: %w", i, err)
			}
			continue
		}
		st := statsOf(op)
		e.ops = append(e.ops, byte(OpStats))
		e.stats = append(e.stats, statsAt{at: len(e.ops), viewers: st.Viewers, lag: st.Lag})
		e.ops = appendStatsMid(e.ops, st)
	}
	return e, nil
}

// AppendBatch appends the message numbered seq to dst, with v's figures in
// every stats op (nil: the ops' own).
func (e *Encoder) AppendBatch(dst []byte, seq uint64, v *ViewerStats) []byte {
	dst = appendUvarint(dst, seq)
	from := 0
	for _, s := range e.stats {
		viewers, lag := s.viewers, s.lag
		if v != nil {
			viewers, lag = v.Viewers, v.Lag
		}
		dst = append(dst, e.ops[from:s.at]...)
		dst = appendUvarint(dst, viewers)
		dst = append(dst, e.ops[s.at:s.at+statsMid]...)
		dst = appendUvarint(dst, lag)
		from = s.at + statsMid
	}
	return append(dst, e.ops[from:]...)
}

func statsOf(op *Op) *Stats {
	if op.Stats == nil {
		return &Stats{}
	}
	return op.Stats
}

// appendStatsMid appends the fields of a stats op between Viewers and Lag.
func appendStatsMid(b []byte, s *Stats) []byte {
	b = appendF32(b, s.TickHz)
	b = appendF32(b, s.Speed)
	b = appendF64(b, s.SimTime)
	var run byte
	if s.Paused {
		run |= RunPaused
	}
	if s.CanReset {
		run |= RunCanReset
	}
	if s.Halted {
		run |= RunHalted
	}
	return append(b, run)
}

// Bits of a stats op's run byte. Bit 0 alone is the v1 paused bool, so a
// scene that cannot reset and has not panicked sends the first layout.
const (
	RunPaused   = 1 << 0
	RunCanReset = 1 << 1
	RunHalted   = 1 << 2
)

// MarshalBinary encodes b.
func (b *Batch) MarshalBinary() ([]byte, error) { return b.AppendBinary(nil) }

func checkUTF8(ss ...string) error {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return fmt.Errorf("string %q is not valid UTF-8", s)
		}
	}
	return nil
}

func appendOp(b []byte, op *Op, v *ViewerStats) ([]byte, error) {
	b = append(b, byte(op.Code))
	switch op.Code {
	case OpKeyframe:
		if err := checkUTF8(op.Text); err != nil {
			return b, err
		}
		b = appendString(b, op.Text)
		b = appendUvarint(b, uint64(len(op.Table)))
		for _, e := range op.Table {
			if err := checkUTF8(e.ID); err != nil {
				return b, err
			}
			b = appendUvarint(b, uint64(e.Node))
			b = appendString(b, e.ID)
			b = appendUvarint(b, uint64(e.Mask))
		}
	case OpCreate:
		if err := checkUTF8(op.Tag, op.Name, op.Text); err != nil {
			return b, err
		}
		if !svgx.ValidName(op.Tag) || op.Name == "" || op.Node == 0 || op.Parent == 0 {
			return b, fmt.Errorf("create: tag %q, id %q, handle %d, parent %d: need an XML name, an id and non-zero handles", op.Tag, op.Name, op.Node, op.Parent)
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendUvarint(b, uint64(op.Parent))
		b = appendUvarint(b, uint64(op.Before))
		b = appendString(b, op.Tag)
		b = appendString(b, op.Name)
		b = appendUvarint(b, uint64(op.Mask))
		b = appendUvarint(b, uint64(len(op.Attrs)))
		for _, a := range op.Attrs {
			if err := checkUTF8(a.Name, a.Value); err != nil {
				return b, err
			}
			if err := CheckAttrName(a.Name); err != nil {
				return b, err
			}
			b = appendAttrKey(b, a.Name)
			b = appendString(b, a.Value)
		}
		b = appendString(b, op.Text)
	case OpRemove:
		b = appendUvarint(b, uint64(op.Node))
	case OpMove:
		b = appendUvarint(b, uint64(op.Node))
		b = appendUvarint(b, uint64(op.Parent))
		b = appendUvarint(b, uint64(op.Before))
	case OpSetAttr:
		if err := checkUTF8(op.Text); err != nil {
			return b, err
		}
		if err := CheckAttrName(op.Name); err != nil {
			return b, err
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendAttrKey(b, op.Name)
		b = appendString(b, op.Text)
	case OpDelAttr:
		if err := CheckAttrName(op.Name); err != nil {
			return b, err
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendAttrKey(b, op.Name)
	case OpSetNum:
		if err := CheckAttrName(op.Name); err != nil {
			return b, err
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendAttrKey(b, op.Name)
		b = appendF32(b, op.X)
	case OpSetXY:
		if op.Pair == 0 || op.Pair > PairTranslate {
			return b, fmt.Errorf("unknown pair %d", op.Pair)
		}
		b = appendUvarint(b, uint64(op.Node))
		b = append(b, byte(op.Pair))
		b = appendF32(b, op.X)
		b = appendF32(b, op.Y)
	case OpSetText:
		if err := checkUTF8(op.Text); err != nil {
			return b, err
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendString(b, op.Text)
	case OpListen:
		b = appendUvarint(b, uint64(op.Node))
		b = appendUvarint(b, uint64(op.Mask))
	case OpSetPose, OpSetPoseScaled:
		b = appendUvarint(b, uint64(op.Node))
		b = appendF32(b, op.X)
		b = appendF32(b, op.Y)
		b = appendF32(b, op.Angle)
		if op.Code == OpSetPoseScaled {
			b = appendF32(b, op.Scale)
		}
	case OpAppendPoints, OpTrimPoints:
		if err := CheckAttrName(op.Name); err != nil {
			return b, err
		}
		if op.Count < 0 || op.Count > MaxPointCount {
			return b, fmt.Errorf("%v: count %d is outside 0..%d", op.Code, op.Count, MaxPointCount)
		}
		if op.Code == OpAppendPoints && len(op.XY)%2 != 0 {
			return b, fmt.Errorf("append-points: %d numbers do not make points", len(op.XY))
		}
		b = appendUvarint(b, uint64(op.Node))
		b = appendAttrKey(b, op.Name)
		b = appendUvarint(b, uint64(op.Count))
		if op.Code == OpAppendPoints {
			b = appendUvarint(b, uint64(len(op.XY)/2))
			for _, v := range op.XY {
				b = appendF32(b, v)
			}
		}
	case OpOverlay, OpNotice:
		if err := checkUTF8(op.Text); err != nil {
			return b, err
		}
		b = appendString(b, op.Text)
	case OpAsset:
		if err := checkUTF8(op.Tag, op.Name, op.Text); err != nil {
			return b, err
		}
		b = appendString(b, op.Tag)
		b = appendString(b, op.Name)
		b = appendString(b, op.Text)
	case OpStats:
		s := statsOf(op)
		viewers, lag := s.Viewers, s.Lag
		if v != nil {
			viewers, lag = v.Viewers, v.Lag
		}
		b = appendUvarint(b, viewers)
		b = appendStatsMid(b, s)
		b = appendUvarint(b, lag)
	case OpControls:
		b = appendUvarint(b, uint64(len(op.Controls)))
		for i := range op.Controls {
			c := &op.Controls[i]
			if err := checkUTF8(c.Name, c.Label, c.Key, c.Value.Str, c.Group, c.Unit, c.Format); err != nil {
				return b, err
			}
			if err := checkUTF8(c.Options...); err != nil {
				return b, err
			}
			ext := c.hasExtras()
			if ext {
				b = append(b, byte(c.Kind)|controlExtras)
			} else {
				b = append(b, byte(c.Kind))
			}
			b = appendString(b, c.Name)
			b = appendString(b, c.Label)
			b = appendF64(b, c.Min)
			b = appendF64(b, c.Max)
			b = appendF64(b, c.Step)
			b = appendString(b, c.Key)
			b = appendUvarint(b, uint64(len(c.Options)))
			for _, o := range c.Options {
				b = appendString(b, o)
			}
			b = appendValue(b, c.Value)
			if ext {
				var flags byte
				if c.Log {
					flags |= controlLog
				}
				b = append(b, flags)
				b = appendString(b, c.Group)
				b = appendString(b, c.Unit)
				b = appendString(b, c.Format)
			}
		}
	case OpControlValue:
		if err := checkUTF8(op.Name, op.Value.Str); err != nil {
			return b, err
		}
		b = appendString(b, op.Name)
		b = appendValue(b, op.Value)
	default:
		return b, fmt.Errorf("unknown op code 0x%02x", byte(op.Code))
	}
	return b, nil
}

// --- decoding ---

// reader decodes from a byte slice. Every length or count is checked
// against the bytes that remain before anything is allocated, so a hostile
// length field cannot make the decoder allocate more than the message size.
type reader struct {
	b   []byte
	off int
	op  Code
	err error
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = &DecodeError{Offset: r.off, Op: r.op, Msg: fmt.Sprintf(format, a...)}
	}
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("truncated: missing %s", what)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.fail("truncated: missing %s", what)
		return 0
	case n < 0:
		r.fail("%s: varint overflows 64 bits", what)
		return 0
	case n > 1 && r.b[r.off+n-1] == 0:
		r.fail("%s: varint is not minimally encoded", what)
		return 0
	}
	r.off += n
	return v
}

// count reads a count of items that each take at least min bytes.
func (r *reader) count(what string, min int) int {
	v := r.uvarint(what)
	if r.err != nil {
		return 0
	}
	if v > uint64(r.left()/min) {
		r.fail("%s %d exceeds what the remaining %d bytes can hold", what, v, r.left())
		return 0
	}
	return int(v)
}

func (r *reader) str(what string) string {
	n := r.uvarint(what + " length")
	if r.err != nil {
		return ""
	}
	if n > uint64(r.left()) {
		r.fail("%s length %d exceeds the remaining %d bytes", what, n, r.left())
		return ""
	}
	s := r.b[r.off : r.off+int(n)]
	if !utf8.Valid(s) {
		r.fail("%s is not valid UTF-8", what)
		return ""
	}
	r.off += int(n)
	return string(s)
}

func (r *reader) f32(what string) float32 {
	if r.err != nil {
		return 0
	}
	if r.left() < 4 {
		r.fail("truncated: missing %s (float32)", what)
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return v
}

func (r *reader) f64(what string) float64 {
	if r.err != nil {
		return 0
	}
	if r.left() < 8 {
		r.fail("truncated: missing %s (float64)", what)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
	r.off += 8
	return v
}

func (r *reader) boolean(what string) bool {
	c := r.byte1(what)
	if c > 1 {
		r.fail("%s: bool byte %d is not 0 or 1", what, c)
	}
	return c == 1
}

func (r *reader) handle(what string) Handle { return Handle(r.uvarint(what)) }

func (r *reader) mask() EventMask {
	v := r.uvarint("event mask")
	if v > math.MaxUint32 {
		r.fail("event mask %d exceeds 32 bits", v)
	}
	return EventMask(v)
}

func (r *reader) attrKey() string {
	k := r.uvarint("attribute key")
	if r.err != nil {
		return ""
	}
	if k == 0 {
		name := r.str("attribute name")
		if r.err == nil {
			if err := CheckAttrName(name); err != nil {
				r.fail("%v", err)
			}
		}
		return name
	}
	if k >= uint64(len(attrTable)) {
		r.fail("attribute key %d is not in the static table (1..%d)", k, len(attrTable)-1)
		return ""
	}
	return attrTable[k]
}

func (r *reader) value() Value {
	switch k := ValueKind(r.byte1("value kind")); k {
	case KindNone:
		return Value{}
	case KindNumber:
		return Number(r.f64("number value"))
	case KindBool:
		return Bool(r.boolean("bool value"))
	case KindString:
		return String(r.str("string value"))
	default:
		r.fail("unknown value kind %d", k)
		return Value{}
	}
}

// UnmarshalBinary decodes one server→browser message into b, reusing
// b.Ops' capacity. On error b holds the ops decoded before the bad one.
func (b *Batch) UnmarshalBinary(data []byte) error {
	b.Ops = b.Ops[:0]
	b.Seq = 0
	if len(data) == 0 {
		return ErrEmpty
	}
	r := &reader{b: data}
	b.Seq = r.uvarint("sequence number")
	for r.err == nil && r.left() > 0 {
		r.op = Code(r.byte1("op code"))
		op := Op{Code: r.op}
		decodeOp(r, &op)
		if r.err != nil {
			break
		}
		b.Ops = append(b.Ops, op)
	}
	return r.err
}

// DecodeBatch decodes one server→browser message.
func DecodeBatch(data []byte) (*Batch, error) {
	b := new(Batch)
	if err := b.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return b, nil
}

func decodeOp(r *reader, op *Op) {
	switch op.Code {
	case OpKeyframe:
		op.Text = r.str("markup")
		n := r.count("table entry count", 3)
		if n > 0 {
			op.Table = make([]Entry, n)
			for i := range op.Table {
				op.Table[i] = Entry{Node: r.handle("handle"), ID: r.str("id"), Mask: r.mask()}
				if r.err == nil && (op.Table[i].Node == 0 || op.Table[i].ID == "") {
					r.fail("table entry %d: handle 0 or empty id", i)
				}
			}
		}
	case OpCreate:
		op.Node = r.handle("handle")
		op.Parent = r.handle("parent")
		op.Before = r.handle("before")
		op.Tag = r.str("tag")
		op.Name = r.str("id")
		op.Mask = r.mask()
		n := r.count("attribute count", 2)
		if n > 0 {
			op.Attrs = make([]Attr, n)
			for i := range op.Attrs {
				op.Attrs[i].Name = r.attrKey()
				op.Attrs[i].Value = r.str("attribute value")
			}
		}
		op.Text = r.str("text")
		if r.err == nil {
			switch {
			case op.Node == 0 || op.Parent == 0:
				r.fail("handle and parent must not be 0")
			case !svgx.ValidName(op.Tag):
				r.fail("tag %q is not an XML name", op.Tag)
			case op.Name == "":
				r.fail("empty id")
			}
		}
	case OpRemove:
		op.Node = r.handle("handle")
	case OpMove:
		op.Node = r.handle("handle")
		op.Parent = r.handle("parent")
		op.Before = r.handle("before")
	case OpSetAttr:
		op.Node = r.handle("handle")
		op.Name = r.attrKey()
		op.Text = r.str("value")
	case OpDelAttr:
		op.Node = r.handle("handle")
		op.Name = r.attrKey()
	case OpSetNum:
		op.Node = r.handle("handle")
		op.Name = r.attrKey()
		op.X = r.f32("value")
	case OpSetXY:
		op.Node = r.handle("handle")
		op.Pair = Pair(r.byte1("pair"))
		if r.err == nil && (op.Pair == 0 || op.Pair > PairTranslate) {
			r.fail("unknown attribute pair %d", op.Pair)
		}
		op.X = r.f32("x")
		op.Y = r.f32("y")
	case OpSetText:
		op.Node = r.handle("handle")
		op.Text = r.str("text")
	case OpListen:
		op.Node = r.handle("handle")
		op.Mask = r.mask()
	case OpSetPose, OpSetPoseScaled:
		op.Node = r.handle("handle")
		op.X = r.f32("x")
		op.Y = r.f32("y")
		op.Angle = r.f32("angle")
		if op.Code == OpSetPoseScaled {
			op.Scale = r.f32("scale")
		}
	case OpAppendPoints, OpTrimPoints:
		op.Node = r.handle("handle")
		op.Name = r.attrKey()
		c := r.uvarint("count")
		if r.err == nil && c > MaxPointCount {
			r.fail("count %d exceeds %d", c, MaxPointCount)
		}
		op.Count = int(c)
		if op.Code == OpAppendPoints {
			if n := r.count("point count", 8); n > 0 {
				op.XY = make([]float32, 2*n)
				for i := range op.XY {
					op.XY[i] = r.f32("coordinate")
				}
			}
		}
	case OpOverlay, OpNotice:
		op.Text = r.str("text")
	case OpAsset:
		op.Tag = r.str("kind")
		op.Name = r.str("name")
		op.Text = r.str("url")
	case OpStats:
		op.Stats = &Stats{
			Viewers: r.uvarint("viewers"),
			TickHz:  r.f32("tick rate"),
			Speed:   r.f32("speed"),
			SimTime: r.f64("sim time"),
		}
		run := r.byte1("run flags")
		if run > RunPaused|RunCanReset|RunHalted {
			r.off--
			r.fail("run flags 0x%02x have unknown bits", run)
		}
		op.Stats.Paused, op.Stats.CanReset, op.Stats.Halted = run&RunPaused != 0, run&RunCanReset != 0, run&RunHalted != 0
		op.Stats.Lag = r.uvarint("lag")
	case OpControls:
		n := r.count("control count", 30)
		if n > 0 {
			op.Controls = make([]Control, n)
			for i := range op.Controls {
				c := &op.Controls[i]
				k := r.byte1("control kind")
				ext := k&controlExtras != 0
				c.Kind = ControlKind(k &^ controlExtras)
				if r.err == nil && (c.Kind == 0 || c.Kind > TextBox) {
					r.fail("unknown control kind %d", c.Kind)
				}
				c.Name = r.str("control name")
				c.Label = r.str("label")
				c.Min = r.f64("min")
				c.Max = r.f64("max")
				c.Step = r.f64("step")
				c.Key = r.str("key")
				if m := r.count("option count", 1); m > 0 {
					c.Options = make([]string, m)
					for j := range c.Options {
						c.Options[j] = r.str("option")
					}
				}
				c.Value = r.value()
				if ext {
					flags := r.byte1("control flags")
					if r.err == nil && flags&^controlLog != 0 {
						r.fail("unknown control flags 0x%02x", flags)
					}
					c.Log = flags&controlLog != 0
					c.Group = r.str("group")
					c.Unit = r.str("unit")
					c.Format = r.str("format")
				}
			}
		}
	case OpControlValue:
		op.Name = r.str("control name")
		op.Value = r.value()
	default:
		r.off--
		r.op = 0
		r.fail("unknown op code 0x%02x", byte(op.Code))
	}
}
