package deflate

import (
	"bytes"
	"testing"
)

// FuzzCompress compresses data as two messages (the second is data again,
// or its second half, so that it can refer back) cut into pieces at points
// drawn from cuts, for a window and level drawn from params, with or
// without context takeover, and checks both with compress/flate and the
// strict test decoder (which fails on a distance past the window).
func FuzzCompress(f *testing.F) {
	f.Add([]byte(""), uint16(0), uint64(0))
	f.Add([]byte("a"), uint16(0x0106), uint64(1))
	f.Add([]byte("hello hello hello hello"), uint16(0x1f01), uint64(3))
	f.Add(textPayload(3000, 1), uint16(0x0609), uint64(0x0102030405060708))
	f.Add(jsonPayload(2000, 2), uint16(0x1704), uint64(77))
	f.Add(periodicPayload(5000, 257, 3), uint16(0x0006), uint64(5))
	f.Add(periodicPayload(5000, 256, 3), uint16(0x0001), uint64(9))
	f.Add(make([]byte, 10000), uint16(0x1709), uint64(0))
	f.Add(randomPayload(1500, 4), uint16(0x0300), uint64(1<<40))
	f.Fuzz(func(t *testing.T, data []byte, params uint16, cuts uint64) {
		wb := 8 + int(params>>8)%8
		level := int(params&0xff)%11 - 1 // -1..9
		takeover := params&0x1000 != 0
		c := New(wb, level)
		msgs := [][]byte{data, data[len(data)/2:]}
		var outs [][]byte
		for i, m := range msgs {
			var out []byte
			rest := m
			for k := uint(0); len(rest) > 0; k = (k + 7) % 64 {
				n := min(len(rest), int(cuts>>k&0x7f)+i) // 0..128 bytes, 0 allowed
				if k == 0 && cuts == 0 {
					n = len(rest)
				}
				out = c.Write(out, rest[:n])
				rest = rest[n:]
			}
			outs = append(outs, c.Finish(out))
			if !takeover {
				c.Reset()
			}
		}
		checkMessages(t, 1<<wb, msgs, outs, takeover)
		// Splitting never changes the output.
		d := New(wb, level)
		for i, m := range msgs {
			if got := d.Finish(d.Write(nil, m)); !bytes.Equal(got, outs[i]) {
				t.Fatalf("message %d: output depends on how the input was split", i)
			}
			if !takeover {
				d.Reset()
			}
		}
	})
}

// FuzzHuffman builds length-limited codes for frequencies drawn from data
// (two bytes and a shift per symbol, to make skewed distributions) and
// checks they are complete, within the limit, and close to package-merge.
func FuzzHuffman(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1})
	f.Add([]byte{1, 0, 1, 0, 2, 0, 3, 0, 5, 0, 8, 0, 13, 0, 21, 0, 34, 0, 55, 0, 89})
	f.Add(bytes.Repeat([]byte{0xff, 0x10, 0, 0}, 100))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		limit := maxLitBits
		n := min((len(data)-1)/3, numLitLen)
		if data[0]&1 == 1 {
			limit, n = maxCLBits, min(n, numCodeLen)
		}
		freq := make([]uint32, max(n, 2))
		for i := range n {
			d := data[1+3*i:]
			// At most 2^23 per symbol: block frequencies (at most
			// 2^16) and their sums must stay far from overflowing.
			freq[i] = uint32(uint16(d[0])|uint16(d[1])<<8) << (d[2] % 8)
		}
		lens := make([]uint8, len(freq))
		var hb huffBuilder
		hb.build(freq, lens, limit)
		checkLengths(t, freq, lens, limit)
		got := codeCost(freq, lens)
		if opt, depth := huffmanCost(freq); depth <= limit && got != opt {
			t.Fatalf("cost %d bits, optimal %d", got, opt)
		}
		if lim := limitedCost(freq, limit); got > lim+lim/8 {
			t.Fatalf("cost %d bits, more than 1/8 over the optimum %d for the limit %d", got, lim, limit)
		}
	})
}
