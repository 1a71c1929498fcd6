// Command fanout is many websocket viewers of one live scene, in a process
// of their own, for the fan-out benchmark (internal/testkit/e2e
// BenchmarkFanout): each viewer connects to a server.MountScene endpoint
// with the subprotocol vizserve.v1, decodes every batch with package wire,
// acks it as the browser client does, and measures latency from a clock
// the scene puts in its stream: the text of the element -clock-id holds
// the scene's time.Now().UnixNano() when it made the frame (the two
// processes share the machine's clock).
//
//	fanout -url ws://127.0.0.1:8000/ws -n 100 -warmup 2s -duration 10s
//
// It prints one JSON object per line: {"event":"connected",…} once every
// viewer has its keyframe, {"event":"measuring"} when the measured window
// starts, {"event":"end"} when it ends, then {"event":"done",…} with the
// report. Errors go to stderr; the exit status is 1 if a viewer failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

// Report is the last line of output. Latencies are in milliseconds,
// sizes in bytes; everything but the counts of errors is measured in the
// window between "measuring" and "end".
type Report struct {
	Event   string  `json:"event"`
	Viewers int     `json:"viewers"`
	Seconds float64 `json:"seconds"`

	Batches   int64   `json:"batches"`   // batches received by all viewers
	Bytes     int64   `json:"bytes"`     // their bytes
	Ops       int64   `json:"ops"`       // their ops
	Keyframes int64   `json:"keyframes"` // keyframes among them (a viewer that fell too far behind)
	Samples   int     `json:"samples"`   // batches that carried the clock
	P50       float64 `json:"p50_ms"`
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	Mean      float64 `json:"mean_ms"`

	Errors      int      `json:"errors"`
	FirstErrors []string `json:"first_errors,omitempty"`
}

type config struct {
	url      string
	n        int
	warmup   time.Duration
	duration time.Duration
	clockID  string
	bufSize  int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	var cfg config
	fs.StringVar(&cfg.url, "url", "ws://127.0.0.1:8000/ws", "the scene's websocket URL")
	fs.IntVar(&cfg.n, "n", 100, "number of viewers")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "time between the last keyframe and the measured window")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of the measured window")
	fs.StringVar(&cfg.clockID, "clock-id", "clock", "DOM id of the text element holding the scene's UnixNano time")
	fs.IntVar(&cfg.bufSize, "read-buffer", 4<<20, "read buffer per viewer: the largest message accepted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out := json.NewEncoder(stdout)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		measuring atomic.Bool
		ready     sync.WaitGroup
		viewers   sync.WaitGroup
		errMu     sync.Mutex
		errs      []string
		nerr      int
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		nerr++
		if len(errs) < 5 {
			errs = append(errs, err.Error())
		}
	}
	stats := make([]viewerStats, cfg.n)
	ready.Add(cfg.n)
	start := time.Now()
	for i := range cfg.n {
		viewers.Go(func() {
			v := &viewer{cfg: &cfg, st: &stats[i], measuring: &measuring}
			err := v.run(ctx, ready.Done)
			if err != nil && ctx.Err() == nil {
				fail(fmt.Errorf("viewer %d: %w", i, err))
				cancel()
			}
		})
	}
	allReady := make(chan struct{})
	go func() { ready.Wait(); close(allReady) }()
	select {
	case <-allReady:
	case <-ctx.Done():
		viewers.Wait()
		return report(out, cfg, stats, 0, nerr, errs)
	}
	out.Encode(map[string]any{"event": "connected", "viewers": cfg.n, "dial_seconds": time.Since(start).Seconds()})

	window := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var seconds float64
	if window(cfg.warmup) {
		measuring.Store(true)
		out.Encode(map[string]any{"event": "measuring"})
		t0 := time.Now()
		window(cfg.duration)
		measuring.Store(false)
		seconds = time.Since(t0).Seconds()
		out.Encode(map[string]any{"event": "end"})
	}
	cancel()
	viewers.Wait()
	return report(out, cfg, stats, seconds, nerr, errs)
}

func report(out *json.Encoder, cfg config, stats []viewerStats, seconds float64, nerr int, errs []string) error {
	r := Report{Event: "done", Viewers: cfg.n, Seconds: seconds, Errors: nerr, FirstErrors: errs}
	var lat []int64
	for i := range stats {
		s := &stats[i]
		r.Batches += s.batches
		r.Bytes += s.bytes
		r.Ops += s.ops
		r.Keyframes += s.keyframes
		lat = append(lat, s.latency...)
	}
	slices.Sort(lat)
	r.Samples = len(lat)
	if len(lat) > 0 {
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
		r.P50, r.P90, r.P99, r.Max = q(0.5), q(0.9), q(0.99), q(1)
		var sum float64
		for _, l := range lat {
			sum += float64(l)
		}
		r.Mean = sum / float64(len(lat)) / 1e6
	}
	if err := out.Encode(r); err != nil {
		return err
	}
	if nerr > 0 {
		return fmt.Errorf("%d viewers failed; the first: %v", nerr, errs)
	}
	return nil
}

// viewerStats is what one viewer measured in the window. Only its viewer
// writes it, and only the main goroutine reads it once the viewer ended.
type viewerStats struct {
	batches, bytes, ops, keyframes int64
	latency                        []int64 // ns
}

type viewer struct {
	cfg       *config
	st        *viewerStats
	measuring *atomic.Bool
}

// run connects, then reads, decodes and acks batches until ctx ends.
// ready is called once the first keyframe is in.
func (v *viewer) run(ctx context.Context, ready func()) error {
	readyOnce := sync.OnceFunc(ready)
	defer readyOnce() // a viewer that fails must not hold up the others' start
	c, _, err := ws.Dial(ctx, v.cfg.url, &ws.DialOptions{
		Subprotocols: []string{wire.Subprotocol},
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	if c.Subprotocol() != wire.Subprotocol {
		return fmt.Errorf("the server chose subprotocol %q", c.Subprotocol())
	}
	buf := make([]byte, v.cfg.bufSize)
	var (
		b     wire.Batch
		ack   []byte
		clock wire.Handle
	)
	for {
		typ, n, err := c.ReadInto(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				c.Close(ws.StatusNormalClosure, "")
				return nil
			}
			return err
		}
		now := time.Now().UnixNano()
		if typ != ws.MessageBinary {
			return errors.New("a text message")
		}
		if err := b.UnmarshalBinary(buf[:n]); err != nil {
			return err
		}
		keyframe := b.IsKeyframe()
		if keyframe {
			clock = 0
			for _, e := range b.Ops[0].Table {
				if e.ID == v.cfg.clockID {
					clock = e.Node
				}
			}
			if clock == 0 {
				return fmt.Errorf("the keyframe has no element with id %q", v.cfg.clockID)
			}
			readyOnce()
		}
		if v.measuring.Load() {
			st := v.st
			st.batches++
			st.bytes += int64(n)
			st.ops += int64(len(b.Ops))
			if keyframe {
				st.keyframes++
			}
			for i := range b.Ops {
				if op := &b.Ops[i]; op.Code == wire.OpSetText && op.Node == clock {
					if sent, err := strconv.ParseInt(op.Text, 10, 64); err == nil {
						st.latency = append(st.latency, now-sent)
					}
				}
			}
		}
		ack, _ = (&wire.Event{Kind: wire.Ack, Seq: b.Seq}).AppendBinary(ack[:0])
		if err := c.Write(ctx, ws.MessageBinary, ack); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
