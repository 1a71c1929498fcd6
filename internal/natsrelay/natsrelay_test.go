package natsrelay

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// sim is a scene the test steps itself, a mirror of what it sent (the
// oracle), and the events it was given.
type sim struct {
	*scene.Scene
	rng     *rand.Rand
	circles []*scene.Node
	oracle  *mirrorSink
	events  chan wire.Event
}

func newSim(t *testing.T, n int, seed uint64) *sim {
	s := &sim{
		Scene:  scene.New(scene.Options{Width: 1000, Height: 1000}),
		rng:    rand.New(rand.NewPCG(seed, 1)),
		oracle: newMirrorSink(),
		events: make(chan wire.Event, 4096),
	}
	for i := range n {
		s.circles = append(s.circles, s.Root().Circle(float64(i), 0, 2, "fill:teal"))
	}
	s.Subscribe(s.oracle)
	s.Advance(0)
	return s
}

// Dispatch records the event and passes it on.
func (s *sim) Dispatch(e wire.Event) {
	select {
	case s.events <- e:
	default:
	}
	s.Scene.Dispatch(e)
}

// step moves every circle and now and then adds or removes one.
func (s *sim) step() {
	for _, c := range s.circles {
		c.SetXY(s.rng.Float64()*1000, s.rng.Float64()*1000)
	}
	switch s.rng.IntN(8) {
	case 0:
		s.circles = append(s.circles, s.Root().Circle(1, 1, 3, "fill:orange"))
	case 1:
		if len(s.circles) > 1 {
			s.circles[0].Remove()
			s.circles = s.circles[1:]
		}
	}
	s.Advance(1.0 / 60)
}

// mirrorSink is a viewer's DOM: a sink that applies what it gets.
type mirrorSink struct {
	mu sync.Mutex
	m  *stream.Mirror
	n  int
}

func newMirrorSink() *mirrorSink { return &mirrorSink{m: stream.NewMirror()} }

func (v *mirrorSink) Send(b *wire.Batch) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	return v.m.Apply(b) == nil
}

func (v *mirrorSink) Dump() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m.Dump()
}

type rig struct {
	t      *testing.T
	broker *Broker
	addr   string
	pubNC  *nats.Conn
	pub    *Publisher
	sim    *sim
	relays []*relay
}

type relay struct {
	nc   *nats.Conn
	sub  *Subscriber
	view *mirrorSink
}

func startBroker(t *testing.T, addr string, maxPayload int32) *Broker {
	t.Helper()
	b, err := StartBroker(addr, &BrokerOptions{MaxPayload: maxPayload})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newRig starts a broker (a small payload limit, so that keyframes and
// large batches go in chunks), a publisher for a sim of n circles, and
// relays.
func newRig(t *testing.T, n, relays int) *rig {
	r := &rig{t: t, broker: startBroker(t, "127.0.0.1:0", 16<<10)}
	r.addr = r.broker.Addr().String()
	t.Cleanup(func() {
		for _, x := range r.relays {
			x.sub.Close()
			x.nc.Close()
		}
		if r.pub != nil {
			r.pub.Close()
		}
		r.pubNC.Close()
		r.broker.Close()
	})
	r.pubNC = connect(t, r.broker.URL(), "origin")
	r.sim = newSim(t, n, 1)
	r.startPublisher(r.sim)
	for range relays {
		r.addRelay()
	}
	return r
}

func connect(t *testing.T, url, name string) *nats.Conn {
	t.Helper()
	nc, err := Connect(url, name)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

func (r *rig) startPublisher(s *sim) {
	r.t.Helper()
	p, err := NewPublisher(r.pubNC, s, &PublisherOptions{Scene: "test", Viewers: func() int { return 1 }})
	if err != nil {
		r.t.Fatal(err)
	}
	r.pub = p
	s.Advance(0) // the publisher's keyframe
}

func (r *rig) addRelay() *relay {
	r.t.Helper()
	name := fmt.Sprintf("relay%d", len(r.relays)+1)
	x := &relay{nc: connect(r.t, "nats://"+r.addr, name), view: newMirrorSink()}
	var err error
	x.sub, err = NewSubscriber(x.nc, &SubscriberOptions{Scene: "test", Name: name, Viewers: func() int { return 10 }})
	if err != nil {
		r.t.Fatal(err)
	}
	x.sub.Relay().Subscribe(x.view)
	r.relays = append(r.relays, x)
	return x
}

// settle waits until every relay has the publisher's last publication and
// shows the oracle's DOM.
func (r *rig) settle(ctx context.Context) {
	r.t.Helper()
	want := r.sim.oracle.Dump()
	for i, x := range r.relays {
		err := x.sub.Wait(ctx, func(st SubscriberStats) bool {
			return st.Synced && st.Epoch == r.pub.Epoch() && r.pub.settled() && st.Pub == r.pub.Pub()
		})
		if err != nil {
			r.t.Fatalf("relay %d: %v (publisher at %+v)", i+1, err, r.pub.Stats())
		}
		if got := x.view.Dump(); got != want {
			r.t.Fatalf("relay %d's viewer differs from the origin:\n got  %.300s\n want %.300s", i+1, got, want)
		}
	}
}

func TestRelaysMirrorTheOrigin(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 300, 2) // a 300-circle keyframe is several 16 KiB chunks
	for range 40 {
		r.sim.step()
	}
	r.settle(ctx)
	late := r.addRelay() // joins mid-stream: a keyframe, then the stream
	for range 40 {
		r.sim.step()
	}
	r.settle(ctx)
	for i, x := range r.relays {
		st := x.sub.Stats()
		if st.Gaps != 0 {
			t.Errorf("relay %d saw %d gaps on a lossless broker", i+1, st.Gaps)
		}
		if st.Keyframes != 1 {
			t.Errorf("relay %d applied %d keyframes, want 1", i+1, st.Keyframes)
		}
	}
	if late.sub.Stats().Publications == 0 {
		t.Error("the late relay applied no publication after its keyframe")
	}
}

func TestDroppedPublicationResyncs(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 100, 2)
	r.settle(ctx)
	r.pub.drop.Store(r.pub.Pub() + 1)
	for range 10 {
		r.sim.step()
	}
	r.settle(ctx)
	for i, x := range r.relays {
		st := x.sub.Stats()
		if st.Gaps != 1 || st.Keyframes != 2 {
			t.Errorf("relay %d: %d gaps, %d keyframes; want 1 and 2 (the first, the resync)", i+1, st.Gaps, st.Keyframes)
		}
	}
}

// TestIdleGapIsSeen: a lost last publication is noticed from the
// heartbeat while the sim is idle.
func TestIdleGapIsSeen(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 10, 1)
	r.settle(ctx)
	r.pub.drop.Store(r.pub.Pub() + 1)
	r.sim.step()
	r.settle(ctx)
	if st := r.relays[0].sub.Stats(); st.Gaps != 1 || st.Heartbeats == 0 {
		t.Errorf("%+v: want one gap, found by a heartbeat", st)
	}
}

func TestBrokerRestart(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 200, 2)
	r.settle(ctx)
	stop := make(chan struct{})
	stepped := make(chan struct{})
	var ticks sync.WaitGroup
	ticks.Go(func() { // the sim runs at 60 Hz throughout
		tick := time.NewTicker(time.Second / 60)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				r.sim.step()
				select {
				case stepped <- struct{}{}:
				default:
				}
			}
		}
	})
	before := make([]SubscriberStats, len(r.relays))
	for i, x := range r.relays {
		before[i] = x.sub.Stats()
	}
	r.broker.Close()
	outage := time.NewTimer(time.Second) // the outage injected, not a wait
	<-outage.C
	r.broker = startBroker(t, r.addr, 16<<10)
	back := time.Now()
	at := r.pub.Pub()
	for i, x := range r.relays {
		if err := x.sub.Wait(ctx, func(st SubscriberStats) bool { return st.Synced && st.Pub > at }); err != nil {
			t.Fatalf("relay %d: %v", i+1, err)
		}
	}
	live := time.Since(back)
	close(stop)
	ticks.Wait()
	r.settle(ctx)
	t.Logf("live again %v after the broker came back", live.Round(time.Millisecond))
	if live > time.Second {
		t.Errorf("the relays were live again %v after the broker came back; want ≤ 1 s", live)
	}
	for i, x := range r.relays {
		if k := x.sub.Stats().Keyframes - before[i].Keyframes; k > 2 {
			t.Errorf("relay %d needed %d keyframes for the restart; want ≤ 2", i+1, k)
		} else {
			t.Logf("relay %d: %d keyframes for the restart", i+1, k)
		}
	}
}

func TestEventsCarryTheViewer(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 3, 2)
	r.settle(ctx)
	x := r.relays[1]
	x.sub.Relay().Dispatch(wire.Event{Kind: wire.PointerDown, Target: 2, X: 5, Y: 6, Button: 1, Buttons: 1, Pointer: 7, Viewer: 42})
	var e wire.Event
	select {
	case e = <-r.sim.events:
	case <-ctx.Done():
		t.Fatal("the event did not reach the sim")
	}
	if e.Kind != wire.PointerDown || e.Pointer != 7 || e.X != 5 || e.Target != 2 {
		t.Errorf("the sim got %v", e)
	}
	relay, viewer, ok := r.pub.Identity(e.Viewer)
	if !ok || relay != "relay2" || viewer != 42 || e.Viewer < RemoteViewers {
		t.Errorf("event from viewer %d: identity (%q, %d, %v); want relay2's viewer 42", e.Viewer, relay, viewer, ok)
	}
	x.sub.Relay().Dispatch(wire.Event{Kind: wire.ViewerLeft, Viewer: 42})
	select {
	case e2 := <-r.sim.events:
		if e2.Kind != wire.ViewerLeft || e2.Viewer != e.Viewer {
			t.Errorf("after the viewer left the sim got %v", e2)
		}
	case <-ctx.Done():
		t.Fatal("the viewer's leaving did not reach the sim")
	}
	if _, _, ok := r.pub.Identity(e.Viewer); ok {
		t.Error("the publisher still knows a viewer that left")
	}
}

func TestEventRateIsPerViewer(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 3, 1)
	r.settle(ctx)
	r.pub.o.EventRate = 10 // before any event: read by the events' goroutine only
	const burst = 200
	start := time.Now()
	for i := range burst {
		r.relays[0].sub.Relay().Dispatch(wire.Event{Kind: wire.KeyDown, Key: "a", Viewer: 1 + uint64(i%2)})
	}
	got := 0
	recheck := time.NewTicker(10 * time.Millisecond) // drops come without a signal
	defer recheck.Stop()
	for got+int(r.pub.Stats().Dropped) < burst {
		select {
		case <-r.sim.events:
			got++
		case <-recheck.C:
		case <-ctx.Done():
			t.Fatalf("%d events came and %d were dropped of %d", got, r.pub.Stats().Dropped, burst)
		}
	}
	// Each of the two viewers has a burst of 10, and 10 more a second.
	if limit := 2 * (10 + 10*time.Since(start).Seconds()); got < 20 || float64(got) > limit+1 {
		t.Errorf("%d of %d events passed; want 20 to %.0f", got, burst, limit)
	}
}

// TestNewEpochSwapsIn: the sim dies and another takes its place; the
// relays' viewers, still subscribed, show the new scene.
func TestNewEpochSwapsIn(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 50, 2)
	r.settle(ctx)
	old := r.pub.Epoch()
	r.pub.Close()
	r.sim = newSim(t, 80, 2)
	r.startPublisher(r.sim)
	r.sim.step()
	r.settle(ctx)
	if r.pub.Epoch() == old {
		t.Fatal("the new publisher kept the epoch")
	}
}

func TestPresence(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 3, 2)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	// 1 at the origin, 10 at each relay.
	for r.pub.Viewers(1) != 21 || r.relays[0].sub.Viewers(10) != 21 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("presence: origin counts %d, relay %d; want 21", r.pub.Viewers(1), r.relays[0].sub.Viewers(10))
		}
	}
}

// TestSilentOriginShowsOverlay: the sim dies (its publisher with it); the
// relays' pages show StaleText, then a new sim swaps in and the overlay
// goes.
func TestSilentOriginShowsOverlay(t *testing.T) {
	ctx, cancel := deadline.Context(t)
	defer cancel()
	r := newRig(t, 20, 2)
	r.settle(ctx)
	r.pub.Close()
	died := time.Now()
	for i, x := range r.relays {
		if err := x.sub.Wait(ctx, func(st SubscriberStats) bool { return st.Stale }); err != nil {
			t.Fatalf("relay %d: %v", i+1, err)
		}
		if !strings.Contains(x.view.Dump(), "overlay "+strconv.Quote(StaleText)) {
			t.Errorf("relay %d's viewer shows no overlay:\n%.400s", i+1, x.view.Dump())
		}
	}
	if d := time.Since(died); d > 3*time.Second {
		t.Errorf("the overlay came %v after the sim died; want ≤ 3 s", d)
	}
	r.sim = newSim(t, 30, 3)
	r.startPublisher(r.sim)
	r.settle(ctx) // the oracle has no overlay: it went
}
