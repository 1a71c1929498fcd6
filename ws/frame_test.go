package ws

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

func TestHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 8, 125, 126, 127, 128, 129, 2000, 65535, 65536, 1 << 24} {
		for _, fin := range []bool{true, false} {
			for _, masked := range []bool{true, false} {
				for _, op := range []opcode{opContinuation, opText, opBinary, opClose, opPing, opPong} {
					b := appendHeader(nil, fin, rsv1Bit, op, n, masked, 0xA1B2C3D4)
					if got := headerSize(b[1]); got != len(b) {
						t.Fatalf("n=%d masked=%v: headerSize %d, encoded %d bytes", n, masked, got, len(b))
					}
					wantLen := 2
					switch {
					case n > 65535:
						wantLen += 8
					case n > 125:
						wantLen += 2
					}
					if masked {
						wantLen += 4
					}
					if len(b) != wantLen {
						t.Fatalf("n=%d: header of %d bytes, want the shortest, %d", n, len(b), wantLen)
					}
					h, ok := parseHeader(b)
					if !ok || h.fin != fin || h.rsv != rsv1Bit || h.op != op || h.masked != masked || h.length != int64(n) || h.hdrSize != len(b) {
						t.Fatalf("n=%d fin=%v masked=%v op=%v: parsed %+v", n, fin, masked, op, h)
					}
					if masked && h.mask != 0xA1B2C3D4 {
						t.Fatalf("mask %x", h.mask)
					}
				}
			}
		}
	}
	// A 64-bit length with its top bit set is refused.
	b := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	if _, ok := parseHeader(b); ok {
		t.Fatal("length with MSB set accepted")
	}
}

func TestMaskMatchesNaive(t *testing.T) {
	t.Parallel()
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	k := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		for pos := 0; pos < 4; pos++ {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			want := make([]byte, n)
			for i := range src {
				want[i] = src[i] ^ key[(pos+i)%4]
			}
			got := append([]byte(nil), src...)
			next := maskBytes(k, pos, got)
			if !bytes.Equal(got, want) {
				t.Fatalf("n=%d pos=%d: wrong mask", n, pos)
			}
			if next != (pos+n)%4 {
				t.Fatalf("n=%d pos=%d: next pos %d", n, pos, next)
			}
			dst := make([]byte, n)
			orig := append([]byte(nil), src...)
			maskCopy(dst, src, k, pos)
			if !bytes.Equal(dst, want) || !bytes.Equal(src, orig) {
				t.Fatalf("maskCopy n=%d pos=%d wrong or modified its source", n, pos)
			}
		}
	}
}

// utf8Cases are sequences from Markus Kuhn's decoder stress test, with
// whether each is valid UTF-8.
var utf8Cases = []struct {
	in    string
	valid bool
}{
	{"", true},
	{"Hello-µ@ßöäüàá-UTF-8!!", true},
	{"κόσμε", true},
	{"\x00", true},
	{"\u0080", true},
	{"\u0800", true},
	{"\U00010000", true},
	{"\u007f", true},
	{"\u07ff", true},
	{"\uffff", true}, // a noncharacter, still valid UTF-8
	{"\ufffe", true},
	{"\U0010ffff", true},
	{"\ud7ff", true},
	{"\ue000", true},
	{"\xf4\x90\x80\x80", false}, // above U+10FFFF
	{"\xf8\x88\x80\x80\x80", false},
	{"\xfc\x84\x80\x80\x80\x80", false},
	{"\x80", false},
	{"\xbf", false},
	{"\x80\xbf\x80", false},
	{"\xc0 ", false},
	{"\xe0\x80 ", false},
	{"\xc0", false},
	{"\xe0\x80", false},
	{"\xf0\x80\x80", false},
	{"\xdf", false},
	{"\xef\xbf", false},
	{"\xfe", false},
	{"\xff", false},
	{"\xfe\xfe\xff\xff", false},
	{"\xc0\xaf", false}, // overlong '/'
	{"\xe0\x80\xaf", false},
	{"\xf0\x80\x80\xaf", false},
	{"\xc1\xbf", false},
	{"\xe0\x9f\xbf", false},
	{"\xf0\x8f\xbf\xbf", false},
	{"\xed\xa0\x80", false}, // UTF-16 surrogates
	{"\xed\xbf\xbf", false},
	{"\xed\xa0\x80\xed\xb0\x80", false},
	{"κόσμε\xed\xa0\x80edited", false},
}

func TestUTF8ValidatorSplits(t *testing.T) {
	t.Parallel()
	for _, tc := range utf8Cases {
		if utf8.ValidString(tc.in) != tc.valid {
			t.Fatalf("test table wrong for %q", tc.in)
		}
		// Every way of splitting the input into two chunks, and byte by byte.
		for cut := 0; cut <= len(tc.in); cut++ {
			var v utf8Validator
			ok := v.write([]byte(tc.in[:cut])) && v.write([]byte(tc.in[cut:])) && v.complete()
			if ok != tc.valid {
				t.Errorf("%q split at %d: got valid=%v", tc.in, cut, ok)
			}
		}
		var v utf8Validator
		ok := true
		for i := 0; i < len(tc.in) && ok; i++ {
			ok = v.write([]byte{tc.in[i]})
		}
		if ok && !v.complete() {
			ok = false
		}
		if ok != tc.valid {
			t.Errorf("%q byte by byte: got valid=%v", tc.in, ok)
		}
	}
}

// TestUTF8FailFast checks that the validator rejects a prefix as soon as no
// continuation can make it valid.
func TestUTF8FailFast(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"κόσμε\xf4\x90", // F4 90 exceeds U+10FFFF at its second byte
		"κόσμε\xed\xa0", // a surrogate at its second byte
		"κόσμε\xe0\x80", // overlong at its second byte
		"κόσμε\xc0",     // never valid
		"κόσμε\x80",     // a lone continuation byte
		"κόσμε\xf0\x8f", // overlong four-byte form
	} {
		var v utf8Validator
		if v.write([]byte(p)) {
			t.Errorf("%q: impossible prefix accepted", p)
		}
	}
	for _, p := range []string{"κόσμε\xf4\x8f", "κόσμε\xed\x9f", "\xe1\xbd", "\xf0\x90\x80"} {
		var v utf8Validator
		if !v.write([]byte(p)) || v.complete() {
			t.Errorf("%q: valid incomplete prefix not accepted as incomplete", p)
		}
	}
}

func FuzzUTF8(f *testing.F) {
	for _, tc := range utf8Cases {
		f.Add([]byte(tc.in), uint8(1))
	}
	f.Fuzz(func(t *testing.T, p []byte, step uint8) {
		if step == 0 {
			step = 1
		}
		var v utf8Validator
		ok := true
		rejectedAt := -1
		for i := 0; i < len(p) && ok; i += int(step) {
			end := min(i+int(step), len(p))
			ok = v.write(p[i:end])
			if !ok {
				rejectedAt = end
			}
		}
		if ok {
			if got, want := v.complete(), utf8.Valid(p); got != want {
				t.Fatalf("%q: complete=%v, utf8.Valid=%v", p, got, want)
			}
			return
		}
		if utf8.Valid(p) {
			t.Fatalf("%q: valid input rejected", p)
		}
		// Fail fast, but never too early: the prefix up to the chunk that
		// was rejected must not be extendable to valid UTF-8. A prefix is
		// extendable iff it is valid once a trailing incomplete sequence
		// is dropped and that sequence is a valid start.
		if extendable(p[:rejectedAt]) {
			t.Fatalf("%q: rejected at %d, but that prefix can still become valid", p, rejectedAt)
		}
	})
}

// extendable reports whether some bytes appended to p make it valid UTF-8,
// by trying every continuation up to three bytes long.
func extendable(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	for i := 1; i <= 3 && i <= len(p); i++ {
		if !utf8.Valid(p[:len(p)-i]) {
			continue
		}
		tail := p[len(p)-i:]
		for _, r := range []rune{0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff} {
			var buf [4]byte
			n := utf8.EncodeRune(buf[:], r)
			if n > i && bytes.HasPrefix(buf[:n], tail) {
				return true
			}
		}
		for lead := 0xC2; lead <= 0xF4; lead++ {
			for b2 := 0x80; b2 <= 0xBF; b2++ {
				for b3 := 0x80; b3 <= 0xBF; b3 += 0x3F {
					cand := []byte{byte(lead), byte(b2), byte(b3), 0x80}
					for n := 2; n <= 4; n++ {
						if utf8.Valid(cand[:n]) && n > i && bytes.HasPrefix(cand[:n], tail) {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
