package record

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
)

// Record is one batch of a recording, as Next returns it.
type Record struct {
	// T is when the batch came, from the recording's start.
	T time.Duration
	// Batch is the batch; it starts with a keyframe at every segment's
	// start.
	Batch *wire.Batch
	// Merged is how many batches beyond the first this one holds: more
	// than 0 when the disk could not keep up and batches were merged.
	Merged int
	// Repeat marks a keyframe the recorder wrote to start a segment: it
	// repeats the state the batches before it made. A player that applied
	// them may skip it.
	Repeat bool
}

// Reader plays a recording. Open reads its header and finds its
// segments, from the index or, in a file that has none (cut off before
// Close), by scanning the records up to the last complete one.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	ra      io.ReaderAt
	size    int64 // the end of the last complete record (the index excluded)
	head    Header
	segs    []Segment
	end     time.Duration
	indexed bool

	// Next's position.
	next  int64
	pend  *Record // what Next returns first, read by skipTo
	dec   segDecoder
	frame []byte
}

// File is a Reader of a file it closes.
type File struct {
	*Reader
	f *os.File
}

// OpenFile opens the recording in the named file.
func OpenFile(name string) (*File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		var r *Reader
		if r, err = Open(f, fi.Size()); err == nil {
			return &File{Reader: r, f: f}, nil
		}
	}
	f.Close()
	return nil, fmt.Errorf("%s: %w", name, err)
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Open reads the recording of size bytes in ra.
func Open(ra io.ReaderAt, size int64) (*Reader, error) {
	r := &Reader{ra: ra, size: size}
	var m [len(magic)]byte
	if _, err := ra.ReadAt(m[:], 0); err != nil || string(m[:]) != magic {
		return nil, fmt.Errorf("%w (no recording's first bytes)", ErrFormat)
	}
	kind, body, next, err := r.readRecord(int64(len(magic)), nil)
	if err != nil || kind != kindHeader {
		return nil, fmt.Errorf("%w: no complete header", ErrFormat)
	}
	if r.head, err = decodeHeader(body); err != nil {
		return nil, err
	}
	r.next = next
	if !r.readIndex() {
		if err := r.scan(next); err != nil {
			return nil, err
		}
	}
	if len(r.segs) == 0 {
		return nil, fmt.Errorf("%w: no complete keyframe", ErrFormat)
	}
	return r, nil
}

// readRecord reads the record at off into buf (grown as needed) and
// returns its kind, body and the offset after it. It fails for a record
// that is cut off or corrupt.
func (r *Reader) readRecord(off int64, buf []byte) (kind byte, body []byte, next int64, err error) {
	var fr [frameLen]byte
	if off > r.size-frameLen {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	if _, err := r.ra.ReadAt(fr[:], off); err != nil {
		return 0, nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(fr[:]))
	if n < 1 || n > MaxRecord || n > r.size-off-frameLen {
		return 0, nil, 0, errorf(off, "record length %d: cut off or corrupt", n)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := r.ra.ReadAt(buf, off+frameLen); err != nil {
		return 0, nil, 0, err
	}
	if crcOf(buf[0], buf[1:]) != binary.LittleEndian.Uint32(fr[4:]) {
		return 0, nil, 0, errorf(off, "record checksum mismatch")
	}
	return buf[0], buf[1:], off + frameLen + n, nil
}

// readIndex uses the index a closed file ends with, if it is there and
// whole.
func (r *Reader) readIndex() bool {
	if r.size < int64(len(magic))+trailerLen {
		return false
	}
	var tr [trailerLen]byte
	if _, err := r.ra.ReadAt(tr[:], r.size-trailerLen); err != nil || string(tr[8:]) != trailerMagic {
		return false
	}
	at := int64(binary.LittleEndian.Uint64(tr[:]))
	if at < r.next || at > r.size-trailerLen {
		return false
	}
	full := r.size
	r.size = r.size - trailerLen
	kind, body, next, err := r.readRecord(at, nil)
	if err != nil || kind != kindIndex || next != r.size {
		r.size = full
		return false
	}
	segs, end, err := decodeIndex(body, at)
	if err != nil || len(segs) == 0 || segs[0].Offset != r.next {
		r.size = full
		return false
	}
	r.segs, r.end, r.indexed, r.size = segs, end, true, at
	return true
}

// scan finds the segments by reading every record from off, and ends the
// recording at the last complete one.
func (r *Reader) scan(off int64) error {
	var buf []byte
	var t time.Duration
	end := off
	for {
		kind, body, next, err := r.readRecord(off, buf)
		if err != nil {
			break
		}
		buf = body[:0]
		d := &dec{b: body}
		switch kind {
		case kindKeyframe:
			t = time.Duration(d.uvarint("time")) * time.Microsecond
			if d.err == nil {
				r.segs = append(r.segs, Segment{Offset: off, T: t})
			}
		case kindBatch:
			t += time.Duration(d.uvarint("time")) * time.Microsecond
		}
		if d.err != nil || kind == kindIndex {
			break
		}
		if len(r.segs) > 0 {
			r.end = t
		}
		off, end = next, next
	}
	r.size = end
	return nil
}

// Header returns the recording's header.
func (r *Reader) Header() Header { return r.head }

// Segments returns where the segments start, in order.
func (r *Reader) Segments() []Segment { return append([]Segment(nil), r.segs...) }

// Duration is the time of the last record.
func (r *Reader) Duration() time.Duration { return r.end }

// Indexed reports whether the file has its index (it was closed); a file
// without one was read to its last complete record.
func (r *Reader) Indexed() bool { return r.indexed }

// Next returns the next record, from the first; io.EOF after the last.
func (r *Reader) Next() (Record, error) {
	if p := r.pend; p != nil {
		r.pend = nil
		return *p, nil
	}
	for {
		if r.next >= r.size {
			return Record{}, io.EOF
		}
		kind, body, next, err := r.readRecord(r.next, r.frame)
		if err != nil {
			return Record{}, fmt.Errorf("record: %w", err)
		}
		r.frame = body[:0]
		at := r.next
		r.next = next
		if kind != kindKeyframe && kind != kindBatch {
			continue // a kind a later version added
		}
		rec, err := r.dec.record(kind, body, r.head.compression)
		if err != nil {
			return Record{}, errorf(at, "%v", err)
		}
		return rec, nil
	}
}

// Rewind makes Next start again from the first record.
func (r *Reader) Rewind() {
	r.next = r.segs[0].Offset
	r.dec = segDecoder{}
	r.pend = nil
}

// skipTo makes Next return the first record after t: it decodes the
// segment before t from its start, as the coding needs.
func (r *Reader) skipTo(t time.Duration) error {
	i := max(0, sort.Search(len(r.segs), func(i int) bool { return r.segs[i].T > t })-1)
	r.next, r.dec, r.pend = r.segs[i].Offset, segDecoder{}, nil
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if rec.T > t {
			r.pend = &rec
			return nil
		}
	}
}

// before returns the time of the last batch before t (not a repeated
// keyframe), or 0 if there is none. It moves Next.
func (r *Reader) before(t time.Duration) (time.Duration, error) {
	for i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].T >= t }) - 1; i >= 0; i-- {
		r.next, r.dec, r.pend = r.segs[i].Offset, segDecoder{}, nil
		found, prev := false, time.Duration(0)
		for {
			rec, err := r.Next()
			if err == io.EOF || err == nil && rec.T >= t {
				break
			}
			if err != nil {
				return 0, err
			}
			if !rec.Repeat {
				found, prev = true, rec.T
			}
		}
		if found {
			return prev, nil
		}
	}
	return 0, nil
}

// Seek returns the scene's state at t, as a browser that played the
// recording up to t shows it: the segment's keyframe before t, then the
// batches up to t. Times before the first record give the first keyframe's
// state, times after the last the final state. Seek does not move Next.
func (r *Reader) Seek(t time.Duration) (*stream.Mirror, error) {
	i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].T > t }) - 1
	if i < 0 {
		i = 0
	}
	off := r.segs[i].Offset
	end := r.size
	if i+1 < len(r.segs) {
		end = r.segs[i+1].Offset
	}
	span := make([]byte, 0, min(end-off, r.size))
	if end > off {
		span = span[:end-off]
		if _, err := r.ra.ReadAt(span, off); err != nil {
			return nil, fmt.Errorf("record: seek: %w", err)
		}
	}
	if m, err := r.seekIn(span, off, t, true); err != errOverflow {
		return m, err
	}
	return r.seekIn(span, off, t, false)
}

var errOverflow = errors.New("record: the merger overflowed")

// seekIn plays the segment in span (at off in the file) up to t. With
// merge, the batches after the keyframe are merged (stream.Merger: the
// same DOM as applying each in order) and the result applied once, which
// saves formatting every intermediate number; a merger that overflows
// returns errOverflow, and the caller plays the batches one by one.
func (r *Reader) seekIn(span []byte, off int64, t time.Duration, merge bool) (*stream.Mirror, error) {
	m := stream.NewMirror()
	var d segDecoder
	var mg stream.Merger
	var b wire.Batch
	for p := 0; p < len(span); {
		kind, body, n, err := splitRecord(span[p:])
		if err != nil {
			return nil, errorf(off+int64(p), "%v", err)
		}
		if kind == kindKeyframe || kind == kindBatch {
			if kind == kindBatch && p > 0 {
				// A batch's time is in its body's first field: stop
				// before decoding one that comes after t.
				dt := &dec{b: body}
				if d.t+time.Duration(dt.uvarint("time"))*time.Microsecond > t {
					break
				}
			}
			rec, err := d.decode(kind, body, r.head.compression, &b)
			if err != nil {
				return nil, errorf(off+int64(p), "%v", err)
			}
			switch {
			case p == 0 || !merge:
				err = m.Apply(rec.Batch)
			case !mg.Add(rec.Batch):
				return nil, errOverflow
			}
			if err != nil {
				return nil, errorf(off+int64(p), "%v", err)
			}
		}
		p += n
	}
	if mg.Take(&b) {
		if err := m.Apply(&b); err != nil {
			return nil, errorf(off, "%v", err)
		}
	}
	return m, nil
}

// splitRecord splits the record at the start of b, checking it.
func splitRecord(b []byte) (kind byte, body []byte, n int, err error) {
	if len(b) < frameLen+1 {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	l := int(binary.LittleEndian.Uint32(b))
	if l < 1 || l > len(b)-frameLen {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	rec := b[frameLen : frameLen+l]
	if crcOf(rec[0], rec[1:]) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, nil, 0, errors.New("record checksum mismatch")
	}
	return rec[0], rec[1:], frameLen + l, nil
}

// segDecoder decodes the records of a segment in order.
type segDecoder struct {
	t      time.Duration
	cod    coder
	parts  multi
	zr     io.ReadCloser
	out    bytes.Buffer
	begun  bool
	failed error
}

// multi is the compressed input of a segment: each record's payload is
// appended as it comes, so that one inflater reads the segment's stream.
type multi struct{ b []byte }

func (m *multi) Read(p []byte) (int, error) {
	if len(m.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, m.b)
	m.b = m.b[n:]
	return n, nil
}

func (m *multi) ReadByte() (byte, error) {
	if len(m.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	c := m.b[0]
	m.b = m.b[1:]
	return c, nil
}

func (d *segDecoder) record(kind byte, body []byte, compression byte) (Record, error) {
	return d.decode(kind, body, compression, nil)
}

// decode decodes a record; a batch record's ops go into into's, reused,
// if into is not nil.
func (d *segDecoder) decode(kind byte, body []byte, compression byte, into *wire.Batch) (Record, error) {
	h := &dec{b: body}
	var rec Record
	var flags byte
	if kind == kindKeyframe {
		t := h.uvarint("time")
		if t > math.MaxInt64/2000 {
			return rec, errors.New("keyframe time out of range")
		}
		d.t = time.Duration(t) * time.Microsecond
		flags = h.byte1("flags")
		d.begun = true
	} else {
		if !d.begun {
			return rec, errors.New("a batch before any keyframe")
		}
		dt := h.uvarint("time")
		if dt > math.MaxInt64/2000 {
			return rec, errors.New("batch time out of range")
		}
		d.t += time.Duration(dt) * time.Microsecond
	}
	merged := h.uvarint("merged")
	ulen := h.uvarint("length")
	if h.err != nil {
		return rec, h.err
	}
	if ulen > MaxRecord {
		return rec, fmt.Errorf("body length %d exceeds %d", ulen, MaxRecord)
	}
	payload := body[h.off:]
	raw, err := d.inflate(kind == kindKeyframe, payload, int64(ulen), compression)
	if err != nil {
		return rec, err
	}
	rec.T, rec.Merged, rec.Repeat = d.t, int(min(merged, math.MaxInt32)), flags&keyRepeat != 0
	if kind == kindKeyframe {
		b, err := wire.DecodeBatch(raw)
		if err != nil {
			return rec, err
		}
		if !b.IsKeyframe() {
			return rec, errors.New("a segment's first batch is not a keyframe")
		}
		d.cod.reset(b.Seq)
		rec.Batch = b
		return rec, nil
	}
	if into == nil {
		into = new(wire.Batch)
	}
	if err := d.cod.decodeBody(raw, into); err != nil {
		return rec, err
	}
	rec.Batch = into
	return rec, nil
}

// inflate returns a record's body: the payload as it is, or inflated. The
// buffer grows with the bytes the inflater gives, never to a length the
// file announces.
func (d *segDecoder) inflate(start bool, payload []byte, ulen int64, compression byte) ([]byte, error) {
	if compression == compressNone {
		if int64(len(payload)) != ulen {
			return nil, errors.New("body length mismatch")
		}
		return payload, nil
	}
	if start || compression == compressRecord {
		d.parts.b = append(d.parts.b[:0], payload...)
		if d.zr == nil {
			d.zr = flate.NewReader(&d.parts)
		} else if err := d.zr.(flate.Resetter).Reset(&d.parts, nil); err != nil {
			return nil, err
		}
		d.failed = nil
	} else if d.failed != nil {
		return nil, d.failed
	} else {
		// What the inflater has not read yet of the last record's payload
		// (the end of its flush) comes before this one's.
		d.parts.b = append(d.parts.b, payload...)
	}
	d.out.Reset()
	n, err := d.out.ReadFrom(io.LimitReader(d.zr, ulen))
	if err != nil || n != ulen {
		if err == nil {
			err = errors.New("body length mismatch")
		}
		d.failed = fmt.Errorf("inflate: %w", err)
		return nil, d.failed
	}
	return d.out.Bytes(), nil
}
