package scene_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/scene"
)

var drawSeeds = [][2]string{
	{`<circle cx="1" cy="2" r="3"/>`, `<circle cx="2" cy="2" r="3"/>`},
	{`<g id="a"><rect id="r"/><text>hi</text></g>`, `<text>hi</text><g id="r"><rect id="a"/></g>`},
	{`<svg width="10" height="10"><g><circle/><circle id="x"/></g></svg>`, `<svg width="20"><circle id="x"/><g><circle/></g></svg>`},
	{`<text x="1">a<tspan>b</tspan>c</text>`, `<text x="1">a &amp; b</text>`},
	{`<g id="scene.g0"/><g/>`, `<g/><g id="scene.g0"/>`},
	{`<rect onclick="x()" id="id"/>`, `<rect`},
}

func TestDrawSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDraw")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range drawSeeds {
			body := fmt.Sprintf("go test fuzz v1\nstring(%q)\nstring(%q)\n", s[0], s[1])
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seed*"))
	if len(files) != len(drawSeeds) {
		t.Errorf("%s: %d committed seeds, want %d (run go test -run TestDrawSeedCorpus -update)", dir, len(files), len(drawSeeds))
	}
}

// FuzzDraw: whatever an immediate-mode drawing writes, frame after frame,
// the scene never panics, and viewers that followed the stream (directly or
// merged) hold what a keyframe holds.
func FuzzDraw(f *testing.F) {
	f.Fuzz(func(t *testing.T, a, b string) {
		frames := []string{a, b, a, "", b}
		i := 0
		s := scene.Immediate(100, 100, func(c *svg.SVG) {
			io.WriteString(c.Writer, frames[i])
		})
		direct, merged := newViewer(t, false), newViewer(t, true)
		s.Subscribe(direct)
		s.Subscribe(merged)
		for i = range frames {
			s.Advance(0)
			if i == 2 {
				merged.take()
			}
		}
		want := fresh(t, s)
		merged.take()
		sameState(t, "direct", direct.mirror, want)
		sameState(t, "merged", merged.mirror, want)
	})
}
