package main

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const dt = 1.0 / 60

// still returns a world of n balls at rest at the given places, and a
// viewer of it.
func still(t *testing.T, balls ...Ball) (*world, *scenetest.Viewer) {
	t.Helper()
	w := newWorld(len(balls), 1)
	w.shake = false
	copy(w.st.Balls, balls)
	w.sync()
	v := scenetest.New(t, w.s)
	v.Advance(0)
	return w, v
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// drawn checks that ball i is where the state says in the viewer's DOM,
// as the wire carries it (float32).
func drawn(t *testing.T, v *scenetest.Viewer, w *world, i int) {
	t.Helper()
	b := w.st.Balls[i]
	id := "ball-" + itoa(i)
	if !v.Has(id) {
		t.Fatalf("no element %s", id)
	}
	if cx, cy := v.Attr(id, "cx"), v.Attr(id, "cy"); cx != wire.FormatNum(float32(b.X)) || cy != wire.FormatNum(float32(b.Y)) {
		t.Errorf("ball-%d drawn at (%s, %s), state says (%v, %v)", i, cx, cy, b.X, b.Y)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestFall: a ball dropped from rest falls as semi-implicit Euler says,
// and its node follows it.
func TestFall(t *testing.T) {
	t.Parallel()
	w, v := still(t, Ball{X: 400, Y: 100})
	const ticks = 30
	v.AdvanceN(ticks, dt)
	b := w.st.Balls[0]
	near(t, "vy", b.VY, w.gravity*dt*ticks)
	near(t, "y", b.Y, 100+w.gravity*dt*dt*ticks*(ticks+1)/2)
	near(t, "x", b.X, 400)
	drawn(t, v, w, 0)
}

// TestBounce: each wall reflects the speed towards it, scaled by the
// elasticity, and keeps the ball inside.
func TestBounce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ball   Ball
		wantX  float64
		wantY  func(g float64) float64
		wantVX func(g, e float64) float64
		wantVY func(g, e float64) float64
	}{
		{"floor", Ball{X: 400, Y: boxHeight - radius - 1, VY: 300}, 400,
			func(float64) float64 { return boxHeight - radius },
			func(g, e float64) float64 { return 0 },
			func(g, e float64) float64 { return -(300 + g*dt) * e }},
		{"ceiling", Ball{X: 400, Y: radius + 1, VY: -300}, 400,
			func(float64) float64 { return radius },
			func(g, e float64) float64 { return 0 },
			func(g, e float64) float64 { return (300 - g*dt) * e }},
		{"left", Ball{X: radius + 1, Y: 200, VX: -300}, radius,
			func(g float64) float64 { return 200 + g*dt*dt },
			func(g, e float64) float64 { return 300 * e },
			func(g, e float64) float64 { return g * dt }},
		{"right", Ball{X: width - radius - 1, Y: 200, VX: 300}, width - radius,
			func(g float64) float64 { return 200 + g*dt*dt },
			func(g, e float64) float64 { return -300 * e },
			func(g, e float64) float64 { return g * dt }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, v := still(t, tc.ball)
			v.Advance(dt)
			b := w.st.Balls[0]
			near(t, "x", b.X, tc.wantX)
			near(t, "y", b.Y, tc.wantY(w.gravity))
			near(t, "vx", b.VX, tc.wantVX(w.gravity, w.elasticity))
			near(t, "vy", b.VY, tc.wantVY(w.gravity, w.elasticity))
			drawn(t, v, w, 0)
		})
	}
}

// TestClickKicks: a click on a ball, as the browser sends it, kicks that
// ball up and away from the side it was hit on; a click elsewhere does
// nothing.
func TestClickKicks(t *testing.T) {
	t.Parallel()
	w, v := still(t, Ball{X: 100, Y: 300}, Ball{X: 600, Y: 300})
	v.Click("ball-1", 596, 302)
	v.Click("box", 100, 250)
	v.Advance(dt)
	near(t, "kicked vy", w.st.Balls[1].VY, -kickSpeed+w.gravity*dt)
	near(t, "kicked vx", w.st.Balls[1].VX, 4*kickSpread)
	near(t, "other vy", w.st.Balls[0].VY, w.gravity*dt)
	near(t, "other vx", w.st.Balls[0].VX, 0)
	drawn(t, v, w, 1)
}

// TestSliders: a viewer's control change reaches the bound variable,
// clamped to the slider's range, and changes how the balls move.
func TestSliders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		control        string
		value          float64
		wantG, wantE   float64
		wantVYAfterOne float64 // of a ball at rest in mid-air
	}{
		{"no gravity", "gravity", 0, 0, 0.9, 0},
		{"strong gravity", "gravity", 2000, 2000, 0.9, 2000 * dt},
		{"gravity over the range", "gravity", 5000, 2000, 0.9, 2000 * dt},
		{"dead walls", "elasticity", 0, 500, 0, 500 * dt},
		{"elasticity over the range", "elasticity", 1.5, 500, 1, 500 * dt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, v := still(t, Ball{X: 400, Y: 200})
			v.Set(tc.control, wire.Number(tc.value))
			v.Advance(dt)
			if w.gravity != tc.wantG || w.elasticity != tc.wantE {
				t.Errorf("gravity %v, elasticity %v; want %v, %v", w.gravity, w.elasticity, tc.wantG, tc.wantE)
			}
			near(t, "vy", w.st.Balls[0].VY, tc.wantVYAfterOne)
		})
	}
}

// TestEnergy: the chart plots the total energy; bounces lose it, a kick
// adds it.
func TestEnergy(t *testing.T) {
	t.Parallel()
	w := newWorld(10, 7)
	w.elasticity = 0.5
	w.shake = false
	w.s.Advance(dt)
	if got, want := lastEnergy(w), w.totalEnergy(); got != want {
		t.Fatalf("chart shows %v, energy is %v", got, want)
	}
	start := lastEnergy(w)
	for range 600 {
		w.s.Advance(dt)
	}
	late := lastEnergy(w)
	if late > start/2 {
		t.Errorf("energy went from %v to %v in 10 s with elasticity 0.5", start, late)
	}
	w.s.Dispatch(wire.Event{Kind: wire.Click, Target: w.nodes[3].Handle(), X: float32(w.st.Balls[3].X), Y: float32(w.st.Balls[3].Y)})
	w.s.Advance(dt)
	if kicked := lastEnergy(w); kicked < late+0.5*kickSpeed*kickSpeed/1000/2 {
		t.Errorf("energy %v after a kick, %v before", kicked, late)
	}
}

// TestShake: with "shake" on, balls at rest on the floor get one kick
// every shakeEvery seconds, so the page is never still; off, they stay.
func TestShake(t *testing.T) {
	t.Parallel()
	floor := boxHeight - radius
	for _, on := range []bool{true, false} {
		w, v := still(t, Ball{X: 100, Y: floor}, Ball{X: 400, Y: floor}, Ball{X: 700, Y: floor})
		w.gravity = 0
		v.Set("shake", wire.Bool(on))
		steps := int(math.Round(shakeEvery/dt)) + 1
		v.AdvanceN(steps, dt)
		kicked := 0
		for _, b := range w.st.Balls {
			if b.VY == -kickSpeed {
				kicked++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[on]; kicked != want {
			t.Errorf("shake %v: %d balls kicked in %d ticks (%.2f s), want %d", on, kicked, steps, float64(steps)*dt, want)
		}
	}
}

// TestStateCarried does what a live reload does with State: the old
// world's state, as JSON, replaces the new world's, then OnRestore (sync)
// brings the nodes in line, whatever number of balls each started with.
func TestStateCarried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		oldN, newN int
	}{
		{"fewer balls in the new code", 6, 3},
		{"more balls in the new code", 2, 5},
		{"as many", 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			old := newWorld(tc.oldN, 1)
			for range 20 {
				old.s.Advance(dt)
			}
			data, err := json.Marshal(old.st)
			if err != nil {
				t.Fatal(err)
			}
			nw := newWorld(tc.newN, 2)
			if err := json.Unmarshal(data, nw.st); err != nil {
				t.Fatal(err)
			}
			nw.sync()
			v := scenetest.New(t, nw.s)
			v.Advance(0)
			if len(nw.nodes) != tc.oldN {
				t.Fatalf("%d nodes for %d balls", len(nw.nodes), tc.oldN)
			}
			for i := range tc.oldN {
				drawn(t, v, nw, i)
			}
			for i := tc.oldN; i < tc.newN; i++ {
				if v.Has("ball-" + itoa(i)) {
					t.Errorf("ball-%d is still drawn", i)
				}
			}
			// Both go on alike, and every ball still takes clicks.
			last := tc.oldN - 1
			b := old.st.Balls[last]
			for _, w := range []*world{old, nw} {
				w.s.Dispatch(wire.Event{Kind: wire.Click, Target: w.nodes[last].Handle(), X: float32(b.X), Y: float32(b.Y)})
				w.s.Advance(dt)
			}
			for i := range tc.oldN {
				if old.st.Balls[i] != nw.st.Balls[i] {
					t.Errorf("ball %d: %+v after the reload, %+v without", i, nw.st.Balls[i], old.st.Balls[i])
				}
			}
			if nw.st.Balls[last].VY >= 0 {
				t.Errorf("the last ball was not kicked: %+v", nw.st.Balls[last])
			}
		})
	}
}

// TestProgram runs the example as `go run ./examples/bouncing -n 7` does,
// and reads its page.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not with -short")
	}
	t.Parallel()
	p := e2e.StartProgram(t, "github.com/vizserve/vizserve/examples/bouncing", "-addr", "127.0.0.1:0", "-n", "7")
	status, body := extest.Get(t, p.URL+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if n := strings.Count(body, `id="ball-`); n != 7 {
		t.Errorf("the page shows %d balls, want 7", n)
	}
	for _, want := range []string{"<title>bouncing", "Gravity (px/s²)", "Elasticity", `class="vz-plot"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// lastEnergy is the newest value of the energy chart.
func lastEnergy(w *world) float64 {
	_, e, _ := w.energy.Last()
	return e
}
