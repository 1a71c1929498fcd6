package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/e2e"
	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type xy struct{ x, y int }

// board returns an empty, paused board with the given cells alive, and a
// viewer of it.
func board(t *testing.T, cells ...xy) (*life, *scenetest.Viewer) {
	t.Helper()
	l := newLife(1, scene.Options{Paused: true})
	l.clear()
	for _, c := range cells {
		l.toggle(c.x, c.y)
	}
	v := scenetest.New(t, l.s)
	v.Advance(0)
	return l, v
}

// live lists the live cells, in row order.
func live(l *life) []xy {
	var out []xy
	for i, on := range l.alive {
		if on {
			out = append(out, xy{i % cols, i / cols})
		}
	}
	return out
}

// sameCells fails the test unless exactly the cells want are alive, in
// the game and in the fill the viewer sees.
func sameCells(t *testing.T, l *life, v *scenetest.Viewer, want ...xy) {
	t.Helper()
	slices.SortFunc(want, func(a, b xy) int { return (a.y*cols + a.x) - (b.y*cols + b.x) })
	if got := live(l); !slices.Equal(got, want) {
		t.Fatalf("alive: %v, want %v", got, want)
	}
	for i, on := range l.alive {
		fill := v.Attr(fmt.Sprintf("c-%d-%d", i%cols, i/cols), "fill")
		if want := map[bool]string{true: liveFill, false: deadFill}[on]; fill != want {
			t.Fatalf("cell %d,%d: fill %s, want %s", i%cols, i/cols, fill, want)
		}
	}
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	glider := []xy{{1, 0}, {2, 1}, {0, 2}, {1, 2}, {2, 2}}
	shifted := func(cells []xy, dx, dy int) []xy {
		out := make([]xy, len(cells))
		for i, c := range cells {
			out[i] = xy{(c.x + dx) % cols, (c.y + dy) % rows}
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		start []xy
		gens  int
		want  []xy
	}{
		{"blinker turns", []xy{{10, 10}, {11, 10}, {12, 10}}, 1, []xy{{11, 9}, {11, 10}, {11, 11}}},
		{"blinker turns back", []xy{{10, 10}, {11, 10}, {12, 10}}, 2, []xy{{10, 10}, {11, 10}, {12, 10}}},
		{"block stays", []xy{{5, 5}, {6, 5}, {5, 6}, {6, 6}}, 7, []xy{{5, 5}, {6, 5}, {5, 6}, {6, 6}}},
		{"lone cell dies", []xy{{20, 20}}, 1, nil},
		{"blinker across the corner", []xy{{cols - 1, 0}, {0, 0}, {1, 0}}, 1, []xy{{0, rows - 1}, {0, 0}, {0, 1}}},
		{"glider moves", glider, 4, shifted(glider, 1, 1)},
		{"glider wraps round the torus", glider, 4 * cols, shifted(glider, cols, cols)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, v := board(t, tc.start...)
			for range tc.gens {
				l.step()
			}
			v.Advance(0)
			sameCells(t, l, v, tc.want...)
			if l.gen != tc.gens {
				t.Errorf("generation %d, want %d", l.gen, tc.gens)
			}
			if got, want := v.Text("status"), fmt.Sprintf("generation %d · %d alive · paused", tc.gens, len(tc.want)); got != want {
				t.Errorf("status %q, want %q", got, want)
			}
		})
	}
}

// TestClick: clicks, as the browser sends them, toggle the cell under the
// pointer, also in the gap between two cells.
func TestClick(t *testing.T) {
	t.Parallel()
	l, v := board(t)
	click := func(target string, x, y float64) {
		v.Click(target, float32(x), float32(y))
		v.Advance(0)
	}
	click("c-3-4", 3*cell+6, 4*cell+6)
	sameCells(t, l, v, xy{3, 4})
	click("board", 7*cell-0.5, 2*cell+3) // the gap right of cell 6,2
	sameCells(t, l, v, xy{3, 4}, xy{6, 2})
	click("c-3-4", 3*cell+1, 4*cell+12)
	sameCells(t, l, v, xy{6, 2})
	click("status", 10, boardH+10) // not the board: nothing happens
	sameCells(t, l, v, xy{6, 2})
}

// TestControls: the buttons and the speed slider, pressed as a browser
// presses them.
func TestControls(t *testing.T) {
	t.Parallel()
	press := func(v *scenetest.Viewer, name string) {
		v.Press(name)
		v.Advance(0)
	}
	blinker := []xy{{10, 10}, {11, 10}, {12, 10}}

	t.Run("play and pause", func(t *testing.T) {
		t.Parallel()
		l, v := board(t, blinker...)
		press(v, "play")
		if !l.s.Playing() || !strings.HasSuffix(v.Text("status"), "playing") {
			t.Fatalf("not playing after play: %q", v.Text("status"))
		}
		press(v, "play")
		if l.s.Playing() || !strings.HasSuffix(v.Text("status"), "paused") {
			t.Fatalf("still playing after a second press: %q", v.Text("status"))
		}
	})
	t.Run("step pauses and steps", func(t *testing.T) {
		t.Parallel()
		l, v := board(t, blinker...)
		l.s.Play()
		v.Advance(0)
		press(v, "step")
		if l.s.Playing() || l.gen != 1 {
			t.Fatalf("playing %v, generation %d", l.s.Playing(), l.gen)
		}
		sameCells(t, l, v, xy{11, 9}, xy{11, 10}, xy{11, 11})
	})
	t.Run("clear and random", func(t *testing.T) {
		t.Parallel()
		l, v := board(t, blinker...)
		l.step()
		press(v, "clear")
		sameCells(t, l, v)
		if l.gen != 0 {
			t.Errorf("generation %d after clear", l.gen)
		}
		press(v, "random")
		if n := float64(l.population()); n < cols*rows*density/2 || n > cols*rows*density*2 {
			t.Errorf("%v cells alive after random, of %d", n, cols*rows)
		}
	})
	t.Run("speed", func(t *testing.T) {
		t.Parallel()
		l, v := board(t, blinker...)
		v.Set("speed", wire.Number(20))
		l.s.Play()
		v.AdvanceN(10, 0.05) // one generation each at 20 per second
		if l.gen != 10 {
			t.Fatalf("%d generations in 0.5 s at 20 per second", l.gen)
		}
		v.Advance(1) // owes 20; gets at most 4
		if l.gen != 14 {
			t.Fatalf("%d generations after a 1 s frame, want 14", l.gen)
		}
		sameCells(t, l, v, blinker...)
	})
}

// TestProgram runs the example as `go run ./examples/life` does, and reads
// its page.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program; not with -short")
	}
	t.Parallel()
	p := e2e.StartProgram(t, "github.com/vizserve/vizserve/examples/life", "-addr", "127.0.0.1:0", "-paused")
	status, body := extest.Get(t, p.URL+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if n := strings.Count(body, `<rect id="c-`); n != cols*rows {
		t.Errorf("the page shows %d cells, want %d", n, cols*rows)
	}
	for _, want := range []string{"<title>life", "generation 0 ·", "· paused", `data-vz-key=" "`, `data-vz-key="s"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
