package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func parse(t *testing.T, b []byte) rxFrame {
	t.Helper()
	f, err := readFrame(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("readFrame(%x…): %v", b[:min(len(b), 16)], err)
	}
	return f
}

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		for _, masked := range []bool{false, true} {
			in := &frame{fin: n%2 == 0, rsv: 5, op: opBinary, payload: repeat("\x00\xfe\x23\xfa\xf0", n)}
			b := in.encode(masked)
			if want := headerLen(n, masked) + n; len(b) != want {
				t.Errorf("n=%d masked=%v: %d bytes on the wire, want %d", n, masked, len(b), want)
			}
			out := parse(t, b)
			if out.fin != in.fin || out.rsv != in.rsv || out.op != in.op || out.masked != masked || !bytes.Equal(out.payload, in.payload) {
				t.Errorf("n=%d masked=%v: read back fin=%v rsv=%d op=%d masked=%v len=%d", n, masked, out.fin, out.rsv, out.op, out.masked, len(out.payload))
			}
			if masked && n > 8 && bytes.Contains(b, in.payload[:8]) {
				t.Errorf("n=%d: masked frame carries the payload in clear", n)
			}
		}
	}
}

func TestFrameHeaderBits(t *testing.T) {
	tests := []struct {
		f     frame
		first byte
	}{
		{frame{fin: true, op: opText}, 0x81},
		{frame{fin: false, op: opCont}, 0x00},
		{frame{fin: true, rsv: 4, op: opText}, 0xC1}, // Autobahn's RSV = 4 is RSV1
		{frame{fin: true, rsv: 1, op: opText}, 0x91}, // RSV = 1 is RSV3
		{frame{fin: true, rsv: 7, op: opClose}, 0xF8},
		{frame{fin: true, op: 15}, 0x8F},
	}
	for _, tt := range tests {
		if got := tt.f.encode(false)[0]; got != tt.first {
			t.Errorf("%v: first byte %#02x, want %#02x", &tt.f, got, tt.first)
		}
	}
	// The length encodings are the shortest, as RFC 6455 5.2 requires.
	for n, second := range map[int]byte{125: 125, 126: 126, 65535: 126, 65536: 127} {
		if got := (&frame{fin: true, op: opBinary, payload: make([]byte, n)}).encode(false)[1]; got != second {
			t.Errorf("payload %d: length byte %d, want %d", n, got, second)
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	whole := (&frame{fin: true, op: opText, payload: []byte("hello")}).encode(true)
	for cut := 1; cut < len(whole); cut++ {
		_, err := readFrame(bufio.NewReader(bytes.NewReader(whole[:cut])))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("frame cut after %d bytes: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(nil))); err != io.EOF {
		t.Errorf("empty input: %v, want io.EOF", err)
	}
	huge := []byte{0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(huge))); !errors.Is(err, errFrameTooBig) {
		t.Errorf("2^63-byte frame: %v, want errFrameTooBig", err)
	}
}

func TestMaskInPlace(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for pos := range 4 {
		p := bytes.Repeat([]byte{0xAA}, 37)
		maskInPlace(p, key, pos)
		for i, b := range p {
			if want := 0xAA ^ key[(pos+i)%4]; b != want {
				t.Fatalf("pos %d byte %d: %#x, want %#x", pos, i, b, want)
			}
		}
	}
}

// FuzzReadFrame checks that any bytes parse without panic, and that a
// parsed frame encodes back to bytes that parse to the same frame.
func FuzzReadFrame(f *testing.F) {
	f.Add((&frame{fin: true, op: opText, payload: []byte("hi")}).encode(true))
	f.Add((&frame{fin: false, rsv: 3, op: opBinary, payload: make([]byte, 300)}).encode(false))
	f.Add([]byte{0x88, 0x02, 0x03, 0xE8})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := readFrame(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		again := parse(t, (&frame{fin: fr.fin, rsv: fr.rsv, op: fr.op, payload: fr.payload}).encode(fr.masked))
		if again.fin != fr.fin || again.rsv != fr.rsv || again.op != fr.op || again.masked != fr.masked || !bytes.Equal(again.payload, fr.payload) {
			t.Fatalf("re-encoded frame reads back differently")
		}
	})
}
