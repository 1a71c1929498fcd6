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

// flock returns a world of the given boids and a viewer of it.
func flock(t *testing.T, boids ...Boid) (*world, *scenetest.Viewer) {
	t.Helper()
	w := newWorld(len(boids), 1)
	copy(w.st.Boids, boids)
	w.sync()
	v := scenetest.New(t, w.s)
	v.Advance(0)
	return w, v
}

// drawn checks that boid i's arrow is where the state says and faces
// where it flies, in the viewer's DOM, as the wire carries it (float32).
func drawn(t *testing.T, v *scenetest.Viewer, w *world, i int) {
	t.Helper()
	b := w.st.Boids[i]
	id := "boid-" + strconv.Itoa(i)
	want := wire.FormatPose(float32(b.X), float32(b.Y), float32(heading(b.VX, b.VY)))
	if got := v.Attr(id, "transform"); got != want {
		t.Errorf("%s drawn with transform %q, want %q", id, got, want)
	}
}

// order is how much the flock flies one way: the length of the mean of
// the boids' unit velocities, 1 when all fly alike, near 0 at random.
func order(w *world) float64 {
	var x, y float64
	for _, b := range w.st.Boids {
		s := math.Hypot(b.VX, b.VY)
		x += b.VX / s
		y += b.VY / s
	}
	return math.Hypot(x, y) / float64(len(w.st.Boids))
}

func dist(a, b Boid) float64 { return math.Hypot(wrap(a.X-b.X, width), wrap(a.Y-b.Y, height)) }

// TestAlone: a boid with nobody in sight flies straight at its speed, its
// arrow turned to its heading.
func TestAlone(t *testing.T) {
	t.Parallel()
	w, v := flock(t, Boid{X: 100, Y: 300, VX: 0, VY: -120})
	drawn(t, v, w, 0)
	if got := v.Attr("boid-0", "transform"); got != "translate(100,300) rotate(-90)" {
		t.Errorf("a boid flying up is drawn %q", got)
	}
	v.AdvanceN(60, dt)
	b := w.st.Boids[0]
	if math.Abs(b.X-100) > 1e-9 || math.Abs(b.Y-(300-120)) > 1e-6 {
		t.Errorf("after 1 s at 120 px/s upwards the boid is at (%v, %v)", b.X, b.Y)
	}
	drawn(t, v, w, 0)
}

// TestWrap: the field wraps around: a boid leaving on the right comes
// back on the left, and neighbours across an edge see each other.
func TestWrap(t *testing.T) {
	t.Parallel()
	w, v := flock(t, Boid{X: width - 1, Y: 300, VX: 120})
	v.Advance(dt)
	if b := w.st.Boids[0]; b.X < 0 || b.X > 2 {
		t.Errorf("a boid flying right off the edge is at x = %v", b.X)
	}
	drawn(t, v, w, 0)

	// Two boids 10 px apart across the left edge push each other apart.
	w, v = flock(t, Boid{X: 5, Y: 300, VY: 120}, Boid{X: width - 5, Y: 300, VY: 120})
	w.alignment, w.cohesion = 0, 0
	before := dist(w.st.Boids[0], w.st.Boids[1])
	v.AdvanceN(10, dt)
	if after := dist(w.st.Boids[0], w.st.Boids[1]); after <= before {
		t.Errorf("boids across the edge went from %v to %v apart with separation only", before, after)
	}
}

// Two boids 20 px apart in sight of each other: flying side by side, and
// flying at 40° to each other, towards the other's path.
var (
	parallel   = [2]Boid{{X: 400, Y: 300, VX: 120}, {X: 400, Y: 320, VX: 120}}
	converging = [2]Boid{{X: 400, Y: 300, VX: 120}, {X: 400, Y: 320, VX: 120 * math.Cos(0.7), VY: -120 * math.Sin(0.7)}}
)

// TestRules: each rule alone does what it says to two boids in sight of
// each other, and the arrows follow.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule string
		pair [2]Boid
		// check compares the pair before and after half a second.
		check func(before, after [2]Boid) bool
	}{
		{"separation parts them", "separation", parallel,
			func(b, a [2]Boid) bool { return dist(a[0], a[1]) > dist(b[0], b[1])+5 }},
		{"cohesion joins them", "cohesion", parallel,
			func(b, a [2]Boid) bool { return dist(a[0], a[1]) < dist(b[0], b[1])-5 }},
		{"alignment turns them alike", "alignment", converging, func(b, a [2]Boid) bool {
			angle := func(p [2]Boid) float64 {
				return math.Abs(wrap(heading(p[0].VX, p[0].VY)-heading(p[1].VX, p[1].VY), 360))
			}
			return angle(a) < angle(b)/2
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pair := tc.pair
			w, v := flock(t, pair[0], pair[1])
			for _, name := range []string{"separation", "alignment", "cohesion"} {
				if name != tc.rule {
					v.Set(name, wire.Number(0))
				}
			}
			v.AdvanceN(30, dt)
			if after := [2]Boid{w.st.Boids[0], w.st.Boids[1]}; !tc.check(pair, after) {
				t.Errorf("%s alone: %+v became %+v", tc.rule, pair, after)
			}
			drawn(t, v, w, 0)
			drawn(t, v, w, 1)
		})
	}
}

// TestFlocking: a random flock of 600 comes to fly one way within 20 s
// with the default rules, and does not without alignment and cohesion.
func TestFlocking(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		align    bool
		min, max float64
	}{
		{"rules on", true, 0.6, 1},
		{"alignment and cohesion off", false, 0, 0.2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(600, 4)
			if !tc.align {
				w.alignment, w.cohesion = 0, 0
			}
			start := order(w)
			for range 20 * 60 {
				w.s.Advance(dt)
			}
			got := order(w)
			t.Logf("order %.3f at the start, %.3f after 20 s", start, got)
			if got < tc.min || got > tc.max {
				t.Errorf("order %.3f after 20 s (%.3f at the start), want it in [%v, %v]", got, start, tc.min, tc.max)
			}
		})
	}
}

// TestPosesOnTheWire: a tick of the whole flock is one set-pose op per
// boid, 16 bytes at most each.
func TestPosesOnTheWire(t *testing.T) {
	t.Parallel()
	w := newWorld(600, 2)
	size := 0
	stop := w.s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		if b.IsKeyframe() {
			return true
		}
		msg, err := b.MarshalBinary()
		if err != nil {
			t.Error(err)
		}
		size = len(msg)
		n := 0
		for _, op := range b.Ops {
			if op.Code == wire.OpSetPose {
				n++
			}
		}
		if n != 600 {
			t.Errorf("a tick sent %d poses for 600 boids", n)
		}
		return true
	}))
	defer stop()
	w.s.Advance(0)
	w.s.Advance(dt)
	if size == 0 || size > 600*16+16 {
		t.Errorf("a tick of 600 boids took %d bytes, want at most %d", size, 600*16+16)
	}
}

// TestSliders: a viewer's control change reaches the bound variable,
// clamped to the slider's range.
func TestSliders(t *testing.T) {
	t.Parallel()
	w, v := flock(t, Boid{X: 1, Y: 1, VX: 1})
	for _, tc := range []struct {
		control string
		value   float64
		field   *float64
		want    float64
	}{
		{"separation", 3, &w.separation, 3},
		{"alignment", 9, &w.alignment, 4},
		{"cohesion", 0, &w.cohesion, 0},
		{"speed", 1000, &w.speed, 400},
		{"vision", 1, &w.vision, 10},
	} {
		v.Set(tc.control, wire.Number(tc.value))
		v.Advance(dt)
		if *tc.field != tc.want {
			t.Errorf("%s set to %v reads %v, want %v", tc.control, tc.value, *tc.field, tc.want)
		}
	}
	// At the new speed, within a few seconds.
	v.AdvanceN(5*60, dt)
	if s := math.Hypot(w.st.Boids[0].VX, w.st.Boids[0].VY); math.Abs(s-400) > 1 {
		t.Errorf("a lone boid flies at %v px/s with the speed at 400", s)
	}
}

// TestStateCarried does what a live reload does with State: the old
// world's state, as JSON, replaces the new world's, then OnRestore (sync)
// brings the arrows in line.
func TestStateCarried(t *testing.T) {
	t.Parallel()
	old := newWorld(30, 1)
	for range 20 {
		old.s.Advance(dt)
	}
	data, err := json.Marshal(old.st)
	if err != nil {
		t.Fatal(err)
	}
	nw := newWorld(50, 2)
	if err := json.Unmarshal(data, nw.st); err != nil {
		t.Fatal(err)
	}
	nw.sync()
	v := scenetest.New(t, nw.s)
	v.Advance(0)
	if len(nw.nodes) != 30 || v.Has("boid-30") {
		t.Fatalf("%d nodes for 30 boids (boid-30 drawn: %v)", len(nw.nodes), v.Has("boid-30"))
	}
	for i := range 30 {
		drawn(t, v, nw, i)
	}
}

// TestProgram runs the example as `go run ./examples/boids -n 7` does,
// and reads its page.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not with -short")
	}
	t.Parallel()
	p := e2e.StartProgram(t, "github.com/vizserve/vizserve/examples/boids", "-addr", "127.0.0.1:0", "-n", "7")
	status, body := extest.Get(t, p.URL+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if n := strings.Count(body, `id="boid-`); n != 7 {
		t.Errorf("the page shows %d boids, want 7", n)
	}
	if n := strings.Count(body, `rotate(`); n < 7 {
		t.Errorf("the page shows %d rotated shapes, want 7", n)
	}
	for _, want := range []string{"<title>boids", "Separation", "Alignment", "Cohesion", "Speed", "Vision"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
