package deflatecheck

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// compress is a permessage-deflate sender built on compress/flate: the
// message, a sync flush, minus the 4-byte tail. With dict the message may
// refer to it (context takeover): the writer compresses dict first and its
// output is dropped. (flate.NewWriterDict would be the direct way, but up
// to Go 1.26 it can copy the dictionary into the output when the first
// block is stored: golang.org/issue/80538.)
func compress(t testing.TB, msg, dict []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	if len(dict) > 0 {
		w.Write(dict)
		w.Flush()
		b.Reset()
	}
	w.Write(msg)
	w.Flush()
	out := b.Bytes()
	if !bytes.HasSuffix(out, tail[:]) {
		t.Fatalf("flate output does not end with a sync flush: %x", out[max(0, len(out)-8):])
	}
	return out[:len(out)-len(tail)]
}

// flateDecode decodes a message with compress/flate, primed with dict.
func flateDecode(in, dict []byte) ([]byte, error) {
	r := flate.NewReaderDict(bytes.NewReader(append(bytes.Clone(in), tail[:]...)), dict)
	out, err := io.ReadAll(r)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // no final block: the stream goes on, as it should
	}
	return out, err
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func text(n int, seed uint64) []byte {
	words := strings.Fields("the scene moves a circle across the window while the server sends patches to every browser that watches it")
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(" \n,"[r.IntN(3)])
	}
	return b.Bytes()[:n]
}

func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 8))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// periodic repeats a random block of period bytes: every match is exactly
// period bytes back.
func periodic(n, period int, seed uint64) []byte {
	p := random(period, seed)
	b := make([]byte, n)
	for i := range b {
		b[i] = p[i%period]
	}
	return b
}

// TestRFC7692Examples decodes the examples of RFC 7692 section 7.2.3.
func TestRFC7692Examples(t *testing.T) {
	hello := []byte("Hello")
	tests := []struct {
		name    string
		history string
		in      string
		opt     Options
		want    []byte // nil: must fail
		stats   Stats
	}{
		{"7.2.3.1 a message in one block", "", "f2 48 cd c9 c9 07 00", Options{}, hello, Stats{Blocks: [3]int{1, 1, 0}}},
		{"7.2.3.2 the same message again, with context takeover ('H', then 4 bytes from 5 back)", "Hello", "f2 00 11 00 00", Options{}, hello,
			Stats{MaxDist: 5, Matched: 4, Blocks: [3]int{1, 1, 0}}},
		{"7.2.3.2 ... without the history", "", "f2 00 11 00 00", Options{}, nil, Stats{}},
		{"7.2.3.3 a stored block", "", "00 05 00 fa ff 48 65 6c 6c 6f 00", Options{}, hello, Stats{Blocks: [3]int{2, 0, 0}}},
		{"7.2.3.4 a final block, strict", "", "f3 48 cd c9 c9 07 00 00", Options{}, nil, Stats{}},
		{"7.2.3.4 a final block, allowed", "", "f3 48 cd c9 c9 07 00 00", Options{AllowFinal: true}, hello,
			Stats{Blocks: [3]int{0, 1, 0}, Final: true}},
		{"7.2.3.4 a final block with no header byte after it", "", "f3 48 cd c9 c9 07 00", Options{AllowFinal: true}, hello,
			Stats{Blocks: [3]int{0, 1, 0}, Final: true}},
		{"a final block followed by data", "", "f3 48 cd c9 c9 07 00 00 01", Options{AllowFinal: true}, nil, Stats{}},
		{"7.2.3.5 two blocks with a flush between, strict", "", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00", Options{}, nil, Stats{}},
		{"7.2.3.5 two blocks with a flush between, allowed", "", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00", Options{AllowFlush: true}, hello,
			Stats{Blocks: [3]int{2, 2, 0}, Flushes: 1}},
		{"an empty message", "", "00", Options{}, []byte{}, Stats{Blocks: [3]int{1, 0, 0}}},
		{"nothing at all", "", "", Options{}, nil, Stats{}},
		{"the tail left in", "", "f2 48 cd c9 c9 07 00 00 00 ff ff", Options{}, nil, Stats{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := Decode(nil, []byte(tc.history), mustHex(t, tc.in), tc.opt)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("decoded %q, want an error", got)
				}
				t.Logf("error, as it should: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
		})
	}
}

// TestAgainstFlate decodes what compress/flate makes, at every level, with
// and without context takeover, and compares with the input.
func TestAgainstFlate(t *testing.T) {
	t.Parallel()
	payloads := map[string][]byte{
		"text":          text(100_000, 1),
		"random":        random(70_000, 2),
		"periodic 1000": periodic(50_000, 1000, 3),
		"zeros":         make([]byte, 40_000),
		"one byte":      {'x'},
		"empty":         {},
	}
	for name, p := range payloads {
		for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			t.Run(fmt.Sprintf("%s/level %d", name, level), func(t *testing.T) {
				t.Parallel()
				var history []byte
				// Three messages: the payload, its second half and its first
				// third, each compressed against the ones before.
				for i, m := range [][]byte{p, p[len(p)/2:], p[:len(p)/3]} {
					dict := history[max(0, len(history)-1<<15):]
					in := compress(t, m, dict, level)
					got, st, err := Decode(nil, dict, in, Options{})
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if !bytes.Equal(got, m) {
						t.Fatalf("message %d: decoded %d bytes, want %d", i, len(got), len(m))
					}
					if level == flate.HuffmanOnly && st.Matched > 0 {
						t.Errorf("message %d: HuffmanOnly output with %d matched bytes", i, st.Matched)
					}
					if level == flate.NoCompression && st.Blocks[1]+st.Blocks[2] > 0 {
						t.Errorf("message %d: NoCompression output with blocks %v", i, st.Blocks)
					}
					history = append(history, m...)
				}
			})
		}
	}
}

// TestWindow shows that a distance one byte past the window fails, and one
// exactly at the window passes.
func TestWindow(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		w := 1 << wb
		at := compress(t, periodic(4*w, w, uint64(wb)), nil, flate.BestCompression)
		_, st, err := Decode(nil, nil, at, Options{WindowBits: wb})
		if err != nil {
			t.Errorf("window %d, period %d: %v", w, w, err)
		} else if st.MaxDist != w {
			t.Errorf("window %d, period %d: longest distance %d", w, w, st.MaxDist)
		}
		if wb == 15 {
			continue // compress/flate cannot go past 32 KiB
		}
		past := compress(t, periodic(4*w+4, w+1, uint64(wb)), nil, flate.BestCompression)
		if _, err := Message(nil, past, wb); err == nil || !strings.Contains(err.Error(), "past the window") {
			t.Errorf("window %d, period %d: want a distance past the window, got %v", w, w+1, err)
		}
		if _, err := Message(nil, past, wb+1); err != nil {
			t.Errorf("window %d, period %d: %v", 2*w, w+1, err)
		}
	}
}

// TestHistory: a reference into the history works only when the history
// is there, and only as far back as it goes.
func TestHistory(t *testing.T) {
	t.Parallel()
	first := text(5000, 4)
	second := append(bytes.Clone(first[1000:3000]), first[:500]...)
	in := compress(t, second, first, flate.BestCompression)
	got, st, err := Decode(nil, first, in, Options{})
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("with history: %v", err)
	}
	if st.MaxDist < 4000 {
		t.Errorf("longest distance %d: the test does not reach far into the history", st.MaxDist)
	}
	if _, err := Message(first[4000:], in, 15); err == nil || !strings.Contains(err.Error(), "past the start of the history") {
		t.Errorf("with too little history: got %v", err)
	}
	if _, err := Message(nil, in, 15); err == nil {
		t.Error("without history: no error")
	}
	// dst is kept, and the message is appended after it.
	out, _, err := Decode([]byte("prefix:"), first, in, Options{})
	if err != nil || !bytes.Equal(out, append([]byte("prefix:"), second...)) {
		t.Errorf("Decode with dst: %q…, %v", out[:min(20, len(out))], err)
	}
}

// bitWriter writes DEFLATE bit streams by hand.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

// bits writes the n low bits of v, lowest first (header fields, extra
// bits).
func (w *bitWriter) bits(v uint64, n uint) *bitWriter {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
	return w
}

// code writes a Huffman code of n bits, highest first.
func (w *bitWriter) code(c uint64, n uint) *bitWriter {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
	return w
}

// syncFlush ends the message: an empty stored block, minus the tail.
func (w *bitWriter) syncFlush() []byte {
	w.bits(0, 3)
	if w.n > 0 {
		w.bits(0, 8-w.n)
	}
	return w.out
}

// fixedLit writes a literal/length symbol with the fixed code.
func (w *bitWriter) fixedLit(s int) *bitWriter {
	switch {
	case s < 144:
		return w.code(uint64(0x30+s), 8)
	case s < 256:
		return w.code(uint64(0x190+s-144), 9)
	case s < 280:
		return w.code(uint64(s-256), 7)
	}
	return w.code(uint64(0xc0+s-280), 8)
}

// TestMalformed feeds hand-made bit streams with one defect each.
func TestMalformed(t *testing.T) {
	t.Parallel()
	// A fixed block with literal 'a' then whatever the case adds.
	fixed := func() *bitWriter { return new(bitWriter).bits(0b010, 3).fixedLit('a') }
	// A dynamic block whose code length code gives every one of the 19
	// symbols except one a 5-bit code... simpler: lengths 16 of 4 bits and
	// 3 of 5 bits is not complete; use 13 codes of 4 bits and 6 of 5 bits:
	// 13/16 + 6/32 = 1.
	dynamic := func(hlit, hdist int, lens []int) *bitWriter {
		w := new(bitWriter).bits(0b100, 3).bits(uint64(hlit-257), 5).bits(uint64(hdist-1), 5).bits(19-4, 4)
		var clLens [19]int
		for i := range clLens {
			clLens[i] = 4
			if i >= 13 {
				clLens[i] = 5
			}
		}
		// clLens is indexed by symbol; the header lists them in clOrder.
		for _, s := range clOrder {
			w.bits(uint64(clLens[s]), 3)
		}
		// Canonical codes: symbols 0..12 get 4-bit codes 0..12, symbols
		// 13..18 get 5-bit codes 26..31.
		for _, l := range lens {
			if l < 13 {
				w.code(uint64(l), 4)
			} else {
				w.code(uint64(26+l-13), 5)
			}
		}
		return w
	}
	completeLit := func() []int {
		// 256 literals and end of block: 2 codes of 8 bits... use 1 code of
		// length 1 (end of block) and 256 of length 9: 1/2 + 256/512 = 1.
		lens := make([]int, 257)
		for i := range 256 {
			lens[i] = 9
		}
		lens[256] = 1
		return lens
	}
	tests := []struct {
		name string
		in   []byte
		want string // in the error
	}{
		{"reserved block type", new(bitWriter).bits(0b110, 3).syncFlush(), "reserved block type 3"},
		{"stored LEN and NLEN disagree", []byte{0x00, 0x05, 0x00, 0xfa, 0xfe, 'H', 'e', 'l', 'l', 'o', 0x00}, "not complements"},
		{"stored block cut short", []byte{0x00, 0x0a, 0x00, 0xf5, 0xff, 'H', 'e'}, "unexpected end"},
		{"fixed block cut short", fixed().out, "unexpected end"},
		{"literal/length symbol 286", fixed().fixedLit(286).fixedLit(256).syncFlush(), "invalid literal/length symbol 286"},
		{"distance symbol 30", fixed().fixedLit(257).code(30, 5).fixedLit(256).syncFlush(), "invalid distance symbol 30"},
		{"distance past the start", fixed().fixedLit(257).code(1, 5).fixedLit(256).syncFlush(), "past the start of the history"},
		{"HLIT too big", dynamic(287, 1, nil).syncFlush(), "more than 286"},
		{"HDIST too big", dynamic(257, 31, nil).syncFlush(), "more than 30"},
		{"repeat with nothing before", dynamic(257, 1, []int{16}).bits(0, 2).syncFlush(), "no previous length"},
		{"repeat past the counts", dynamic(257, 1, append(make([]int, 250), 18)).bits(127, 7).syncFlush(), "overflow"},
		{"no end of block", dynamic(257, 1, func() []int {
			l := make([]int, 258) // literals 0 and 1 of length 1, nothing else
			l[0], l[1] = 1, 1
			return l
		}()).syncFlush(), "no end of block"},
		{"incomplete literal/length code", dynamic(257, 1, func() []int {
			l := completeLit()
			l[0] = 10 // one 9-bit code becomes 10 bits: incomplete
			return append(l, 1)
		}()).syncFlush(), "literal/length code: incomplete"},
		{"oversubscribed literal/length code", dynamic(257, 1, func() []int {
			l := completeLit()
			l[0] = 8
			return append(l, 1)
		}()).syncFlush(), "literal/length code: oversubscribed"},
		{"incomplete distance code", dynamic(257, 2, append(completeLit(), 2, 1)).syncFlush(), "distance code: incomplete"},
		{"code length code with one code of length 1", func() []byte {
			w := new(bitWriter).bits(0b100, 3).bits(0, 5).bits(0, 5).bits(19-4, 4)
			for _, s := range clOrder {
				w.bits(map[uint8]uint64{0: 1}[s], 3)
			}
			return w.syncFlush()
		}(), "code length code: incomplete"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Message(nil, tc.in, 15)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("input %x: got %v, want an error with %q", tc.in, err, tc.want)
			}
		})
	}

}

// TestSingleCodes checks the two codes decoders accept although they are
// not complete, built by hand: a block of literals with no distance code,
// and one whose distance code has one code of length 1.
func TestSingleCodes(t *testing.T) {
	t.Parallel()
	// Code length code: symbols 0, 1 and 9 have codes (lengths 2, 2, 1:
	// complete), everything else 0.
	header := func(ndist int, distLen int) *bitWriter {
		w := new(bitWriter).bits(0b100, 3).bits(0, 5).bits(uint64(ndist-1), 5).bits(19-4, 4)
		cl := map[int]int{0: 2, 1: 2, 9: 1}
		for _, s := range clOrder {
			w.bits(uint64(cl[int(s)]), 3)
		}
		// Canonical: 9 → "0", 0 → "10", 1 → "11".
		sym := func(s int) {
			switch s {
			case 9:
				w.code(0, 1)
			case 0:
				w.code(2, 2)
			case 1:
				w.code(3, 2)
			}
		}
		// 256 literals of 9 bits, end of block of 1 bit.
		for range 256 {
			sym(9)
		}
		sym(1)
		for range ndist {
			sym(distLen)
		}
		return w
	}
	// Literal 'A' (canonical 9-bit code 256+65 = 0x141), end of block "0".
	lit := func(w *bitWriter, b byte) { w.code(uint64(0x100+int(b)), 9) }

	w := header(1, 0)
	lit(w, 'A')
	lit(w, 'B')
	w.code(0, 1)
	got, err := Message(nil, w.syncFlush(), 15)
	if err != nil || string(got) != "AB" {
		t.Errorf("no distance codes: %q, %v", got, err)
	}

	// With one distance code of length 1, a match can only be distance 1
	// ("0"); the bit "1" is no code.
	w = header(1, 1)
	lit(w, 'A')
	lit(w, 'B')
	w.code(0, 1) // end of block
	got, err = Message(nil, w.syncFlush(), 15)
	if err != nil || string(got) != "AB" {
		t.Errorf("one distance code of length 1: %q, %v", got, err)
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	msg := text(10_000, 5)
	for _, level := range []int{flate.NoCompression, flate.BestSpeed} {
		in := compress(t, msg, nil, level)
		if _, _, err := Decode(nil, nil, in, Options{Limit: len(msg)}); err != nil {
			t.Errorf("level %d, limit = size: %v", level, err)
		}
		if _, _, err := Decode(nil, nil, in, Options{Limit: len(msg) - 1}); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Errorf("level %d, limit = size-1: got %v", level, err)
		}
	}
}

// FuzzDecode decodes arbitrary data after arbitrary history. Whatever
// Decode accepts, compress/flate must decode to the same bytes; and data
// that compress/flate compressed must decode back.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("Hello"), mustHexF(f, "f2 00 11 00 00"), uint8(15), uint8(0))
	f.Add([]byte{}, mustHexF(f, "f2 48 cd c9 c9 07 00"), uint8(8), uint8(1))
	f.Add([]byte{}, mustHexF(f, "f3 48 cd c9 c9 07 00 00"), uint8(15), uint8(2))
	f.Add([]byte{}, mustHexF(f, "f2 48 05 00 00 00 ff ff ca c9 c9 07 00"), uint8(15), uint8(3))
	f.Add([]byte{}, mustHexF(f, "00 05 00 fa ff 48 65 6c 6c 6f 00"), uint8(9), uint8(4))
	f.Add(text(300, 1), compress(f, text(600, 1)[300:], text(300, 1), flate.BestSpeed), uint8(15), uint8(5))
	f.Add([]byte{}, compress(f, periodic(3000, 257, 2), nil, flate.BestCompression), uint8(8), uint8(6))
	f.Add([]byte{}, compress(f, random(500, 3), nil, flate.HuffmanOnly), uint8(12), uint8(7))
	f.Fuzz(func(t *testing.T, history, in []byte, wb, level uint8) {
		o := Options{WindowBits: 8 + int(wb%8), AllowFinal: level&1 != 0, AllowFlush: level&2 != 0, Limit: 1 << 20}
		got, st, err := Decode(nil, history, in, o)
		if err == nil {
			if !o.AllowFinal && st.Final || !o.AllowFlush && st.Flushes > 0 {
				t.Fatalf("stats %+v with options %+v", st, o)
			}
			want, ferr := flateDecode(in, history)
			if ferr != nil {
				t.Fatalf("deflatecheck accepted what compress/flate rejects (%v)", ferr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("deflatecheck decoded %d bytes, compress/flate %d", len(got), len(want))
			}
		}
		// The other way: compress in as a message after history.
		if len(in) > 1<<16 {
			return
		}
		lv := int(level)%11 - 2 // HuffmanOnly (-2) to BestCompression
		if lv == -2 && level&4 != 0 {
			lv = flate.HuffmanOnly
		}
		dict := history[max(0, len(history)-1<<15):]
		msg := compress(t, in, dict, lv)
		got, err = Message(dict, msg, 15)
		if err != nil {
			t.Fatalf("level %d: %v", lv, err)
		}
		if !bytes.Equal(got, in) {
			t.Fatalf("level %d: round trip gave %d bytes, want %d", lv, len(got), len(in))
		}
	})
}

func mustHexF(f *testing.F, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func BenchmarkDecode(b *testing.B) {
	for _, p := range []struct {
		name string
		data []byte
	}{{"text", text(1<<17, 9)}, {"random", random(1<<17, 9)}} {
		in := compress(b, p.data, nil, flate.BestSpeed)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			var out []byte
			for b.Loop() {
				var err error
				out, _, err = Decode(out[:0], nil, in, Options{})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
