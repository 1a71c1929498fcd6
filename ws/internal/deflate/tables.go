package deflate

import "math/bits"

// Sizes and limits from RFC 1951.
const (
	minMatch   = 4   // shortest match the matcher emits: the hash covers 4 bytes
	maxMatch   = 258 // longest match DEFLATE can express
	numLitLen  = 286 // literal/length symbols that may appear in a block
	numDist    = 30  // distance symbols that may appear in a block
	numCodeLen = 19  // code length symbols
	endOfBlock = 256
	maxLitBits = 15 // longest literal/length or distance code
	maxCLBits  = 7  // longest code length code
)

// Length symbol s (0..28, i.e. 257+s on the wire) covers lengths
// lengthBase[s] .. lengthBase[s]+(1<<lengthExtra[s])-1; lengthSym maps
// length-3 back to s. Distance symbol d covers distBase[d] ..
// distBase[d]+(1<<distExtra[d])-1.
var (
	lengthSym   [maxMatch - 2]uint8
	lengthBase  [29]uint16
	lengthExtra [29]uint8
	distBase    [numDist]uint16
	distExtra   [numDist]uint8

	// The fixed Huffman code of RFC 1951 section 3.2.6 (symbols 286 and
	// 287 exist in it but never appear in a block).
	fixedLitLen   [288]uint8
	fixedLitCode  [288]uint16
	fixedDistLen  [numDist]uint8
	fixedDistCode [numDist]uint16
)

// clOrder is the order in which a dynamic block header lists the lengths
// of the code length code (RFC 1951 section 3.2.7).
var clOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func init() {
	for s := range lengthBase {
		switch {
		case s < 8:
			lengthBase[s] = uint16(3 + s)
		case s == 28:
			lengthBase[s] = maxMatch
		default:
			e := uint8((s - 4) / 4)
			lengthExtra[s] = e
			lengthBase[s] = uint16((4+s&3)<<e) + 3
		}
		for l := int(lengthBase[s]); l < int(lengthBase[s])+1<<lengthExtra[s] && l <= maxMatch; l++ {
			lengthSym[l-3] = uint8(s)
		}
	}
	for d := range distBase {
		if d < 4 {
			distBase[d] = uint16(d + 1)
			continue
		}
		e := uint8(d/2 - 1)
		distExtra[d] = e
		distBase[d] = uint16((2+d&1)<<e) + 1
	}
	for s := range fixedLitLen {
		switch {
		case s < 144:
			fixedLitLen[s] = 8
		case s < 256:
			fixedLitLen[s] = 9
		case s < 280:
			fixedLitLen[s] = 7
		default:
			fixedLitLen[s] = 8
		}
	}
	for d := range fixedDistLen {
		fixedDistLen[d] = 5
	}
	canonicalCodes(fixedLitLen[:], fixedLitCode[:])
	canonicalCodes(fixedDistLen[:], fixedDistCode[:])
}

// distSym returns the distance symbol for a distance of 1..32768.
func distSym(dist int) int {
	x := uint32(dist - 1)
	if x < 4 {
		return int(x)
	}
	n := bits.Len32(x)
	return 2*(n-1) + int(x>>(n-2)&1)
}

// canonicalCodes assigns the canonical Huffman codes of RFC 1951 section
// 3.2.2 to the code lengths in lens, bit-reversed so that they can be
// written least significant bit first. Symbols of length 0 get no code.
func canonicalCodes(lens []uint8, codes []uint16) {
	var count [maxLitBits + 1]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [maxLitBits + 1]uint16
	code := uint16(0)
	for b := 1; b <= maxLitBits; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	for s, l := range lens {
		if l == 0 {
			codes[s] = 0
			continue
		}
		codes[s] = bits.Reverse16(next[l]) >> (16 - l)
		next[l]++
	}
}
