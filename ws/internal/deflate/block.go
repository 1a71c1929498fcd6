package deflate

import "encoding/binary"

// putBits appends the n (<= 32) low bits of v to the bit stream, least
// significant first, moving whole 32-bit words to dst.
func (c *Compressor) putBits(dst []byte, v uint64, n uint) []byte {
	c.bits |= v << c.nbits
	c.nbits += n
	if c.nbits >= 32 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(c.bits))
		c.bits >>= 32
		c.nbits -= 32
	}
	return dst
}

// alignBytes pads the bit stream with zero bits to a byte boundary and
// appends every pending byte to dst.
func (c *Compressor) alignBytes(dst []byte) []byte {
	for c.nbits > 0 {
		dst = append(dst, byte(c.bits))
		c.bits >>= 8
		c.nbits = c.nbits - min(c.nbits, 8)
	}
	c.bits = 0
	return dst
}

// writeBlock writes buf[blockStart:pos] as one non-final block of the
// cheapest kind (stored, fixed or dynamic Huffman) and starts a new block.
func (c *Compressor) writeBlock(dst []byte) []byte {
	raw := c.buf[c.blockStart:c.pos]
	if len(raw) == 0 {
		return dst
	}
	if c.level == NoCompression {
		dst = c.writeStored(dst, raw)
	} else {
		dst = c.writeCompressed(dst, raw)
	}
	c.blockStart = c.pos
	c.matches = c.matches[:0]
	clear(c.litFreq[:])
	clear(c.distFreq[:])
	return dst
}

// storedBits is the size of raw as stored blocks, at the current bit
// position.
func (c *Compressor) storedBits(n int) int {
	blocks := max(1, (n+0xffff-1)/0xffff)
	pad := (8 - (int(c.nbits)+3)%8) % 8
	return 3 + pad + (blocks-1)*8 + blocks*32 + 8*n
}

// writeStored writes raw as stored blocks of at most 65535 bytes.
func (c *Compressor) writeStored(dst, raw []byte) []byte {
	for {
		n := min(len(raw), 0xffff)
		dst = c.putBits(dst, 0, 3) // BFINAL 0, BTYPE 00
		dst = c.alignBytes(dst)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
		dst = binary.LittleEndian.AppendUint16(dst, ^uint16(n))
		dst = append(dst, raw[:n]...)
		raw = raw[n:]
		if len(raw) == 0 {
			return dst
		}
	}
}

// writeCompressed writes the block with Huffman codes, or stored if that
// is smaller.
func (c *Compressor) writeCompressed(dst, raw []byte) []byte {
	c.litFreq[endOfBlock]++
	c.hb.build(c.litFreq[:], c.litLen[:], maxLitBits)
	c.hb.build(c.distFreq[:], c.distLen[:], maxLitBits)

	extra := 0 // extra bits of lengths and distances, the same in every code
	for s, e := range lengthExtra {
		extra += int(c.litFreq[257+s]) * int(e)
	}
	for s, e := range distExtra {
		extra += int(c.distFreq[s]) * int(e)
	}
	dynBits := 3 + c.dynamicHeader() + extra
	fixedBits := 3 + extra
	for s, f := range c.litFreq {
		dynBits += int(f) * int(c.litLen[s])
		fixedBits += int(f) * int(fixedLitLen[s])
	}
	for s, f := range c.distFreq {
		dynBits += int(f) * int(c.distLen[s])
		fixedBits += int(f) * int(fixedDistLen[s])
	}

	switch stored := c.storedBits(len(raw)); {
	case stored <= dynBits && stored <= fixedBits:
		return c.writeStored(dst, raw)
	case fixedBits <= dynBits:
		dst = c.putBits(dst, 1<<1, 3) // BFINAL 0, BTYPE 01
		return c.writeData(dst, raw, fixedLitLen[:], fixedLitCode[:], fixedDistLen[:], fixedDistCode[:])
	default:
		canonicalCodes(c.litLen[:], c.litCode[:])
		canonicalCodes(c.distLen[:], c.distCode[:])
		canonicalCodes(c.clLen[:], c.clCode[:])
		dst = c.putBits(dst, 2<<1, 3) // BFINAL 0, BTYPE 10
		dst = c.writeDynamicHeader(dst)
		return c.writeData(dst, raw, c.litLen[:], c.litCode[:], c.distLen[:], c.distCode[:])
	}
}

// dynamicHeader prepares the header of a dynamic block for the code
// lengths in litLen and distLen (run-length coded code lengths and the
// code length code) and returns its size in bits, without BFINAL and BTYPE.
func (c *Compressor) dynamicHeader() int {
	nlit, ndist := c.codeCounts()
	lens := c.lens[:0]
	lens = append(lens, c.litLen[:nlit]...)
	lens = append(lens, c.distLen[:ndist]...)

	clear(c.clFreq[:])
	n := 0
	emit := func(sym, extra uint8) {
		c.rle[n], c.rleExtra[n] = sym, extra
		c.clFreq[sym]++
		n++
	}
	for i := 0; i < len(lens); {
		v := lens[i]
		run := 1
		for i+run < len(lens) && lens[i+run] == v {
			run++
		}
		i += run
		if v == 0 {
			for run >= 11 {
				r := min(run, 138)
				emit(18, uint8(r-11))
				run -= r
			}
			if run >= 3 {
				emit(17, uint8(run-3))
				run = 0
			}
		} else {
			emit(v, 0)
			run--
			for run >= 3 {
				r := min(run, 6)
				emit(16, uint8(r-3))
				run -= r
			}
		}
		for ; run > 0; run-- {
			emit(v, 0)
		}
	}
	c.rle[n] = 255 // end marker for writeDynamicHeader

	c.hb.build(c.clFreq[:], c.clLen[:], maxCLBits)
	bits := 5 + 5 + 4 + 3*c.clCount() + 2*int(c.clFreq[16]) + 3*int(c.clFreq[17]) + 7*int(c.clFreq[18])
	for s, f := range c.clFreq {
		bits += int(f) * int(c.clLen[s])
	}
	return bits
}

// codeCounts returns HLIT and HDIST: how many literal/length and distance
// code lengths the header lists.
func (c *Compressor) codeCounts() (nlit, ndist int) {
	nlit, ndist = numLitLen, numDist
	for nlit > 257 && c.litLen[nlit-1] == 0 {
		nlit--
	}
	for ndist > 1 && c.distLen[ndist-1] == 0 {
		ndist--
	}
	return nlit, ndist
}

// clCount returns HCLEN: how many code length code lengths the header lists.
func (c *Compressor) clCount() int {
	n := numCodeLen
	for n > 4 && c.clLen[clOrder[n-1]] == 0 {
		n--
	}
	return n
}

func (c *Compressor) writeDynamicHeader(dst []byte) []byte {
	nlit, ndist := c.codeCounts()
	ncl := c.clCount()
	dst = c.putBits(dst, uint64(nlit-257)|uint64(ndist-1)<<5|uint64(ncl-4)<<10, 14)
	for _, s := range clOrder[:ncl] {
		dst = c.putBits(dst, uint64(c.clLen[s]), 3)
	}
	for i := 0; c.rle[i] != 255; i++ {
		s := c.rle[i]
		dst = c.putBits(dst, uint64(c.clCode[s]), uint(c.clLen[s]))
		switch s {
		case 16:
			dst = c.putBits(dst, uint64(c.rleExtra[i]), 2)
		case 17:
			dst = c.putBits(dst, uint64(c.rleExtra[i]), 3)
		case 18:
			dst = c.putBits(dst, uint64(c.rleExtra[i]), 7)
		}
	}
	return dst
}

// writeData writes the literals and matches of the block and its end of
// block code with the given codes.
func (c *Compressor) writeData(dst, raw []byte, litLen []uint8, litCode []uint16, distLen []uint8, distCode []uint16) []byte {
	bits, nbits := c.bits, c.nbits
	// flush keeps nbits below 32, so that one code with its extra bits
	// (at most 15+13) always fits in the 64-bit accumulator.
	flush := func() {
		if nbits >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(bits))
			bits >>= 32
			nbits -= 32
		}
	}
	lit := func(b byte) {
		bits |= uint64(litCode[b]) << nbits
		nbits += uint(litLen[b])
		flush()
	}
	cur := 0
	for _, m := range c.matches {
		for _, b := range raw[cur:m.start] {
			lit(b)
		}
		l, d := int(m.length), int(m.dist)
		ls := lengthSym[l-3]
		bits |= uint64(litCode[257+int(ls)]) << nbits
		nbits += uint(litLen[257+int(ls)])
		bits |= uint64(l-int(lengthBase[ls])) << nbits
		nbits += uint(lengthExtra[ls])
		flush()
		ds := distSym(d)
		bits |= uint64(distCode[ds]) << nbits
		nbits += uint(distLen[ds])
		bits |= uint64(d-int(distBase[ds])) << nbits
		nbits += uint(distExtra[ds])
		flush()
		cur = int(m.start) + l
	}
	for _, b := range raw[cur:] {
		lit(b)
	}
	bits |= uint64(litCode[endOfBlock]) << nbits
	nbits += uint(litLen[endOfBlock])
	flush()
	c.bits, c.nbits = bits, nbits
	return dst
}
