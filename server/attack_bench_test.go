package server

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// BenchmarkHostileViewers runs a 60 Hz scene with one well-behaved viewer
// while hostile viewers flood the hub, and reports what the attack costs
// everyone else: the scene's tick rate while it runs, the peak and final
// heap of the process, and how many hostile events were sent (at most
// attackers × attackRate a second, from this process). Each
// iteration is one attack window (attackWindow). Run it with
//
//	go test ./server -run '^$' -bench HostileViewers -benchtime 1x
//
// docs/security.md gives the figures before and after the limits.
func BenchmarkHostileViewers(b *testing.B) {
	for _, a := range []struct {
		name string
		ev   func(i int, target wire.Handle) wire.Event
	}{
		// Key events of almost 1 MiB: the hub's read limit used to be 1 MiB.
		{"key-1MiB", func(i int, _ wire.Handle) wire.Event {
			return wire.Event{Kind: wire.KeyDown, Key: bigKey(1<<20 - 64), Code: "KeyA"}
		}},
		// Key events of 16 KiB, the largest the protocol now allows.
		{"key-16KiB", func(i int, _ wire.Handle) wire.Event {
			return wire.Event{Kind: wire.KeyDown, Key: bigKey(16<<10 - 64), Code: "KeyA"}
		}},
		// Pointer-downs on a draggable node, each with a new pointer id.
		{"fresh-pointers", func(i int, target wire.Handle) wire.Event {
			return wire.Event{Kind: wire.PointerDown, Target: target, X: 1, Y: 1, Button: 1, Buttons: 1, Pointer: uint64(i + 1)}
		}},
	} {
		b.Run(a.name, func(b *testing.B) { hostileViewers(b, a.ev) })
	}
}

const (
	attackWindow  = 3 * time.Second
	attackers     = 4
	attackRate    = 20_000    // events per second per attacker: 80,000 in all
	attackMaxSent = 2_000_000 // per attacker and window: every loop is bounded
)

var bigKeys sync.Map

func bigKey(n int) string {
	if k, ok := bigKeys.Load(n); ok {
		return k.(string)
	}
	k := strings.Repeat("k", n)
	bigKeys.Store(n, k)
	return k
}

func hostileViewers(b *testing.B, mk func(int, wire.Handle) wire.Event) {
	sc := scene.New(scene.Options{Width: 100, Height: 100, Rate: 60, Logger: quiet})
	ball := sc.Root().Circle(1, 1, 1)
	knob := sc.Root().Circle(50, 50, 5)
	knob.OnDrag(func(scene.Drag) {})
	keys := 0
	sc.Root().OnKeyDown(func(scene.Key) { keys++ })
	var ticks atomic.Int64
	sc.OnTick(func(float64) {
		n := ticks.Add(1)
		ball.SetXY(float64(n%100), 1)
	})
	liveScene(b, sc)
	srv := New(Config{Addr: "127.0.0.1:0", Logger: quiet, RateLimit: -1})
	srv.HandleWS("/ws", NewHub(sc, quiet).Endpoint())
	start(b, srv)
	watcher := newViewer(b, srv, 0)
	watcher.waitFor(b, "a keyframe", func(m *stream.Mirror) bool { return m.Ready() })

	var tickHz, peakMiB, endMiB, sent, closed float64
	for range b.N {
		runtime.GC()
		ctx, cancel := context.WithTimeout(context.Background(), attackWindow)
		var peak atomic.Uint64
		var nsent, nclosed atomic.Int64
		var wg sync.WaitGroup
		wg.Go(func() { // sample the heap
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if v := ms.HeapInuse + ms.StackInuse; v > peak.Load() {
					peak.Store(v)
				}
			}
		})
		for range attackers {
			wg.Go(func() {
				for i := 0; i < attackMaxSent && ctx.Err() == nil; {
					c, _, err := ws.Dial(ctx, wsURL(srv, "/ws"), &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
					if err != nil {
						return
					}
					go func() { // take the batches, so that writes do not block
						for {
							if _, _, err := c.Read(ctx); err != nil {
								return
							}
						}
					}()
					// Paced: attackRate/1000 events each millisecond, so that
					// the attack does not just take the machine's CPU.
					pace := time.NewTicker(time.Millisecond)
					for ; i < attackMaxSent && ctx.Err() == nil; i++ {
						if i%(attackRate/1000) == 0 {
							select {
							case <-pace.C:
							case <-ctx.Done():
							}
						}
						ev := mk(i, knob.Handle())
						msg, _ := ev.MarshalBinary()
						if c.Write(ctx, ws.MessageBinary, msg) != nil {
							nclosed.Add(1)
							break
						}
						nsent.Add(1)
					}
					pace.Stop()
					c.CloseNow()
				}
			})
		}
		t0, n0 := time.Now(), ticks.Load()
		<-ctx.Done()
		el, n := time.Since(t0), ticks.Load()-n0
		cancel()
		wg.Wait()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		tickHz += float64(n) / el.Seconds()
		peakMiB += float64(peak.Load()) / (1 << 20)
		endMiB += float64(ms.HeapInuse+ms.StackInuse) / (1 << 20)
		sent += float64(nsent.Load())
		closed += float64(nclosed.Load())
	}
	nb := float64(b.N)
	b.ReportMetric(tickHz/nb, "ticks/s")
	b.ReportMetric(peakMiB/nb, "peak-MiB")
	b.ReportMetric(endMiB/nb, "end-MiB")
	b.ReportMetric(sent/nb, "events")
	b.ReportMetric(closed/nb, "closed")
	if watcher.err != nil {
		b.Fatalf("the well-behaved viewer failed: %v", watcher.err)
	}
}
