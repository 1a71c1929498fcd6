package deflate

import (
	"fmt"
	"sync"
)

// Levels. Any level from NoCompression to BestCompression may be passed to
// New; DefaultCompression picks 6.
const (
	NoCompression      = 0 // stored blocks only: fastest, output ≈ input + 5 bytes per block
	BestSpeed          = 1 // greedy matching, short hash chains
	BestCompression    = 9 // lazy matching, long hash chains
	DefaultCompression = -1
)

// levelConfig tunes the matcher for one level.
type levelConfig struct {
	fast  bool // one candidate per position, no chains (compressFast)
	lazy  bool // look one byte ahead for a longer match before taking one
	chain int  // hash chain entries to look at per search
	good  int  // with a pending match this long, look at a quarter of the chain
	nice  int  // stop searching at a match this long (lazy: and do not look ahead)
}

var levels = [10]levelConfig{
	0: {},
	1: {fast: true},
	2: {lazy: false, chain: 8, nice: 32},
	3: {lazy: false, chain: 24, nice: 64},
	4: {lazy: true, chain: 16, good: 8, nice: 32},
	5: {lazy: true, chain: 48, good: 16, nice: 128},
	6: {lazy: true, chain: 128, good: 16, nice: 128},
	7: {lazy: true, chain: 256, good: 32, nice: 258},
	8: {lazy: true, chain: 1024, good: 32, nice: 258},
	9: {lazy: true, chain: 4096, good: 32, nice: 258},
}

const (
	// chunk is how much new input the buffer takes between slides, and so
	// the most input one block covers. Stored blocks of random data cost
	// 5 bytes per block, so blocks should be long; the match list and the
	// buffer grow with it.
	chunk = 32 << 10
	// maxMatches bounds the match list of one block.
	maxMatches = (chunk + lookahead) / minMatch
	// lookahead is how many bytes past a position Write keeps unprocessed
	// until more input arrives, so that a match there can reach its full
	// length (and the hash its 4 bytes).
	lookahead = maxMatch + minMatch
	// rebaseAt bounds absolute positions, which are uint32.
	rebaseAt = 1 << 31
)

// match is a back-reference found in the current block; the bytes between
// matches are literals, read from the buffer when the block is written.
type match struct {
	start  uint32 // offset of the match from the start of the block
	length uint16 // 4..258
	dist   uint16 // 1..window; 32768 fits
}

// A Compressor turns a sequence of messages into raw DEFLATE data (RFC
// 1951) whose back-references never reach further back than its window, as
// permessage-deflate (RFC 7692) needs for server_max_window_bits and
// client_max_window_bits. It only compresses; compress/flate decodes.
//
// A Compressor is not safe for concurrent use. It is reusable: after Finish
// it keeps the message history (context takeover); Reset forgets it.
type Compressor struct {
	window int         // 1 << windowBits: the farthest a back-reference reaches
	level  int         // 0..9
	cfg    levelConfig // matcher settings for level
	// buf holds the input: buf[i] is the byte at absolute position base+i.
	// It keeps at least window bytes of history before pos, so every
	// position a back-reference may reach is in it. It grows on demand up
	// to bufCap.
	buf        []byte
	bufCap     int
	base       uint32 // absolute position of buf[0]; absolute position 0 means "none"
	pos        int    // next byte of buf to tokenize
	blockStart int    // first byte of buf in the current block
	// matches is the current block's match list: small (kept) while a
	// message needs few, else a full-size list from bigMatches, given
	// back when the message is finished, so that a compressor kept
	// between messages (context takeover) holds no large list.
	matches []match
	small   []match

	// Hash chains over absolute positions: head[h] is the last position
	// whose 4 bytes hash to h; prev[p&(window-1)] is the distance from p
	// back to the previous position with the same hash, 0 if none or too
	// far. Absolute positions make a slide of buf free and Reset O(1).
	head      []uint32
	prev      []uint16
	hashShift uint
	rebaseAt  uint32 // rebase once base passes this; a field so tests can lower it

	litFreq  [numLitLen]uint32
	distFreq [numDist]uint32

	bits  uint64 // output bits not yet appended, least significant first
	nbits uint   // < 32 between calls

	hb       huffBuilder
	litLen   [numLitLen]uint8
	litCode  [numLitLen]uint16
	distLen  [numDist]uint8
	distCode [numDist]uint16
	clFreq   [numCodeLen]uint32
	clLen    [numCodeLen]uint8
	clCode   [numCodeLen]uint16
	lens     [numLitLen + numDist]uint8     // literal/length then distance code lengths
	rle      [numLitLen + numDist + 1]uint8 // the header's code length symbols, then 255
	rleExtra [numLitLen + numDist + 1]uint8 // and their repeat counts
}

// New returns a compressor whose back-references never reach further back
// than 1<<windowBits bytes, for windowBits from 8 to 15. RFC 7692 allows a
// peer to ask for 8; zlib's own compressor silently uses 9 in that case,
// but this one keeps to 256 bytes.
//
// level trades speed for size: NoCompression (0) writes stored blocks only;
// BestSpeed (1) to 3 take the best match found at each position at once
// (greedy) and search less often in incompressible stretches; 4 to
// BestCompression (9) first look one byte further for a longer match
// (lazy); higher levels search longer hash chains. DefaultCompression (-1)
// is 6. New panics on a windowBits or level out of range: negotiating them
// is the caller's job.
//
// Memory held (bytes), which grows with use up to:
//
//	struct      about 10.5 KiB               (fixed: code tables, Huffman scratch)
//	head table  4 << min(windowBits+1, 15)   (fixed, from New; none at level 0)
//	prev table  2 << windowBits              (fixed, from New; none at level 0)
//	buffer      (1<<windowBits) + 33030      (grows with the input)
//	match list  up to 66056                  (grows with compressible input)
//
// That is at most 110 KiB for windowBits 8 and 331 KiB for 15; after short
// messages only, it is about 15 KiB for windowBits 8 and 205 KiB for 15
// (TestMemory checks these bounds).
func New(windowBits int, level int) *Compressor {
	if windowBits < 8 || windowBits > 15 {
		panic(fmt.Sprintf("deflate: window bits %d out of range 8..15", windowBits))
	}
	if level == DefaultCompression {
		level = 6
	}
	if level < NoCompression || level > BestCompression {
		panic(fmt.Sprintf("deflate: level %d out of range -1..9", level))
	}
	hashBits := min(windowBits+1, 15)
	c := &Compressor{
		window:    1 << windowBits,
		level:     level,
		cfg:       levels[level],
		base:      1,
		rebaseAt:  rebaseAt,
		hashShift: uint(32 - hashBits),
	}
	c.bufCap = c.window + chunk + lookahead
	if level > NoCompression {
		c.head = make([]uint32, 1<<hashBits)
		c.prev = make([]uint16, c.window)
	}
	return c
}

// Write compresses p, appends whatever compressed output is ready to dst
// and returns it. Input is buffered: output comes out in blocks of up to
// 32 KiB of input, and the rest at Finish. The message may be written in
// pieces of any size; the compressed meaning does not depend on how it is
// split.
func (c *Compressor) Write(dst, p []byte) []byte {
	// Between calls every tokenized byte has been written out in a block
	// (pos == blockStart). A block covers chunk bytes (a match may run
	// up to maxMatch-1 past that), tokenized once chunk+lookahead bytes
	// are waiting, whatever the sizes of the Writes.
	for len(p) > 0 {
		if len(c.buf)-c.blockStart == chunk+lookahead {
			c.compress(len(c.buf) - lookahead)
			dst = c.writeBlock(dst)
		}
		room := c.blockStart + chunk + lookahead - len(c.buf)
		if len(c.buf)+room > c.bufCap {
			c.slide()
		}
		n := min(room, len(p))
		if len(c.buf)+n > cap(c.buf) {
			c.grow(n)
		}
		c.buf = append(c.buf, p[:n]...)
		p = p[n:]
	}
	return dst
}

// Finish compresses the rest of the message and ends it with a sync flush,
// appending the output to dst. The output ends with the 3-bit header of an
// empty stored block, padded to a byte, and without that block's 0x00 0x00
// 0xFF 0xFF, which RFC 7692 section 7.2.1 removes from the wire: the
// receiver appends those 4 bytes before decoding. An empty message comes
// out as the single byte 0x00.
//
// The compressor keeps the message's bytes as history: the next message
// may refer back into it (context takeover). Call Reset first to prevent
// that.
func (c *Compressor) Finish(dst []byte) []byte {
	c.compress(len(c.buf))
	dst = c.writeBlock(dst)
	dst = c.putBits(dst, 0, 3) // BFINAL 0, BTYPE 00: stored
	c.releaseMatches()
	return c.alignBytes(dst)
}

// smallMatches is the capacity of the match list a compressor keeps.
const smallMatches = 256

// bigMatches holds spare full-size match lists (maxMatches) for the
// messages that need more than smallMatches: at most maxSpareLists of
// them (66 KB each), the most ever in use at once up to that bound. A
// free list rather than a sync.Pool: a garbage collection does not empty
// it, so steady use allocates nothing.
var bigMatches struct {
	sync.Mutex
	free [][]match
}

const maxSpareLists = 64

// growMatches makes room for another match: the kept small list first,
// then a full-size one from the pool.
func (c *Compressor) growMatches() {
	var m []match
	switch {
	case cap(c.matches) < smallMatches:
		if cap(c.small) < smallMatches {
			c.small = make([]match, 0, smallMatches)
		}
		m = c.small[:0]
	default:
		bigMatches.Lock()
		if n := len(bigMatches.free); n > 0 {
			m = bigMatches.free[n-1]
			bigMatches.free[n-1] = nil
			bigMatches.free = bigMatches.free[:n-1]
		}
		bigMatches.Unlock()
		if m == nil {
			m = make([]match, 0, maxMatches)
		}
	}
	c.matches = append(m, c.matches...)
}

// releaseMatches gives a full-size match list back to the pool.
func (c *Compressor) releaseMatches() {
	if cap(c.matches) > smallMatches {
		bigMatches.Lock()
		if len(bigMatches.free) < maxSpareLists {
			bigMatches.free = append(bigMatches.free, c.matches[:0])
		}
		bigMatches.Unlock()
	}
	c.matches = c.small[:0]
}

// Reset forgets the history, so that the next message does not refer to
// earlier ones (no context takeover), and drops any unfinished message and
// output not yet returned. It keeps its memory and costs O(1), so
// compressors can be pooled.
func (c *Compressor) Reset() {
	// Jump absolute positions ahead by more than a window: every position
	// in the hash tables is then too far back to be used.
	c.base += uint32(len(c.buf) + c.window + 1)
	c.buf = c.buf[:0]
	c.pos, c.blockStart = 0, 0
	c.releaseMatches()
	clear(c.litFreq[:])
	clear(c.distFreq[:])
	c.bits, c.nbits = 0, 0
	if c.base > c.rebaseAt {
		c.rebase()
	}
}

// grow enlarges buf so that it can take at least need more bytes, up to
// bufCap. Memory stays small for compressors that see only short messages.
func (c *Compressor) grow(need int) {
	size := max(2*cap(c.buf), len(c.buf)+need, 512)
	size = min(size, c.bufCap)
	nb := make([]byte, len(c.buf), size)
	copy(nb, c.buf)
	c.buf = nb
}

// slide drops bytes that no back-reference can reach any more from the
// front of buf. The current block must have been written out.
func (c *Compressor) slide() {
	drop := c.pos - c.window
	if drop <= 0 {
		return
	}
	n := copy(c.buf, c.buf[drop:])
	c.buf = c.buf[:n]
	c.base += uint32(drop)
	c.pos -= drop
	c.blockStart = c.pos
	if c.base > c.rebaseAt {
		c.rebase()
	}
}

// rebase moves absolute positions back so that base is at most window.
// The shift is a multiple of the window, so that prev, indexed by position
// modulo the window, stays valid.
func (c *Compressor) rebase() {
	shift := (c.base - 1) &^ uint32(c.window-1)
	for i, v := range c.head {
		if v < c.base {
			c.head[i] = 0 // before buf: out of reach for good
		} else {
			c.head[i] = v - shift
		}
	}
	c.base -= shift
}
