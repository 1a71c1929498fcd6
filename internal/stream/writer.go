package stream

import (
	"context"
	"sync"

	"github.com/vizserve/vizserve/scene/wire"
)

// DefaultMaxShared is how many shared batches a Writer queues before it
// merges instead.
const DefaultMaxShared = 2

// Writer is the one write side of a consumer of a batch stream — a
// viewer's websocket in the hub, the dev link in the child — fed by a
// source that must never wait for it. It is a wire.Sink: Send merges each
// batch into a Merger (latest value wins) and wakes the goroutine running
// Run, which takes what is pending, encodes it into a buffer it reuses and
// writes it. Batches that come during a write merge, so a slow consumer
// gets fewer, fresher batches and its memory stays bounded by the scene's
// size, not by time.
//
// Besides merged batches, Run writes, in the order they were queued and
// before anything merged:
//
//   - messages given to Queue, as they are: the link's control messages;
//   - shared batches given to SendShared: a source batch whose ops were
//     encoded once for all the hub's viewers that keep up. A writer queues
//     at most MaxShared of them and only while nothing is merged, so a
//     batch never overtakes another.
//
// Set the fields before the first call of a method; they do not change
// afterwards. Send, SendShared, Queue and Poke may be called from any
// goroutine and never block; Run runs on one goroutine, the writer's.
//
// # The hub
//
// A viewer's writer numbers its batches itself (Encode increments the
// viewer's count and passes it to Outgoing.Append, with the viewer's
// ViewerStats), holds batches back while its window of unacknowledged
// batches is full (Ready), and records what it wrote for lag and flow
// control (Wrote). See server/hub.go.
//
// # The dev link's child
//
// The child's writer (childWriter in child.go) is a Writer with Write and
// Encode only; its control messages go through Queue:
//
//	w := &stream.Writer{
//		Write: func(ctx context.Context, msg []byte) error {
//			return c.Write(ctx, ws.MessageBinary, msg)
//		},
//		// link.AppendBatch(dst, b) is the TBatch byte and then b.
//		Encode: func(dst []byte, b *stream.Outgoing) ([]byte, error) {
//			return b.Append(append(dst, byte(link.TBatch)), b.Seq, nil)
//		},
//	}
//	w.Queue(link.AppendHello(nil, link.Hello{...}))  // instead of childWriter.queue
//	writer.Go(func() {
//		if err := w.Run(ctx); err != nil {
//			cancel() // the link is gone
//		}
//	})
//	...
//	unsubscribe := s.Subscribe(w)                     // instead of wire.SinkFunc(w.send)
//
// and readLink's state replies become w.Queue(link.AppendState(nil, data,
// err)). Run returns nil when ctx ends, so the done channel is not needed:
// cancel ctx, then wait for the writer goroutine. childWriter's fields and
// methods (c, wake, done, mu, merger, ctl, poke, send, queue, run) all go.
// The messages are byte for byte those of childWriter: control messages
// first, in order, then TBatch and the merged batch, whose number
// (Outgoing.Seq) is the merger's for a scene, whose numbers never
// decrease.
type Writer struct {
	// Write writes one message; its error ends Run. It is called on Run's
	// goroutine, one message at a time, and must not keep msg. Required.
	Write func(ctx context.Context, msg []byte) error

	// Encode appends the message carrying b to dst. It is called on Run's
	// goroutine, without the writer's lock; its error ends Run. nil means
	// b.Append(dst, b.Seq, nil): the batch as its source numbered it.
	Encode func(dst []byte, b *Outgoing) ([]byte, error)

	// Ready, if not nil, reports whether a batch may be written now; while
	// it reports false, batches wait (and merge) but queued messages are
	// still written. Call Poke when its answer may have changed. It is
	// called with the writer's lock held, from Send and SendShared too, so
	// it must not call the writer's methods. nil means always.
	Ready func() bool

	// Wrote, if not nil, is called after each batch is written, with b and
	// the message's length, on Run's goroutine with the writer's lock held
	// (so that what it records is seen consistently by Ready). It must not
	// call the writer's methods.
	Wrote func(b *Outgoing, n int)

	// Limit bounds the merger's pending structural ops (Merger.Limit); 0
	// means DefaultMergeLimit.
	Limit int

	// MaxShared bounds the shared batches queued; 0 means
	// DefaultMaxShared.
	MaxShared int

	mu      sync.Mutex
	wake    chan struct{}
	merger  Merger
	queue   []queued
	shared  int    // shared batches in queue
	lastSeq uint64 // the source's latest sequence number
}

// queued is a message written as it is (raw) or a shared batch (enc).
type queued struct {
	raw []byte
	enc *wire.Encoder
	seq uint64
}

// Outgoing is a batch Run is about to write: merged ops, or ops encoded
// once for many writers. It is valid during the Encode and Wrote calls
// only.
type Outgoing struct {
	// Seq is the source's sequence number of the newest state in the
	// batch: for a source whose numbers never decrease, the largest of the
	// batches it holds; after a keyframe with a smaller number (a relay's
	// new upstream), that keyframe's number and those after it.
	Seq uint64
	// Merged reports whether the batch came from the merger, not from
	// SendShared.
	Merged bool

	ops []wire.Op
	enc *wire.Encoder
}

// Append appends the batch's message to dst, numbered seq, with v's
// figures in its stats ops (nil: the ops' own): wire.AppendBatch or
// wire.Encoder.AppendBatch.
func (b *Outgoing) Append(dst []byte, seq uint64, v *wire.ViewerStats) ([]byte, error) {
	if b.enc != nil {
		return b.enc.AppendBatch(dst, seq, v), nil
	}
	return wire.AppendBatch(dst, seq, b.ops, v)
}

// IsKeyframe reports whether the batch starts with a keyframe. Shared
// batches never do.
func (b *Outgoing) IsKeyframe() bool {
	return b.enc == nil && len(b.ops) > 0 && b.ops[0].Code == wire.OpKeyframe
}

// init makes the wake channel; called with mu held.
func (w *Writer) init() {
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
		w.merger.Limit = w.Limit
	}
}

// Poke wakes Run without blocking, so that it looks again at what it may
// write: after the Ready condition changed.
func (w *Writer) Poke() {
	w.mu.Lock()
	w.init()
	wake := w.wake
	w.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
}

func (w *Writer) ready() bool { return w.Ready == nil || w.Ready() }

// see records b's sequence number; called with mu held.
func (w *Writer) see(b *wire.Batch) {
	if b.Seq > w.lastSeq || b.IsKeyframe() {
		w.lastSeq = b.Seq
	}
}

// Send implements wire.Sink: it merges b into the pending state and wakes
// Run. It returns false when the merger overflowed and needs a keyframe.
func (w *Writer) Send(b *wire.Batch) bool {
	w.mu.Lock()
	w.init()
	ok := w.merger.Add(b)
	w.see(b)
	w.mu.Unlock()
	w.Poke()
	return ok
}

// SendShared is Send for a batch whose ops enc holds, encoded once for
// many writers (wire.NewEncoder(b.Ops)): while the writer keeps up —
// nothing merged, fewer than MaxShared shared batches queued, Ready — it
// queues enc; otherwise, or if enc is nil, it merges b as Send does.
func (w *Writer) SendShared(b *wire.Batch, enc *wire.Encoder) bool {
	max := w.MaxShared
	if max <= 0 {
		max = DefaultMaxShared
	}
	w.mu.Lock()
	w.init()
	ok := true
	if enc != nil && !w.merger.Pending() && w.shared < max && w.ready() {
		w.queue = append(w.queue, queued{enc: enc, seq: b.Seq})
		w.shared++
	} else {
		ok = w.merger.Add(b)
	}
	w.see(b)
	w.mu.Unlock()
	w.Poke()
	return ok
}

// Queue queues msg to be written as it is, after the messages and shared
// batches queued before it and before anything merged. The writer keeps
// msg.
func (w *Writer) Queue(msg []byte) {
	w.mu.Lock()
	w.init()
	w.queue = append(w.queue, queued{raw: msg})
	w.mu.Unlock()
	w.Poke()
}

// next takes what to write next into it and out (whose Ops the merger
// reuses): a queued message, or, if Ready, a shared batch or the merged
// state. Called with mu held.
func (w *Writer) next(it *queued, out *wire.Batch, b *Outgoing) bool {
	if len(w.queue) > 0 && w.queue[0].raw != nil {
		*it = w.queue[0]
		w.pop()
		return true
	}
	if !w.ready() {
		return false
	}
	if len(w.queue) > 0 {
		*it = w.queue[0]
		w.pop()
		w.shared--
		*b = Outgoing{Seq: it.seq, enc: it.enc}
		return true
	}
	if w.merger.Take(out) {
		*it = queued{}
		*b = Outgoing{Seq: w.lastSeq, Merged: true, ops: out.Ops}
		return true
	}
	return false
}

func (w *Writer) pop() {
	w.queue[0] = queued{}
	w.queue = w.queue[1:]
	if len(w.queue) == 0 {
		w.queue = w.queue[:0:0] // let the backing array go
	}
}

// Run writes until ctx ends (it then returns nil) or Encode or Write
// fails (it returns that error). Only one Run may run at a time.
func (w *Writer) Run(ctx context.Context) error {
	w.mu.Lock()
	w.init()
	wake := w.wake
	w.mu.Unlock()
	var out wire.Batch
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
		for {
			var it queued
			var b Outgoing
			w.mu.Lock()
			have := w.next(&it, &out, &b)
			w.mu.Unlock()
			if !have {
				break
			}
			if it.raw != nil {
				if err := w.Write(ctx, it.raw); err != nil {
					return err
				}
				continue
			}
			var err error
			if w.Encode != nil {
				buf, err = w.Encode(buf[:0], &b)
			} else {
				buf, err = b.Append(buf[:0], b.Seq, nil)
			}
			if err != nil {
				return err
			}
			if err := w.Write(ctx, buf); err != nil {
				return err
			}
			if w.Wrote != nil {
				w.mu.Lock()
				w.Wrote(&b, len(buf))
				w.mu.Unlock()
			}
			if cap(buf) > 1<<20 && len(buf) < 64<<10 {
				buf = nil // do not hold on to a keyframe-sized buffer
			}
		}
	}
}
