package main

import (
	"bytes"
	"strings"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/scenetest"
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

func hand(t *testing.T, v *scenetest.Viewer, id string) (x2, y2 string) {
	t.Helper()
	if !v.Has(id) {
		t.Fatalf("no element %q", id)
	}
	return v.Attr(id, "x2"), v.Attr(id, "y2")
}

// TestLive: the clock runs on sim time, and a frame sends only what moved.
func TestLive(t *testing.T) {
	t.Parallel()
	v := scenetest.New(t, newClock())
	v.Advance(0)
	check := func(digital, sx, sy string) {
		t.Helper()
		if got := v.Text("digital"); got != digital {
			t.Errorf("digital %q, want %q", got, digital)
		}
		if x, y := hand(t, v, "second"); x != sx || y != sy {
			t.Errorf("second hand ends at (%s, %s), want (%s, %s)", x, y, sx, sy)
		}
	}
	check("10:10:00", "200", "40")

	v.Advance(15)
	check("10:10:15", "360", "200")
	// The second hand's end and the digital time changed; the minute and
	// hour hands moved a little; nothing was created or removed.
	for _, op := range v.Ops() {
		if op.Code != wire.OpSetNum && op.Code != wire.OpSetXY && op.Code != wire.OpSetText && op.Code != wire.OpSetAttr {
			t.Errorf("a frame of the clock sent %v", op.Code)
		}
	}
	if n := len(v.Ops()); n == 0 || n > 8 {
		t.Errorf("a frame sent %d ops: %+v", n, v.Ops())
	}

	// Speed 60: a second of real time is a minute on the clock.
	v.Set("speed", wire.Number(60))
	v.Advance(0)
	v.Advance(1)
	check("10:11:15", "360", "200")

	// "r" resets.
	v.Press("reset")
	v.Advance(0)
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
