package stream

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/scene/wire"
)

// conn is a Writer's far end: it records the messages, and blocks each
// write while hold is set, until release.
type conn struct {
	mu      sync.Mutex
	msgs    [][]byte
	got     chan struct{}
	hold    atomic.Bool
	held    chan struct{} // receives when a write waits for release
	release chan struct{}
}

func newConn() *conn {
	return &conn{got: make(chan struct{}, 100), held: make(chan struct{}, 100), release: make(chan struct{}, 100)}
}

func (c *conn) write(ctx context.Context, msg []byte) error {
	if c.hold.Load() {
		c.held <- struct{}{}
		select {
		case <-c.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, append([]byte(nil), msg...))
	c.mu.Unlock()
	c.got <- struct{}{}
	return nil
}

// wait waits for the n-th message and returns it.
func (c *conn) wait(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.msgs) >= n {
			m := c.msgs[n-1]
			c.mu.Unlock()
			return m
		}
		c.mu.Unlock()
		select {
		case <-c.got:
		case <-deadline:
			t.Fatalf("no message %d within 10s", n)
		}
	}
}

func (c *conn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// run runs w until the test ends and returns Run's result channel.
func run(t *testing.T, w *Writer) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return done
}

func encode(t *testing.T, b *wire.Batch) []byte {
	t.Helper()
	msg, err := b.MarshalBinary()
	noErr(t, err)
	return msg
}

func setX(seq uint64, x float32) *wire.Batch {
	return &wire.Batch{Seq: seq, Ops: []wire.Op{{Code: wire.OpSetNum, Node: 3, Name: "cx", X: x}}}
}

// TestWriterMerges: what comes while a write is under way merges into one
// batch, latest value winning, numbered with the source's latest number.
func TestWriterMerges(t *testing.T) {
	t.Parallel()
	c := newConn()
	w := &Writer{Write: c.write}
	run(t, w)
	c.hold.Store(true)
	w.Send(initialKeyframe())
	<-c.held
	c.hold.Store(false)
	for i := range 5 {
		w.Send(setX(uint64(2+i), float32(i)))
	}
	c.release <- struct{}{}
	equal(t, "first message", c.wait(t, 1), encode(t, initialKeyframe()))
	equal(t, "merged", c.wait(t, 2), encode(t, setX(6, 4)))
	if n := c.count(); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

// TestWriterLinkRecipe: queued messages go first, as they are, then the
// merged batch as the Encode the doc comment gives the dev link's child
// writes it: a type byte, then the batch as its source numbered it.
func TestWriterLinkRecipe(t *testing.T) {
	t.Parallel()
	const tBatch = 0x02 // what link.TBatch stands for here
	c := newConn()
	w := &Writer{
		Write: c.write,
		Encode: func(dst []byte, b *Outgoing) ([]byte, error) {
			return b.Append(append(dst, tBatch), b.Seq, nil)
		},
	}
	w.Queue([]byte("hello"))
	w.Send(initialKeyframe())
	w.Send(setX(2, 7))
	w.Queue([]byte("state"))
	run(t, w)
	equal(t, "1", string(c.wait(t, 1)), "hello")
	equal(t, "2", string(c.wait(t, 2)), "state")
	kf := initialKeyframe()
	var m Merger
	m.Add(kf)
	m.Add(setX(2, 7))
	var out wire.Batch
	m.Take(&out)
	equal(t, "3", c.wait(t, 3), append([]byte{tBatch}, encode(t, &out)...))
}

// TestWriterReady: while Ready says no, batches wait and merge, queued
// messages do not; a Poke after Ready changes writes what waited.
func TestWriterReady(t *testing.T) {
	t.Parallel()
	c := newConn()
	var ready atomic.Bool
	wrote := make(chan uint64, 10)
	w := &Writer{Write: c.write, Ready: ready.Load, Wrote: func(b *Outgoing, n int) { wrote <- b.Seq }}
	run(t, w)
	w.Send(initialKeyframe())
	w.Send(setX(2, 1))
	w.Queue([]byte("ctl"))
	equal(t, "1", string(c.wait(t, 1)), "ctl")
	w.Send(setX(3, 2))
	ready.Store(true)
	w.Poke()
	var m Merger
	m.Add(initialKeyframe())
	m.Add(setX(2, 1))
	m.Add(setX(3, 2))
	var out wire.Batch
	m.Take(&out)
	equal(t, "2", c.wait(t, 2), encode(t, &out))
	equal(t, "wrote", <-wrote, 3)
}

// TestWriterShared: a writer that keeps up queues shared batches and
// writes them with the number Encode gives; one that is behind merges
// them, and they never overtake a merged batch.
func TestWriterShared(t *testing.T) {
	t.Parallel()
	c := newConn()
	num := uint64(0)
	var merged []bool
	w := &Writer{
		Write: c.write,
		Encode: func(dst []byte, b *Outgoing) ([]byte, error) {
			num++
			merged = append(merged, b.Merged)
			return b.Append(dst, num, &wire.ViewerStats{Viewers: 2, Lag: b.Seq})
		},
	}
	run(t, w)
	share := func(b *wire.Batch) {
		enc, err := wire.NewEncoder(b.Ops)
		noErr(t, err)
		w.SendShared(b, enc)
	}
	numbered := func(num uint64, b *wire.Batch) []byte { return encode(t, &wire.Batch{Seq: num, Ops: b.Ops}) }
	w.SendShared(initialKeyframe(), nil) // keyframes are each viewer's own
	c.wait(t, 1)
	share(setX(2, 1))
	equal(t, "shared", c.wait(t, 2), numbered(2, setX(2, 1)))

	c.hold.Store(true)
	share(setX(3, 2))
	<-c.held // its write waits
	c.hold.Store(false)
	share(setX(4, 3)) // queued
	share(setX(5, 4)) // queued: MaxShared now
	share(setX(6, 5)) // merged
	share(setX(7, 6)) // merged
	c.release <- struct{}{}
	equal(t, "3", c.wait(t, 3), numbered(3, setX(3, 2)))
	equal(t, "4", c.wait(t, 4), numbered(4, setX(4, 3)))
	equal(t, "5", c.wait(t, 5), numbered(5, setX(5, 4)))
	equal(t, "6", c.wait(t, 6), numbered(6, setX(7, 6)))

	st := &wire.Batch{Seq: 8, Ops: []wire.Op{{Code: wire.OpStats, Stats: &wire.Stats{TickHz: 60}}}}
	share(st)
	equal(t, "stats", c.wait(t, 7), numbered(7, &wire.Batch{Ops: []wire.Op{{Code: wire.OpStats, Stats: &wire.Stats{Viewers: 2, TickHz: 60, Lag: 8}}}}))
	equal(t, "merged", merged, []bool{true, false, false, false, false, true, false})
}

// TestWriterErrors: Run ends with the error of Write or Encode, and with
// nil when its context ends.
func TestWriterErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	w := &Writer{Write: func(context.Context, []byte) error { return boom }}
	w.Queue([]byte("x"))
	if err := w.Run(context.Background()); err != boom {
		t.Errorf("Run after a failed write: %v", err)
	}
	w = &Writer{Write: func(context.Context, []byte) error { return nil }}
	w.Send(&wire.Batch{Seq: 1, Ops: []wire.Op{{Code: 0x7f}}})
	if err := w.Run(context.Background()); err == nil {
		t.Error("Run encoded an unknown op")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Writer{}).Run(ctx); err != nil {
		t.Errorf("Run after its context ended: %v", err)
	}
}
