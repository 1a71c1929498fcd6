package deflatecheck

import (
	"errors"
	"math/bits"
)

// Sizes from RFC 1951.
const (
	numLitLen  = 286 // literal/length codes a block may define
	numDist    = 30  // distance codes a block may define
	endOfBlock = 256
	maxBits    = 15 // longest code
)

// Length symbol s (257+s on the wire) stands for lengthBase[s] plus
// lengthExtra[s] extra bits; distance symbol s for distBase[s] plus
// distExtra[s] extra bits (RFC 1951 3.2.5).
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// clOrder is the order of the code length code's lengths in a dynamic
	// block header (RFC 1951 3.2.7).
	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// fixedLitLens and fixedDistLens are the code lengths of the fixed code
// (RFC 1951 3.2.6): symbols 286, 287 and distances 30, 31 have codes but
// are invalid in data.
var fixedLitLens, fixedDistLens = func() (lit [288]uint8, dist [32]uint8) {
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	for i := range dist {
		dist[i] = 5
	}
	return
}()

// fastBits is the size of the lookup table's index: codes up to this long
// decode in one lookup, longer ones bit by bit.
const fastBits = 9

// huffman decodes one canonical Huffman code.
type huffman struct {
	// fast[i] for the next fastBits bits i (first bit lowest) is
	// symbol<<4 | length for a code of at most fastBits bits; 0 otherwise.
	fast   [1 << fastBits]uint16
	count  [maxBits + 1]uint16 // codes per length
	symbol [288]uint16         // symbols in canonical order
	empty  bool                // no codes at all
	fixed  int                 // 1: holds the fixed lit/len code, 2: the fixed distance code
}

var (
	errEmpty      = errors.New("a symbol from a code with no codes")
	errBadCode    = errors.New("bits that are no code (an incomplete code)")
	errOversub    = errors.New("oversubscribed code")
	errIncomplete = errors.New("incomplete code")
)

func (h *huffman) fixedLitLen() {
	if h.fixed != 1 {
		h.init(fixedLitLens[:], true)
		h.fixed = 1
	}
}

func (h *huffman) fixedDist() {
	if h.fixed != 2 {
		h.init(fixedDistLens[:], true)
		h.fixed = 2
	}
}

// init builds the decoder for code lengths lens. single allows the one
// incomplete code decoders accept for literal/length and distance codes:
// exactly one code, of length 1. A code with no codes at all is accepted
// (a block with literals only has no distance code); decoding from it
// fails.
func (h *huffman) init(lens []uint8, single bool) error {
	h.fixed = 0
	h.count = [maxBits + 1]uint16{}
	used := 0
	for _, l := range lens {
		h.count[l]++
		if l != 0 {
			used++
		}
	}
	h.count[0] = 0
	h.empty = used == 0
	if h.empty {
		return nil
	}
	left := 1
	for b := 1; b <= maxBits; b++ {
		left <<= 1
		left -= int(h.count[b])
		if left < 0 {
			return errOversub
		}
	}
	if left > 0 && !(single && used == 1 && h.count[1] == 1) {
		return errIncomplete
	}
	var offs [maxBits + 2]uint16
	for b := 1; b <= maxBits; b++ {
		offs[b+1] = offs[b] + h.count[b]
	}
	var next [maxBits + 1]int // next canonical code per length
	code := 0
	for b := 1; b <= maxBits; b++ {
		code = (code + int(h.count[b-1])) << 1
		next[b] = code
	}
	h.fast = [1 << fastBits]uint16{}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		h.symbol[offs[l]] = uint16(s)
		offs[l]++
		c := next[l]
		next[l]++
		if l <= fastBits {
			rev := int(bits.Reverse16(uint16(c)) >> (16 - l))
			for i := rev; i < len(h.fast); i += 1 << l {
				h.fast[i] = uint16(s)<<4 | uint16(l)
			}
		}
	}
	return nil
}

// decode reads one symbol.
func (h *huffman) decode(d *decoder) (int, error) {
	if h.empty {
		return 0, errEmpty
	}
	if d.nbits < maxBits {
		d.refill()
	}
	if e := h.fast[d.bits&(1<<fastBits-1)]; e != 0 {
		l := uint(e & 15)
		if l > d.nbits {
			return 0, ErrUnexpectedEOF
		}
		d.bits >>= l
		d.nbits -= l
		return int(e >> 4), nil
	}
	// Longer than fastBits, or no code: canonical decoding bit by bit.
	code, first, index := 0, 0, 0
	for b := uint(1); b <= maxBits; b++ {
		if b > d.nbits {
			return 0, ErrUnexpectedEOF
		}
		code |= int(d.bits>>(b-1)) & 1
		n := int(h.count[b])
		if code-first < n {
			d.bits >>= b
			d.nbits -= b
			return int(h.symbol[index+code-first]), nil
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errBadCode
}
