package deflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"testing"
	"unsafe"
)

var benchKinds = []struct {
	name string
	gen  func(n int, seed uint64) []byte
}{
	{"json", jsonPayload},
	{"text", textPayload},
	{"html", htmlPayload},
	{"bitmap", bitmapPayload},
	{"random", randomPayload},
}

var benchSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"128KiB", 128 << 10}}

// BenchmarkCompress compresses one message per operation with no context
// takeover (a pooled compressor reset after each message), against
// compress/flate (a reused Writer, Reset per message, Flush for the sync
// flush). ratio is compressed size / message size, without the 4-byte
// tail RFC 7692 removes.
func BenchmarkCompress(b *testing.B) {
	for _, k := range benchKinds {
		for _, s := range benchSizes {
			msg := k.gen(s.n, 1)
			for _, impl := range []struct {
				name  string
				wb    int
				level int
			}{{"w15-l1", 15, 1}, {"w15-l6", 15, 6}, {"w8-l1", 8, 1}, {"w8-l6", 8, 6}} {
				b.Run(fmt.Sprintf("%s/%s/deflate-%s", k.name, s.name, impl.name), func(b *testing.B) {
					c := New(impl.wb, impl.level)
					dst := make([]byte, 0, 2*len(msg)+64)
					b.ReportAllocs()
					b.SetBytes(int64(len(msg)))
					for b.Loop() {
						dst = c.Finish(c.Write(dst[:0], msg))
						c.Reset()
					}
					b.ReportMetric(float64(len(dst))/float64(len(msg)), "ratio")
				})
			}
			for _, impl := range []struct {
				name  string
				level int
			}{{"flate-BestSpeed", flate.BestSpeed}, {"flate-Default", flate.DefaultCompression}} {
				b.Run(fmt.Sprintf("%s/%s/%s", k.name, s.name, impl.name), func(b *testing.B) {
					var buf bytes.Buffer
					buf.Grow(2*len(msg) + 64)
					fw, err := flate.NewWriter(&buf, impl.level)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.SetBytes(int64(len(msg)))
					for b.Loop() {
						buf.Reset()
						fw.Reset(&buf)
						if _, err := fw.Write(msg); err != nil {
							b.Fatal(err)
						}
						if err := fw.Flush(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(buf.Len()-4)/float64(len(msg)), "ratio")
				})
			}
		}
	}
}

// heldBytes is the memory a compressor holds: the struct and the capacity
// of everything it points to.
func (c *Compressor) heldBytes() int {
	return int(unsafe.Sizeof(*c)) + cap(c.buf) + 4*cap(c.head) + 2*cap(c.prev) +
		int(unsafe.Sizeof(match{}))*cap(c.matches)
}

// maxHeldBytes is the bound on heldBytes documented on New.
func maxHeldBytes(windowBits int) int {
	return int(unsafe.Sizeof(Compressor{})) + 4<<min(windowBits+1, 15) + 2<<windowBits +
		(1 << windowBits) + chunk + lookahead + int(unsafe.Sizeof(match{}))*maxMatches
}

// TestMemory checks what compressors hold after the worst inputs for
// memory (random data fills the buffer, short matches fill the match
// list) against the bound documented on New, and logs it.
func TestMemory(t *testing.T) {
	t.Parallel()
	small := jsonPayload(100, 1)
	// 4-byte matches at distance 5 from a pool of 4-byte words: the most
	// matches per input byte.
	words := randomPayload(300<<10, 2)
	for i := 4; i+5 <= len(words); i += 10 {
		copy(words[i+1:i+5], words[i-4:i])
	}
	for wb := 8; wb <= 15; wb++ {
		c := New(wb, 6)
		c.Finish(c.Write(nil, small))
		c.Reset()
		afterSmall := c.heldBytes()
		for _, m := range [][]byte{randomPayload(300<<10, 1), words, textPayload(300<<10, 3)} {
			c.Finish(c.Write(nil, m))
			c.Reset()
		}
		held, bound := c.heldBytes(), maxHeldBytes(wb)
		t.Logf("wbits %2d: %6d bytes after a 100-byte message, %6d after large ones (bound %6d)", wb, afterSmall, held, bound)
		if held > bound {
			t.Errorf("wbits %d: holds %d bytes, more than the documented %d", wb, held, bound)
		}
	}
}
