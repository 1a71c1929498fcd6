package scene_test

import (
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func run(s *scene.Scene, cmd wire.RunCmd, speed float32) {
	s.Dispatch(wire.Event{Kind: wire.Run, Cmd: cmd, Speed: speed})
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	rec := &recorder{}
	s.Subscribe(rec)
	ticks := 0
	s.OnTick(func(float64) { ticks++ })
	s.Advance(0.1)
	if ticks != 1 {
		t.Fatalf("playing: %d ticks, want 1", ticks)
	}

	run(s, wire.RunPause, 0)
	for range 3 {
		s.Advance(0.1)
	}
	if ticks != 1 || s.Playing() {
		t.Fatalf("paused: %d ticks (want 1), playing %v", ticks, s.Playing())
	}
	st := rec.ops(wire.OpStats)
	if len(st) == 0 || !st[len(st)-1].Stats.Paused {
		t.Fatalf("stats after pause: %+v, want one saying paused", st)
	}

	run(s, wire.RunStep, 0)
	for range 3 {
		s.Advance(0.1)
	}
	if ticks != 2 || s.Playing() {
		t.Fatalf("step: %d ticks (want 2), playing %v", ticks, s.Playing())
	}

	for _, tt := range []struct{ in, want float32 }{{2, 2}, {100, 8}, {0.01, 0.25}, {-3, 0.25}, {0.5, 0.5}} {
		run(s, wire.RunSpeed, tt.in)
		s.Advance(0.1)
		if got := s.Speed(); got != float64(tt.want) {
			t.Errorf("speed %v: got %v, want %v", tt.in, got, tt.want)
		}
	}
	st = rec.ops(wire.OpStats)
	if got := st[len(st)-1].Stats.Speed; got != 0.5 {
		t.Errorf("stats speed %v, want 0.5", got)
	}

	run(s, wire.RunPlay, 0)
	s.Advance(0.1)
	if ticks != 3 || !s.Playing() {
		t.Fatalf("play: %d ticks (want 3), playing %v", ticks, s.Playing())
	}
	if got, want := s.SimTime(), 0.1+0.1+0.05; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("sim time %v, want %v", got, want)
	}
}

func TestRunReset(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	rec := &recorder{}
	s.Subscribe(rec)
	x := 0
	s.OnTick(func(float64) { x++ })
	run(s, wire.RunReset, 0) // no OnReset: nothing happens
	s.Advance(1)
	if x != 1 || s.SimTime() != 1 || s.CanReset() {
		t.Fatalf("reset without OnReset: x %d, sim time %v, CanReset %v", x, s.SimTime(), s.CanReset())
	}
	if st := rec.ops(wire.OpStats); st[len(st)-1].Stats.CanReset {
		t.Fatal("stats say a scene without OnReset can reset")
	}

	resets := 0
	s.OnReset(func() { resets++; x = 0 })
	run(s, wire.RunPause, 0)
	run(s, wire.RunReset, 0)
	s.Advance(1)
	if resets != 1 || s.SimTime() != 1 || x != 1 || !s.Playing() {
		t.Fatalf("reset: %d calls (want 1), sim time %v (want 1: reset to 0, then a tick), x %d, playing %v", resets, s.SimTime(), x, s.Playing())
	}
	if st := rec.ops(wire.OpStats); !st[len(st)-1].Stats.CanReset {
		t.Fatal("stats do not say the scene can reset")
	}
}

func TestPanicStack(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Logger: discard()})
	rec := &recorder{}
	s.Subscribe(rec)
	var m map[string]int
	s.OnTick(func(float64) {
		m["x"] = 1 // a runtime panic the first time: the runtime's frames come first
	})
	s.Advance(0.1)
	ov := rec.ops(wire.OpOverlay)
	if len(ov) != 1 {
		t.Fatalf("%d overlays, want 1", len(ov))
	}
	text := ov[0].Text
	_, stack, ok := strings.Cut(text, "paused.\n\n")
	if !ok {
		t.Fatalf("no stack in overlay %q", text)
	}
	lines := strings.Split(stack, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "goroutine ") {
		t.Fatalf("stack does not start with its goroutine:\n%s", stack)
	}
	if want := "github.com/vizserve/vizserve/scene_test.TestPanicStack.func"; !strings.HasPrefix(lines[1], want) {
		t.Fatalf("first frame %q, want the test's function %s…; stack:\n%s", lines[1], want, stack)
	}
	for _, bad := range []string{"runtime/debug", "runtime.", "(*Scene).guard", "(*Scene).Advance", "panic("} {
		if strings.Contains(stack, bad) {
			t.Errorf("stack has %q:\n%s", bad, stack)
		}
	}
	st := rec.ops(wire.OpStats)
	if len(st) == 0 || !st[len(st)-1].Stats.Halted || !st[len(st)-1].Stats.Paused {
		t.Fatalf("stats after a panic: %+v, want halted and paused", st)
	}

	// Resume clears the overlay and the halt.
	m = map[string]int{}
	run(s, wire.RunPlay, 0)
	s.Advance(0.1)
	ov = rec.ops(wire.OpOverlay)
	if len(ov) != 2 || ov[1].Text != "" {
		t.Fatalf("overlays after play %+v, want the panic's cleared", ov)
	}
	if st = rec.ops(wire.OpStats); st[len(st)-1].Stats.Halted || !s.Playing() {
		t.Fatal("play left the sim halted")
	}
}
