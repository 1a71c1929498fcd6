package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
	"unicode/utf8"

	"github.com/vizserve/vizserve/scene/wire"
)

// Version is the format version this package writes. A reader plays every
// version up to its own; docs/recording.md says what each added.
const Version = 1

// magic opens every recording: not text, not UTF-8, and a CR LF and a ^Z
// that a text-mode copy would mangle (as PNG's).
const magic = "\x89VZR\r\n\x1a\n"

// trailerMagic ends a file whose index was written: the 8 bytes before it
// are the index record's offset.
const trailerMagic = "VZRindex"

const (
	frameLen   = 4 + 4 // length, checksum
	trailerLen = 8 + 8 // offset, trailerMagic
)

// MaxRecord bounds a record's length, compressed or not: a reader refuses
// a longer one as corrupt.
const MaxRecord = 64 << 20

// Record kinds: the first byte of every record's body.
const (
	kindHeader   = 'H'
	kindKeyframe = 'K' // starts a segment
	kindBatch    = 'B'
	kindIndex    = 'X'
)

// Keyframe record flags.
const (
	keyRepeat = 1 // the recorder repeated the state to start a segment; the stream had no keyframe here
)

// Header compression modes.
const (
	compressNone    = 0 // bodies as they are
	compressRecord  = 1 // each record its own deflate stream
	compressSegment = 2 // one deflate stream per segment, flushed at every record
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is what a recording says about itself.
type Header struct {
	Version  int       // the file's format version
	Protocol string    // the wire protocol of its batches, as wire.Subprotocol
	Title    string    // the scene's title ("" if none was given)
	Width    float64   // the scene's size in scene units (0 if unknown)
	Height   float64   //
	Start    time.Time // when the recording started; record times count from it

	compression byte
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendHeader(b []byte, h *Header) []byte {
	b = binary.AppendUvarint(b, uint64(h.Version))
	b = appendString(b, h.Protocol)
	b = appendString(b, h.Title)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(h.Width))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(h.Height))
	b = binary.AppendVarint(b, h.Start.UnixNano())
	return append(b, h.compression)
}

// ErrFormat is wrapped by every error about a file that is not a
// recording or is damaged before its first segment.
var ErrFormat = errors.New("record: not a vizserve recording")

// dec reads the fields of a record body; the first failure sticks.
type dec struct {
	b   []byte
	off int
	err error
}

func (d *dec) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("offset %d: %s", d.off, fmt.Sprintf(format, a...))
	}
}

func (d *dec) left() int { return len(d.b) - d.off }

func (d *dec) byte1(what string) byte {
	if d.err != nil {
		return 0
	}
	if d.left() < 1 {
		d.fail("%s: truncated", what)
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *dec) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("%s: bad or truncated varint", what)
		return 0
	}
	d.off += n
	return v
}

func (d *dec) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("%s: bad or truncated varint", what)
		return 0
	}
	d.off += n
	return v
}

// count reads a count of things each at least min bytes long, refusing one
// the rest of the body cannot hold.
func (d *dec) count(what string, min int) int {
	v := d.uvarint(what)
	if d.err == nil && v > uint64(d.left()/min) {
		d.fail("%s %d exceeds the %d bytes left", what, v, d.left())
		return 0
	}
	return int(v)
}

func (d *dec) bytes(what string) []byte {
	n := d.count(what+" length", 1)
	if d.err != nil {
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

func (d *dec) str(what string) string {
	b := d.bytes(what)
	if d.err == nil && !utf8.Valid(b) {
		d.fail("%s is not UTF-8", what)
	}
	return string(b)
}

func (d *dec) u64(what string) uint64 {
	if d.err != nil {
		return 0
	}
	if d.left() < 8 {
		d.fail("%s: truncated", what)
		return 0
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.b[d.off-8:])
}

func decodeHeader(body []byte) (Header, error) {
	d := &dec{b: body}
	var h Header
	v := d.uvarint("version")
	h.Protocol = d.str("protocol")
	h.Title = d.str("title")
	h.Width = math.Float64frombits(d.u64("width"))
	h.Height = math.Float64frombits(d.u64("height"))
	h.Start = time.Unix(0, d.varint("start"))
	h.compression = d.byte1("compression")
	if d.err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrFormat, d.err)
	}
	if v == 0 || v > Version {
		return h, fmt.Errorf("record: the file is format version %d; this vizserve plays versions 1 to %d: use a newer vizserve", v, Version)
	}
	h.Version = int(v)
	if h.Protocol != wire.Subprotocol {
		return h, fmt.Errorf("record: the file's batches are protocol %q; this vizserve speaks %q", h.Protocol, wire.Subprotocol)
	}
	if h.compression > compressSegment {
		return h, fmt.Errorf("%w: header: unknown compression %d", ErrFormat, h.compression)
	}
	// Fields a later version appends to the header are skipped.
	return h, nil
}

// Segment is one entry of a recording's index: where a segment's keyframe
// is and its time.
type Segment struct {
	Offset int64
	T      time.Duration
}

func appendIndex(b []byte, segs []Segment, end time.Duration) []byte {
	b = binary.AppendUvarint(b, uint64(len(segs)))
	var off int64
	var t time.Duration
	for _, s := range segs {
		b = binary.AppendUvarint(b, uint64(s.Offset-off))
		b = binary.AppendUvarint(b, uint64((s.T-t)/time.Microsecond))
		off, t = s.Offset, s.T
	}
	return binary.AppendUvarint(b, uint64((end-t)/time.Microsecond))
}

func decodeIndex(body []byte, size int64) ([]Segment, time.Duration, error) {
	d := &dec{b: body}
	n := d.count("segments", 2)
	segs := make([]Segment, 0, n)
	var off int64
	var t time.Duration
	for range n {
		do := d.uvarint("segment offset")
		dt := d.uvarint("segment time")
		if d.err != nil {
			break
		}
		if do > uint64(size) || dt > math.MaxInt64/1000/2 || int64(do) > size-off {
			return nil, 0, errors.New("index: segment out of range")
		}
		off += int64(do)
		t += time.Duration(dt) * time.Microsecond
		segs = append(segs, Segment{Offset: off, T: t})
	}
	end := d.uvarint("end time")
	if d.err != nil {
		return nil, 0, fmt.Errorf("index: %v", d.err)
	}
	if end > math.MaxInt64/1000/2 {
		return nil, 0, errors.New("index: end out of range")
	}
	return segs, t + time.Duration(end)*time.Microsecond, nil
}

// crcOf is a record's checksum: CRC-32C of its kind and body.
func crcOf(kind byte, body []byte) uint32 {
	return crc32.Update(crc32.Checksum([]byte{kind}, castagnoli), castagnoli, body)
}
