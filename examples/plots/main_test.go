package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const dt = 1.0 / 60

// TestGallery: every kind of plot is there, each with its axes, and each
// changes as the sim runs.
func TestGallery(t *testing.T) {
	t.Parallel()
	w := newWorld(1)
	v := scenetest.New(t, w.s)
	v.Advance(0)
	if len(w.plots) != 7 {
		t.Fatalf("%d plots, want 7", len(w.plots))
	}
	marks := func() []string {
		var out []string
		for _, p := range w.plots {
			var b strings.Builder
			walk(p.Node(), func(n *scene.Node) {
				if n.Attr("data-vz-series") != "" || n.Attr("data-vz-v") != "" {
					b.WriteString(n.Attr("points") + n.Attr("d") + n.Attr("fill"))
				}
			})
			out = append(out, b.String())
		}
		return out
	}
	before := marks()
	v.AdvanceN(30, dt)
	after := marks()
	for i, p := range w.plots {
		if before[i] == after[i] {
			t.Errorf("plot %d (%s) did not change in half a second of sim time", i, p.Node().ID())
		}
		axes := 0
		walk(p.Node(), func(n *scene.Node) {
			if strings.Contains(n.Attr("class"), "vz-axis ") {
				axes++
				labels := 0
				for _, k := range n.Children() {
					if k.Tag() == "text" && k.TextContent() != "" {
						labels++
					}
				}
				if labels < 3 { // two tick labels and the title, at least
					t.Errorf("plot %d: %s has %d labels", i, n.Attr("class"), labels)
				}
			}
		})
		if axes < 2 {
			t.Errorf("plot %d has %d axes", i, axes)
		}
	}
	if got := w.plots[6].Node().Attr("data-vz-slot"); got != "panel" {
		t.Errorf("the log plot's slot is %q, want panel", got)
	}
}

// TestFriction: friction without a heat bath drains the particles'
// energy, which the log chart of one particle's follows down decades.
func TestFriction(t *testing.T) {
	t.Parallel()
	w := newWorld(2)
	w.bath, w.friction = 0, 3
	v := scenetest.New(t, w.s)
	v.Set("bath", wire.Number(0))
	v.AdvanceN(30, dt)
	_, first, _ := w.energyLog.Last()
	v.AdvanceN(60, dt)
	_, last, _ := w.energyLog.Last()
	if !(last < first/10) {
		t.Errorf("particle 1's energy went from %g to %g in 1 s with friction 3, want a tenth or less", first, last)
	}
	if lo, _ := w.plots[6].Y().Shown(); lo > last {
		t.Errorf("the log axis starts at %g, above the last value %g", lo, last)
	}
}

// TestSnapshot: the static SVG (/snapshot.svg, vizserve export) holds the
// plots with their axes.
func TestSnapshot(t *testing.T) {
	t.Parallel()
	w := newWorld(3)
	w.s.Advance(dt)
	var buf bytes.Buffer
	if err := w.s.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{`class="vz-plot"`, `class="vz-axis vz-axis-x"`, `class="vz-axis vz-axis-y2"`, `class="vz-colorbar"`, `class="vz-plot-data"`, `data-vz-slot="panel"`} {
		if n := strings.Count(svg, want); n == 0 {
			t.Errorf("the snapshot has no %s", want)
		}
	}
	if n := strings.Count(svg, `class="vz-plot"`); n != 7 {
		t.Errorf("the snapshot has %d plots, want 7", n)
	}
}

func walk(n *scene.Node, fn func(*scene.Node)) {
	fn(n)
	for _, k := range n.Children() {
		walk(k, fn)
	}
}
