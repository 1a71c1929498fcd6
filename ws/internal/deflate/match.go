package deflate

import (
	"encoding/binary"
	"math/bits"
)

// compress tokenizes buf[pos:limit] into matches and literal counts. A
// match starting before limit may end after it, but never past len(buf).
func (c *Compressor) compress(limit int) {
	if c.pos >= limit {
		return
	}
	switch {
	case c.level == NoCompression:
		c.pos = limit
	case c.cfg.fast:
		c.compressFast(limit)
	case c.cfg.lazy:
		c.compressLazy(limit)
	default:
		c.compressGreedy(limit)
	}
}

func (c *Compressor) hash(i int) uint32 {
	return binary.LittleEndian.Uint32(c.buf[i:]) * 0x9E3779B1 >> c.hashShift
}

// insert records position i of buf, whose hash is h, in the hash chains.
func (c *Compressor) insert(i int, h uint32) {
	p := c.base + uint32(i)
	old := c.head[h]
	d := p - old
	if old == 0 || d > uint32(c.window) {
		d = 0
	}
	c.prev[p&uint32(c.window-1)] = uint16(d)
	c.head[h] = p
}

// insertRange inserts positions from..to-1, skipping those too close to
// the end of buf to hash.
func (c *Compressor) insertRange(from, to int) {
	to = min(to, len(c.buf)-minMatch+1)
	for i := from; i < to; i++ {
		c.insert(i, c.hash(i))
	}
}

func (c *Compressor) literal(b byte) { c.litFreq[b]++ }

func (c *Compressor) addMatch(i, length, dist int) {
	if len(c.matches) == cap(c.matches) {
		c.growMatches()
	}
	c.matches = append(c.matches, match{start: uint32(i - c.blockStart), length: uint16(length), dist: uint16(dist)})
	c.litFreq[257+int(lengthSym[length-3])]++
	c.distFreq[distSym(dist)]++
}

// longest returns the longest match for position i of buf that is longer
// than atLeast, searching the chain that starts at cand, or 0, 0. A match
// never reaches back more than window bytes nor past the end of buf.
func (c *Compressor) longest(i int, cand uint32, atLeast, chain int) (length, dist int) {
	buf := c.buf
	maxLen := min(maxMatch, len(buf)-i)
	if maxLen < minMatch || atLeast >= maxLen {
		return 0, 0
	}
	cur := c.base + uint32(i)
	window := uint32(c.window)
	best := max(atLeast, minMatch-1)
	nice := min(c.cfg.nice, maxLen)
	want := buf[i : i+maxLen]
	for ; chain > 0; chain-- {
		if cand == 0 || cur-cand > window || cand < c.base {
			break
		}
		ci := int(cand - c.base)
		// Quick reject: a longer match must agree at its last byte.
		if buf[ci+best] == want[best] {
			if l := matchLen(buf[ci:], want); l > best {
				best, dist = l, int(cur-cand)
				if l >= nice {
					break
				}
			}
		}
		d := c.prev[cand&(window-1)]
		if d == 0 {
			break
		}
		cand -= uint32(d)
	}
	if dist == 0 {
		return 0, 0
	}
	return best, dist
}

// matchLen returns how many leading bytes of a and b agree; len(a) >= len(b).
func matchLen(a, b []byte) int {
	n := 0
	for len(b)-n >= 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// compressGreedy takes the longest match found at each position. After
// 32 searches in a row find nothing it searches only every other position,
// then every third, and so on (the bytes in between go out as literals),
// so that incompressible data passes quickly; a match resets the pace.
func (c *Compressor) compressGreedy(limit int) {
	buf := c.buf
	end := len(buf)
	i := c.pos
	misses := 0
	for i < limit {
		if end-i < minMatch {
			c.literal(buf[i])
			i++
			continue
		}
		h := c.hash(i)
		length, dist := c.longest(i, c.head[h], 0, c.cfg.chain)
		c.insert(i, h)
		if length == 0 {
			for stop := min(i+1+misses>>5, limit); i < stop; i++ {
				c.literal(buf[i])
			}
			misses++
			continue
		}
		misses = 0
		c.addMatch(i, length, dist)
		c.insertRange(i+1, i+length)
		i += length
	}
	c.pos = i
}

// compressLazy holds each match back for one byte: if the next position
// has a longer match, the current byte goes out as a literal instead.
func (c *Compressor) compressLazy(limit int) {
	buf := c.buf
	end := len(buf)
	i := c.pos
	pending := false // a literal or a match starts at i-1 and is not decided
	prevLen, prevDist := 0, 0
	for i < limit {
		curLen, curDist := 0, 0
		if end-i >= minMatch {
			h := c.hash(i)
			if prevLen < c.cfg.nice {
				chain := c.cfg.chain
				if prevLen >= c.cfg.good {
					chain >>= 2
				}
				curLen, curDist = c.longest(i, c.head[h], prevLen, chain)
			}
			c.insert(i, h)
		}
		if pending && prevLen > 0 && curLen <= prevLen {
			c.addMatch(i-1, prevLen, prevDist)
			c.insertRange(i+1, i-1+prevLen)
			i += prevLen - 1
			pending, prevLen = false, 0
			continue
		}
		if pending {
			c.literal(buf[i-1])
		}
		pending, prevLen, prevDist = true, curLen, curDist
		i++
	}
	if pending {
		if prevLen > 0 {
			c.addMatch(i-1, prevLen, prevDist)
			c.insertRange(i, i-1+prevLen)
			i += prevLen - 1
		} else {
			c.literal(buf[i-1])
		}
	}
	c.pos = i
}

// compressFast is BestSpeed: one candidate per hash (head only, no
// chains), matches extended byte by byte from a 4-byte agreement, only the
// last positions of a match entered in the table, and a search that skips
// ahead faster the longer it finds nothing (one more byte per 32 misses);
// where the table has no match, the last match's distance is tried.
// The table holds absolute positions, as for the chains, so that Reset
// and slides cost nothing; prev is not used.
func (c *Compressor) compressFast(limit int) {
	buf := c.buf
	end := len(buf)
	head := c.head
	shift := c.hashShift
	base := c.base
	window := uint32(c.window)
	i := c.pos
	misses := 0
	last := 0 // distance of the last match
	// Stop hashing where fewer than 4 bytes remain; the tail goes out as
	// literals.
	hashEnd := min(limit, end-minMatch+1)
	for i < hashEnd {
		x := binary.LittleEndian.Uint32(buf[i:])
		h := x * 0x9E3779B1 >> shift
		cand := head[h]
		cur := base + uint32(i)
		head[h] = cur
		dist := 0
		if cand >= base && cur-cand <= window && binary.LittleEndian.Uint32(buf[cand-base:]) == x {
			dist = int(cur - cand)
		} else if last > 0 && i >= last && binary.LittleEndian.Uint32(buf[i-last:]) == x {
			// The distance of the last match, which the table may have
			// lost: what repeats once often repeats again.
			dist = last
		}
		if dist > 0 {
			ci := i - dist
			maxLen := min(maxMatch, end-i)
			length := minMatch + matchLen(buf[ci+minMatch:], buf[i+minMatch:i+maxLen])
			c.addMatch(i, length, dist)
			last = dist
			// The two positions before the match's end, so that a repeat
			// of what follows finds it.
			for j := max(i+1, i+length-2); j < i+length && j+minMatch <= end; j++ {
				head[binary.LittleEndian.Uint32(buf[j:])*0x9E3779B1>>shift] = base + uint32(j)
			}
			i += length
			misses = 0
			continue
		}
		stop := min(i+1+misses>>5, limit)
		for ; i < stop; i++ {
			c.litFreq[buf[i]]++
		}
		misses++
	}
	for ; i < limit; i++ {
		c.litFreq[buf[i]]++
	}
	c.pos = i
}
