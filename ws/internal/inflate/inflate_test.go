package inflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/vizserve/vizserve/ws/internal/deflate"
)

var tail = []byte{0, 0, 0xff, 0xff}

// countReader is an io.ByteReader over in that counts what was read, as
// ws feeds compress/flate.
type countReader struct {
	in []byte
	n  int
}

func (r *countReader) ReadByte() (byte, error) {
	if r.n == len(r.in) {
		return 0, io.EOF
	}
	r.n++
	return r.in[r.n-1], nil
}

func (r *countReader) Read(p []byte) (int, error) {
	if r.n == len(r.in) {
		return 0, io.EOF
	}
	n := copy(p, r.in[r.n:])
	r.n += n
	return n, nil
}

// reference decodes in after history with compress/flate the way ws
// reads a message: everything up to the end of the input or a final
// block, the output so far when the input ends inside a block.
func reference(history, in []byte) (out []byte, res Result, corrupt bool) {
	r := &countReader{in: in}
	fr := flate.NewReaderDict(r, history)
	out, err := io.ReadAll(fr)
	switch {
	case err == nil:
		// io.ReadAll maps the final block's io.EOF to nil, and so the
		// end of input only if it fell after a final block.
		return out, Result{Final: true, Consumed: r.n}, false
	case errors.Is(err, io.ErrUnexpectedEOF):
		return out, Result{}, false
	default:
		return nil, Result{}, true
	}
}

func check(t *testing.T, history, in []byte) {
	t.Helper()
	want, wres, wcorrupt := reference(history, in)
	var d Decoder
	out, res, err := d.Decode(nil, history, in, -1)
	if wcorrupt {
		if err == nil {
			t.Fatalf("compress/flate rejects %x (history %d bytes); Decode accepted it as %d bytes", in, len(history), len(out)-len(history))
		}
		return
	}
	if err != nil {
		t.Fatalf("compress/flate accepts %x (history %d bytes); Decode: %v", truncate(in), len(history), err)
	}
	got := out[len(history):]
	if !bytes.Equal(got, want) {
		t.Fatalf("decoded %d bytes, compress/flate %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if res != wres {
		t.Fatalf("result %+v, compress/flate %+v", res, wres)
	}
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func payload(kind, n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(kind)))
	out := make([]byte, n)
	switch kind {
	case 0: // random
		for i := range out {
			out[i] = byte(rng.Uint32())
		}
	case 1: // words
		words := []string{"alpha ", "beta ", "gamma ", "{\"x\": ", "12345, ", "\"name\": ", "</div>\n", "<p class=\"a\">"}
		out = out[:0]
		for len(out) < n {
			out = append(out, words[rng.IntN(len(words))]...)
		}
		out = out[:n]
	case 2: // runs
		for i := 0; i < n; {
			b, l := byte(rng.IntN(4)), 1+rng.IntN(300)
			for ; l > 0 && i < n; l-- {
				out[i] = b
				i++
			}
		}
	default: // periodic
		p := 1 + rng.IntN(40000)
		unit := make([]byte, p)
		for i := range unit {
			unit[i] = byte(rng.Uint32())
		}
		for i := range out {
			out[i] = unit[i%p]
		}
	}
	return out
}

// flateMessage compresses msg after history with compress/flate and a sync
// flush, tail included.
func flateMessage(t testing.TB, history, msg []byte, level int) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriterDict(&buf, level, history)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	w.Flush()
	return buf.Bytes()
}

func TestFlateMessages(t *testing.T) {
	t.Parallel()
	for kind := range 4 {
		for _, n := range []int{0, 1, 100, 5000, 70000, 200000} {
			for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, 4, flate.BestCompression} {
				msg := payload(kind, n, uint64(n))
				history := payload(kind, 32768, 7)
				for _, h := range [][]byte{nil, history} {
					in := flateMessage(t, h, msg, level)
					check(t, h, in)
					var d Decoder
					out, _, err := d.Decode(nil, h, in, -1)
					if err != nil || !bytes.Equal(out[len(h):], msg) {
						t.Fatalf("kind %d n %d level %d: err %v, round trip differs", kind, n, level, err)
					}
					// Closed with a final block, as some peers do.
					var buf bytes.Buffer
					w, _ := flate.NewWriterDict(&buf, level, h)
					w.Write(msg)
					w.Close()
					check(t, h, buf.Bytes())
				}
			}
		}
	}
}

// TestOurMessages decodes what ws's compressor sends, for every window and
// level, with and without context takeover.
func TestOurMessages(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		for _, level := range []int{0, 1, 6, 9} {
			for kind := range 4 {
				c := deflate.New(wb, level)
				var history []byte
				var d Decoder
				for i, n := range []int{3000, 70000, 500} {
					msg := payload(kind, n, uint64(wb*100+i))
					in := append(c.Finish(c.Write(nil, msg)), tail...)
					check(t, history, in)
					out, _, err := d.Decode(nil, history, in, -1)
					if err != nil || !bytes.Equal(out[len(history):], msg) {
						t.Fatalf("wb %d level %d kind %d msg %d: err %v, round trip differs", wb, level, kind, i, err)
					}
					history = append(history, msg...)
					history = history[max(0, len(history)-1<<wb):]
				}
			}
		}
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	msg := payload(2, 100000, 1)
	in := flateMessage(t, nil, msg, flate.BestSpeed)
	var d Decoder
	if _, _, err := d.Decode(nil, nil, in, len(msg)); err != nil {
		t.Fatalf("limit of exactly the length: %v", err)
	}
	if _, _, err := d.Decode(nil, nil, in, len(msg)-1); err != ErrLimit {
		t.Fatalf("limit one short: %v, want ErrLimit", err)
	}
	st := flateMessage(t, nil, payload(0, 1000, 1), flate.NoCompression)
	if _, _, err := d.Decode(nil, nil, st, 999); err != ErrLimit {
		t.Fatalf("stored, limit one short: %v, want ErrLimit", err)
	}
}

func TestZeroAllocs(t *testing.T) {
	msg := payload(1, 50000, 1)
	in := flateMessage(t, nil, msg, flate.BestSpeed)
	var d Decoder
	buf := make([]byte, 0, 60000)
	d.Decode(buf, nil, in, -1)
	if n := testing.AllocsPerRun(20, func() { d.Decode(buf, nil, in, -1) }); n != 0 {
		t.Errorf("%v allocations per message", n)
	}
}

// FuzzDecode decodes arbitrary data after arbitrary history and checks the
// outcome against compress/flate: the same output, the same end, and
// rejected exactly when compress/flate rejects it.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{}, []byte{0x00, 0x00, 0x00, 0xff, 0xff})
	f.Add([]byte("hello"), []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff})
	f.Add([]byte{}, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})
	f.Add([]byte{}, []byte{0x03, 0x00})
	f.Add([]byte("abc"), []byte{0x4b, 0x04, 0x02, 0x00})
	for kind := range 4 {
		msg := payload(kind, 3000, 1)
		f.Add([]byte(nil), flateMessage(f, nil, msg, flate.BestSpeed))
		f.Add(msg[:1000], flateMessage(f, msg[:1000], msg[1000:], flate.DefaultCompression))
		c := deflate.New(9, 1)
		f.Add([]byte(nil), append(c.Finish(c.Write(nil, msg)), tail...))
	}
	f.Fuzz(func(t *testing.T, history, in []byte) {
		if len(history) > 32768 {
			history = history[len(history)-32768:]
		}
		check(t, history, in)
	})
}

// FuzzRoundTrip compresses data with ws's compressor and with
// compress/flate, as one message or two (the second under context
// takeover), and decodes each.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello hello hello"), uint8(15), uint8(1), uint16(5))
	f.Add(payload(1, 5000, 3), uint8(9), uint8(6), uint16(1000))
	f.Add(payload(3, 9000, 3), uint8(8), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, wb, level uint8, cut uint16) {
		w := 8 + int(wb)%8
		lv := int(level) % 10
		split := min(int(cut), len(data))
		msgs := [][]byte{data[:split], data[split:]}
		c := deflate.New(w, lv)
		var d Decoder
		var history []byte
		for _, m := range msgs {
			in := append(c.Finish(c.Write(nil, m)), tail...)
			out, _, err := d.Decode(nil, history, in, -1)
			if err != nil || !bytes.Equal(out[len(history):], m) {
				t.Fatalf("ours → ours: err %v, differs", err)
			}
			fl := flateMessage(t, history, m, lv)
			out, _, err = d.Decode(nil, history, fl, -1)
			if err != nil || !bytes.Equal(out[len(history):], m) {
				t.Fatalf("compress/flate → ours: err %v, differs", err)
			}
			history = append(history, m...)
			history = history[max(0, len(history)-1<<w):]
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, kind := range []int{0, 1, 3} {
		msg := payload(kind, 128<<10, 1)
		in := flateMessage(b, nil, msg, flate.BestSpeed)
		b.Run("ours/kind="+string(rune('0'+kind)), func(b *testing.B) {
			var d Decoder
			buf := make([]byte, 0, len(msg)+maxMatch+8)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				d.Decode(buf, nil, in, -1)
			}
		})
		b.Run("flate/kind="+string(rune('0'+kind)), func(b *testing.B) {
			fr := flate.NewReader(bytes.NewReader(in))
			buf := make([]byte, len(msg)+10)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				fr.(flate.Resetter).Reset(&countReader{in: in}, nil)
				io.ReadFull(fr, buf[:len(msg)])
			}
		})
	}
}
