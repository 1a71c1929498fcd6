package scene_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// onSim runs fn on the sim goroutine and waits for it.
func onSim[T any](s *scene.Scene, fn func() T) T {
	ch := make(chan T, 1)
	s.Do(func() { ch <- fn() })
	return <-ch
}

// recorder is a thread-safe sink.
type recorder struct {
	mu      sync.Mutex
	batches []wire.Batch
}

func (r *recorder) Send(b *wire.Batch) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *b
	c.Ops = append([]wire.Op(nil), b.Ops...)
	r.batches = append(r.batches, c)
	return true
}

func (r *recorder) ops(code wire.Code) []wire.Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wire.Op
	for _, b := range r.batches {
		for _, op := range b.Ops {
			if op.Code == code {
				out = append(out, op)
			}
		}
	}
	return out
}

// In these tests time is synctest's fake clock: time.Sleep advances it
// instantly once every goroutine of the bubble is blocked, so the loop's
// ticker runs without any real waiting.
func TestRunLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := scene.New(scene.Options{Rate: 10})
		var ticks int
		var dts []float64
		s.OnTick(func(dt float64) { ticks++; dts = append(dts, dt) })
		ticksNow := func() int { return onSim(s, func() int { return ticks }) }
		rec := &recorder{}
		s.Subscribe(rec)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()

		time.Sleep(time.Second + time.Millisecond)
		if got := ticksNow(); got != 10 {
			t.Fatalf("after 1s at 10 Hz: %d ticks", got)
		}
		if kf := rec.ops(wire.OpKeyframe); len(kf) != 1 {
			t.Fatalf("subscriber got %d keyframes", len(kf))
		}
		if st := rec.ops(wire.OpStats); len(st) != 1 || st[0].Stats.TickHz < 9.9 || st[0].Stats.Viewers != 1 || st[0].Stats.Paused {
			t.Fatalf("stats after 1s: %+v", st)
		}

		s.Pause()
		time.Sleep(time.Second)
		if got := ticksNow(); got != 10 {
			t.Fatalf("paused, yet %d ticks", got)
		}
		s.Step()
		s.Step()
		time.Sleep(time.Second)
		if got := ticksNow(); got != 12 {
			t.Fatalf("two steps gave %d ticks, want 12", got)
		}
		s.SetSpeed(3)
		s.Play()
		time.Sleep(100*time.Millisecond + time.Millisecond)
		got := onSim(s, func() []float64 { return append([]float64(nil), dts...) })
		if last := got[len(got)-1]; last < 0.2999 || last > 0.3001 {
			t.Fatalf("dt at speed 3 = %v, want 0.3", last)
		}
		if onSim(s, s.SimTime) < 1.49 {
			t.Fatalf("sim time %v", onSim(s, s.SimTime))
		}

		// Do from other goroutines runs on the sim goroutine, in order.
		var seen []int
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); s.Do(func() { seen = append(seen, i) }) }()
		}
		wg.Wait()
		if n := onSim(s, func() int { return len(seen) }); n != 3 {
			t.Fatalf("%d of 3 Do calls ran", n)
		}

		var buf bytes.Buffer
		if err := s.Snapshot(&buf); err != nil || !strings.Contains(buf.String(), `<svg`) {
			t.Fatalf("snapshot while running: %v %q", err, buf.String())
		}
		if err := s.Run(ctx); err == nil {
			t.Fatal("a second Run did not fail")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v", err)
		}
	})
}

func TestUnsubscribeStopsSends(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	rec := &recorder{}
	stop := s.Subscribe(rec)
	s.Advance(0)
	s.Root().Circle(1, 1, 1)
	stop()
	s.Advance(0)
	if n := len(rec.batches); n != 1 {
		t.Fatalf("got %d batches, want only the keyframe", n)
	}
	// Unsubscribing before the subscription ran sends nothing at all.
	rec2 := &recorder{}
	s.Subscribe(rec2)()
	s.Advance(0)
	if len(rec2.batches) != 0 {
		t.Fatal("an unsubscribed sink got a keyframe")
	}
}

// refusing is a sink that reports overflow once.
type refusing struct {
	recorder
	refused bool
}

func (r *refusing) Send(b *wire.Batch) bool {
	r.recorder.Send(b)
	if !r.refused && !b.IsKeyframe() {
		r.refused = true
		return false
	}
	return true
}

func TestSinkOverflowGetsKeyframe(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	r := &refusing{}
	s.Subscribe(r)
	s.Advance(0)
	c := s.Root().Circle(1, 1, 1)
	s.Advance(0)
	c.SetXY(2, 2)
	s.Advance(0)
	kinds := []bool{}
	for _, b := range r.batches {
		kinds = append(kinds, b.IsKeyframe())
	}
	equal(t, "keyframe flags", kinds, []bool{true, false, true, false})
}

func TestPanicPausesAndShowsOverlay(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	n := 0
	s.OnTick(func(float64) {
		n++
		panic("boom")
	})
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0.1)
	s.Advance(0.1)
	if n != 1 || s.Playing() {
		t.Fatalf("ticks %d, playing %v: a panic must pause the sim", n, s.Playing())
	}
	if d := v.mirror.Dump(); !strings.Contains(d, `overlay "panic in OnTick: boom`) {
		t.Fatalf("overlay missing: %s", d)
	}
}
