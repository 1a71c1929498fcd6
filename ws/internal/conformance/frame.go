package conformance

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"unicode/utf8"
)

// The fuzzer frames bytes itself, with no code shared with package ws, so
// that a bug in one cannot hide the same bug in the other.

// Opcodes (RFC 6455 section 5.2).
const (
	opCont   byte = 0x0
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

func opName(op byte) string {
	switch op {
	case opCont:
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
	return fmt.Sprintf("opcode %d", op)
}

func isControl(op byte) bool { return op >= 0x8 }

// maxControl is the largest payload of a control frame.
const maxControl = 125

// maxRxPayload bounds a frame the fuzzer accepts from a peer, so that a
// broken peer announcing 2^63 bytes cannot make it allocate without end.
const maxRxPayload = 64 << 20

// frame is a frame to send. Any combination of bits may be set, which is
// the point: rsv is the three reserved bits as Autobahn numbers them (the
// value is shifted into bits 4..6 of the first byte, so rsv 4 is RSV1).
type frame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

func (f *frame) String() string {
	s := opName(f.op)
	if !f.fin {
		s += " fin=0"
	}
	if f.rsv != 0 {
		s += fmt.Sprintf(" rsv=%d", f.rsv)
	}
	if f.op == opClose && len(f.payload) <= maxControl {
		return s + " " + describeClose(f.payload)
	}
	return s + fmt.Sprintf(" len=%d %s", len(f.payload), preview(f.payload, f.op != opBinary))
}

// headerLen is the size of the header of a frame with n payload bytes.
func headerLen(n int, masked bool) int {
	h := 2
	switch {
	case n > 0xFFFF:
		h += 8
	case n > 125:
		h += 2
	}
	if masked {
		h += 4
	}
	return h
}

// encode returns the frame's bytes, masked with a random key when masked is
// set (the fuzzer is the client).
func (f *frame) encode(masked bool) []byte {
	return f.appendEncode(make([]byte, 0, headerLen(len(f.payload), masked)+len(f.payload)), masked)
}

// appendEncode appends the frame's bytes to dst, as encode.
func (f *frame) appendEncode(dst []byte, masked bool) []byte {
	n := len(f.payload)
	start := len(dst)
	dst = append(dst, make([]byte, headerLen(n, masked))...)
	b := dst[start:]
	b[0] = f.op & 0x0F
	b[0] |= (f.rsv & 0x7) << 4
	if f.fin {
		b[0] |= 0x80
	}
	i := 2
	switch {
	case n > 0xFFFF:
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
		i += 8
	case n > 125:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		i += 2
	default:
		b[1] = byte(n)
	}
	if !masked {
		return append(dst, f.payload...)
	}
	b[1] |= 0x80
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	copy(b[i:], key[:])
	p := len(dst)
	dst = append(dst, f.payload...)
	maskInPlace(dst[p:], key, 0)
	return dst
}

// maskInPlace XORs p with the key, starting at key position pos.
func maskInPlace(p []byte, key [4]byte, pos int) {
	var k8 [8]byte
	for j := range k8 {
		k8[j] = key[(pos+j)&3]
	}
	w := binary.LittleEndian.Uint64(k8[:])
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^w)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[(pos+i)&3]
	}
}

// rxFrame is a frame read from the peer, payload unmasked.
type rxFrame struct {
	fin     bool
	rsv     byte
	op      byte
	masked  bool
	payload []byte
}

func (f *rxFrame) String() string {
	s := opName(f.op)
	if !f.fin {
		s += " fin=0"
	}
	if f.rsv != 0 {
		s += fmt.Sprintf(" rsv=%d", f.rsv)
	}
	if f.masked {
		s += " masked"
	}
	if f.op == opClose {
		return s + " " + describeClose(f.payload)
	}
	return s + fmt.Sprintf(" len=%d %s", len(f.payload), preview(f.payload, f.op != opBinary))
}

var errFrameTooBig = errors.New("frame payload larger than the fuzzer accepts")

// readFrame reads one frame. Errors from the reader come back unwrapped, so
// io.EOF means the peer closed the connection between frames.
func readFrame(br *bufio.Reader) (rxFrame, error) {
	var h [14]byte
	if _, err := io.ReadFull(br, h[:2]); err != nil {
		return rxFrame{}, err
	}
	f := rxFrame{
		fin:    h[0]&0x80 != 0,
		rsv:    (h[0] >> 4) & 0x7,
		op:     h[0] & 0x0F,
		masked: h[1]&0x80 != 0,
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		if _, err := io.ReadFull(br, h[2:4]); err != nil {
			return f, unexpectedEOF(err)
		}
		n = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		if _, err := io.ReadFull(br, h[2:10]); err != nil {
			return f, unexpectedEOF(err)
		}
		n = binary.BigEndian.Uint64(h[2:10])
	}
	if n > maxRxPayload {
		return f, fmt.Errorf("%w: %d bytes", errFrameTooBig, n)
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return f, unexpectedEOF(err)
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(br, f.payload); err != nil {
		return f, unexpectedEOF(err)
	}
	if f.masked {
		maskInPlace(f.payload, key, 0)
	}
	return f, nil
}

// unexpectedEOF turns an EOF inside a frame into io.ErrUnexpectedEOF, so
// that only a close between frames reads as io.EOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// closePayload builds the payload of a close frame: nothing when code is
// negative, else the code followed by reason.
func closePayload(code int, reason []byte) []byte {
	if code < 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	return append(b, reason...)
}

func describeClose(p []byte) string {
	switch len(p) {
	case 0:
		return "(no status)"
	case 1:
		return fmt.Sprintf("(1-byte payload %x)", p)
	}
	code := binary.BigEndian.Uint16(p)
	if len(p) == 2 {
		return fmt.Sprintf("%d", code)
	}
	return fmt.Sprintf("%d %s", code, preview(p[2:], true))
}

// validCloseCode reports whether a peer may send code in a close frame:
// the codes RFC 6455 and the IANA registry define for the wire, and the
// ranges for libraries and applications.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// preview shows at most 48 bytes of p: quoted when it is valid UTF-8
// text, in hex otherwise.
func preview(p []byte, text bool) string {
	const max = 48
	q := p
	more := ""
	if len(q) > max {
		n := max
		for n > max-3 && n > 0 && !utf8.RuneStart(q[n]) {
			n--
		}
		q, more = q[:n], "…"
	}
	if text && utf8.Valid(q) {
		return fmt.Sprintf("%q%s", q, more)
	}
	return fmt.Sprintf("0x%x%s", q, more)
}
