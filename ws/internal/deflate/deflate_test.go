package deflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/vizserve/vizserve/ws/internal/deflatecheck"
)

var tail = []byte{0x00, 0x00, 0xff, 0xff}

// inflateMessage decodes one message's output with the strict checking
// decoder (independent of compress/flate and of this package), after
// history, with a window of window bytes (a power of two, 256 to 32768).
// It fails on a final block, a distance past the history or the window,
// incomplete codes and anything else a decoder could object to.
func inflateMessage(history, in []byte, window int) ([]byte, deflatecheck.Stats, error) {
	return deflatecheck.Decode(nil, history, in, deflatecheck.Options{WindowBits: bits.TrailingZeros(uint(window))})
}

// writeSplit writes msg to c in pieces: whole, in random pieces, or one
// byte at a time.
func writeSplit(c *Compressor, dst, msg []byte, split string, r *rand.Rand) []byte {
	switch split {
	case "whole":
		return c.Write(dst, msg)
	case "bytes":
		for i := range msg {
			dst = c.Write(dst, msg[i:i+1])
		}
		return dst
	case "random":
		for len(msg) > 0 {
			var n int
			switch r.IntN(3) {
			case 0:
				n = r.IntN(8)
			case 1:
				n = r.IntN(1000)
			default:
				n = r.IntN(100000)
			}
			n = min(n, len(msg))
			dst = c.Write(dst, msg[:n])
			msg = msg[n:]
		}
		return dst
	}
	panic("unknown split " + split)
}

// compressMessages compresses msgs in turn with c; with takeover false it
// resets c after each message.
func compressMessages(c *Compressor, msgs [][]byte, split string, seed uint64, takeover bool) [][]byte {
	r := rand.New(rand.NewPCG(seed, 99))
	outs := make([][]byte, len(msgs))
	for i, m := range msgs {
		out := writeSplit(c, nil, m, split, r)
		outs[i] = c.Finish(out)
		if !takeover {
			c.Reset()
		}
	}
	return outs
}

// flateDecode decodes one message's output with compress/flate, primed
// with dict, the way a permessage-deflate receiver does.
func flateDecode(out, dict []byte) ([]byte, error) {
	in := bytes.NewReader(append(bytes.Clone(out), tail...))
	got, err := io.ReadAll(flate.NewReaderDict(in, dict))
	if err != io.ErrUnexpectedEOF { // no final block: the stream goes on
		return got, fmt.Errorf("flate: want io.ErrUnexpectedEOF after the message, got %v", err)
	}
	return got, nil
}

// checkMessages decodes outs, the output for msgs, with compress/flate and
// with the strict test decoder, and fails t unless both give msgs back
// with no distance past window.
func checkMessages(t *testing.T, window int, msgs, outs [][]byte, takeover bool) {
	t.Helper()
	var history []byte
	for i, m := range msgs {
		var dict []byte
		if takeover {
			dict = history[max(0, len(history)-window):]
		}
		got, err := flateDecode(outs[i], dict)
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, len(m), err)
		}
		if !bytes.Equal(got, m) {
			t.Fatalf("message %d: compress/flate decoded %d bytes, want %d (first difference at %d)", i, len(got), len(m), firstDiff(got, m))
		}
		got, st, err := inflateMessage(dict, outs[i], window)
		if err != nil {
			t.Fatalf("message %d (%d bytes): strict decoder: %v", i, len(m), err)
		}
		if !bytes.Equal(got, m) {
			t.Fatalf("message %d: strict decoder decoded %d bytes, want %d", i, len(got), len(m))
		}
		if st.MaxDist > window {
			t.Fatalf("message %d: distance %d past the window %d", i, st.MaxDist, window)
		}
		if takeover {
			history = append(history, m...)
			if len(history) > 4*window {
				history = append(history[:0], history[len(history)-window:]...)
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

var testLevels = []int{NoCompression, BestSpeed, 3, 4, DefaultCompression, BestCompression}

// levelsFor returns the levels to test: all, or with -short a greedy, a
// lazy and the stored level.
func levelsFor(t *testing.T) []int {
	if testing.Short() {
		return []int{NoCompression, BestSpeed, DefaultCompression}
	}
	return testLevels
}

// TestRoundTrip compresses every payload as a message of its own (no
// context takeover, one pooled compressor reset between messages) for
// every window and level, in pieces split three ways, and decodes it.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		t.Run(fmt.Sprintf("wbits=%d", wb), func(t *testing.T) {
			t.Parallel()
			window := 1 << wb
			ps := payloads(window, testing.Short())
			bytesMax := 64 << 10 // byte-at-a-time is the same code path as random pieces: keep it quick
			if testing.Short() {
				bytesMax = 4 << 10
			}
			for _, level := range levelsFor(t) {
				c := New(wb, level)
				for _, split := range []string{"whole", "random", "bytes"} {
					for _, p := range ps {
						if split == "bytes" && len(p.data) > bytesMax {
							continue
						}
						msgs := [][]byte{p.data}
						outs := compressMessages(c, msgs, split, uint64(wb), false)
						checkMessagesNamed(t, fmt.Sprintf("level=%d/%s/%s", level, split, p.name), window, msgs, outs, false)
					}
				}
			}
		})
	}
}

func checkMessagesNamed(t *testing.T, name string, window int, msgs, outs [][]byte, takeover bool) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		checkMessages(t, window, msgs, outs, takeover)
	})
}

// TestContextTakeover sends all payloads as one sequence of messages
// through one compressor that keeps its history, with repeats so that
// messages refer back into earlier ones, and decodes each message with a
// decoder primed with the last window bytes of the previous messages.
func TestContextTakeover(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		t.Run(fmt.Sprintf("wbits=%d", wb), func(t *testing.T) {
			t.Parallel()
			window := 1 << wb
			var msgs [][]byte
			for _, p := range payloads(window, true) {
				msgs = append(msgs, p.data)
				if len(p.data) < 4*window {
					msgs = append(msgs, p.data) // same again: refers to the previous message
				}
			}
			small := textPayload(min(3*window, 12<<10), 77)
			for i := 0; i+50 <= len(small); i += 50 + i%37 {
				msgs = append(msgs, small[i:i+50], nil)
			}
			for _, level := range levelsFor(t) {
				for _, split := range []string{"whole", "random"} {
					outs := compressMessages(New(wb, level), msgs, split, uint64(wb), true)
					checkMessagesNamed(t, fmt.Sprintf("level=%d/%s", level, split), window, msgs, outs, true)
				}
			}
		})
	}
}

// TestSplitInvariance: the output does not depend on how the message is
// cut into Writes (not just its meaning: its bytes).
func TestSplitInvariance(t *testing.T) {
	t.Parallel()
	msg := append(textPayload(70000, 11), bitmapPayload(50000, 12)...)
	for _, wb := range []int{8, 11, 15} {
		for _, level := range []int{1, 6} {
			c := New(wb, level)
			want := c.Finish(c.Write(nil, msg))
			c.Reset()
			for seed := range uint64(5) {
				got := c.Finish(writeSplit(c, nil, msg, "random", rand.New(rand.NewPCG(seed, 0))))
				c.Reset()
				if !bytes.Equal(got, want) {
					t.Fatalf("wbits %d level %d seed %d: output differs from a single Write", wb, level, seed)
				}
			}
			got := c.Finish(writeSplit(c, nil, msg, "bytes", nil))
			c.Reset()
			if !bytes.Equal(got, want) {
				t.Fatalf("wbits %d level %d: byte-at-a-time output differs from a single Write", wb, level)
			}
		}
	}
}

// TestWindowUse: with a period of exactly the window the data compresses
// to almost nothing (the full window is used); one byte more, and almost
// nothing can be referenced (only chance matches of random bytes).
func TestWindowUse(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		window := 1 << wb
		n := 30*window + 5000
		if testing.Short() {
			n = 8*window + 5000
		}
		for _, level := range []int{1, 6, 9} {
			c := New(wb, level)
			in := periodicPayload(n, window, uint64(wb))
			out := c.Finish(c.Write(nil, in))
			c.Reset()
			_, st, err := inflateMessage(nil, out, window)
			if err != nil {
				t.Fatalf("wbits %d level %d: %v", wb, level, err)
			}
			if st.MaxDist != window {
				t.Errorf("wbits %d level %d period %d: longest distance %d, want %d", wb, level, window, st.MaxDist, window)
			}
			if len(out) > window+n/50 { // the first period is random: it cannot shrink
				t.Errorf("wbits %d level %d period %d: %d bytes in, %d out: the window is not used", wb, level, window, n, len(out))
			}
			in = periodicPayload(n, window+1, uint64(wb))
			out = c.Finish(c.Write(nil, in))
			c.Reset()
			_, st, err = inflateMessage(nil, out, window)
			if err != nil {
				t.Fatalf("wbits %d level %d period %d: %v", wb, level, window+1, err)
			}
			if st.Matched > n/100 {
				t.Errorf("wbits %d level %d period %d: %d of %d bytes came from back-references", wb, level, window+1, st.Matched, n)
			}
		}
	}
}

func TestEmptyMessage(t *testing.T) {
	t.Parallel()
	for _, level := range []int{0, 1, 6} {
		c := New(8, level)
		if got := c.Finish(nil); !bytes.Equal(got, []byte{0}) {
			t.Errorf("level %d: empty message: got % x, want 00", level, got)
		}
		c.Finish(c.Write(nil, []byte("hello hello hello")))
		if got := c.Finish(c.Write(nil, nil)); !bytes.Equal(got, []byte{0}) {
			t.Errorf("level %d: empty message after another: got % x, want 00", level, got)
		}
	}
}

// TestIncompressible: random data grows by a few bytes per 64 KiB only.
func TestIncompressible(t *testing.T) {
	t.Parallel()
	for wb := 8; wb <= 15; wb++ {
		for _, level := range levelsFor(t) {
			for _, n := range []int{1, 100, 1000, 64 << 10, 1 << 20} {
				if n > 64<<10 && testing.Short() {
					continue
				}
				c := New(wb, level)
				in := randomPayload(n, uint64(n))
				out := c.Finish(c.Write(nil, in))
				// 5 bytes per stored block of up to 32 KiB + 1 for the sync flush.
				limit := n + 5*(n/(32<<10)+1) + 1
				if len(out) > limit {
					t.Errorf("wbits %d level %d: %d random bytes became %d (limit %d)", wb, level, n, len(out), limit)
				}
			}
		}
	}
}

// TestReset: after Reset the output is the same as a new compressor's,
// whatever came before, even an unfinished message.
func TestReset(t *testing.T) {
	t.Parallel()
	msg := jsonPayload(50000, 21)
	for _, wb := range []int{8, 15} {
		fresh := New(wb, 6)
		want := fresh.Finish(fresh.Write(nil, msg))
		c := New(wb, 6)
		c.Finish(c.Write(nil, msg))
		c.Reset()
		if got := c.Finish(c.Write(nil, msg)); !bytes.Equal(got, want) {
			t.Errorf("wbits %d: output after Finish and Reset differs from a new compressor's", wb)
		}
		c.Reset()
		c.Write(nil, textPayload(100000, 3)) // unfinished, dropped
		c.Reset()
		if got := c.Finish(c.Write(nil, msg)); !bytes.Equal(got, want) {
			t.Errorf("wbits %d: output after a dropped message differs from a new compressor's", wb)
		}
	}
}

// TestRebase drives absolute positions past a lowered rebase threshold
// many times; the output must be the same as without rebasing.
func TestRebase(t *testing.T) {
	t.Parallel()
	var msgs [][]byte
	for i := range 60 {
		msgs = append(msgs, textPayload(500+i*997%20000, uint64(i)))
	}
	for _, wb := range []int{8, 12, 15} {
		for _, takeover := range []bool{false, true} {
			a, b := New(wb, 6), New(wb, 6)
			b.rebaseAt = 100000
			want := compressMessages(a, msgs, "whole", 1, takeover)
			got := compressMessages(b, msgs, "whole", 1, takeover)
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("wbits %d takeover %v: message %d differs after rebasing", wb, takeover, i)
				}
			}
			if b.base > 100000+uint32(b.bufCap+b.window+1) {
				t.Fatalf("wbits %d: base %d: never rebased", wb, b.base)
			}
			checkMessages(t, 1<<wb, msgs, got, takeover)
		}
	}
}

// TestZeroAllocs: once warmed up, a message costs no allocation.
func TestZeroAllocs(t *testing.T) {
	msgs := [][]byte{jsonPayload(16, 1), jsonPayload(1000, 2), textPayload(100000, 3), randomPayload(70000, 4)}
	runs := 20
	if testing.Short() {
		runs = 3
	}
	for _, wb := range []int{8, 15} {
		for _, level := range []int{0, 1, 6} {
			for _, takeover := range []bool{false, true} {
				c := New(wb, level)
				dst := make([]byte, 0, 200000)
				run := func() {
					for _, m := range msgs {
						dst = c.Finish(c.Write(dst[:0], m))
						if !takeover {
							c.Reset()
						}
					}
				}
				run()
				if a := testing.AllocsPerRun(runs, run); a != 0 {
					t.Errorf("wbits %d level %d takeover %v: %v allocations per run of %d messages", wb, level, takeover, a, len(msgs))
				}
			}
		}
	}
}

func TestNewRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ wb, level int }{{7, 6}, {16, 6}, {15, 10}, {15, -2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %d) did not panic", tc.wb, tc.level)
				}
			}()
			New(tc.wb, tc.level)
		}()
	}
}

func lettersPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 6))
	out := make([]byte, n)
	for i := range out {
		out[i] = 'a' + byte(r.IntN(26))
	}
	return out
}

// TestBlockKinds makes the compressor pick each kind of block, including
// the edge cases decoders care about, and decodes them.
func TestBlockKinds(t *testing.T) {
	t.Parallel()
	letters := lettersPayload(400, 1)
	tests := []struct {
		name    string
		msg     []byte
		kind    int  // BTYPE of the one data block
		matches bool // whether back-references were used
	}{
		{"stored: random bytes", randomPayload(1000, 1), 0, false},
		{"fixed: short text", []byte("hello, hello, hello!"), 1, true},
		{"fixed: one byte", []byte{'x'}, 1, false},
		{"dynamic: literals only, no distance codes", letters[:300], 2, false},
		{"dynamic: one distance code", append(bytes.Clone(letters), bytes.Repeat(letters[390:], 5)...), 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(15, 6)
			out := c.Finish(c.Write(nil, tc.msg))
			got, st, err := inflateMessage(nil, out, 1<<15)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.msg) {
				t.Fatal("strict decoder: wrong output")
			}
			checkMessages(t, 1<<15, [][]byte{tc.msg}, [][]byte{out}, false)
			want := [3]int{1, 0, 0} // the sync flush is a stored block
			want[tc.kind]++
			if st.Blocks != want {
				t.Fatalf("blocks by type (stored, fixed, dynamic): %v, want %v", st.Blocks, want)
			}
			if (st.Matched > 0) != tc.matches {
				t.Fatalf("%d bytes from back-references, want matches: %v", st.Matched, tc.matches)
			}
		})
	}
}
