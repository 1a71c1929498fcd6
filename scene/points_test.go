package scene_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// TestPoints: a point list edited by AppendPoints, ReplaceLastPoints and
// TrimPoints reaches a viewer, directly or merged, as the keyframe of a
// viewer joining now has it, and one appended point costs at most 32
// bytes on the wire, the sequence number included.
func TestPoints(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{ID: "w"})
	line := s.Root().Polyline([]float64{0, 1}, []float64{0, 1}, `id="line"`)
	path := s.Root().Path("", `id="path"`)
	poly := s.Root().Polygon(nil, nil, `id="poly"`)
	v, slow := newViewer(t, false), newViewer(t, true)
	s.Subscribe(v)
	s.Subscribe(slow)
	s.Advance(0)
	steps := []struct {
		do         func()
		line, path string
		codes      []wire.Code
	}{
		{func() { line.AppendPoints(2, 2.5) }, "0,0 1,1 2,2.5", "", []wire.Code{wire.OpAppendPoints}},
		{func() { path.AppendPoints(1, 2, 3, 4) }, "0,0 1,1 2,2.5", "M1,2 L3,4", []wire.Code{wire.OpAppendPoints}},
		{func() { line.AppendPoints(3, 3); line.TrimPoints(1) }, "1,1 2,2.5 3,3", "M1,2 L3,4", []wire.Code{wire.OpTrimPoints, wire.OpAppendPoints}},
		{func() { path.TrimPoints(1) }, "1,1 2,2.5 3,3", "M3,4", []wire.Code{wire.OpTrimPoints}},
		{func() { line.ReplaceLastPoints(2, 0.1, 0.2) }, "1,1 0.1,0.2", "M3,4", []wire.Code{wire.OpAppendPoints}},
		{func() { line.Set("points", "5,5"); line.AppendPoints(6, 6) }, "5,5 6,6", "M3,4", []wire.Code{wire.OpSetAttr}},
		{func() { path.TrimPoints(5); path.AppendPoints(7, 7) }, "5,5 6,6", "M7,7", []wire.Code{wire.OpTrimPoints, wire.OpAppendPoints}},
		{func() { poly.AppendPoints(1, 1) }, "5,5 6,6", "M7,7", []wire.Code{wire.OpAppendPoints}},
	}
	for i, st := range steps {
		v.got, v.bytes = nil, 0
		st.do()
		s.Advance(0)
		if i%3 == 2 {
			slow.take()
		}
		var codes []wire.Code
		for _, b := range v.got {
			for _, op := range b.Ops {
				codes = append(codes, op.Code)
			}
		}
		equal(t, fmt.Sprintf("step %d: ops", i), codes, st.codes)
		if got := line.Attr("points"); got != st.line {
			t.Fatalf("step %d: points %q, want %q", i, got, st.line)
		}
		if got := path.Attr("d"); got != st.path {
			t.Fatalf("step %d: d %q, want %q", i, got, st.path)
		}
		if i == 0 && v.bytes > 32 {
			t.Fatalf("one appended point cost %d bytes, want <= 32", v.bytes)
		}
		sameState(t, fmt.Sprintf("step %d", i), v.mirror, fresh(t, s))
	}
	slow.take()
	sameState(t, "merged", slow.mirror, v.mirror)
	if n := line.NumPoints(); n != 2 {
		t.Fatalf("NumPoints = %d, want 2", n)
	}
	// The snapshot (and so an export) has the edited lists.
	var svg strings.Builder
	if err := s.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`points="5,5 6,6"`, `d="M7,7"`, `points="1,1"`} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("the snapshot lacks %s:\n%s", want, svg.String())
		}
	}
}

// TestPointsBeforeFirstFrame: edits of a node not yet sent go in its
// create op.
func TestPointsBeforeFirstFrame(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{ID: "w"})
	v := newViewer(t, false)
	s.Subscribe(v)
	s.Advance(0)
	v.got = nil
	line := s.Root().El("polyline", `id="l"`)
	line.AppendPoints(1, 2, 3, 4).TrimPoints(1)
	s.Advance(0)
	if len(v.got) != 1 || len(v.got[0].Ops) != 1 || v.got[0].Ops[0].Code != wire.OpCreate {
		t.Fatalf("got %+v, want one create", v.got)
	}
	sameState(t, "create", v.mirror, fresh(t, s))
	if got := line.Attr("points"); got != "3,4" {
		t.Fatalf("points %q", got)
	}
}
