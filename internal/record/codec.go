package record

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/vizserve/vizserve/scene/wire"
)

// Chunks of a batch body.
const (
	chunkMoves = 1 // a run of moves, coded against the elements' previous values
	chunkWire  = 2 // ops in their wire encoding (a batch numbered 0)
)

// slot names one number of one element that moves: its handle and which
// of its numbers (a pair's x or y, a pose's angle, a set-num's attribute),
// in one word for a fast map. Two numbers that share a slot (handles past
// 2^48, a segment with thousands of set-num names) only predict each other
// worse: both sides keep the same state, so coding stays exact.
type slot uint64

func slotOf(h wire.Handle, k uint32) slot { return slot(uint64(h)<<16 ^ uint64(k)) }

// pred predicts a number's next bits from its last two: linear
// extrapolation in the order of float32 values, so that a thing moving at
// a steady speed costs one small residual per number.
type pred struct {
	last, delta int32
}

// coder is the state both sides of a segment keep: the last values of
// every slot and the set-num attribute names seen. A keyframe resets it,
// so each segment decodes on its own.
type coder struct {
	slots map[slot]pred
	names map[string]uint32 // writer: name → id (from 1)
	byID  []string          // reader: id-1 → name
	seq   uint64
	lastH wire.Handle
}

func (c *coder) reset(seq uint64) {
	if c.slots == nil {
		c.slots = make(map[slot]pred)
	} else {
		clear(c.slots)
	}
	c.names, c.byID = nil, nil
	c.seq = seq
	c.lastH = 0
}

// ordered maps float32 bits onto int32 in the order of the values (and
// back: it is a bijection, -0 and NaNs included).
func ordered(u uint32) int32 {
	if u>>31 == 0 {
		return int32(u)
	}
	return -1 - int32(u&0x7fffffff)
}

func unordered(o int32) uint32 {
	if o >= 0 {
		return uint32(o)
	}
	return uint32(-1-o) | 1<<31
}

func zigzag(v int32) uint64   { return uint64(uint32(v<<1) ^ uint32(v>>31)) }
func unzigzag(u uint64) int32 { return int32(uint32(u)>>1) ^ -int32(uint32(u)&1) }

func (c *coder) putNum(b []byte, s slot, v float32) []byte {
	o := ordered(math.Float32bits(v))
	p := c.slots[s]
	r := o - (p.last + p.delta)
	c.slots[s] = pred{last: o, delta: o - p.last}
	return binary.AppendUvarint(b, zigzag(r))
}

func (c *coder) getNum(d *dec, s slot) float32 {
	u := d.uvarint("number")
	if u > math.MaxUint32 {
		d.fail("number residual out of range")
	}
	p := c.slots[s]
	o := p.last + p.delta + unzigzag(u)
	c.slots[s] = pred{last: o, delta: o - p.last}
	return math.Float32frombits(unordered(o))
}

// Slot kinds: a pair's numbers are 2p and 2p+1 (p < 8), a pose's from 16,
// a set-num attribute's from 32 + 4·id.
const (
	slotPose = 16
	slotNum  = 32
)

// isMove reports whether op is coded in a moves chunk.
func isMove(op *wire.Op) bool {
	switch op.Code {
	case wire.OpSetXY:
		return op.Pair >= wire.PairXY && op.Pair <= wire.PairTranslate
	case wire.OpSetPose, wire.OpSetPoseScaled:
		return true
	case wire.OpSetNum:
		return wire.CheckAttrName(op.Name) == nil
	}
	return false
}

// appendBody appends the body of a batch record: the sequence number
// against the previous one, then its ops in order as chunks.
func (c *coder) appendBody(b []byte, batch *wire.Batch) ([]byte, error) {
	b = binary.AppendUvarint(b, batch.Seq-c.seq)
	c.seq = batch.Seq
	ops := batch.Ops
	for len(ops) > 0 {
		n := 0
		move := isMove(&ops[0])
		for n < len(ops) && isMove(&ops[n]) == move {
			n++
		}
		if move {
			b = c.appendMoves(b, ops[:n])
		} else {
			b = append(b, chunkWire)
			at := len(b)
			enc, err := wire.AppendBatch(nil, 0, ops[:n], nil)
			if err != nil {
				return nil, err
			}
			b = binary.AppendUvarint(b[:at], uint64(len(enc)))
			b = append(b, enc...)
		}
		ops = ops[n:]
	}
	return b, nil
}

func (c *coder) appendMoves(b []byte, ops []wire.Op) []byte {
	b = append(b, chunkMoves)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for i := range ops {
		op := &ops[i]
		b = append(b, byte(op.Code))
		b = binary.AppendUvarint(b, zigzag(int32(op.Node-c.lastH-1)))
		c.lastH = op.Node
		switch op.Code {
		case wire.OpSetXY:
			b = append(b, byte(op.Pair))
			k := uint32(op.Pair) * 2
			b = c.putNum(b, slotOf(op.Node, k), op.X)
			b = c.putNum(b, slotOf(op.Node, k+1), op.Y)
		case wire.OpSetPose, wire.OpSetPoseScaled:
			b = c.putNum(b, slotOf(op.Node, slotPose), op.X)
			b = c.putNum(b, slotOf(op.Node, slotPose+1), op.Y)
			b = c.putNum(b, slotOf(op.Node, slotPose+2), op.Angle)
			if op.Code == wire.OpSetPoseScaled {
				b = c.putNum(b, slotOf(op.Node, slotPose+3), op.Scale)
			}
		case wire.OpSetNum:
			id, ok := c.names[op.Name]
			if !ok {
				if c.names == nil {
					c.names = map[string]uint32{}
				}
				id = uint32(len(c.names) + 1)
				c.names[op.Name] = id
				b = append(b, 0)
				b = appendString(b, op.Name)
			} else {
				b = binary.AppendUvarint(b, uint64(id))
			}
			b = c.putNum(b, slotOf(op.Node, slotNum+4*id), op.X)
		}
	}
	return b
}

// decodeBody decodes a batch record's body into out, reusing its ops.
func (c *coder) decodeBody(body []byte, out *wire.Batch) error {
	d := &dec{b: body}
	c.seq += d.uvarint("sequence number")
	out.Seq, out.Ops = c.seq, out.Ops[:0]
	for d.err == nil && d.left() > 0 {
		switch k := d.byte1("chunk"); k {
		case chunkMoves:
			c.decodeMoves(d, out)
		case chunkWire:
			enc := d.bytes("wire chunk")
			if d.err != nil {
				break
			}
			var wb wire.Batch
			if err := wb.UnmarshalBinary(enc); err != nil {
				return err
			}
			if wb.Seq != 0 {
				d.fail("wire chunk numbered %d", wb.Seq)
			}
			out.Ops = append(out.Ops, wb.Ops...)
		default:
			d.fail("unknown chunk %d", k)
		}
	}
	return d.err
}

func (c *coder) decodeMoves(d *dec, out *wire.Batch) {
	n := d.count("moves", 3)
	if d.err != nil {
		return
	}
	out.Ops = slices.Grow(out.Ops, n)[:len(out.Ops)+n]
	ops := out.Ops[len(out.Ops)-n:]
	clear(ops)
	for i := range ops {
		op := &ops[i]
		op.Code = wire.Code(d.byte1("op code"))
		h := c.lastH + 1 + wire.Handle(int64(unzigzag(d.uvarint("handle"))))
		c.lastH, op.Node = h, h
		switch op.Code {
		case wire.OpSetXY:
			op.Pair = wire.Pair(d.byte1("pair"))
			if op.Pair < wire.PairXY || op.Pair > wire.PairTranslate {
				d.fail("unknown pair %d", op.Pair)
				return
			}
			k := uint32(op.Pair) * 2
			op.X = c.getNum(d, slotOf(h, k))
			op.Y = c.getNum(d, slotOf(h, k+1))
		case wire.OpSetPose, wire.OpSetPoseScaled:
			op.X = c.getNum(d, slotOf(h, slotPose))
			op.Y = c.getNum(d, slotOf(h, slotPose+1))
			op.Angle = c.getNum(d, slotOf(h, slotPose+2))
			if op.Code == wire.OpSetPoseScaled {
				op.Scale = c.getNum(d, slotOf(h, slotPose+3))
			}
		case wire.OpSetNum:
			id := d.uvarint("attribute")
			switch {
			case id == 0:
				name := d.str("attribute name")
				if d.err == nil {
					if err := wire.CheckAttrName(name); err != nil {
						d.fail("%v", err)
					}
				}
				c.byID = append(c.byID, name)
				id = uint64(len(c.byID))
			case id > uint64(len(c.byID)):
				d.fail("attribute %d not named yet", id)
				return
			}
			op.Name = c.byID[id-1]
			op.X = c.getNum(d, slotOf(h, slotNum+4*uint32(id)))
		default:
			d.fail("%v is not a move", op.Code)
		}
		if d.err != nil {
			return
		}
	}
}

// errorf wraps a record error with where it is.
func errorf(off int64, format string, a ...any) error {
	return fmt.Errorf("record: offset %d: %s", off, fmt.Sprintf(format, a...))
}
