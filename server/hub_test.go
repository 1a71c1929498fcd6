package server

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// liveScene runs s until the test ends.
func liveScene(t testing.TB, s *scene.Scene) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// hubServer serves a hub for src at /ws.
func hubServer(t testing.TB, src wire.Source) (*Server, *Hub) {
	t.Helper()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	h := NewHub(src, quiet)
	s.HandleWS("/ws", h.Endpoint())
	start(t, s)
	return s, h
}

// viewerClient is a Go viewer: it applies batches to a stream.Mirror as the
// browser client does.
type viewerClient struct {
	c       *ws.Conn
	mu      sync.Mutex
	mirror  *stream.Mirror
	batches int
	stats   *wire.Stats
	changed chan struct{}
	err     error
	done    chan struct{}
}

func newViewer(t testing.TB, s *Server, throttle time.Duration) *viewerClient {
	t.Helper()
	c := dial(t, wsURL(s, "/ws"), &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	v := &viewerClient{c: c, mirror: stream.NewMirror(), changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for {
			_, msg, err := c.Read(context.Background())
			if err != nil {
				v.mu.Lock()
				v.err = err
				v.mu.Unlock()
				return
			}
			b, err := wire.DecodeBatch(msg)
			if err != nil {
				v.mu.Lock()
				v.err = err
				v.mu.Unlock()
				return
			}
			v.mu.Lock()
			v.batches++
			aerr := v.mirror.Apply(b)
			for _, op := range b.Ops {
				if op.Code == wire.OpStats {
					v.stats = op.Stats
				}
			}
			seq := v.mirror.Seq()
			v.mu.Unlock()
			if aerr != nil {
				v.mu.Lock()
				v.err = aerr
				v.mu.Unlock()
				return
			}
			ack, _ := (&wire.Event{Kind: wire.Ack, Seq: seq}).MarshalBinary()
			c.Write(context.Background(), ws.MessageBinary, ack)
			select {
			case v.changed <- struct{}{}:
			default:
			}
			if throttle > 0 {
				time.Sleep(throttle) // the slowness is the behaviour under test
			}
		}
	}()
	t.Cleanup(func() { c.CloseNow(); <-v.done })
	return v
}

// waitFor waits until cond holds on the viewer's mirror.
func (v *viewerClient) waitFor(t testing.TB, what string, cond func(m *stream.Mirror) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		v.mu.Lock()
		ok := v.mirror.Ready() && cond(v.mirror)
		err := v.err
		v.mu.Unlock()
		if ok {
			return
		}
		if err != nil {
			t.Fatalf("viewer failed waiting for %s: %v", what, err)
		}
		select {
		case <-v.changed:
		case <-deadline:
			v.mu.Lock()
			t.Logf("batches %d err %v markup tail %q", v.batches, v.err, tail(v.mirror.Markup()))
			v.mu.Unlock()
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func markupHas(s string) func(*stream.Mirror) bool {
	return func(m *stream.Mirror) bool { return strings.Contains(m.Markup(), s) }
}

func TestHubViewersStayInSync(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 100, Height: 100})
	dot := sc.Root().Circle(10, 10, 5, `id="dot"`)
	clicked := sc.Root().Text(0, 90, "none", `id="label"`)
	n := 0
	dot.OnClick(func(e scene.Pointer) {
		n++
		clicked.SetText("clicked")
	})
	x := 10.0
	sc.OnTick(func(dt float64) {
		x += 1
		if x > 90 {
			x = 10
		}
		dot.SetXY(x, 10)
	})
	liveScene(t, sc)
	srv, hub := hubServer(t, sc)

	a := newViewer(t, srv, 0)
	a.waitFor(t, "the dot", markupHas(`id="dot"`))
	b := newViewer(t, srv, 0) // a late joiner gets a keyframe
	b.waitFor(t, "the dot", markupHas(`id="dot"`))

	// A click from viewer a reaches the sim; viewer b sees the result.
	handle := dot.Handle()
	click, _ := (&wire.Event{Kind: wire.Click, Target: handle, X: 10, Y: 10, Button: 1}).MarshalBinary()
	if err := a.c.Write(context.Background(), ws.MessageBinary, click); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the click's effect", markupHas(">clicked<"))
	if hub.Stats().Viewers != 2 || hub.Stats().Events == 0 {
		t.Fatalf("hub stats %+v", hub.Stats())
	}
	a.waitFor(t, "stats with the viewer count", func(*stream.Mirror) bool { return a.stats != nil && a.stats.Viewers == 2 })
}

func TestHubThrottledViewer(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 100, Height: 100, Rate: 100})
	var dots []*scene.Node
	for i := 0; i < 100; i++ {
		dots = append(dots, sc.Root().Circle(float64(i), 0, 1))
	}
	ticks := 0
	final := sc.Root().Text(0, 0, "", `id="ticks"`)
	sc.OnTick(func(dt float64) {
		ticks++
		for i, d := range dots {
			d.SetXY(float64(i), float64(ticks%100))
		}
		if ticks == 300 {
			final.SetText("done")
			sc.Pause()
		}
	})
	liveScene(t, sc)
	srv, _ := hubServer(t, sc)
	fast := newViewer(t, srv, 0)
	slow := newViewer(t, srv, 100*time.Millisecond)

	fast.waitFor(t, "the end (fast)", markupHas(">done<"))
	slow.waitFor(t, "the end (slow)", markupHas(">done<"))
	fast.mu.Lock()
	slow.mu.Lock()
	fastDump, slowDump := fast.mirror.Dump(), slow.mirror.Dump()
	fb, sb := fast.batches, slow.batches
	fast.mu.Unlock()
	slow.mu.Unlock()
	if fastDump != slowDump {
		t.Fatal("the slow viewer ended in a different state")
	}
	// 300 ticks at 100 Hz take 3 s; the slow viewer takes at most ~10
	// batches a second, so it must have skipped frames instead of queueing.
	if sb >= fb || sb > 100 {
		t.Fatalf("slow viewer got %d batches, fast %d: no merging", sb, fb)
	}
	t.Logf("fast viewer: %d batches, slow viewer: %d batches for 300 ticks", fb, sb)
}

func TestHubRefusesMalformedMessages(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 10, Height: 10})
	sc.Root().Circle(1, 1, 1)
	liveScene(t, sc)
	srv, _ := hubServer(t, sc)
	bystander := newViewer(t, srv, 0)
	bystander.waitFor(t, "a keyframe", func(m *stream.Mirror) bool { return m.Ready() })

	enc := func(ev wire.Event) []byte {
		b, err := ev.MarshalBinary() // the encoder is permissive: it plays a hostile client
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	nan := float32(math.NaN())
	for _, tc := range []struct {
		typ  ws.MessageType
		msg  []byte
		code ws.StatusCode
	}{
		{ws.MessageBinary, []byte{0xEE, 1, 2}, ws.StatusInvalidFramePayloadData},
		{ws.MessageBinary, enc(wire.Event{Kind: wire.PointerDown, X: nan}), ws.StatusInvalidFramePayloadData},
		{ws.MessageBinary, enc(wire.Event{Kind: wire.ControlSet, Name: "g", Value: wire.Number(math.Inf(1))}), ws.StatusInvalidFramePayloadData},
		{ws.MessageBinary, enc(wire.Event{Kind: wire.KeyDown, Key: strings.Repeat("k", wire.MaxEventSize)}), ws.StatusMessageTooBig},
		{ws.MessageBinary, nil, ws.StatusInvalidFramePayloadData},
		{ws.MessageText, []byte("hello"), ws.StatusUnsupportedData},
	} {
		c := dial(t, wsURL(srv, "/ws"), &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		if err := c.Write(context.Background(), tc.typ, tc.msg); err != nil {
			t.Fatal(err)
		}
		var err error
		for err == nil {
			_, _, err = c.Read(context.Background())
		}
		if ws.CloseStatus(err) != tc.code {
			t.Fatalf("%q: %v, want %v", tail(string(tc.msg)), err, tc.code)
		}
	}
	// Without the subprotocol, the upgrade is refused.
	_, resp, err := ws.Dial(context.Background(), wsURL(srv, "/ws"), nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("no subprotocol: %v %v", resp, err)
	}
	bystander.mu.Lock()
	berr := bystander.err
	bystander.mu.Unlock()
	if berr != nil {
		t.Fatalf("bystander: %v", berr)
	}
}

func TestHubKeyframe(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 10, Height: 10})
	sc.Root().Rect(0, 0, 5, 5, `id="box"`)
	liveScene(t, sc)
	h := NewHub(sc, quiet)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := h.Keyframe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsKeyframe() || !strings.Contains(b.Ops[0].Text, `id="box"`) {
		t.Fatalf("%+v", b.Ops[0])
	}
	// A scene that is not running yields no keyframe, and says so.
	idle := NewHub(scene.New(scene.Options{}), quiet)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := idle.Keyframe(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("idle scene: %v", err)
	}
}

func tail(s string) string {
	if len(s) > 200 {
		return s[len(s)-200:]
	}
	return s
}

// TestHubSurvivesUpstreamSwap feeds viewers through a relay whose upstream
// is replaced by another scene, whose sequence numbers start over, as in a
// live-reload swap.
func TestHubSurvivesUpstreamSwap(t *testing.T) {
	t.Parallel()
	old := scene.New(scene.Options{Width: 10, Height: 10})
	oldDot := old.Root().Circle(1, 1, 1, `id="old"`)
	ticks := 0
	old.OnTick(func(float64) { ticks++; oldDot.SetXY(float64(ticks%10), 1) })
	liveScene(t, old)
	relay := stream.NewRelay(func(wire.Event) {})
	unsub := old.Subscribe(relay)
	srv, _ := hubServer(t, relay)
	v := newViewer(t, srv, 0)
	v.waitFor(t, "the old scene", markupHas(`id="old"`))
	// Let the old scene run far ahead of the new one's numbering.
	v.waitFor(t, "many old batches", func(*stream.Mirror) bool { return v.batches > 30 })

	fresh := scene.New(scene.Options{Width: 10, Height: 10})
	label := fresh.Root().Text(0, 5, "v2", `id="new"`)
	n := 0
	fresh.OnTick(func(float64) {
		n++
		if n == 20 {
			label.SetText("v2 running")
		}
	})
	liveScene(t, fresh)
	unsub()
	unsubFresh := fresh.Subscribe(relay)
	defer unsubFresh()
	v.waitFor(t, "the new scene's later frames", markupHas(">v2 running<"))
	if strings.Contains(v.mirror.Markup(), `id="old"`) {
		t.Fatal("old scene still shown")
	}
}

// The hub stamps each viewer's events with its number, and tells the
// source when the viewer leaves: a drag in progress ends with it.
func TestHubViewerLeavingEndsItsDrags(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 10, Height: 10, Logger: quiet})
	phases := make(chan scene.Drag, 8)
	c := sc.Root().Circle(1, 1, 1)
	c.OnDrag(func(d scene.Drag) { phases <- d })
	liveScene(t, sc)
	srv, _ := hubServer(t, sc)
	v := newViewer(t, srv, 0)
	v.waitFor(t, "a keyframe", func(m *stream.Mirror) bool { return m.Ready() })
	down, _ := (&wire.Event{Kind: wire.PointerDown, Target: c.Handle(), X: 1, Y: 1, Button: 1, Buttons: 1, Pointer: 1}).MarshalBinary()
	if err := v.c.Write(context.Background(), ws.MessageBinary, down); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := func() scene.Drag {
		select {
		case d := <-phases:
			return d
		case <-ctx.Done():
			t.Fatal("no drag event")
			panic("unreachable")
		}
	}
	start := next()
	if start.Phase != scene.DragStart || start.Viewer == 0 {
		t.Fatalf("first drag event: phase %v from viewer %d, want a start from a numbered viewer", start.Phase, start.Viewer)
	}
	v.c.CloseNow()
	if end := next(); end.Phase != scene.DragEnd || end.Viewer != start.Viewer {
		t.Fatalf("after the viewer left: phase %v from viewer %d, want the end of viewer %d's drag", end.Phase, end.Viewer, start.Viewer)
	}
}

// A viewer that sends more events than ViewerEventRate has the excess
// dropped, and counted; its connection stays open.
func TestHubViewerEventRate(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 10, Height: 10, Logger: quiet})
	sc.Root().Circle(1, 1, 1)
	liveScene(t, sc)
	srv, h := hubServer(t, sc)
	v := newViewer(t, srv, 0)
	v.waitFor(t, "a keyframe", func(m *stream.Mirror) bool { return m.Ready() })
	key, _ := (&wire.Event{Kind: wire.KeyDown, Key: "a", Code: "KeyA"}).MarshalBinary()
	const n = 4 * ViewerEventRate
	start := time.Now()
	for range n {
		if err := v.c.Write(context.Background(), ws.MessageBinary, key); err != nil {
			t.Fatal(err)
		}
	}
	// An ack after the events: once it is applied, the hub has read them.
	ack, _ := (&wire.Event{Kind: wire.Ack, Seq: 1}).MarshalBinary()
	v.c.Write(context.Background(), ws.MessageBinary, ack)
	eventually(t, "every event read", func() bool { st := h.Stats(); return st.Events+st.Dropped == n })
	took := time.Since(start)
	st := h.Stats()
	allowed := uint64(ViewerEventRate + took.Seconds()*ViewerEventRate + 1)
	t.Logf("%d events in %v: %d dispatched, %d dropped (allowed %d)", n, took.Round(time.Millisecond), st.Events, st.Dropped, allowed)
	if st.Events > allowed {
		t.Fatalf("%d events dispatched in %v: the rate allows at most %d", st.Events, took, allowed)
	}
	if st.Dropped == 0 && took < (n/ViewerEventRate-1)*time.Second {
		t.Fatalf("no event dropped of %d sent in %v", n, took)
	}
	v.mu.Lock()
	err := v.err
	v.mu.Unlock()
	if err != nil {
		t.Fatalf("the viewer's connection ended: %v", err)
	}
}
