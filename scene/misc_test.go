package scene_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test -update rewrites it):\n%s", path, got)
	}
}

// demoScene is a small scene using most of the API, for golden files.
func demoScene() *scene.Scene {
	s := scene.New(scene.Options{Width: 300, Height: 200})
	s.Root().El("title").SetText(`Demo "scene" <1>`)
	g := s.Root().Group(`id="world"`, "stroke:black")
	g.Rect(0, 0, 300, 200, "fill:#eef")
	g.Circle(150, 100, 20, `id="ball"`, "fill:crimson")
	g.Line(0, 190, 300, 190)
	g.Text(10, 20, "t = 0 & counting")
	chart := s.Root().LineChart(10, 120, 100, 60, 5)
	e := chart.Series("energy", "stroke:teal")
	for _, v := range []float64{1, 3, 2, 5} {
		e.Add(v)
	}
	h := s.Root().Histogram(190, 120, 100, 60, 4, 0, 4)
	h.Set([]float64{0.5, 1.5, 1.7, 3.9, 9})
	s.Advance(0)
	return s
}

func TestSnapshotGolden(t *testing.T) {
	t.Parallel()
	s := demoScene()
	var buf bytes.Buffer
	if err := s.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.svg", buf.Bytes())
	// The snapshot is well-formed and holds every node.
	var d svgx.Doc
	if err := d.Parse(buf.String()); err != nil {
		t.Fatalf("snapshot does not parse: %v", err)
	}
	if len(d.Elems) != s.Len() {
		t.Fatalf("snapshot has %d elements, scene %d nodes", len(d.Elems), s.Len())
	}
}

func TestPatchStreamGolden(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{Width: 10, Height: 10})
	var out bytes.Buffer
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		msg, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(strings.TrimSpace(hexdump(msg)) + "\n")
		return true
	}))
	s.Advance(0)
	c := s.Root().Circle(1, 2, 3, `id="c"`, "fill:red")
	s.Advance(0)
	c.SetXY(4, 5)
	s.Advance(0)
	c.SetText("x")
	c.Set("fill", "blue").Unset("style")
	s.Advance(0)
	c.Remove()
	s.Advance(0)
	golden(t, "stream.hex", out.Bytes())
}

func hexdump(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func TestPlots(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	c := s.Root().LineChart(0, 0, 100, 50, 3).Range(0, 10)
	a := c.Series("a", "stroke:red")
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	for _, x := range []float64{0, 5, 10, 2.5} {
		a.Add(x)
	}
	s.Advance(0)
	line := c.Node().Children()[3] // frame, two labels, then the series
	if got := line.Attr("points"); got != "0,25 50,0 100,37.5" {
		t.Fatalf("points %q", got)
	}
	if a.Last() != 2.5 {
		t.Fatalf("last %v", a.Last())
	}
	h := s.Root().Histogram(0, 60, 40, 34, 2, 0, 2)
	h.Observe(0.5)
	h.Observe(1.5)
	h.Observe(1.6)
	h.Observe(-7) // clamps into the first bin
	s.Advance(0)
	equal(t, "counts", h.Counts(), []int{2, 2})
	bar := h.Node().Children()[1]
	if bar.Attr("height") != "20" || bar.Attr("y") != "14" {
		t.Fatalf("bar y=%s height=%s", bar.Attr("y"), bar.Attr("height"))
	}
	sameState(t, "viewer", v.mirror, fresh(t, s))
}

// TestRelayServesScene: a scene streamed to a relay (as the dev-mode child
// link does), and a viewer joining the relay late, sees the scene.
func TestRelayServesScene(t *testing.T) {
	t.Parallel()
	s := demoScene()
	var events []wire.Event
	r := stream.NewRelay(func(e wire.Event) { events = append(events, e); s.Dispatch(e) })
	s.Subscribe(r)
	s.Advance(0)
	ball := s.ByID("ball")
	ball.SetXY(1, 2)
	clicked := false
	ball.OnClick(func(scene.Pointer) { clicked = true })
	s.Advance(0)
	late := newViewer(t, false)
	r.Subscribe(late)
	sameState(t, "late viewer of the relay", late.mirror, fresh(t, s))
	r.Dispatch(wire.Event{Kind: wire.Click, Target: ball.Handle()})
	s.Advance(0)
	if !clicked || len(events) != 1 {
		t.Fatal("an event through the relay did not reach the scene")
	}
}

func TestImmediateUnwrapsStart(t *testing.T) {
	t.Parallel()
	s := scene.Immediate(10, 10, func(c *svg.SVG) {
		c.Startview(640, 480, 0, 0, 64, 48)
		c.Circle(1, 2, 3)
		c.End()
	})
	s.Advance(0)
	if s.Root().Attr("width") != "640" || s.Root().Attr("viewBox") != "0 0 64 48" || len(s.Root().Children()) != 1 {
		t.Fatalf("root %s", s.Markup())
	}
	s.Root().Draw(nil)
	s.Advance(0)
	if len(s.Root().Children()) != 1 {
		t.Fatal("Draw(nil) dropped the drawn nodes")
	}
}
