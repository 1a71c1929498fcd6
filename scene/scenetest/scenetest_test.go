package scenetest_test

import (
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/scenetest"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestViewerSeesTheWire: what the viewer reads is what the scene sent,
// applied as the browser applies it, and equals a fresh keyframe.
func TestViewerSeesTheWire(t *testing.T) {
	t.Parallel()
	s := newCounter()
	v := scenetest.New(t, s)
	if v.Ready() || v.Attr("ball", "cx") != "" {
		t.Fatal("the viewer shows a scene before the first Advance")
	}
	v.Advance(0)
	v.Click("ball", 20, 50)
	v.Click("ball", 21, 50)
	v.AdvanceN(3, 0.5)
	if got := v.Text("label"); got != "2 clicks" {
		t.Errorf("label %q", got)
	}
	if got, want := v.Attr("ball", "cx"), wire.FormatNum(20+3*0.5*30); got != want {
		t.Errorf("cx %q, want %q", got, want)
	}
	if !v.Has("label") || v.Has("nope") || v.Count("") != 3 || v.Count("text") != 1 {
		t.Errorf("Has/Count: %v %v %d %d", v.Has("label"), v.Has("nope"), v.Count(""), v.Count("text"))
	}
	if v.Handle("ball") == 0 || v.Handle("ball") != s.ByID("ball").Handle() {
		t.Errorf("handle %d, the scene's %d", v.Handle("ball"), s.ByID("ball").Handle())
	}
	fresh := scenetest.New(t, s)
	v.Advance(0)
	if v.SVG() != fresh.SVG() || !strings.Contains(v.SVG(), `<text id="label"`) {
		t.Errorf("patched:\n%s\nfresh keyframe:\n%s", v.SVG(), fresh.SVG())
	}
}

// TestOps: Ops lists what the last Advance sent, stats and keyframes
// aside.
func TestOps(t *testing.T) {
	t.Parallel()
	v := scenetest.New(t, newCounter())
	v.Advance(0)
	if n := len(v.Ops()); n != 0 {
		t.Errorf("the keyframe frame lists %d ops", n)
	}
	v.Set("speed", wire.Number(0))
	v.AdvanceN(10, 0.1)
	for _, op := range v.Ops() {
		if op.Code != wire.OpControlValue {
			t.Errorf("a scene at rest sent %v", op.Code)
		}
	}
	v.Press("speed") // a button press for a slider: the scene ignores it
	v.Key("x")       // nobody listens
	v.AdvanceN(10, 0.1)
	if n := len(v.Ops()); n != 0 {
		t.Errorf("%d ops: %+v", n, v.Ops())
	}
}

// TestDOM: a DOM fed with raw messages, as a test reading a real
// connection would.
func TestDOM(t *testing.T) {
	t.Parallel()
	s := newCounter()
	d := scenetest.NewDOM()
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		msg, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		seq, err := d.ApplyMessage(msg)
		if err != nil || seq != b.Seq {
			t.Fatalf("seq %d, %v", seq, err)
		}
		return true
	}))
	s.Advance(0)
	if !d.Ready() || d.Attr("ball", "cx") != "20" || d.Attr("ball", "nope") != "" || d.Text("nope") != "" {
		t.Errorf("ready %v cx %q", d.Ready(), d.Attr("ball", "cx"))
	}
	if _, err := d.ApplyMessage(nil); err == nil {
		t.Error("an empty message applied")
	}
}
