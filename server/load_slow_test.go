package server

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// The server's broadcast endpoint is the Hub: every viewer has a writer
// goroutine that sends merged batches, at most Window of them
// unacknowledged. A viewer that stops reading therefore stops acking, and
// its writer stops writing; one that acks without reading has its writes
// block on TCP backpressure (the hub sets no write timeout and drops
// nobody). Either way, the scene's changes are merged into the viewer's
// pending state (latest value wins), so its memory is bounded by the
// scene's size, not by how long it stalls, and the other viewers go on.
//
// The scene moves and relabels each of loadSlowNodes circles on every one
// of loadSlowTicks ticks. A viewer that takes nothing would need a queue of
// every batch; merged, its pending state is one scene's worth of changes.
// What a queue would cost grows with the number of ticks, what merging
// costs with the number of nodes: many ticks of a small scene tell them
// apart.
const (
	loadSlowNodes = 200
	loadSlowTicks = 2000
	loadSlowRate  = 250 // ticks per second
	loadSlowFast  = 3   // viewers that read
	// The live heap of this process (server and viewers), measured when
	// nothing is in flight before the scene runs and after it finished,
	// may grow by loadSlowHeapBase plus loadSlowHeapPerViewer for each
	// viewer, reading or not: the scene's nodes gain a label, which the
	// scene, each reading viewer's mirror and each stalled viewer's
	// pending state then hold (about 200 KiB per viewer, measured). Queues
	// of what the stalled viewers missed would hold at least the encoded
	// bytes a reading viewer receives for each (some 20 MB), which the
	// test checks to be far above the bound.
	loadSlowHeapBase      = 512 << 10
	loadSlowHeapPerViewer = 256 << 10
	// loadSlowLiarBuffer is the receive buffer of the viewer that acks
	// without reading: small, so that the server's writes to it block on
	// TCP backpressure early in the run.
	loadSlowLiarBuffer = 16 << 10
	// loadSlowHeapPeak bounds the live heap at any moment while the scene
	// runs, in-flight batches included: generous, since it depends on
	// scheduling, but a queue of decoded batches for a stalled viewer
	// would pass it within seconds.
	loadSlowHeapPeak = 64 << 20
)

func TestLoadStalledViewers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a busy scene for 20 s; runs without -short")
	}
	for _, tc := range []struct {
		name           string
		stalled, liars int
	}{
		{"every viewer reads", 0, 0},
		{"one stops reading and one acks without reading", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) { loadStalledViewers(t, tc.stalled, tc.liars) })
	}
}

func loadStalledViewers(t *testing.T, stalled, liars int) {
	sc := scene.New(scene.Options{Width: 1000, Height: 1000, Rate: loadSlowRate, Paused: true})
	dots := make([]*scene.Node, loadSlowNodes)
	for i := range dots {
		dots[i] = sc.Root().Circle(float64(i), 0, 1)
	}
	label := sc.Root().Text(0, 0, "running", `id="label"`)
	ticks := 0
	sc.OnTick(func(float64) {
		if ticks == loadSlowTicks {
			return
		}
		ticks++
		// A position and a 40-byte label on every node: about 55 bytes
		// per node and tick on the wire.
		tag := fmt.Sprintf("tick %06d of a scene that keeps changing", ticks)
		for i, d := range dots {
			d.SetXY(float64(i), float64((ticks+i)%1000))
			d.Set("data-tick", tag)
		}
		if ticks == loadSlowTicks {
			label.SetText("done")
			sc.Pause()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() {
		defer close(simDone)
		sc.Run(ctx)
	}()
	defer func() { cancel(); <-simDone }()

	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	hub := NewHub(sc, quiet)
	s.HandleWS("/ws", hub.Endpoint())
	served := loadServe(t, s)
	defer served()
	url := "ws" + s.URL()[len("http"):] + "/ws"

	var fast, slow []*loadViewer
	for range loadSlowFast {
		fast = append(fast, newLoadViewer(t, url, loadReads))
	}
	for range stalled {
		slow = append(slow, newLoadViewer(t, url, loadStalls))
	}
	for range liars {
		slow = append(slow, newLoadViewer(t, url, loadLies))
	}
	for _, v := range append(append([]*loadViewer(nil), fast...), slow...) {
		v.waitFor(t, "its keyframe", 30*time.Second, func(m *stream.Mirror) bool { return m.Ready() })
	}
	for _, v := range slow {
		<-v.stopped // reads no more
	}

	// Run the scene, sampling the live heap.
	base := loadMeasure()
	var peak uint64
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-stopSampling:
				return
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}()
	start := time.Now()
	sc.Play()
	for _, v := range fast {
		v.waitFor(t, "the end", 2*time.Minute, loadMarkupHas(">done<"))
	}
	took := time.Since(start)
	close(stopSampling)
	<-sampled
	end := loadMeasure()
	if name := os.Getenv(envLoadHeapProfile); name != "" {
		loadHeapProfile(t, fmt.Sprintf("%s.%d", name, len(slow)))
	}

	// The readers got every tick's end state, at a rate set by the scene.
	want := fast[0].dump()
	var minBytes, minBatches int64 = -1, -1
	for i, v := range fast {
		if v.dump() != want {
			t.Fatalf("reading viewer %d ended in another state", i)
		}
		batches, bytes := v.counts()
		t.Logf("reading viewer %d: %d batches, %.1f MB in %.2f s: %.0f batches/s", i, batches, float64(bytes)/1e6, took.Seconds(), float64(batches)/took.Seconds())
		if minBytes < 0 || bytes < minBytes {
			minBytes, minBatches = bytes, batches
		}
	}
	growth := int64(end.heap) - int64(base.heap)
	bound := int64(loadSlowHeapBase + loadSlowHeapPerViewer*(len(fast)+len(slow)))
	t.Logf("live heap: %.2f MiB before the scene ran, %.2f MiB after (growth %.2f MiB, bound %.2f MiB), at most %.2f MiB while it ran; %d viewers, %d of them stalled",
		mib(base.heap), mib(end.heap), float64(growth)/(1<<20), float64(bound)/(1<<20), mib(peak), len(fast)+len(slow), len(slow))
	if growth > bound {
		t.Errorf("the live heap grew by %.2f MiB while the scene ran, more than the bound of %.2f MiB", float64(growth)/(1<<20), float64(bound)/(1<<20))
	}
	if peak > base.heap+loadSlowHeapPeak {
		t.Errorf("the live heap reached %.2f MiB while the scene ran, more than %d MiB over the %.2f MiB before", mib(peak), loadSlowHeapPeak>>20, mib(base.heap))
	}
	if len(slow) > 0 && int64(len(slow))*minBytes < 2*bound {
		t.Fatalf("a reading viewer received only %.1f MB: too little for the heap bound to show that nothing queued", float64(minBytes)/1e6)
	}
	// The server's writes to the lying viewer blocked: it wrote it far
	// fewer batches than the readers got. (Batches written to viewers, less
	// those the readers received, less a keyframe and at most Window
	// batches for each stalled viewer, are the liar's.)
	if liars > 0 && loadSmallReceiveBuffer(loadSlowLiarBuffer) != nil {
		written := int64(hub.Stats().Batches)
		for _, v := range fast {
			b, _ := v.counts()
			written -= b + 1
		}
		written -= int64(stalled) * (Window + 1)
		t.Logf("batches the server wrote to the viewer that acks without reading: at most %d", written)
		if written > minBatches/2 {
			t.Errorf("the server wrote up to %d batches to a viewer that does not read; its writes should have blocked", written)
		}
	}
	if got := hub.Stats().Viewers; got != len(fast)+len(slow) {
		t.Errorf("the hub has %d viewers, want %d: a stalled one was dropped", got, len(fast)+len(slow))
	}

	// The stalled viewers read again, and catch up with the final state
	// at once: what they missed was merged, not queued.
	for i, v := range slow {
		close(v.resume)
		v.waitFor(t, "the end after resuming", 2*time.Minute, loadMarkupHas(">done<"))
		if v.dump() != want {
			t.Fatalf("stalled viewer %d ended in another state", i)
		}
		batches, bytes := v.counts()
		changes := v.changeCount()
		t.Logf("%s viewer: %d batches (%d with scene changes), %.1f MB in all", v.mode, batches, changes, float64(bytes)/1e6)
		// What it reads: at most Window batches written before it
		// stopped, then one merged state. Statistics batches go on
		// arriving as long as it takes to read, so they are not counted.
		if v.mode == loadStalls && changes > Window+1 {
			t.Errorf("the viewer that stopped reading got %d batches with scene changes after it resumed; merging should give at most %d", changes, Window+1)
		}
	}
}

// loadViewerMode is how a test viewer behaves.
type loadViewerMode string

const (
	loadReads  loadViewerMode = "reading"
	loadStalls loadViewerMode = "stopped" // stops reading after its keyframe
	loadLies   loadViewerMode = "lying"   // acks everything, then stops reading
)

// loadViewer is a Go viewer of a hub: it applies batches to a mirror and
// acks them, as the browser client does, unless its mode says otherwise.
type loadViewer struct {
	c       *ws.Conn
	mode    loadViewerMode
	stopped chan struct{} // closed when a stalling viewer stops reading
	resume  chan struct{} // close to let it read again
	changed chan struct{}
	done    chan struct{}

	mu      sync.Mutex
	mirror  *stream.Mirror
	batches int64 // after the keyframe
	changes int64 // of those, the batches with more than stats in them
	bytes   int64
	err     error
}

func newLoadViewer(t *testing.T, url string, mode loadViewerMode) *loadViewer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}}
	if mode == loadLies {
		opts.NetDialContext = loadSmallReceiveBuffer(loadSlowLiarBuffer)
	}
	c, _, err := ws.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	v := &loadViewer{
		c: c, mode: mode, mirror: stream.NewMirror(),
		stopped: make(chan struct{}), resume: make(chan struct{}),
		changed: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go v.run()
	t.Cleanup(func() {
		c.CloseNow()
		select {
		case <-v.resume:
		default:
			close(v.resume)
		}
		<-v.done
	})
	return v
}

func (v *loadViewer) run() {
	defer close(v.done)
	ack := func(seq uint64) error {
		b, _ := (&wire.Event{Kind: wire.Ack, Seq: seq}).MarshalBinary()
		return v.c.Write(context.Background(), ws.MessageBinary, b)
	}
	for n := 0; ; n++ {
		_, msg, err := v.c.Read(context.Background())
		if err == nil {
			var b *wire.Batch
			if b, err = wire.DecodeBatch(msg); err == nil {
				v.mu.Lock()
				err = v.mirror.Apply(b)
				if n > 0 {
					v.batches++
					v.bytes += int64(len(msg))
					if !statsOnly(b) {
						v.changes++
					}
				}
				v.mu.Unlock()
			}
		}
		if err == nil {
			seq := v.seq()
			if n == 0 && v.mode == loadLies {
				seq = ^uint64(0) // everything, ever
			}
			err = ack(seq)
		}
		if err != nil {
			v.mu.Lock()
			v.err = err
			v.mu.Unlock()
			v.signal()
			return
		}
		v.signal()
		if n == 0 && v.mode != loadReads {
			close(v.stopped)
			<-v.resume
		}
	}
}

// statsOnly reports whether b carries nothing but the scene's statistics,
// which the scene sends about once a second whether it runs or not.
func statsOnly(b *wire.Batch) bool {
	for i := range b.Ops {
		if b.Ops[i].Code != wire.OpStats {
			return false
		}
	}
	return true
}

func (v *loadViewer) seq() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.mirror.Seq()
}

func (v *loadViewer) signal() {
	select {
	case v.changed <- struct{}{}:
	default:
	}
}

func (v *loadViewer) dump() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.mirror.Dump()
}

func (v *loadViewer) changeCount() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.changes
}

func (v *loadViewer) counts() (batches, bytes int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.batches, v.bytes
}

// waitFor waits until cond holds on the viewer's mirror.
func (v *loadViewer) waitFor(t *testing.T, what string, timeout time.Duration, cond func(*stream.Mirror) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		v.mu.Lock()
		ok, err := cond(v.mirror), v.err
		v.mu.Unlock()
		if ok {
			return
		}
		if err != nil {
			t.Fatalf("%s viewer failed waiting for %s: %v", v.mode, what, err)
		}
		select {
		case <-v.changed:
		case <-deadline:
			t.Fatalf("%s viewer: no %s within %v", v.mode, what, timeout)
		}
	}
}

func loadMarkupHas(s string) func(*stream.Mirror) bool {
	return func(m *stream.Mirror) bool { return m.Ready() && strings.Contains(m.Markup(), s) }
}
