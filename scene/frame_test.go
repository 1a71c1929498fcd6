package scene

import (
	"context"
	"strings"
	"testing"
	"time"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/scene/wire"
)

// TestImmediateFirstKeyframeHasThePicture subscribes before any frame: the
// keyframe must already show what the drawers draw.
func TestImmediateFirstKeyframeHasThePicture(t *testing.T) {
	s := Immediate(100, 100, func(c *svg.SVG) {
		c.Circle(10, 10, 5, `id="dot"`)
	})
	var first *wire.Batch
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		if first == nil {
			first = &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
		}
		return true
	}))
	s.Advance(0)
	if first == nil || !first.IsKeyframe() || !strings.Contains(first.Ops[0].Text, `id="dot"`) {
		t.Fatalf("first batch %+v", first)
	}
}

// TestEventChangesGoOutAtOnce runs a scene whose next tick is far away: a
// change made by Do must still reach the subscriber, without waiting for
// it.
func TestEventChangesGoOutAtOnce(t *testing.T) {
	s := New(Options{Width: 10, Height: 10, Rate: 0.001}) // a tick every 1000 s
	label := s.Root().Text(0, 5, "before", `id="label"`)
	got := make(chan string, 16)
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		for _, op := range b.Ops {
			if op.Code == wire.OpSetText {
				got <- op.Text
			}
		}
		return true
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s.Do(func() { label.SetText("after") })
	select {
	case txt := <-got:
		if txt != "after" {
			t.Fatalf("text %q", txt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the change waited for the next tick")
	}
}
