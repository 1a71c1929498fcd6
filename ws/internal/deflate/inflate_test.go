package deflate

import (
	"errors"
	"fmt"
)

// inflate is a strict, slow DEFLATE decoder used to check the compressor
// independently of compress/flate. It decodes one message: raw DEFLATE
// data without the 0x00 0x00 0xFF 0xFF that RFC 7692 strips (it appends
// them to a copy of in), which must end exactly with that sync flush,
// after history (the previous messages' bytes, for context takeover). It
// fails on anything a decoder could object to: a final block, reserved block type, a bad
// stored length, incomplete or oversubscribed codes (except the single
// code of length 1 that decoders accept), invalid symbols, a distance past
// the history, and a distance past window.
type inflate struct {
	in     []byte
	bitPos int // next bit to read, counted from the start of in
	out    []byte
	start  int // len(history): where this message begins in out
	window int

	maxDist int
	matched int    // bytes copied by back-references
	blocks  [3]int // blocks seen per BTYPE
}

var errEOF = errors.New("unexpected end of data")

func inflateMessage(history, in []byte, window int) (msg []byte, st *inflate, err error) {
	in = append(append([]byte(nil), in...), 0, 0, 0xff, 0xff)
	st = &inflate{in: in, window: window, start: len(history)}
	st.out = append(st.out, history...)
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, errEOF) {
				err = e
				return
			}
			panic(r)
		}
	}()
	for {
		final := st.bit()
		typ := st.bitsN(2)
		if final == 1 {
			return nil, st, errors.New("final block in a permessage-deflate message")
		}
		switch typ {
		case 0:
			if st.bitPos%8 != 0 {
				st.bitPos += 8 - st.bitPos%8
			}
			n := st.bitsN(16)
			nn := st.bitsN(16)
			if n != ^nn&0xffff {
				return nil, st, fmt.Errorf("stored block: LEN %#x NLEN %#x", n, nn)
			}
			at := st.bitPos / 8
			if at+n > len(st.in) {
				return nil, st, errEOF
			}
			st.out = append(st.out, st.in[at:at+n]...)
			st.bitPos += 8 * n
			st.blocks[0]++
			if n == 0 {
				if st.bitPos != 8*len(st.in) {
					return nil, st, fmt.Errorf("%d bytes after the sync flush", len(st.in)-st.bitPos/8)
				}
				return st.out[st.start:], st, nil
			}
		case 1:
			st.blocks[1]++
			var lit, dist huffDecoder
			if err := lit.init(fixedLitLen[:]); err != nil {
				return nil, st, err
			}
			var fixedDist [32]uint8 // the fixed code has 32 distance codes
			for i := range fixedDist {
				fixedDist[i] = 5
			}
			if err := dist.init(fixedDist[:]); err != nil {
				return nil, st, err
			}
			if err := st.data(&lit, &dist); err != nil {
				return nil, st, err
			}
		case 2:
			st.blocks[2]++
			var lit, dist huffDecoder
			if err := st.header(&lit, &dist); err != nil {
				return nil, st, err
			}
			if err := st.data(&lit, &dist); err != nil {
				return nil, st, err
			}
		default:
			return nil, st, errors.New("reserved block type 3")
		}
	}
}

func (st *inflate) bit() int {
	if st.bitPos >= 8*len(st.in) {
		panic(errEOF)
	}
	b := int(st.in[st.bitPos/8]>>(st.bitPos%8)) & 1
	st.bitPos++
	return b
}

func (st *inflate) bitsN(n int) int {
	v := 0
	for i := range n {
		v |= st.bit() << i
	}
	return v
}

func (st *inflate) header(lit, dist *huffDecoder) error {
	nlit := st.bitsN(5) + 257
	ndist := st.bitsN(5) + 1
	ncl := st.bitsN(4) + 4
	if nlit > numLitLen || ndist > numDist {
		return fmt.Errorf("HLIT %d or HDIST %d too big", nlit, ndist)
	}
	var clLens [numCodeLen]uint8
	for _, s := range clOrder[:ncl] {
		clLens[s] = uint8(st.bitsN(3))
	}
	var cl huffDecoder
	if err := cl.init(clLens[:]); err != nil {
		return fmt.Errorf("code length code: %w", err)
	}
	lens := make([]uint8, 0, nlit+ndist)
	for len(lens) < nlit+ndist {
		s, err := cl.decode(st)
		if err != nil {
			return err
		}
		rep, v := 1, uint8(s)
		switch s {
		case 16:
			if len(lens) == 0 {
				return errors.New("repeat with no previous length")
			}
			v = lens[len(lens)-1]
			rep = 3 + st.bitsN(2)
		case 17:
			v, rep = 0, 3+st.bitsN(3)
		case 18:
			v, rep = 0, 11+st.bitsN(7)
		}
		if len(lens)+rep > nlit+ndist {
			return errors.New("code lengths overflow HLIT+HDIST")
		}
		for range rep {
			lens = append(lens, v)
		}
	}
	if lens[endOfBlock] == 0 {
		return errors.New("no code for end of block")
	}
	if err := lit.init(lens[:nlit]); err != nil {
		return fmt.Errorf("literal/length code: %w", err)
	}
	if err := dist.init(lens[nlit:]); err != nil {
		return fmt.Errorf("distance code: %w", err)
	}
	return nil
}

func (st *inflate) data(lit, dist *huffDecoder) error {
	for {
		s, err := lit.decode(st)
		if err != nil {
			return err
		}
		switch {
		case s < 256:
			st.out = append(st.out, byte(s))
			continue
		case s == endOfBlock:
			return nil
		case s > 285:
			return fmt.Errorf("invalid length symbol %d", s)
		}
		ls := s - 257
		length := int(lengthBase[ls]) + st.bitsN(int(lengthExtra[ls]))
		ds, err := dist.decode(st)
		if err != nil {
			return err
		}
		if ds >= numDist {
			return fmt.Errorf("invalid distance symbol %d", ds)
		}
		d := int(distBase[ds]) + st.bitsN(int(distExtra[ds]))
		if d > len(st.out) {
			return fmt.Errorf("distance %d past the start of the history (%d bytes)", d, len(st.out))
		}
		if d > st.window {
			return fmt.Errorf("distance %d past the window of %d bytes", d, st.window)
		}
		st.maxDist = max(st.maxDist, d)
		st.matched += length
		for range length {
			st.out = append(st.out, st.out[len(st.out)-d])
		}
	}
}

// huffDecoder decodes a canonical Huffman code bit by bit.
type huffDecoder struct {
	count  [maxLitBits + 1]int // codes per length
	symbol []int               // symbols in canonical order
	empty  bool
}

func (h *huffDecoder) init(lens []uint8) error {
	used := 0
	for _, l := range lens {
		h.count[l]++
		if l != 0 {
			used++
		}
	}
	h.count[0] = 0
	if used == 0 {
		h.empty = true // allowed for distances only; decoding fails
		return nil
	}
	left := 1
	for b := 1; b <= maxLitBits; b++ {
		left <<= 1
		left -= h.count[b]
		if left < 0 {
			return errors.New("oversubscribed code")
		}
	}
	if left > 0 && !(used == 1 && h.count[1] == 1) {
		return errors.New("incomplete code")
	}
	var offs [maxLitBits + 2]int
	for b := 1; b <= maxLitBits; b++ {
		offs[b+1] = offs[b] + h.count[b]
	}
	h.symbol = make([]int, used)
	for s, l := range lens {
		if l != 0 {
			h.symbol[offs[l]] = s
			offs[l]++
		}
	}
	return nil
}

func (h *huffDecoder) decode(st *inflate) (int, error) {
	if h.empty {
		return 0, errors.New("symbol from an empty code")
	}
	code, first, index := 0, 0, 0
	for b := 1; b <= maxLitBits; b++ {
		code |= st.bit()
		n := h.count[b]
		if code-first < n {
			return h.symbol[index+code-first], nil
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errors.New("invalid Huffman code")
}
