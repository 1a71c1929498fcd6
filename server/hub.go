package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// Hub fans a live scene out to its viewers. Each viewer has one writer
// goroutine and a stream.Writer: the source's batches are merged into the
// viewer's pending state (latest value wins), so a slow viewer skips
// intermediate frames and never slows the source or the other viewers, and
// its memory is bounded by the scene's size. Events and acks from viewers
// go back to the source.
type Hub struct {
	src     wire.Source
	log     *slog.Logger
	viewers atomic.Int64
	events  atomic.Uint64
	over    atomic.Uint64 // events dropped over a viewer's rate
	sent    atomic.Uint64 // batches written to viewers
	bytes   atomic.Uint64

	count atomic.Pointer[func(local int) int] // see CountViewers

	encMu    sync.Mutex
	encBatch *wire.Batch // the last batch encoded for the viewers that keep up
	encSeq   uint64
	enc      *wire.Encoder
}

// NewHub returns a hub for src. Mount its ServeWS as a websocket endpoint
// speaking wire.Subprotocol.
func NewHub(src wire.Source, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{src: src, log: log}
}

// Endpoint returns the websocket endpoint of the hub: subprotocol
// vizserve.v1 required, a read limit fit for events.
func (h *Hub) Endpoint() Endpoint {
	return Endpoint{
		Subprotocols: []string{wire.Subprotocol},
		Handler:      h.ServeWS,
		Options: &ws.AcceptOptions{
			RequireSubprotocol: true,
			ReadLimit:          wire.MaxEventSize,
		},
	}
}

// HubStats is a snapshot of a hub's counters.
type HubStats struct {
	Viewers int
	Events  uint64 // events dispatched to the source
	Dropped uint64 // events dropped because their viewer sent more than ViewerEventRate
	Batches uint64 // batches written to viewers
	Bytes   uint64 // bytes of those batches
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	return HubStats{Viewers: int(h.viewers.Load()), Events: h.events.Load(), Dropped: h.over.Load(), Batches: h.sent.Load(), Bytes: h.bytes.Load()}
}

// CountViewers makes the HUD show count(local) viewers instead of the
// hub's own count (local): a relay shows its scene's viewers on every
// relay. count is called for every batch written and must be cheap; nil
// goes back to the hub's own count.
func (h *Hub) CountViewers(count func(local int) int) {
	if count == nil {
		h.count.Store(nil)
		return
	}
	h.count.Store(&count)
}

func (h *Hub) shownViewers() int {
	n := int(h.viewers.Load())
	if f := h.count.Load(); f != nil {
		return (*f)(n)
	}
	return n
}

// Window is how many batches a viewer may have unacknowledged. The writer
// waits for acks beyond it, and meanwhile merges what the scene sends: a
// viewer that applies slowly (or is far away) gets fewer, fresher frames
// instead of a backlog queued in the network buffers.
//
// It is 2: a viewer that falls behind decodes at most two batches per
// frame it paints, the second one merged, not several full ones that it
// would merge itself (a browser spends most of such a frame decoding).
// With 1, every batch would wait for the ack of the one before: the page
// would apply a batch only every other frame, the next one still being
// on its way when the frame starts. One batch in flight while the page
// applies the other keeps a page that can draw each tick supplied.
const Window = 2

// WriteTimeout bounds one batch's write to a viewer. A viewer whose
// connection takes nothing for this long (its socket buffers full) is
// dropped, so that it holds neither a goroutine nor kernel memory forever.
const WriteTimeout = 30 * time.Second

// viewer is one browser (or any client) watching the scene.
//
// The hub numbers each viewer's batches itself (1, 2, 3...), so acks and
// flow control do not depend on the source's sequence numbers, which start
// over when a relay's upstream is replaced; each batch carries the
// viewer's own figures (viewers, lag) in its stats ops.
//
// A viewer that keeps up gets the source's batches as they are, encoded
// once for every such viewer (shared); one that falls behind gets them
// merged, and returns to the shared path once it has caught up (see
// stream.Writer).
type viewer struct {
	hub   *Hub
	id    uint64 // wire.Event.Viewer of its events
	w     stream.Writer
	acked atomic.Uint64 // the last batch number the viewer applied
	// sent and next are written by Wrote, with w's lock held, and read by
	// Ready (with it) and by Encode (on the writer's goroutine).
	sent [Window]sentBatch
	next int    // ring position of the oldest of the last Window batches
	num  uint64 // number of the last batch written; the writer's goroutine's
}

type sentBatch struct{ num, srcSeq uint64 }

// newViewer returns a viewer writing to c.
func (h *Hub) newViewer(c *ws.Conn) *viewer {
	v := &viewer{hub: h, id: viewerIDs.Add(1)}
	v.w = stream.Writer{
		Ready: v.mayWrite,
		Encode: func(dst []byte, b *stream.Outgoing) ([]byte, error) {
			v.num++
			dst, err := b.Append(dst, v.num, &wire.ViewerStats{Viewers: uint64(h.shownViewers()), Lag: v.lag(b.Seq)})
			if err != nil {
				h.log.Error("hub: cannot encode a batch", "err", err)
				c.Close(ws.StatusInternalError, "cannot encode a batch")
			}
			return dst, err
		},
		Write: func(ctx context.Context, msg []byte) error {
			wctx, cancel := context.WithTimeout(ctx, WriteTimeout)
			err := c.Write(wctx, ws.MessageBinary, msg)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				h.log.Info("hub: dropping a viewer that takes no data", "conn", c.String(), "timeout", WriteTimeout)
				c.CloseNow()
			}
			return err
		},
		Wrote: func(b *stream.Outgoing, n int) {
			v.sent[v.next] = sentBatch{num: v.num, srcSeq: b.Seq}
			v.next = (v.next + 1) % Window
			h.sent.Add(1)
			h.bytes.Add(uint64(n))
		},
	}
	return v
}

// mayWrite reports whether the batch written Window batches ago has been
// acknowledged.
func (v *viewer) mayWrite() bool { return v.sent[v.next].num <= v.acked.Load() }

// lag is how many source batches the viewer is behind.
func (v *viewer) lag(last uint64) uint64 {
	acked := v.acked.Load()
	for _, s := range v.sent {
		if s.num == acked && last >= s.srcSeq {
			return last - s.srcSeq
		}
	}
	return 0
}

// Send queues b for the viewer's writer, shared or merged, and wakes it.
// It never blocks.
func (v *viewer) Send(b *wire.Batch) bool { return v.w.SendShared(b, v.hub.encoded(b)) }

// encoded returns b's ops encoded, once per batch for all viewers, or nil
// for a keyframe, which is each viewer's own (its first batch). Sends of
// one source come one at a time, so the cache needs no lock of its own
// beyond encMu, which only guards against hubs fed by several sources.
func (h *Hub) encoded(b *wire.Batch) *wire.Encoder {
	for i := range b.Ops {
		if b.Ops[i].Code == wire.OpKeyframe {
			return nil
		}
	}
	h.encMu.Lock()
	defer h.encMu.Unlock()
	if h.encBatch == b && h.encSeq == b.Seq {
		return h.enc
	}
	enc, err := wire.NewEncoder(b.Ops)
	if err != nil {
		return nil // the merged path reports it
	}
	h.encBatch, h.encSeq, h.enc = b, b.Seq, enc
	return enc
}

// ServeWS serves one viewer until its connection ends or ctx does.
func (h *Hub) ServeWS(ctx context.Context, c *ws.Conn, r *http.Request) {
	if c.Subprotocol() != wire.Subprotocol {
		c.Close(ws.StatusProtocolError, "this endpoint speaks "+wire.Subprotocol)
		return
	}
	v := h.newViewer(c)
	h.viewers.Add(1)
	defer h.viewers.Add(-1)
	ctx, cancel := context.WithCancel(ctx)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer cancel()
		v.w.Run(ctx) // Encode and Write report their errors
	}()
	unsubscribe := h.src.Subscribe(v)
	h.read(ctx, c, v)
	unsubscribe()
	// What the source keeps for this viewer (its drags) ends with it.
	h.src.Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: v.id})
	cancel()
	<-writerDone
}

// ViewerEventRate bounds the events one viewer may send per second, in
// bursts of as many; the rest are dropped (and counted in
// HubStats.Dropped). A browser sends far fewer: the client coalesces
// pointer moves to one per animation frame and pointer, so even ten
// touches on a 120 Hz display stay below it. Without it one viewer could
// keep the sim goroutine busy with events and slow the scene for everyone.
const ViewerEventRate = 2000

// eventBudget is a viewer's token bucket for ViewerEventRate.
type eventBudget struct {
	tokens float64
	last   time.Time
}

func (b *eventBudget) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = ViewerEventRate
	} else {
		b.tokens = min(ViewerEventRate, b.tokens+now.Sub(b.last).Seconds()*ViewerEventRate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// read takes events and acks from the viewer until the connection ends.
// A malformed message closes this viewer's connection only.
func (h *Hub) read(ctx context.Context, c *ws.Conn, v *viewer) {
	buf := make([]byte, readBufSize)
	var budget eventBudget
	warned := false
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			if ws.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) {
				h.log.Debug("hub: viewer read ended", "conn", c.String(), "err", err)
			}
			return
		}
		if typ != ws.MessageBinary {
			c.Close(ws.StatusUnsupportedData, "text messages are not part of "+wire.Subprotocol)
			return
		}
		msg, err := readAll(r, buf)
		if err != nil {
			return
		}
		buf = msg[:0]
		if cap(buf) > readBufSize && len(msg) <= readBufSize {
			// Large events came and went: a viewer that sent one keeps
			// a small buffer, not the large one, between them.
			buf = make([]byte, readBufSize)
		}
		ev, err := wire.DecodeEvent(msg)
		if err != nil {
			h.log.Info("hub: malformed message from a viewer", "conn", c.String(), "err", err)
			c.Close(ws.StatusInvalidFramePayloadData, truncateReason(err.Error()))
			return
		}
		if ev.Kind == wire.Ack {
			v.acked.Store(ev.Seq)
			v.w.Poke()
			continue
		}
		if !budget.take(time.Now()) {
			h.over.Add(1)
			if !warned {
				warned = true
				h.log.Info("hub: a viewer sends more events than the rate allows; dropping the excess", "conn", c.String(), "rate", ViewerEventRate)
			}
			continue
		}
		h.events.Add(1)
		ev.Viewer = v.id
		h.src.Dispatch(ev)
	}
}

// viewerIDs numbers viewers, unique within the process, from 1, so that a
// source fed by several hubs still tells their viewers apart.
var viewerIDs atomic.Uint64

// readBufSize is the read buffer a viewer keeps between events: far more
// than a pointer or key event needs (16 bytes or so), less than the largest
// (wire.MaxEventSize). A larger buffer lives while large events keep
// coming, and is dropped at the first small one.
const readBufSize = 1024

// readAll reads a message into buf, growing it as needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func truncateReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// Keyframe returns the scene's current state as a keyframe batch, for
// rendering a page before any script runs. It waits for the source (at
// most until ctx ends).
func (h *Hub) Keyframe(ctx context.Context) (*wire.Batch, error) {
	got := make(chan *wire.Batch, 1)
	var once sync.Once
	unsubscribe := h.src.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		once.Do(func() {
			cp := &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
			got <- cp
		})
		return true
	}))
	defer unsubscribe()
	select {
	case b := <-got:
		if !b.IsKeyframe() {
			return nil, fmt.Errorf("hub: the source's first batch is not a keyframe")
		}
		return b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("hub: no keyframe from the scene: %w", ctx.Err())
	}
}
