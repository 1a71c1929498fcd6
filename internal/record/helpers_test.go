package record

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// balls is a scene of n balls bouncing in a box without losing speed, so
// that every ball moves in every frame; with busy set, it also creates and
// removes elements, changes text, attributes, poses and a control's value.
type balls struct {
	s     *scene.Scene
	nodes []*scene.Node
	pos   [][4]float64
	rng   *rand.Rand
	busy  bool
	ticks int
	extra []*scene.Node
	label *scene.Node
	arrow *scene.Node
	speed float64
}

const boxW, boxH = 800.0, 600.0

func newBalls(n int, seed uint64, busy bool) *balls {
	b := &balls{s: scene.New(scene.Options{Width: boxW, Height: boxH}), rng: rand.New(rand.NewPCG(seed, 1)), busy: busy, speed: 1}
	root := b.s.Root()
	layer := root.Group(`id="balls"`)
	for i := range n {
		x, y := 10+b.rng.Float64()*(boxW-20), 10+b.rng.Float64()*(boxH-20)
		b.pos = append(b.pos, [4]float64{x, y, (b.rng.Float64() - 0.5) * 400, (b.rng.Float64() - 0.5) * 400})
		b.nodes = append(b.nodes, layer.Circle(x, y, 5, fmt.Sprintf(`id="b%d"`, i), fmt.Sprintf("fill:hsl(%d,70%%,50%%)", i*47%360)))
	}
	if busy {
		b.label = root.Text(10, 20, "tick 0", `id="label"`)
		b.arrow = root.Path("M0 0 L10 0", `id="arrow"`)
		b.s.Slider("speed", &b.speed, 0, 4, 0.5)
	}
	b.s.OnTick(b.tick)
	return b
}

func (b *balls) tick(dt float64) {
	b.ticks++
	for i := range b.pos {
		p := &b.pos[i]
		p[3] += 500 * dt
		p[0] += p[2] * dt * b.speed
		p[1] += p[3] * dt * b.speed
		if p[0] < 5 || p[0] > boxW-5 {
			p[2] = -p[2]
			p[0] = math.Max(5, math.Min(boxW-5, p[0]))
		}
		if p[1] < 5 || p[1] > boxH-5 {
			p[3] = -p[3]
			p[1] = math.Max(5, math.Min(boxH-5, p[1]))
		}
		b.nodes[i].SetXY(p[0], p[1])
	}
	if !b.busy {
		return
	}
	b.label.SetText(fmt.Sprintf("tick %d", b.ticks))
	b.arrow.SetPose(float64(b.ticks%800), 300, float64(b.ticks%360))
	if b.ticks%7 == 0 {
		b.extra = append(b.extra, b.s.Root().Rect(float64(b.ticks%700), 5, 8, 8, fmt.Sprintf(`id="r%d"`, b.ticks)))
	}
	if b.ticks%11 == 0 && len(b.extra) > 0 {
		i := b.rng.IntN(len(b.extra))
		b.extra[i].Remove()
		b.extra = append(b.extra[:i], b.extra[i+1:]...)
	}
	if b.ticks%5 == 0 && len(b.extra) > 0 {
		b.extra[b.rng.IntN(len(b.extra))].Set("fill", fmt.Sprintf("#%06x", b.rng.IntN(1<<24))).SetNum("opacity", b.rng.Float64())
	}
	if b.ticks%97 == 0 {
		b.s.Root().Set("data-phase", fmt.Sprint(b.ticks/97))
	}
}

// clock is a fake clock a test moves.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// recording records frames of the scene at 60 Hz (sim and clock time) and
// returns the file, the raw size of the batches on the wire and the
// scene's final DOM (its keyframe, through a mirror).
func recording(t testing.TB, b *balls, frames int, o *Options) (file []byte, raw int64, final *stream.Mirror) {
	t.Helper()
	var buf bytes.Buffer
	c := &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	opts := Options{Title: "balls"}
	if o != nil {
		opts = *o
	}
	opts.Now = c.Now
	w := NewWriter(&buf, &opts)
	final = stream.NewMirror()
	unsub := b.s.Subscribe(wire.SinkFunc(func(bt *wire.Batch) bool {
		msg, err := bt.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		raw += int64(len(msg))
		if err := final.Apply(bt); err != nil {
			t.Fatal(err)
		}
		return w.Send(bt)
	}))
	defer unsub()
	for range frames {
		b.s.Advance(1.0 / 60)
		c.now = c.now.Add(time.Second / 60)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), raw, final
}

// replay applies every record to a mirror, up to t, skipping the keyframes
// that repeat the state (so that they do not hide a patch that went wrong).
func replay(t testing.TB, r *Reader, upTo time.Duration) *stream.Mirror {
	t.Helper()
	r.Rewind()
	m := stream.NewMirror()
	for {
		rec, err := r.Next()
		if err == io.EOF || err == nil && rec.T > upTo {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Repeat && m.Ready() {
			continue
		}
		if err := m.Apply(rec.Batch); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t testing.TB, file []byte) *Reader {
	t.Helper()
	r, err := Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
