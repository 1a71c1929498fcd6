package scene_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// viewer is a test subscriber: it applies every batch to a Mirror (after a
// wire round trip), directly or through a Merger taken at random moments.
type viewer struct {
	t      testing.TB
	mirror *stream.Mirror
	merger *stream.Merger
	got    []wire.Batch
	bytes  int
}

func newViewer(t testing.TB, merged bool) *viewer {
	v := &viewer{t: t, mirror: stream.NewMirror()}
	if merged {
		v.merger = &stream.Merger{}
	}
	return v
}

func (v *viewer) Send(b *wire.Batch) bool {
	v.t.Helper()
	if v.merger != nil {
		return v.merger.Add(b)
	}
	v.apply(b)
	return true
}

func (v *viewer) apply(b *wire.Batch) {
	v.t.Helper()
	msg, err := b.MarshalBinary()
	if err != nil {
		v.t.Fatalf("encode: %v", err)
	}
	v.bytes += len(msg)
	var dec wire.Batch
	if err := dec.UnmarshalBinary(msg); err != nil {
		v.t.Fatalf("decode: %v", err)
	}
	v.got = append(v.got, dec)
	if err := v.mirror.Apply(&dec); err != nil {
		v.t.Fatalf("apply: %v", err)
	}
}

func (v *viewer) take() {
	var out wire.Batch
	if v.merger != nil && v.merger.Take(&out) {
		v.apply(&out)
	}
}

// fresh returns what a viewer joining now sees: a keyframe, then the batch
// of the frame that Advance runs to deliver it.
func fresh(t testing.TB, s *scene.Scene) *stream.Mirror {
	t.Helper()
	v := newViewer(t, false)
	stop := s.Subscribe(v)
	s.Advance(0)
	stop()
	return v.mirror
}

func sameState(t *testing.T, what string, got, want *stream.Mirror) {
	t.Helper()
	if g, w := got.Dump(), want.Dump(); g != w {
		t.Fatalf("%s: state differs\n got: %s\nwant: %s", what, g, w)
	}
}

var tags = []string{"g", "rect", "circle", "text", "line", "ellipse"}

// TestStreamMatchesKeyframe is the scene's central property: whatever the
// sim does, a viewer that applied every batch (directly, or merged) holds
// exactly what a viewer joining now gets in its keyframe.
func TestStreamMatchesKeyframe(t *testing.T) {
	t.Parallel()
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		s := scene.New(scene.Options{Width: 100, Height: 100})
		direct, merged := newViewer(t, false), newViewer(t, true)
		s.Subscribe(direct)
		s.Subscribe(merged)
		live := []*scene.Node{s.Root()}
		pick := func() *scene.Node {
			for {
				i := r.IntN(len(live))
				if n := live[i]; !n.Removed() {
					return n
				}
				live = append(live[:i], live[i+1:]...)
			}
		}
		num := 1.0
		flag := false
		for frame := range 30 {
			for range r.IntN(20) {
				n := pick()
				switch k := r.IntN(16); k {
				case 15:
					// Point lists: of polylines and paths, and of whatever
					// element n is (its points attribute), set or edited.
					if r.IntN(4) == 0 {
						c := s.Root().El([]string{"polyline", "path"}[r.IntN(2)])
						live = append(live, c)
						n = c
					}
					x, y := float32(r.IntN(9)), float32(r.IntN(9))/2
					switch r.IntN(5) {
					case 0, 1:
						n.AppendPoints(x, y, y, x)
					case 2:
						n.TrimPoints(r.IntN(3))
					case 3:
						n.ReplaceLastPoints(r.IntN(3), x, y)
					default:
						n.Set([]string{"points", "d"}[r.IntN(2)], "1,1 2,2")
					}
				case 0, 1:
					p := n
					if p.Tag() != "g" && p != s.Root() {
						p = s.Root()
					}
					var c *scene.Node
					switch tag := tags[r.IntN(len(tags))]; tag {
					case "g":
						c = p.Group()
					case "rect":
						c = p.Rect(1, 2, 3, 4, "fill:red")
					case "circle":
						c = p.Circle(1, 2, 3)
					case "text":
						c = p.Text(1, 2, "t<&>")
					default:
						c = p.El(tag, `class="k"`)
					}
					live = append(live, c)
				case 2:
					n.Remove()
				case 3:
					n.SetXY(float64(r.IntN(9)), float64(r.IntN(9)))
				case 4:
					n.Set([]string{"fill", "data-x", "x", "stroke"}[r.IntN(4)], fmt.Sprint(r.IntN(3)))
				case 5:
					n.SetNum([]string{"r", "x", "opacity"}[r.IntN(3)], float64(r.IntN(5))/4)
				case 6:
					n.Unset([]string{"fill", "x", "r", "transform"}[r.IntN(4)])
				case 7:
					n.SetText(fmt.Sprint("txt", r.IntN(3)))
				case 8:
					n.Raise()
				case 9:
					n.Lower()
				case 10:
					if o := pick(); o != s.Root() && n != s.Root() {
						inside := false
						for a := o; a != nil; a = a.Parent() {
							inside = inside || a == n
						}
						if !inside {
							n.InsertBefore(o)
						}
					}
				case 11:
					if r.IntN(2) == 0 {
						n.OnClick(func(scene.Pointer) {})
					} else {
						n.OnClick(nil).OnDrag(func(scene.Drag) {})
					}
				case 12:
					num = float64(r.IntN(4))
					flag = !flag
					if r.IntN(5) == 0 {
						s.Slider(fmt.Sprint("s", r.IntN(2)), &num, 0, 3, 1)
						s.Toggle("t", &flag)
					}
				case 13:
					s.SetOverlay([]string{"", "oops"}[r.IntN(2)])
				case 14:
					x, y, a := float64(r.IntN(9)), float64(r.IntN(9)), float64(r.IntN(8)*45)
					switch r.IntN(3) {
					case 0:
						n.SetPose(x, y, a)
					case 1:
						n.SetPoseScaled(x, y, a, float64(r.IntN(3))/2+0.5)
					default:
						n.SetTransform(fmt.Sprintf("rotate(%g)", a))
					}
				}
			}
			s.Advance(1.0 / 60)
			if r.IntN(3) == 0 {
				merged.take()
			}
			_ = frame
		}
		want := fresh(t, s)
		merged.take()
		sameState(t, fmt.Sprintf("seed %d direct", seed), direct.mirror, want)
		sameState(t, fmt.Sprintf("seed %d merged", seed), merged.mirror, want)
	}
}

// TestImmediateStreamMatchesKeyframe: the same property for the immediate
// API, with elements that come, go, move between parents, change tag and
// reorder from frame to frame.
func TestImmediateStreamMatchesKeyframe(t *testing.T) {
	t.Parallel()
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 11))
		var draw func(c *svg.SVG, depth int)
		draw = func(c *svg.SVG, depth int) {
			for range r.IntN(5) {
				id := ""
				if r.IntN(3) == 0 {
					id = fmt.Sprintf(`id="e%d"`, r.IntN(6))
				}
				switch r.IntN(5) {
				case 0:
					if depth < 3 {
						if id != "" {
							c.Group(id)
						} else {
							c.Group(`class="g"`)
						}
						draw(c, depth+1)
						c.Gend()
					}
				case 1:
					c.Circle(r.IntN(3), r.IntN(3), 2, "fill:red", id)
				case 2:
					c.Rect(r.IntN(3), 0, 2, 2, id)
				case 3:
					c.Text(0, r.IntN(2), fmt.Sprint("t", r.IntN(2)), id)
				case 4:
					c.Line(0, 0, r.IntN(3), 1, id)
				}
			}
		}
		s := scene.Immediate(50, 50, func(c *svg.SVG) {
			c.Start(50, 50)
			draw(c, 0)
			c.End()
		})
		direct, merged := newViewer(t, false), newViewer(t, true)
		s.Subscribe(direct)
		s.Subscribe(merged)
		for range 25 {
			s.Advance(1.0 / 60)
			if r.IntN(3) == 0 {
				merged.take()
			}
		}
		want := fresh(t, s)
		merged.take()
		sameState(t, fmt.Sprintf("seed %d direct", seed), direct.mirror, want)
		sameState(t, fmt.Sprintf("seed %d merged", seed), merged.mirror, want)
	}
}

func TestCostProportionalToChange(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	var dots []*scene.Node
	for i := range 10000 {
		dots = append(dots, s.Root().Circle(float64(i%100), float64(i/100), 1))
	}
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	v.got, v.bytes = nil, 0
	dots[1234].SetXY(5, 6)
	s.Advance(0)
	if len(v.got) != 1 || len(v.got[0].Ops) != 1 || v.got[0].Ops[0].Code != wire.OpSetXY {
		t.Fatalf("one move gave %+v", v.got)
	}
	if v.bytes > 16 {
		t.Fatalf("one move cost %d bytes on the wire, want <= 16", v.bytes)
	}
	v.got = nil
	s.Advance(0)
	if len(v.got) != 0 {
		t.Fatalf("a frame without changes sent %d batches", len(v.got))
	}
}

// TestPose: a pose travels as one 14–16 byte op, shows as the transform
// text the client writes, and is the transform attribute: whichever of a
// pose or another transform comes last wins.
func TestPose(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{ID: "w", Width: 10, Height: 10})
	boid := s.Root().Path("M6,0 L-4,3 L-4,-3 Z", `id="b"`)
	boid.SetPose(1, 2, 30)
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	if got := boid.Attr("transform"); got != "translate(1,2) rotate(30)" {
		t.Fatalf("transform after SetPose = %q", got)
	}
	steps := []struct {
		do   func()
		code wire.Code
		want string
	}{
		{func() { boid.SetPose(100.5, -3, 359.75) }, wire.OpSetPose, "translate(100.5,-3) rotate(359.75)"},
		{func() { boid.SetPoseScaled(1, 2, -90, 2) }, wire.OpSetPoseScaled, "translate(1,2) rotate(-90) scale(2)"},
		{func() { boid.SetPoseScaled(1, 2, -90, 1) }, wire.OpSetPose, "translate(1,2) rotate(-90)"},
		{func() { boid.SetTransform("scale(3)") }, wire.OpSetAttr, "scale(3)"},
		{func() { boid.SetPose(0, 0, 0) }, wire.OpSetPose, "translate(0,0) rotate(0)"},
		{func() { boid.SetXY(4, 5) }, wire.OpSetXY, "translate(4,5)"},
		{func() { boid.SetPose(4, 5, 1) }, wire.OpSetPose, "translate(4,5) rotate(1)"},
		{func() { boid.Unset("transform") }, wire.OpDelAttr, ""},
	}
	for i, st := range steps {
		v.got, v.bytes = nil, 0
		st.do()
		s.Advance(0)
		if len(v.got) != 1 || len(v.got[0].Ops) != 1 || v.got[0].Ops[0].Code != st.code {
			t.Fatalf("step %d: got %+v, want one %v op", i, v.got, st.code)
		}
		if st.code == wire.OpSetPose && v.bytes > 16 {
			t.Fatalf("step %d: a pose cost %d bytes with its sequence number, want <= 16", i, v.bytes)
		}
		if got := boid.Attr("transform"); got != st.want {
			t.Fatalf("step %d: transform %q, want %q", i, got, st.want)
		}
		sameState(t, fmt.Sprintf("step %d", i), v.mirror, fresh(t, s))
	}
	boid.SetPoseScaled(7, 8, 9, 0.5)
	if x, y, a, k, ok := boid.Pose(); !ok || x != 7 || y != 8 || a != 9 || k != 0.5 {
		t.Fatalf("Pose() = %v %v %v %v %v", x, y, a, k, ok)
	}
	boid.SetTransform("rotate(1)")
	if _, _, _, _, ok := boid.Pose(); ok {
		t.Fatal("Pose() reports a pose after SetTransform")
	}
	v.got = nil
	boid.SetPose(1, 1, 1)
	s.Advance(0)
	boid.SetPose(1, 1, 1)
	s.Advance(0)
	if len(v.got) != 1 {
		t.Fatalf("the same pose twice sent %d batches, want 1", len(v.got))
	}
}

func TestImmediateIDs(t *testing.T) {
	t.Parallel()
	n := 3
	s := scene.Immediate(10, 10, func(c *svg.SVG) {
		c.Gid("layer")
		for i := range n {
			c.Circle(i, 0, 1)
		}
		c.Gend()
		c.Rect(0, 0, 1, 1, `id="box"`)
		c.Rect(0, 0, 2, 2, `id="box"`) // a duplicate id falls back to a generated one
	})
	s.Advance(0)
	var ids []string
	for _, k := range s.Root().Children() {
		ids = append(ids, k.ID())
		for _, kk := range k.Children() {
			ids = append(ids, kk.ID())
		}
	}
	equal(t, "ids", ids, []string{"layer", "layer.circle0", "layer.circle1", "layer.circle2", "box", "scene.rect0"})
	before := s.ByID("layer.circle1")
	n = 2
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	s.Advance(0)
	if s.ByID("layer.circle1") != before || s.ByID("layer.circle2") != nil {
		t.Fatal("ids are not stable, or the dropped circle stayed")
	}
	var codes []wire.Code
	for _, b := range v.got[1:] {
		for _, op := range b.Ops {
			codes = append(codes, op.Code)
		}
	}
	equal(t, "ops", codes, []wire.Code{wire.OpRemove})
}

func TestImmediateReorderIsMinimal(t *testing.T) {
	t.Parallel()
	order := []string{"a", "b", "c", "d", "e"}
	s := scene.Immediate(10, 10, func(c *svg.SVG) {
		for _, id := range order {
			c.Circle(0, 0, 1, `id="`+id+`"`)
		}
	})
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	order = []string{"a", "c", "d", "e", "b"} // b moved to the end: one move
	s.Advance(0)
	last := v.got[len(v.got)-1]
	if len(last.Ops) != 1 || last.Ops[0].Code != wire.OpMove || last.Ops[0].Before != 0 {
		t.Fatalf("ops %+v, want one move to the end", last.Ops)
	}
	var got []string
	for _, k := range s.Root().Children() {
		got = append(got, k.ID())
	}
	equal(t, "order", got, order)
	sameState(t, "viewer", v.mirror, fresh(t, s))
}

func TestImmediateBadMarkupKeepsFrame(t *testing.T) {
	t.Parallel()
	bad := false
	s := scene.Immediate(10, 10, func(c *svg.SVG) {
		c.Circle(1, 1, 1)
		if bad {
			c.Group() // never closed
		}
	})
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	bad = true
	s.Advance(0)
	if !strings.Contains(v.mirror.Dump(), `overlay "Draw: the drawing is not well-formed SVG`) {
		t.Fatalf("no overlay: %s", v.mirror.Dump())
	}
	if s.ByID("scene.circle0") == nil {
		t.Fatal("the previous frame was lost")
	}
	bad = false
	s.Advance(0)
	if strings.Contains(v.mirror.Dump(), "overlay") {
		t.Fatal("overlay not cleared after a good frame")
	}
}

func TestRetainedAPI(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{ID: "w", Width: 10, Height: 20, ViewBox: "0 0 1 2"})
	g := s.Root().Group(`id="g"`)
	a := g.Rect(0, 0, 1, 1, `id="a"`, "fill:red")
	b := g.Circle(1, 1, 1, `id="b" class="c"`)
	l := g.Line(0, 0, 1, 1)
	p := g.Path("M0,0 L1,1")
	g.Polyline([]float64{0, 1.5}, []float64{2, 3})
	g.Polygon([]float64{0}, []float64{1})
	tx := g.Text(1, 2, "hi")
	im := g.Image(0, 0, 4, 4, "/a.png")
	u := g.Use(1, 2, "b")
	e := g.Ellipse(1, 2, 3, 4)
	b.Raise()
	a.InsertBefore(b)
	l.Lower()
	l.SetXY(3, 4)
	g.SetXY(5, 6)
	p.SetTransform("rotate(3)")
	tx.SetText("ho").SetStyle("font-size:2px")
	im.SetSize(8, 9)
	u.Unset("href")
	e.Set("rx", "1.5")
	want := `<svg id="w" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="20" viewBox="0 0 1 2"><g id="g" transform="translate(5,6)">` +
		`<line id="n5" x1="0" y1="0" x2="1" y2="1" transform="translate(3,4)"/><path id="n6" d="M0,0 L1,1" transform="rotate(3)"/>` +
		`<polyline id="n7" points="0,2 1.5,3"/><polygon id="n8" points="0,1"/><text id="n9" x="1" y="2" style="font-size:2px">ho</text>` +
		`<image id="na" x="0" y="0" width="8" height="9" href="/a.png"/><use id="nb" x="1" y="2"/><ellipse id="nc" cx="1" cy="2" rx="1.5" ry="4"/>` +
		`<rect id="a" x="0" y="0" width="1" height="1" style="fill:red"/><circle id="b" cx="1" cy="1" r="1" class="c"/></g></svg>`
	equal(t, "markup", s.Markup(), want)
	if x, y := g.XY(); x != 5 || y != 6 {
		t.Fatalf("g.XY() = %v, %v", x, y)
	}
	if x, y := b.XY(); x != 1 || y != 1 {
		t.Fatalf("b.XY() = %v, %v", x, y)
	}
	if s.ByID("b") != b || s.ByHandle(b.Handle()) != b || b.Parent() != g || tx.TextContent() != "ho" || e.Attr("rx") != "1.5" {
		t.Fatal("lookups disagree")
	}
	g.Remove()
	if !b.Removed() || s.ByID("b") != nil || s.Len() != 1 {
		t.Fatalf("removing a group left %d nodes", s.Len())
	}
	b.SetXY(1, 1) // no effect, no panic
}

func TestRetainedPanics(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	g := s.Root().Group(`id="g"`)
	for name, fn := range map[string]func(){
		"dup id":        func() { s.Root().Rect(0, 0, 1, 1, `id="g"`) },
		"set id":        func() { g.Set("id", "x") },
		"on attr":       func() { g.Set("onclick", "alert(1)") },
		"bad tag":       func() { g.El("a b") },
		"bad attrs":     func() { g.El("g", `x="1`) },
		"into self":     func() { g.AppendTo(g.Group()) },
		"root moves":    func() { s.Root().AppendTo(g) },
		"before root":   func() { g.InsertBefore(s.Root()) },
		"on attr in El": func() { g.El("g", `onload="x()"`) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

func TestChildOfRemovedNode(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	g := s.Root().Group()
	g.Remove()
	c := g.Circle(1, 2, 3, `id="c"`)
	if !c.Removed() || s.ByID("c") != nil || s.Len() != 1 {
		t.Fatalf("a child of a removed node joined the scene (len %d)", s.Len())
	}
	c.SetXY(3, 4).OnClick(func(scene.Pointer) {})
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	sameState(t, "viewer", v.mirror, fresh(t, s))
}

// TestCanvasIsOneAttribute: a group marked for canvas drawing is the same
// SVG as without the mark but for its one attribute, in the markup and in
// the standalone snapshot, so that exports and viewers without the client
// draw it as SVG.
func TestCanvasIsOneAttribute(t *testing.T) {
	t.Parallel()
	build := func(canvas bool) *scene.Scene {
		s := scene.New(scene.Options{ID: "w", Width: 100, Height: 100})
		g := s.Root().Group(`id="g"`, "fill:teal")
		if canvas {
			g.Canvas()
		}
		g.Circle(10, 20, 5, `id="c"`)
		g.Rect(1, 2, 3, 4, "stroke:red").SetTransform("rotate(10)")
		s.Advance(0)
		return s
	}
	var plain, marked bytes.Buffer
	if err := build(false).Snapshot(&plain); err != nil {
		t.Fatal(err)
	}
	if err := build(true).Snapshot(&marked); err != nil {
		t.Fatal(err)
	}
	attr := ` ` + scene.CanvasAttr + `="` + scene.CanvasValue + `"`
	if strings.Count(marked.String(), attr) != 1 {
		t.Fatalf("the marked snapshot has %d %s attributes, want 1:\n%s", strings.Count(marked.String(), attr), attr, marked.String())
	}
	equal(t, "snapshot without the mark", strings.Replace(marked.String(), attr, "", 1), plain.String())
}
