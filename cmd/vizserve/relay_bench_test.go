package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/natsrelay"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// BenchmarkFanOut: one sim → the real nats-server → 2 vizserve relay
// processes → 40 websocket viewers each, the sim ticking at 60 Hz and
// moving 1,000 circles a tick; an op is one tick. Of each relay's viewers
// 4 decode every batch (the probes: tick → decoded, p50 and p99); the
// others read and acknowledge. It reports the relays' CPU per viewer
// update, the broker's CPU and the sim's tick rate (docs/scale.md):
//
//	go test ./cmd/vizserve -run XXX -bench FanOut -benchtime 600x
func BenchmarkFanOut(b *testing.B) {
	for _, perRelay := range []int{10, 40} {
		b.Run(fmt.Sprintf("relays=2/viewers=%d", 2*perRelay), func(b *testing.B) { benchFanOut(b, 2, perRelay) })
	}
}

func benchFanOut(b *testing.B, relays, perRelay int) {
	const probes, moving = 4, 1000
	natsServer, err := exec.LookPath("nats-server")
	if err != nil {
		b.Skip("nats-server is not on PATH (go install github.com/nats-io/nats-server/v2@v2.15.3)")
	}
	ctx, cancel := deadline.Context(b)
	defer cancel()
	natsPort := freePort(b)
	broker := peers.Run(b, exec.Command(natsServer, "-a", "127.0.0.1", "-p", strconv.Itoa(natsPort)))
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)

	sc := scene.New(scene.Options{Width: 1000, Height: 1000})
	circles := make([]*scene.Node, moving)
	for i := range circles {
		circles[i] = sc.Root().Circle(float64(i), 0, 2, "fill:teal")
	}
	marker := sc.Root().Group().Set("data-tick", "t0") // not a number: it travels as text
	nc, err := natsrelay.Connect(natsURL, "origin")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	pub, err := natsrelay.NewPublisher(nc, sc, &natsrelay.PublisherOptions{Scene: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sc.Advance(0)

	var relayPids []int
	var urls []string
	for range relays {
		p := peers.Run(b, exec.Command(bin, "relay", "-nats", natsURL, "-scene", "bench", "-addr", "127.0.0.1:0"))
		l, err := p.Line(ctx)
		if err != nil {
			b.Fatal(err)
		}
		m := relayLine.FindStringSubmatch(l)
		if m == nil {
			b.Fatalf("vizserve relay said %q", l)
		}
		pid, _ := strconv.Atoi(m[1])
		relayPids = append(relayPids, pid)
		urls = append(urls, "ws"+m[2][len("http"):]+"ws")
	}

	var ticks sync.Map // tick number → when the sim started it
	var lmu sync.Mutex
	var lat []time.Duration
	updates := make([]atomic.Int64, relays)
	measuring := atomic.Bool{}
	ready := make(chan struct{}, relays*perRelay)
	vctx, stop := context.WithCancel(ctx)
	var vwg sync.WaitGroup
	defer vwg.Wait()
	defer stop()
	for r := range relays {
		for i := range perRelay {
			probe := i < probes
			vwg.Go(func() {
				c, _, err := ws.Dial(vctx, urls[r], &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
				if err != nil {
					return
				}
				defer c.CloseNow()
				first := true
				var batch wire.Batch
				for {
					_, msg, err := c.Read(vctx)
					if err != nil {
						return
					}
					seq, n := binary.Uvarint(msg)
					if n <= 0 {
						return
					}
					if probe {
						if batch.UnmarshalBinary(msg) != nil {
							return
						}
						done := time.Now()
						for _, op := range batch.Ops {
							if op.Code == wire.OpSetAttr && op.Name == "data-tick" {
								n, _ := strconv.Atoi(strings.TrimPrefix(op.Text, "t"))
								if at, ok := ticks.Load(n); ok && measuring.Load() {
									lmu.Lock()
									lat = append(lat, done.Sub(at.(time.Time)))
									lmu.Unlock()
								}
							}
						}
					}
					ack, _ := (&wire.Event{Kind: wire.Ack, Seq: seq}).AppendBinary(nil)
					if c.Write(vctx, ws.MessageBinary, ack) != nil {
						return
					}
					if measuring.Load() {
						updates[r].Add(1)
					}
					if first {
						first = false
						ready <- struct{}{}
					}
				}
			})
		}
	}
	for range relays * perRelay {
		select {
		case <-ready:
		case <-ctx.Done():
			b.Fatal("the viewers did not all get a keyframe")
		}
	}

	cpu0 := make([]time.Duration, relays)
	for i, pid := range relayPids {
		cpu0[i] = cpuTime(b, pid)
	}
	broker0 := cpuTime(b, broker.Pid())
	measuring.Store(true)
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / 60)
	for n := range b.N {
		for i, c := range circles {
			c.SetXY(float64((i*7+n)%1000), float64((i*13+n*3)%1000))
		}
		marker.Set("data-tick", "t"+strconv.Itoa(n+1))
		ticks.Store(n+1, time.Now())
		sc.Advance(1.0 / 60)
		<-tick.C
	}
	tick.Stop()
	elapsed := time.Since(start)
	measuring.Store(false)
	b.StopTimer()

	var relayCPU time.Duration
	var ups int64
	for i, pid := range relayPids {
		relayCPU += cpuTime(b, pid) - cpu0[i]
		ups += updates[i].Load()
	}
	brokerCPU := cpuTime(b, broker.Pid()) - broker0
	lmu.Lock()
	slices.Sort(lat)
	got := slices.Clone(lat)
	lmu.Unlock()
	if len(got) == 0 || ups == 0 {
		b.Fatalf("no viewer update measured: %d latencies, %d updates", len(got), ups)
	}
	pct := func(p int) float64 { return float64(got[(len(got)-1)*p/100].Microseconds()) / 1000 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(99), "p99-ms")
	b.ReportMetric(float64(relayCPU.Microseconds())/float64(ups), "relay-cpu-µs/update")
	b.ReportMetric(100*brokerCPU.Seconds()/elapsed.Seconds(), "broker-cpu-%")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ticks/s")
	b.ReportMetric(float64(ups)/elapsed.Seconds()/float64(relays*perRelay), "updates/s/viewer")
	// What viewers joining cost the origin: keyframe requests, one per
	// relay at its start, none per viewer (relays answer from their
	// mirrors).
	b.ReportMetric(float64(pub.Stats().Keyframes), "origin-keyframes")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is a process's user and system CPU time so far.
func cpuTime(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks of 1/100 s
}
