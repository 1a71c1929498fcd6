package ws

import (
	"encoding/binary"
	"math/bits"
)

// opcode is a frame opcode (RFC 6455 section 5.2).
type opcode byte

const (
	opContinuation opcode = 0x0
	opText         opcode = 0x1
	opBinary       opcode = 0x2
	opClose        opcode = 0x8
	opPing         opcode = 0x9
	opPong         opcode = 0xA
)

func (o opcode) isControl() bool { return o&0x8 != 0 }

func (o opcode) String() string {
	switch o {
	case opContinuation:
		return "continuation"
	case opText:
		return "text"
	case opBinary:
		return "binary"
	case opClose:
		return "close"
	case opPing:
		return "ping"
	case opPong:
		return "pong"
	}
	return "reserved opcode " + string("0123456789ABCDEF"[o&0xF])
}

// MessageType is the type of a data message.
type MessageType int

const (
	// MessageText is a UTF-8 text message.
	MessageText MessageType = MessageType(opText)
	// MessageBinary is a binary message.
	MessageBinary MessageType = MessageType(opBinary)
)

func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "MessageType(" + string(rune('0'+int(t)%10)) + ")"
}

const (
	finBit  = 0x80
	rsv1Bit = 0x40
	rsv2Bit = 0x20
	rsv3Bit = 0x10
	maskBit = 0x80

	maxControlPayload = 125
	maxHeaderSize     = 2 + 8 + 4
	maxCloseReason    = maxControlPayload - 2
)

// header is a decoded frame header.
type header struct {
	fin     bool
	rsv     byte // the three RSV bits, in their wire position (0x70 mask)
	op      opcode
	masked  bool
	mask    uint32 // the masking key in wire byte order, read little-endian
	length  int64
	hdrSize int
}

// headerSize returns how many bytes the header starting with b0, b1 takes.
func headerSize(b1 byte) int {
	n := 2
	switch b1 & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&maskBit != 0 {
		n += 4
	}
	return n
}

// parseHeader decodes a complete header from b, which holds at least
// headerSize(b[1]) bytes. It reports a 64-bit length with the most
// significant bit set as ok == false.
func parseHeader(b []byte) (h header, ok bool) {
	h.fin = b[0]&finBit != 0
	h.rsv = b[0] & (rsv1Bit | rsv2Bit | rsv3Bit)
	h.op = opcode(b[0] & 0x0F)
	h.masked = b[1]&maskBit != 0
	n := 2
	switch l := b[1] & 0x7F; l {
	case 126:
		h.length = int64(binary.BigEndian.Uint16(b[2:]))
		n += 2
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return h, false
		}
		h.length = int64(u)
		n += 8
	default:
		h.length = int64(l)
	}
	if h.masked {
		h.mask = binary.LittleEndian.Uint32(b[n:])
		n += 4
	}
	h.hdrSize = n
	return h, true
}

// appendHeader appends the wire form of a frame header to b. The length is
// always encoded in its shortest form, as RFC 6455 requires.
func appendHeader(b []byte, fin bool, rsv byte, op opcode, length int, masked bool, mask uint32) []byte {
	b0 := byte(op) | rsv
	if fin {
		b0 |= finBit
	}
	var mb byte
	if masked {
		mb = maskBit
	}
	switch {
	case length <= 125:
		b = append(b, b0, mb|byte(length))
	case length <= 0xFFFF:
		b = append(b, b0, mb|126, byte(length>>8), byte(length))
	default:
		b = append(b, b0, mb|127)
		b = binary.BigEndian.AppendUint64(b, uint64(length))
	}
	if masked {
		b = binary.LittleEndian.AppendUint32(b, mask)
	}
	return b
}

// maskBytes XORs b with the masking key, starting at key byte pos, and
// returns the key byte position after b. Applying it twice restores b.
func maskBytes(key uint32, pos int, b []byte) int {
	if len(b) == 0 {
		return pos
	}
	// Rotate the key so that its first byte lines up with b[0].
	k := bits.RotateLeft32(key, -8*(pos&3))
	for len(b) > 0 && len(b) < 8 {
		b[0] ^= byte(k)
		k = bits.RotateLeft32(k, -8)
		b = b[1:]
		pos++
	}
	k64 := uint64(k) | uint64(k)<<32
	for len(b) >= 64 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		v = binary.LittleEndian.Uint64(b[8:])
		binary.LittleEndian.PutUint64(b[8:], v^k64)
		v = binary.LittleEndian.Uint64(b[16:])
		binary.LittleEndian.PutUint64(b[16:], v^k64)
		v = binary.LittleEndian.Uint64(b[24:])
		binary.LittleEndian.PutUint64(b[24:], v^k64)
		v = binary.LittleEndian.Uint64(b[32:])
		binary.LittleEndian.PutUint64(b[32:], v^k64)
		v = binary.LittleEndian.Uint64(b[40:])
		binary.LittleEndian.PutUint64(b[40:], v^k64)
		v = binary.LittleEndian.Uint64(b[48:])
		binary.LittleEndian.PutUint64(b[48:], v^k64)
		v = binary.LittleEndian.Uint64(b[56:])
		binary.LittleEndian.PutUint64(b[56:], v^k64)
		b = b[64:]
		pos += 64
	}
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		b = b[8:]
		pos += 8
	}
	for i := range b {
		b[i] ^= byte(k)
		k = bits.RotateLeft32(k, -8)
		pos++
	}
	return pos & 3
}

// maskCopy writes src XOR key (starting at key byte pos) into dst, which must
// be at least as long as src, and returns the next key position. src is not
// modified.
func maskCopy(dst, src []byte, key uint32, pos int) int {
	n := copy(dst, src)
	return maskBytes(key, pos, dst[:n])
}
