package record

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// TestTenViewers runs a scene's real sim loop served to 10 websocket
// viewers that acknowledge as browsers do, and records it meanwhile: the
// recording keeps every batch the scene sent, none merged, and says the
// tick rate the sim kept.
func TestTenViewers(t *testing.T) {
	t.Parallel()
	b := newBalls(300, 8, false)
	srv := server.New(server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	server.MountScene(srv, b.s, nil)
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	defer func() {
		srv.Close()
		<-served
	}()

	ctx, cancel := deadline.Context(t)
	defer cancel()
	var viewers sync.WaitGroup
	defer viewers.Wait()
	defer cancel()
	var got atomic.Int64 // batches the viewers read
	for range 10 {
		c, _, err := ws.Dial(ctx, strings.Replace(srv.URL(), "http", "ws", 1)+"/ws", &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		if err != nil {
			t.Fatal(err)
		}
		viewers.Go(func() {
			defer c.CloseNow()
			var bt wire.Batch
			for {
				_, msg, err := c.Read(ctx)
				if err != nil || bt.UnmarshalBinary(msg) != nil {
					return
				}
				got.Add(1)
				ack, _ := (&wire.Event{Kind: wire.Ack, Seq: bt.Seq}).AppendBinary(nil)
				if c.Write(ctx, ws.MessageBinary, ack) != nil {
					return
				}
			}
		})
	}

	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	const want = 120 // 2 s at 60 Hz
	var sent atomic.Int64
	enough := make(chan struct{})
	var tickHz float32
	unsub := b.s.Subscribe(wire.SinkFunc(func(bt *wire.Batch) bool {
		for _, op := range bt.Ops {
			if op.Code == wire.OpStats && op.Stats != nil {
				tickHz = op.Stats.TickHz
			}
		}
		if sent.Add(1) == want {
			close(enough)
		}
		return w.Send(bt)
	}))
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- b.s.Run(simCtx) }()
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("the scene did not send 120 batches before the test's deadline")
	}
	unsub()
	stopSim()
	if err := <-simDone; err != nil && err != context.Canceled {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Merged != 0 || st.Batches != sent.Load() {
		t.Fatalf("the scene sent %d batches; the recorder got %d and merged %d", sent.Load(), st.Batches, st.Merged)
	}
	r := open(t, buf.Bytes())
	n := int64(0)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Merged != 0 {
			t.Fatalf("a record holds %d merged batches", rec.Merged)
		}
		if !rec.Repeat {
			n++
		}
	}
	if n != sent.Load() {
		t.Fatalf("%d batches recorded, %d sent", n, sent.Load())
	}
	if got.Load() == 0 || tickHz == 0 {
		t.Fatalf("the viewers read %d batches; the sim said %v ticks/s", got.Load(), tickHz)
	}
	t.Logf("%d batches recorded in %v with 10 viewers (who read %d); the sim said %.1f ticks/s", n, r.Duration(), got.Load(), tickHz)
}
