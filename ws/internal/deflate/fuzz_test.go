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
