package ws

import (
	"encoding/binary"
	"unicode/utf8"
)

// utf8Validator checks UTF-8 incrementally, across the fragments and TCP
// chunks of a text message, so that an invalid byte is noticed as soon as it
// arrives ("fail fast"), not when the message ends.
//
// The zero value is ready to validate the start of a message.
type utf8Validator struct {
	need   uint8 // continuation bytes still expected
	lo, hi byte  // the range allowed for the next continuation byte
}

// write feeds p and reports false as soon as p (after what came before) can
// no longer be the prefix of valid UTF-8.
func (v *utf8Validator) write(p []byte) bool {
	// Finish a sequence left open by the previous chunk.
	for v.need > 0 {
		if len(p) == 0 {
			return true
		}
		b := p[0]
		if b < v.lo || b > v.hi {
			return false
		}
		v.need--
		v.lo, v.hi = 0x80, 0xBF
		p = p[1:]
	}
	// Skip ASCII eight bytes at a time.
	for len(p) >= 8 && binary.LittleEndian.Uint64(p)&0x8080808080808080 == 0 {
		p = p[8:]
	}
	if len(p) == 0 {
		return true
	}
	// Validate the longest prefix that ends on a sequence boundary with the
	// standard library, and the possibly incomplete tail byte by byte.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if p[i] >= 0xC0 { // a lead byte: the sequence may be incomplete
			cut = i
			break
		}
		if p[i] < 0x80 {
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return false
	}
	for _, b := range p[cut:] {
		if !v.step(b) {
			return false
		}
	}
	return true
}

// step feeds one byte.
func (v *utf8Validator) step(b byte) bool {
	if v.need > 0 {
		if b < v.lo || b > v.hi {
			return false
		}
		v.need--
		v.lo, v.hi = 0x80, 0xBF
		return true
	}
	switch {
	case b < 0x80:
		return true
	case b >= 0xC2 && b <= 0xDF:
		v.need, v.lo, v.hi = 1, 0x80, 0xBF
	case b == 0xE0:
		v.need, v.lo, v.hi = 2, 0xA0, 0xBF // no overlong forms
	case b == 0xED:
		v.need, v.lo, v.hi = 2, 0x80, 0x9F // no UTF-16 surrogates
	case b >= 0xE1 && b <= 0xEF:
		v.need, v.lo, v.hi = 2, 0x80, 0xBF
	case b == 0xF0:
		v.need, v.lo, v.hi = 3, 0x90, 0xBF // no overlong forms
	case b >= 0xF1 && b <= 0xF3:
		v.need, v.lo, v.hi = 3, 0x80, 0xBF
	case b == 0xF4:
		v.need, v.lo, v.hi = 3, 0x80, 0x8F // nothing above U+10FFFF
	default:
		return false
	}
	return true
}

// complete reports whether the input so far ended on a sequence boundary.
func (v *utf8Validator) complete() bool { return v.need == 0 }

func (v *utf8Validator) reset() { *v = utf8Validator{} }
