package record

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/scene/wire"
)

// Defaults of Options.
const (
	DefaultSegment   = 2 * time.Second
	DefaultMaxQueued = 1 << 16
)

// Options configure a Writer. nil means the defaults of every field.
type Options struct {
	// Title is the scene's title, kept in the header.
	Title string
	// Width and Height are the scene's size; 0 means the width and height
	// of the first keyframe's root element.
	Width, Height float64
	// Segment is how often a segment starts: the recorder repeats the
	// scene's state as a keyframe this long after the last one. 0 means
	// DefaultSegment.
	Segment time.Duration
	// MaxQueued bounds the ops of the batches queued for the disk; beyond
	// it, batches are merged (stream.Merger) until the disk catches up,
	// and the record written says how many it holds. 0 means
	// DefaultMaxQueued.
	MaxQueued int
	// Now is the clock that stamps batches as they come; nil means
	// time.Now. The first call is the recording's start.
	Now func() time.Time

	compression    byte // compressSegment unless compressionSet (tests compare)
	compressionSet bool
	level          int // deflate level; 0 means flate.DefaultCompression
}

// Writer records a batch stream to an io.Writer. It is a wire.Sink: Send
// stamps each batch with the time it came and queues it for the Writer's
// goroutine, which encodes and writes it, so a source never waits for the
// disk. If the disk cannot keep up, batches merge while they wait.
//
// The file starts with the first keyframe sent (batches before it are
// dropped). Send, Flush and Close may be called from any goroutine; Close
// writes the index and must be called once the source no longer sends.
type Writer struct {
	o     Options
	start time.Time

	mu       sync.Mutex
	wake     chan struct{}
	queue    []entry
	queued   int // ops in queue
	merger   stream.Merger
	mergedN  int           // batches in merger
	mergedT  time.Duration // time of the last of them
	flushers []chan error
	free     [][]wire.Op // ops slices written, cleared, for Send's copies
	closed   bool
	err      error // the first write error; the Writer then drops everything
	stats    Stats

	done chan struct{}

	// The goroutine's own.
	bw       *bufio.Writer
	off      int64
	mirror   *stream.Mirror
	cod      coder
	segs     []Segment
	segStart time.Duration
	lastT    time.Duration
	begun    bool
	zw       *flate.Writer
	zbuf     bytes.Buffer
	body     []byte
	frame    []byte
}

// maxFree bounds the ops slices kept for reuse.
const maxFree = 8

type entry struct {
	t      time.Duration
	b      *wire.Batch
	merged int // batches it holds beyond the first
}

// Stats count what a Writer did.
type Stats struct {
	Batches  int64 // batches sent to it
	Records  int64 // batch and keyframe records written
	Merged   int64 // batches that were merged into another before they were written
	Segments int64
	Bytes    int64 // bytes written
}

// NewWriter starts a Writer that writes to w; the header follows with the
// first keyframe.
func NewWriter(w io.Writer, o *Options) *Writer {
	rw := &Writer{wake: make(chan struct{}, 1), done: make(chan struct{}), mirror: stream.NewMirror()}
	if o != nil {
		rw.o = *o
	}
	if rw.o.Segment <= 0 {
		rw.o.Segment = DefaultSegment
	}
	if rw.o.MaxQueued <= 0 {
		rw.o.MaxQueued = DefaultMaxQueued
	}
	if rw.o.Now == nil {
		rw.o.Now = time.Now
	}
	if !rw.o.compressionSet {
		rw.o.compression = compressSegment
	}
	if rw.o.level == 0 {
		rw.o.level = flate.DefaultCompression
	}
	rw.start = rw.o.Now()
	rw.bw = bufio.NewWriterSize(w, 256<<10)
	go rw.run()
	return rw
}

// Send implements wire.Sink. It never blocks. It returns false when the
// merger of a Writer that fell behind overflowed and needs a keyframe.
func (w *Writer) Send(b *wire.Batch) bool {
	t := w.o.Now().Sub(w.start)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return true
	}
	w.stats.Batches++
	if w.merger.Pending() || w.merger.Overflowed() || len(w.queue) > 0 && w.queued+len(b.Ops) > w.o.MaxQueued {
		ok := w.merger.Add(b)
		if ok {
			w.mergedN++
			w.mergedT = t
		}
		w.poke()
		return ok
	}
	// The copy reuses the ops of a batch already written: the sim's
	// goroutine pays a copy, not an allocation and its collection.
	var ops []wire.Op
	if n := len(w.free); n > 0 {
		ops, w.free = w.free[n-1], w.free[:n-1]
	}
	c := &wire.Batch{Seq: b.Seq, Ops: append(ops[:0], b.Ops...)}
	for i := range c.Ops {
		if st := c.Ops[i].Stats; st != nil {
			s := *st
			c.Ops[i].Stats = &s
		}
	}
	w.queue = append(w.queue, entry{t: t, b: c})
	w.queued += len(c.Ops)
	w.poke()
	return true
}

func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Flush waits until every batch sent before it is written to the
// underlying writer, and returns the first write error.
func (w *Writer) Flush() error {
	ch := make(chan error, 1)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return w.err
	}
	w.flushers = append(w.flushers, ch)
	w.poke()
	w.mu.Unlock()
	return <-ch
}

// Stats returns the Writer's counts so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Close writes what is queued, then the index, and stops the Writer's
// goroutine. It returns the first write error. Calls after the first
// return its result. Close does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.poke()
	w.mu.Unlock()
	<-w.done
	return w.err
}

// take moves what is pending into dst: the queue, then the merged batch.
func (w *Writer) take(dst []entry) []entry {
	dst = append(dst, w.queue...)
	clear(w.queue)
	w.queue, w.queued = w.queue[:0], 0
	if w.merger.Pending() {
		var out wire.Batch
		w.merger.Take(&out)
		b := &wire.Batch{Seq: out.Seq, Ops: slices.Clone(out.Ops)}
		dst = append(dst, entry{t: w.mergedT, b: b, merged: w.mergedN - 1})
		if w.mergedN > 1 {
			w.stats.Merged += int64(w.mergedN)
		}
		w.mergedN = 0
	}
	return dst
}

func (w *Writer) run() {
	defer close(w.done)
	var work []entry
	for {
		<-w.wake
		for {
			w.mu.Lock()
			work = w.take(work[:0])
			closed, failed := w.closed, w.err != nil
			if len(work) == 0 {
				fl := w.flushers
				w.flushers = nil
				w.mu.Unlock()
				err := w.bw.Flush()
				w.setErr(err)
				w.mu.Lock()
				for _, ch := range fl {
					ch <- w.err
				}
				w.mu.Unlock()
				if closed {
					if !failed {
						w.setErr(w.finish())
					}
					return
				}
				break
			}
			w.mu.Unlock()
			for i := range work {
				if !failed {
					if err := w.write(&work[i]); err != nil {
						w.setErr(err)
						failed = true
					}
				}
			}
			w.mu.Lock()
			for i := range work {
				if ops := work[i].b.Ops; len(w.free) < maxFree {
					clear(ops) // the strings and slices they name may go
					w.free = append(w.free, ops[:0])
				}
				work[i] = entry{}
			}
			w.mu.Unlock()
		}
	}
}

func (w *Writer) setErr(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	if w.err == nil {
		w.err = fmt.Errorf("record: write: %w", err)
	}
	w.mu.Unlock()
}

// write writes one batch, starting a segment first if it is a keyframe or
// the last one is old enough.
func (w *Writer) write(e *entry) error {
	b := e.b
	if !w.begun {
		if !b.IsKeyframe() {
			return nil
		}
		if err := w.header(b); err != nil {
			return err
		}
		w.begun = true
	}
	if e.t < w.lastT {
		e.t = w.lastT
	}
	if b.IsKeyframe() {
		_ = w.mirror.Apply(b) // a keyframe the mirror refuses is still the stream's
		return w.keyframe(e.t, b, 0, e.merged)
	}
	if e.t-w.segStart >= w.o.Segment {
		if kf := w.mirror.Keyframe(); kf != nil {
			if err := w.keyframe(e.t, kf, keyRepeat, 0); err != nil {
				return err
			}
		}
	}
	_ = w.mirror.Apply(b)
	var err error
	w.body, err = w.cod.appendBody(w.body[:0], b)
	if err != nil {
		return err
	}
	rec := binary.AppendUvarint(w.frame[:0], uint64((e.t-w.lastT)/time.Microsecond))
	w.lastT = e.t.Truncate(time.Microsecond)
	rec = binary.AppendUvarint(rec, uint64(e.merged))
	rec, err = w.compress(rec, w.body)
	if err != nil {
		return err
	}
	w.frame = rec
	return w.record(kindBatch, rec)
}

func (w *Writer) header(kf *wire.Batch) error {
	h := Header{Version: Version, Protocol: wire.Subprotocol, Title: w.o.Title, Width: w.o.Width, Height: w.o.Height, Start: w.start, compression: w.o.compression}
	if h.Width == 0 || h.Height == 0 {
		var d svgx.Doc
		if d.Parse(kf.Ops[0].Text) == nil && len(d.Elems) > 0 {
			for _, a := range d.Elems[0].Attrs {
				v, err := strconv.ParseFloat(a.Value, 64)
				switch {
				case err != nil:
				case a.Name == "width" && h.Width == 0:
					h.Width = v
				case a.Name == "height" && h.Height == 0:
					h.Height = v
				}
			}
		}
	}
	if _, err := w.bw.WriteString(magic); err != nil {
		return err
	}
	w.off = int64(len(magic))
	return w.record(kindHeader, appendHeader(nil, &h))
}

func (w *Writer) keyframe(t time.Duration, b *wire.Batch, flags byte, merged int) error {
	t = t.Truncate(time.Microsecond)
	w.segs = append(w.segs, Segment{Offset: w.off, T: t})
	w.segStart, w.lastT = t, t
	w.cod.reset(b.Seq)
	var err error
	w.body, err = wire.AppendBatch(w.body[:0], b.Seq, b.Ops, nil)
	if err != nil {
		return err
	}
	rec := binary.AppendUvarint(w.frame[:0], uint64(t/time.Microsecond))
	rec = append(rec, flags)
	rec = binary.AppendUvarint(rec, uint64(merged))
	if w.zw != nil && w.o.compression == compressSegment {
		w.zbuf.Reset()
		w.zw.Reset(&w.zbuf)
	}
	rec, err = w.compress(rec, w.body)
	if err != nil {
		return err
	}
	w.frame = rec
	w.mu.Lock()
	w.stats.Segments++
	w.mu.Unlock()
	return w.record(kindKeyframe, rec)
}

// compress appends to rec the body's length and the body, compressed as
// the header says.
func (w *Writer) compress(rec, body []byte) ([]byte, error) {
	rec = binary.AppendUvarint(rec, uint64(len(body)))
	if w.o.compression == compressNone {
		return append(rec, body...), nil
	}
	if w.zw == nil {
		zw, err := flate.NewWriter(&w.zbuf, w.o.level)
		if err != nil {
			return nil, err
		}
		w.zw = zw
	} else if w.o.compression == compressRecord {
		w.zw.Reset(&w.zbuf)
	}
	w.zbuf.Reset()
	if _, err := w.zw.Write(body); err != nil {
		return nil, err
	}
	var err error
	if w.o.compression == compressRecord {
		err = w.zw.Close()
	} else {
		err = w.zw.Flush()
	}
	if err != nil {
		return nil, err
	}
	return append(rec, w.zbuf.Bytes()...), nil
}

func (w *Writer) record(kind byte, body []byte) error {
	if 1+len(body) > MaxRecord {
		return errors.New("a record longer than MaxRecord")
	}
	var fr [frameLen + 1]byte
	binary.LittleEndian.PutUint32(fr[0:], uint32(1+len(body)))
	binary.LittleEndian.PutUint32(fr[4:], crcOf(kind, body))
	fr[frameLen] = kind
	if _, err := w.bw.Write(fr[:]); err != nil {
		return err
	}
	if _, err := w.bw.Write(body); err != nil {
		return err
	}
	w.off += int64(len(fr) + len(body))
	w.mu.Lock()
	w.stats.Bytes = w.off
	if kind == kindBatch || kind == kindKeyframe {
		w.stats.Records++
	}
	w.mu.Unlock()
	return nil
}

// finish writes the index and the trailer.
func (w *Writer) finish() error {
	if !w.begun {
		return w.bw.Flush()
	}
	at := w.off
	if err := w.record(kindIndex, appendIndex(nil, w.segs, w.lastT)); err != nil {
		return err
	}
	var tr [trailerLen]byte
	binary.LittleEndian.PutUint64(tr[:], uint64(at))
	copy(tr[8:], trailerMagic)
	if _, err := w.bw.Write(tr[:]); err != nil {
		return err
	}
	w.off += int64(trailerLen)
	return w.bw.Flush()
}
