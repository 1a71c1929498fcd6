// Package deflatecheck is a strict DEFLATE (RFC 1951) decoder for checking
// permessage-deflate (RFC 7692) messages in tests, written independently of
// compress/flate and of ws/internal/deflate so that a bug cannot hide in
// both the compressor and the checker.
//
//	msg, err := deflatecheck.Message(history, payload, 15)
//
// Message decodes one message's payload the way a receiver does: it
// appends 0x00 0x00 0xFF 0xFF, decodes after history (the previous
// messages' bytes under context takeover, nil without), and fails on
// anything a decoder could object to, or that RFC 7692 rules out for the
// negotiated window:
//
//   - a back-reference further than 1<<windowBits bytes, or further back
//     than the history and the message itself;
//   - a code that is oversubscribed or incomplete (except a single code of
//     length 1, which decoders accept for literal/length and distance
//     codes), a literal/length code without end of block, more than 286
//     literal/length or 30 distance codes, symbols 286 and 287 or distance
//     symbols 30 and 31, a repeat with no previous length, code lengths
//     overflowing the header's counts;
//   - a stored block whose LEN and NLEN disagree, reserved block type 3,
//     data that ends inside a block;
//   - a message that does not end with exactly one empty stored block (the
//     sync flush), a final block, or an empty stored block before the end.
//
// The last rule is stricter than RFC 7692, which lets a sender end a
// message with a final block (section 7.2.3.4) and flush in the middle of
// one (the two-block example of section 7.2.3.5): Decode's Options allow
// both, for checking other implementations.
//
// It is meant for tests: clear and strict first, fast enough to check
// every message of a conformance run (a two-level table lookup per symbol).
package deflatecheck

import (
	"errors"
	"fmt"
)

// Options tune Decode.
type Options struct {
	// WindowBits is the negotiated LZ77 window, 8 to 15: no distance may
	// exceed 1<<WindowBits. 0 means 15.
	WindowBits int
	// AllowFinal accepts a message that ends with a block whose BFINAL bit
	// is set (RFC 7692 section 7.2.3.4), followed by nothing but what is
	// left of the empty stored block a sender appends: zero bits to the
	// byte boundary, then 00 00 FF FF (the appended tail) with or without
	// one more 00 byte for its header.
	AllowFinal bool
	// AllowFlush accepts empty stored blocks (sync flushes) before the
	// one that ends the message.
	AllowFlush bool
	// Limit, if positive, bounds the decoded message: a message that would
	// decode to more bytes fails (a guard against decompression bombs).
	Limit int
}

// Stats describe a decoded message.
type Stats struct {
	MaxDist int    // longest back-reference distance
	Matched int    // bytes produced by back-references
	Blocks  [3]int // blocks by BTYPE: stored (the final sync flush included), fixed, dynamic
	Final   bool   // the message ended with a final block (Options.AllowFinal)
	Flushes int    // empty stored blocks before the end (Options.AllowFlush)
}

// tail is what RFC 7692 section 7.2.2 appends to a message before
// decoding it.
var tail = [4]byte{0x00, 0x00, 0xFF, 0xFF}

// ErrUnexpectedEOF is returned when the data ends inside a block.
var ErrUnexpectedEOF = errors.New("unexpected end of data")

// Message decodes one permessage-deflate message strictly (see the package
// documentation) and returns its bytes.
func Message(history, in []byte, windowBits int) ([]byte, error) {
	out, _, err := Decode(nil, history, in, Options{WindowBits: windowBits})
	return out, err
}

// Decode decodes one permessage-deflate message payload in (without the
// tail RFC 7692 strips; Decode appends it) after history, and appends the
// message to dst. Without options it is as strict as Message. On error it
// returns dst with what was decoded before the error, and the error says
// where the data went wrong.
func Decode(dst, history, in []byte, o Options) ([]byte, Stats, error) {
	wb := o.WindowBits
	if wb == 0 {
		wb = 15
	}
	if wb < 8 || wb > 15 {
		return dst, Stats{}, fmt.Errorf("deflatecheck: window bits %d, want 8 to 15", wb)
	}
	d := decoder{in: in, base: len(dst), out: dst, history: history, window: 1 << wb, opt: o}
	err := d.run()
	if err != nil {
		err = fmt.Errorf("deflatecheck: at bit %d of %d (with the 4-byte tail): %w", d.bitPos(), 8*(len(in)+len(tail)), err)
	}
	return d.out, d.st, err
}

type decoder struct {
	in      []byte // the message, followed virtually by tail
	pos     int    // next byte of in+tail to load into bits
	bits    uint64 // loaded bits, the next one lowest
	nbits   uint
	out     []byte
	base    int // where the message starts in out
	history []byte
	window  int
	opt     Options
	st      Stats

	lit, dist, cl huffman
}

// bitPos is the position of the next unread bit in in+tail.
func (d *decoder) bitPos() int { return 8*d.pos - int(d.nbits) }

func (d *decoder) size() int { return len(d.in) + len(tail) }

func (d *decoder) byteAt(i int) byte {
	if i < len(d.in) {
		return d.in[i]
	}
	return tail[i-len(d.in)]
}

// refill loads whole bytes until at least 57 bits are held or the input
// is used up.
func (d *decoder) refill() {
	for d.nbits <= 56 && d.pos < d.size() {
		d.bits |= uint64(d.byteAt(d.pos)) << d.nbits
		d.pos++
		d.nbits += 8
	}
}

// need makes sure n bits (n ≤ 57) are loaded.
func (d *decoder) need(n uint) error {
	if d.nbits < n {
		d.refill()
		if d.nbits < n {
			return ErrUnexpectedEOF
		}
	}
	return nil
}

func (d *decoder) take(n uint) (int, error) {
	if err := d.need(n); err != nil {
		return 0, err
	}
	v := int(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nbits -= n
	return v, nil
}

// align drops the bits up to the next byte boundary and gives back the
// whole bytes loaded, so that bytes can be read directly from pos. It
// returns the dropped bits.
func (d *decoder) align() (dropped uint64, n uint) {
	n = d.nbits % 8
	dropped = d.bits & (1<<n - 1)
	d.pos -= int(d.nbits / 8)
	d.bits, d.nbits = 0, 0
	return dropped, n
}

func (d *decoder) run() error {
	for {
		if err := d.need(3); err != nil {
			return err
		}
		hdr, _ := d.take(3)
		final, typ := hdr&1 == 1, hdr>>1
		if final && !d.opt.AllowFinal {
			return errors.New("a final block (BFINAL set) in a permessage-deflate message")
		}
		switch typ {
		case 0:
			d.st.Blocks[0]++
			done, err := d.stored(final)
			if err != nil || done {
				return err
			}
		case 1:
			d.st.Blocks[1]++
			d.lit.fixedLitLen()
			d.dist.fixedDist()
			if err := d.data(); err != nil {
				return err
			}
		case 2:
			d.st.Blocks[2]++
			if err := d.header(); err != nil {
				return err
			}
			if err := d.data(); err != nil {
				return err
			}
		default:
			return errors.New("reserved block type 3")
		}
		if final {
			return d.afterFinal()
		}
	}
}

// stored copies a stored block and reports whether it was the sync flush
// that ends the message.
func (d *decoder) stored(final bool) (bool, error) {
	d.align()
	if d.pos+4 > d.size() {
		return false, ErrUnexpectedEOF
	}
	n := int(d.byteAt(d.pos)) | int(d.byteAt(d.pos+1))<<8
	nn := int(d.byteAt(d.pos+2)) | int(d.byteAt(d.pos+3))<<8
	d.pos += 4
	if n != ^nn&0xFFFF {
		return false, fmt.Errorf("stored block with LEN %#04x and NLEN %#04x, which are not complements", n, nn)
	}
	if d.pos+n > d.size() {
		return false, ErrUnexpectedEOF
	}
	if err := d.grow(n); err != nil {
		return false, err
	}
	for i := range n {
		d.out = append(d.out, d.byteAt(d.pos+i))
	}
	d.pos += n
	if n > 0 || final {
		return false, nil
	}
	if d.pos == d.size() {
		return true, nil // the sync flush ends the message
	}
	if d.opt.AllowFlush {
		d.st.Flushes++
		return false, nil
	}
	return false, fmt.Errorf("%d bytes after an empty stored block (a sync flush inside the message)", d.size()-d.pos)
}

// afterFinal checks what follows a final block: zero bits to the byte
// boundary, then the appended tail, alone or after one zero byte (what is
// left of the empty stored block a sender appends, RFC 7692 7.2.1).
func (d *decoder) afterFinal() error {
	d.st.Final = true
	if pad, _ := d.align(); pad != 0 {
		return errors.New("non-zero bits after the final block")
	}
	rest := d.size() - d.pos
	if rest == len(tail)+1 && d.byteAt(d.pos) == 0 {
		d.pos++
		rest--
	}
	if rest != len(tail) || d.pos != len(d.in) {
		return fmt.Errorf("%d bytes after the final block, where only the remains of an empty stored block may be", d.size()-d.pos-len(tail))
	}
	d.pos = d.size()
	return nil
}

// grow checks that n more bytes fit within Options.Limit.
func (d *decoder) grow(n int) error {
	if d.opt.Limit > 0 && len(d.out)-d.base+n > d.opt.Limit {
		return fmt.Errorf("the message decodes to more than the limit of %d bytes", d.opt.Limit)
	}
	return nil
}

// header reads a dynamic block's code definitions (RFC 1951 3.2.7).
func (d *decoder) header() error {
	if err := d.need(14); err != nil {
		return err
	}
	hlit, _ := d.take(5)
	hdist, _ := d.take(5)
	hclen, _ := d.take(4)
	nlit, ndist, ncl := hlit+257, hdist+1, hclen+4
	if nlit > numLitLen {
		return fmt.Errorf("HLIT gives %d literal/length codes, more than %d", nlit, numLitLen)
	}
	if ndist > numDist {
		return fmt.Errorf("HDIST gives %d distance codes, more than %d", ndist, numDist)
	}
	var clLens [19]uint8
	for _, s := range clOrder[:ncl] {
		v, err := d.take(3)
		if err != nil {
			return err
		}
		clLens[s] = uint8(v)
	}
	if err := d.cl.init(clLens[:], false); err != nil {
		return fmt.Errorf("code length code: %w", err)
	}
	var lens [numLitLen + numDist]uint8
	for i := 0; i < nlit+ndist; {
		s, err := d.cl.decode(d)
		if err != nil {
			return fmt.Errorf("code lengths: %w", err)
		}
		rep, v := 1, uint8(s)
		switch s {
		case 16:
			if i == 0 {
				return errors.New("code length repeat (16) with no previous length")
			}
			v = lens[i-1]
			r, err := d.take(2)
			if err != nil {
				return err
			}
			rep = 3 + r
		case 17:
			r, err := d.take(3)
			if err != nil {
				return err
			}
			v, rep = 0, 3+r
		case 18:
			r, err := d.take(7)
			if err != nil {
				return err
			}
			v, rep = 0, 11+r
		}
		if i+rep > nlit+ndist {
			return fmt.Errorf("code lengths overflow HLIT+HDIST (%d): a repeat of %d at %d", nlit+ndist, rep, i)
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if lens[endOfBlock] == 0 {
		return errors.New("the literal/length code has no end of block")
	}
	if err := d.lit.init(lens[:nlit], true); err != nil {
		return fmt.Errorf("literal/length code: %w", err)
	}
	if err := d.dist.init(lens[nlit:nlit+ndist], true); err != nil {
		return fmt.Errorf("distance code: %w", err)
	}
	return nil
}

// data decodes a compressed block's symbols up to end of block.
func (d *decoder) data() error {
	for {
		s, err := d.lit.decode(d)
		if err != nil {
			return fmt.Errorf("literal/length: %w", err)
		}
		if s < 256 {
			if err := d.grow(1); err != nil {
				return err
			}
			d.out = append(d.out, byte(s))
			continue
		}
		if s == endOfBlock {
			return nil
		}
		if s > 285 {
			return fmt.Errorf("invalid literal/length symbol %d", s)
		}
		ls := s - 257
		extra, err := d.take(uint(lengthExtra[ls]))
		if err != nil {
			return err
		}
		length := int(lengthBase[ls]) + extra
		ds, err := d.dist.decode(d)
		if err != nil {
			return fmt.Errorf("distance: %w", err)
		}
		if ds >= numDist {
			return fmt.Errorf("invalid distance symbol %d", ds)
		}
		extra, err = d.take(uint(distExtra[ds]))
		if err != nil {
			return err
		}
		dist := int(distBase[ds]) + extra
		have := len(d.out) - d.base
		if dist > have+len(d.history) {
			return fmt.Errorf("distance %d past the start of the history (%d bytes of history, %d of this message)", dist, len(d.history), have)
		}
		if dist > d.window {
			return fmt.Errorf("distance %d past the window of %d bytes", dist, d.window)
		}
		if err := d.grow(length); err != nil {
			return err
		}
		d.st.MaxDist = max(d.st.MaxDist, dist)
		d.st.Matched += length
		d.copyBack(dist, length)
	}
}

// copyBack appends length bytes starting dist bytes back, reaching into
// the history where the message is shorter than dist.
func (d *decoder) copyBack(dist, length int) {
	for length > 0 {
		have := len(d.out) - d.base
		if dist > have {
			h := len(d.history) - (dist - have)
			n := min(length, dist-have)
			d.out = append(d.out, d.history[h:h+n]...)
			length -= n
			continue
		}
		start := len(d.out) - dist
		if dist >= length {
			d.out = append(d.out, d.out[start:start+length]...)
			return
		}
		for i := range length { // overlapping: a run
			d.out = append(d.out, d.out[start+i])
		}
		return
	}
}
