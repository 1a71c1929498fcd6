package main

import (
	"bytes"
	"strings"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestPlainSvgo: clock is plain svgo code that draws a document on any
// writer.
func TestPlainSvgo(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clock(svg.New(&buf), start+15)
	out := buf.String()
	for _, want := range []string{`<svg width="400" height="400"`, `<line x1="200" y1="200" x2="360" y2="200" id="second"`, `>10:10:15</text>`, "</svg>"} {
		if !strings.Contains(out, want) {
			t.Errorf("the drawing lacks %q:\n%s", want, out)
		}
	}
}

// sink records the ops of every batch after the keyframe.
type sink struct{ ops []wire.Op }

func (s *sink) Send(b *wire.Batch) bool {
	if !b.IsKeyframe() {
		for _, op := range b.Ops {
			if op.Code != wire.OpStats {
				s.ops = append(s.ops, op)
			}
		}
	}
	return true
}

func hand(t *testing.T, s *scene.Scene, id string) (x2, y2 string) {
	t.Helper()
	n := s.ByID(id)
	if n == nil {
		t.Fatalf("no element %q", id)
	}
	return n.Attr("x2"), n.Attr("y2")
}

// TestLive: the clock runs on sim time, and a frame sends only what moved.
func TestLive(t *testing.T) {
	t.Parallel()
	s := newClock()
	rec := &sink{}
	s.Subscribe(rec)
	s.Advance(0)
	check := func(digital, sx, sy string) {
		t.Helper()
		if got := s.ByID("digital").TextContent(); got != digital {
			t.Errorf("digital %q, want %q", got, digital)
		}
		if x, y := hand(t, s, "second"); x != sx || y != sy {
			t.Errorf("second hand ends at (%s, %s), want (%s, %s)", x, y, sx, sy)
		}
	}
	check("10:10:00", "200", "40")

	rec.ops = nil
	s.Advance(15)
	check("10:10:15", "360", "200")
	// The second hand's end and the digital time changed; the minute and
	// hour hands moved a little; nothing was created or removed.
	for _, op := range rec.ops {
		if op.Code != wire.OpSetNum && op.Code != wire.OpSetXY && op.Code != wire.OpSetText && op.Code != wire.OpSetAttr {
			t.Errorf("a frame of the clock sent %v", op.Code)
		}
	}
	if n := len(rec.ops); n == 0 || n > 8 {
		t.Errorf("a frame sent %d ops: %+v", n, rec.ops)
	}

	// Speed 60: a second of real time is a minute on the clock.
	s.Dispatch(wire.Event{Kind: wire.ControlSet, Name: "speed", Value: wire.Number(60)})
	s.Advance(0)
	s.Advance(1)
	check("10:11:15", "360", "200")

	// "r" resets.
	s.Dispatch(wire.Event{Kind: wire.ControlSet, Name: "reset"})
	s.Advance(0)
	check("10:10:00", "200", "40")
}

// TestProgram runs the example as `go run ./examples/svgo` does, and
// reads its page.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not with -short")
	}
	t.Parallel()
	p := e2e.StartProgram(t, "github.com/vizserve/vizserve/examples/svgo", "-addr", "127.0.0.1:0")
	status, body := extest.Get(t, p.URL+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"<title>svgo clock", `id="second"`, `id="digital"`, "Speed (× real time)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
