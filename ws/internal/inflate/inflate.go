// Package inflate decodes one permessage-deflate (RFC 7692) message held
// whole in memory: raw DEFLATE (RFC 1951) data after an optional history,
// into a byte slice, with table-driven Huffman decoding and 64-bit bit
// refills. It accepts exactly what compress/flate accepts, so that a
// connection decodes the same messages whichever of the two it uses:
// complete prefix codes, or a single code of length 1; an empty distance
// code (failing only if used); data that ends inside a block (the output
// so far is the message); back-references up to the start of the history.
//
//	var d inflate.Decoder
//	out, res, err := d.Decode(buf[:0], history, payloadWithTail, limit)
//
// A Decoder holds its tables (about 140 KiB) and allocates nothing once
// out has room; it is not safe for concurrent use, and can be pooled.
package inflate

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
)

// CorruptError reports invalid DEFLATE data at an input byte offset.
type CorruptError struct {
	Offset int
	Reason string
}

func (e *CorruptError) Error() string {
	return "flate: corrupt input before offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// ErrLimit is returned when the decoded message would exceed the limit.
var ErrLimit = errors.New("inflate: decoded data exceeds the limit")

// Result says how the data ended.
type Result struct {
	// Final is set when a block with BFINAL set ended the data; Consumed
	// is then the number of input bytes up to and including the byte that
	// holds its last bit.
	Final    bool
	Consumed int
}

const (
	maxMatch = 258

	litBits  = 10 // primary table bits, literal/length code
	distBits = 8  // primary table bits, distance code
	clBits   = 7  // code length code: codes of at most 7 bits, one level

	entryLink = 1 << 4 // the entry points to a subtable
	lenMask   = 0x0f
)

// A table decodes one prefix code: primary is indexed by the next bits
// (least significant first); an entry is sym<<8 | length, or, for codes
// longer than the primary bits, off<<8 | entryLink | subtable bits. An
// entry of 0 is no code.
type table struct {
	bits   uint
	maxLen uint
	// min is the fewest bits a symbol is decoded from: the shortest
	// code's length, and for a literal/length code at least that of end
	// of block, as compress/flate has it (it never reads past the end of
	// a stream that way, and so ends a cut stream a symbol earlier).
	min     uint
	primary []uint32
	sub     []uint32
}

// Decoder decodes messages; its zero value is ready to use.
type Decoder struct {
	lit, dist, cl   table
	litPrim         [1 << litBits]uint32
	distPrim        [1 << distBits]uint32
	clPrim          [1 << clBits]uint32
	litSub, distSub []uint32
	lens            [286 + 30]uint8
	in              []byte
	pos             int
	b               uint64
	nb              uint
}

var (
	fixedLit, fixedDist table
	fixedLitPrim        [1 << 9]uint32
	fixedLitSub         []uint32
	fixedDistPrim       [1 << 5]uint32
)

func init() {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	fixedLit = table{bits: 9, primary: fixedLitPrim[:]}
	if !fixedLit.build(lens[:], &fixedLitSub) {
		panic("inflate: fixed literal code")
	}
	fixedLit.min = max(fixedLit.min, uint(lens[256]))
	// Distance symbols 30 and 31 of the fixed code have codes but are
	// invalid: their entries are cleared to "no code" below.
	fixedDist = table{bits: 5, primary: fixedDistPrim[:]}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	var none []uint32
	if !fixedDist.build(dl[:], &none) {
		panic("inflate: fixed distance code")
	}
	for i, e := range fixedDistPrim {
		if e>>8 >= 30 {
			fixedDistPrim[i] = 0
		}
	}
}

func reverse(code uint32, n uint) uint32 {
	var r uint32
	for range n {
		r = r<<1 | code&1
		code >>= 1
	}
	return r
}

// build fills t for code lengths lens, using *sub for subtables. It
// reports false where compress/flate refuses the code: over- or
// under-subscribed, unless it is a single code of length 1. An empty code
// builds a table of no codes.
func (t *table) build(lens []uint8, sub *[]uint32) bool {
	var count [16]int
	maxLen, minLen := uint(0), uint(0)
	for _, l := range lens {
		if l != 0 {
			count[l]++
			maxLen = max(maxLen, uint(l))
			if minLen == 0 || uint(l) < minLen {
				minLen = uint(l)
			}
		}
	}
	t.min = minLen
	clear(t.primary)
	t.sub = (*sub)[:0]
	t.maxLen = maxLen
	if maxLen == 0 {
		return true
	}
	var next [16]uint32
	code := 0
	for l := 1; l <= int(maxLen); l++ {
		code <<= 1
		next[l] = uint32(code)
		code += count[l]
	}
	if code != 1<<maxLen && !(code == 1 && maxLen == 1) {
		return false
	}
	// Subtables, one per primary index whose codes are longer than the
	// primary bits, sized for the longest such code.
	pmask := uint32(1)<<t.bits - 1
	if maxLen > t.bits {
		var subBits [1 << litBits]uint8
		nx := next
		for _, l := range lens {
			if uint(l) > t.bits {
				r := reverse(nx[l], uint(l))
				nx[l]++
				p := r & pmask
				subBits[p] = max(subBits[p], l-uint8(t.bits))
			}
		}
		for p := range 1 << t.bits {
			if sb := subBits[p]; sb != 0 {
				off := len(t.sub)
				for range 1 << sb {
					t.sub = append(t.sub, 0)
				}
				t.primary[p] = uint32(off)<<8 | entryLink | uint32(sb)
			}
		}
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		n := uint(l)
		r := reverse(next[l], n)
		next[l]++
		e := uint32(sym)<<8 | uint32(n)
		if n <= t.bits {
			for i := r; i < 1<<t.bits; i += 1 << n {
				t.primary[i] = e
			}
			continue
		}
		link := t.primary[r&pmask]
		off, sb := link>>8, uint(link&lenMask)
		for i := r >> t.bits; i < 1<<sb; i += 1 << (n - t.bits) {
			t.sub[off+i] = e
		}
	}
	*sub = t.sub
	return true
}

// refill tops the bit buffer up to at least 56 bits while input lasts.
func (d *Decoder) refill() {
	if d.pos+8 <= len(d.in) {
		d.b |= binary.LittleEndian.Uint64(d.in[d.pos:]) << d.nb
		d.pos += int(63-d.nb) >> 3
		d.nb |= 56
		return
	}
	for d.nb <= 56 && d.pos < len(d.in) {
		d.b |= uint64(d.in[d.pos]) << d.nb
		d.pos++
		d.nb += 8
	}
}

// errEOF marks input that ended inside a block.
var errEOF = errors.New("inflate: unexpected end of data")

func (d *Decoder) corrupt(reason string) error {
	return &CorruptError{Offset: d.pos - int(d.nb/8), Reason: reason}
}

// bits takes n bits (n <= 32).
func (d *Decoder) bits(n uint) (uint32, error) {
	if d.nb < n {
		d.refill()
		if d.nb < n {
			return 0, errEOF
		}
	}
	v := uint32(d.b & (1<<n - 1))
	d.b >>= n
	d.nb -= n
	return v, nil
}

// sym decodes one symbol of t.
func (d *Decoder) sym(t *table) (int, error) {
	if d.nb < 15 {
		d.refill()
	}
	e := t.primary[uint32(d.b)&(1<<t.bits-1)]
	if e&entryLink != 0 {
		e = t.sub[e>>8+uint32(d.b>>t.bits)&(1<<(e&lenMask)-1)]
	}
	if d.nb < t.min {
		return 0, errEOF // the input ended: refill leaves at least 56 bits otherwise
	}
	n := uint(e & lenMask)
	if n == 0 {
		return 0, d.corrupt("invalid code")
	}
	if n > d.nb {
		return 0, errEOF
	}
	d.b >>= n
	d.nb -= n
	return int(e >> 8), nil
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder     = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// Decode appends to dst the decoded data of in, which follows history
// (the earlier output back-references may reach, at most 32 KiB; nil
// without context takeover). It returns dst with the history in front:
// the message is out[len(history):] of the returned slice, which starts at
// dst[:0]. Decoding stops at the end of in (inside a block or not: the
// output so far is the message) or after a final block (Result.Final).
// More than limit bytes of output (history not counted) is ErrLimit; a
// negative limit is none.
func (d *Decoder) Decode(dst, history, in []byte, limit int) ([]byte, Result, error) {
	out := append(dst[:0], history...)
	start := len(out)
	d.in, d.pos, d.b, d.nb = in, 0, 0, 0
	defer func() { d.in = nil }()
	if limit < 0 {
		limit = int(^uint(0) >> 1)
	}
	maxOut := start + limit
	if maxOut < start { // overflow
		maxOut = int(^uint(0) >> 1)
	}
	for {
		h, err := d.bits(3)
		if err != nil {
			return out, Result{}, nil // the data ended between blocks
		}
		final := h&1 != 0
		switch h >> 1 {
		case 0:
			out, err = d.stored(out, maxOut)
		case 1:
			out, err = d.huffman(out, start, maxOut, &fixedLit, &fixedDist)
		case 2:
			if err = d.dynamic(); err == nil {
				out, err = d.huffman(out, start, maxOut, &d.lit, &d.dist)
			}
		default:
			err = d.corrupt("reserved block type")
		}
		if err == errEOF {
			return out, Result{}, nil
		}
		if err != nil {
			return out, Result{}, err
		}
		if final {
			return out, Result{Final: true, Consumed: d.pos - int(d.nb/8)}, nil
		}
	}
}

func (d *Decoder) stored(out []byte, maxOut int) ([]byte, error) {
	// Align to a byte and give whole buffered bytes back to the input.
	d.b >>= d.nb & 7
	d.nb &^= 7
	d.pos -= int(d.nb / 8)
	d.b, d.nb = 0, 0
	if len(d.in)-d.pos < 4 {
		d.pos = len(d.in)
		return out, errEOF
	}
	n := int(binary.LittleEndian.Uint16(d.in[d.pos:]))
	nn := binary.LittleEndian.Uint16(d.in[d.pos+2:])
	d.pos += 4
	if uint16(n) != ^nn {
		return out, d.corrupt("stored block length check")
	}
	avail := min(n, len(d.in)-d.pos)
	if len(out)+avail > maxOut {
		return out, ErrLimit
	}
	out = append(out, d.in[d.pos:d.pos+avail]...)
	d.pos += avail
	if avail < n {
		return out, errEOF
	}
	return out, nil
}

// dynamic reads a dynamic block's code definitions into d.lit and d.dist.
func (d *Decoder) dynamic() error {
	h, err := d.bits(14)
	if err != nil {
		return err
	}
	nlit := int(h&0x1f) + 257
	ndist := int(h>>5&0x1f) + 1
	nclen := int(h>>10) + 4
	if nlit > 286 {
		return d.corrupt("too many literal/length codes")
	}
	if ndist > 30 {
		return d.corrupt("too many distance codes")
	}
	var cll [19]uint8
	for i := range nclen {
		v, err := d.bits(3)
		if err != nil {
			return err
		}
		cll[clOrder[i]] = uint8(v)
	}
	d.cl = table{bits: clBits, primary: d.clPrim[:]}
	var none []uint32
	if !d.cl.build(cll[:], &none) {
		return d.corrupt("invalid code length code")
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		s, err := d.sym(&d.cl)
		if err != nil {
			return err
		}
		if s < 16 {
			lens[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var val uint8
		switch s {
		case 16:
			if i == 0 {
				return d.corrupt("repeat with no previous length")
			}
			v, err := d.bits(2)
			if err != nil {
				return err
			}
			rep, val = 3+int(v), lens[i-1]
		case 17:
			v, err := d.bits(3)
			if err != nil {
				return err
			}
			rep = 3 + int(v)
		default:
			v, err := d.bits(7)
			if err != nil {
				return err
			}
			rep = 11 + int(v)
		}
		if i+rep > len(lens) {
			return d.corrupt("code lengths overflow")
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return d.corrupt("no end of block code")
	}
	d.lit = table{bits: litBits, primary: d.litPrim[:]}
	d.dist = table{bits: distBits, primary: d.distPrim[:]}
	if !d.lit.build(lens[:nlit], &d.litSub) || !d.dist.build(lens[nlit:], &d.distSub) {
		return d.corrupt("invalid literal/length or distance code")
	}
	d.lit.min = max(d.lit.min, uint(lens[256]))
	return nil
}

// huffman decodes a block's data until its end of block: fast while the
// input has bytes to spare, then symbol by symbol, and in the careful loop
// too whatever the fast one does not take (errors, the limit).
func (d *Decoder) huffman(out []byte, start, maxOut int, lit, dist *table) ([]byte, error) {
	for {
		if d.pos+8 <= len(d.in) {
			var eob bool
			if out, eob = d.fast(out, maxOut, lit, dist); eob {
				return out, nil
			}
		}
		s, err := d.sym(lit)
		if err != nil {
			return out, err
		}
		if s < 256 {
			if len(out) >= maxOut {
				return out, ErrLimit
			}
			out = append(out, byte(s))
			continue
		}
		if s == 256 {
			return out, nil
		}
		s -= 257
		if s >= 29 {
			return out, d.corrupt("invalid length symbol")
		}
		length := int(lengthBase[s])
		if eb := uint(lengthExtra[s]); eb > 0 {
			v, err := d.bits(eb)
			if err != nil {
				return out, err
			}
			length += int(v)
		}
		ds, err := d.sym(dist)
		if err != nil {
			return out, err
		}
		if ds >= 30 {
			return out, d.corrupt("invalid distance symbol")
		}
		dd := int(distBase[ds])
		if eb := uint(distExtra[ds]); eb > 0 {
			v, err := d.bits(eb)
			if err != nil {
				return out, err
			}
			dd += int(v)
		}
		if dd > len(out) {
			return out, d.corrupt("distance too far back")
		}
		if len(out)+length > maxOut {
			return out, ErrLimit
		}
		out = copyBack(out, dd, length)
	}
}

// copyBack appends length bytes from dist back in out.
func copyBack(out []byte, dist, length int) []byte {
	from := len(out) - dist
	if dist >= length {
		return append(out, out[from:from+length]...)
	}
	// Overlapping: the copied bytes repeat with period dist.
	for length > 0 {
		n := min(length, len(out)-from)
		out = append(out, out[from:from+n]...)
		length -= n
	}
	return out
}

// fast decodes literals and matches while at least 8 input bytes remain,
// with the bit buffer in locals and refilled to at least 56 bits before
// each symbol, enough for a length, its extra bits, a distance and its
// extra bits. It stops before anything unusual (an invalid code or
// symbol, a distance too far, the limit), leaving that symbol to the
// careful loop, and reports whether it reached the end of the block.
func (d *Decoder) fast(out []byte, maxOut int, lit, dist *table) ([]byte, bool) {
	in := d.in
	b, nb, pos := d.b, d.nb, d.pos
	lp, ls, lb := lit.primary, lit.sub, lit.bits
	dp, dsub, db := dist.primary, dist.sub, dist.bits
	lmask, dmask := uint64(1)<<lb-1, uint64(1)<<db-1
	for pos+8 <= len(in) {
		if cap(out)-len(out) < maxMatch+8 {
			out = slices.Grow(out, maxMatch+8)
		}
		b |= binary.LittleEndian.Uint64(in[pos:]) << nb
		pos += int(63-nb) >> 3
		nb |= 56
		sb, snb, spos := b, nb, pos
		e := lp[b&lmask]
		if e&entryLink != 0 {
			e = ls[e>>8+uint32(b>>lb)&(1<<(e&lenMask)-1)]
		}
		n := uint(e & lenMask)
		if n == 0 {
			b, nb, pos = sb, snb, spos
			break
		}
		b >>= n
		nb -= n
		s := int(e >> 8)
		if s < 256 {
			if len(out) >= maxOut {
				b, nb, pos = sb, snb, spos
				break
			}
			out = out[:len(out)+1]
			out[len(out)-1] = byte(s)
			continue
		}
		if s == 256 {
			d.b, d.nb, d.pos = b, nb, pos
			return out, true
		}
		s -= 257
		if s >= 29 {
			b, nb, pos = sb, snb, spos
			break
		}
		length := int(lengthBase[s])
		eb := uint(lengthExtra[s])
		length += int(b & (1<<eb - 1))
		b >>= eb
		nb -= eb
		e = dp[b&dmask]
		if e&entryLink != 0 {
			e = dsub[e>>8+uint32(b>>db)&(1<<(e&lenMask)-1)]
		}
		n = uint(e & lenMask)
		ds := int(e >> 8)
		if n == 0 || ds >= 30 {
			b, nb, pos = sb, snb, spos
			break
		}
		b >>= n
		nb -= n
		eb = uint(distExtra[ds])
		dd := int(distBase[ds]) + int(b&(1<<eb-1))
		b >>= eb
		nb -= eb
		if dd > len(out) || len(out)+length > maxOut {
			b, nb, pos = sb, snb, spos
			break
		}
		if dd >= 8 {
			// 8 bytes at a time, never reading what this copy writes;
			// the last word may run up to 7 bytes into the spare room.
			dst := len(out)
			src := dst - dd
			out = out[:dst+length]
			spare := out[:cap(out)]
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(spare[dst+i:], binary.LittleEndian.Uint64(spare[src+i:]))
			}
			continue
		}
		out = copyBack(out, dd, length)
	}
	d.b, d.nb, d.pos = b, nb, pos
	return out, false
}
