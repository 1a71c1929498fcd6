package dev

import (
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/stream"
)

// The placeholder says what is being built and, as a first build reports
// its packages, how far it is: the page shows it through the same stream
// as any scene.
func TestPlaceholderProgress(t *testing.T) {
	t.Parallel()
	p := newPlaceholder("./scene.go")
	m := stream.NewMirror()
	if err := m.Apply(p.keyframe()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Markup(), "building ./scene.go…") {
		t.Fatalf("the placeholder does not say what it builds:\n%s", m.Markup())
	}
	for _, pr := range []build.Progress{{Done: 1, Total: 212}, {Done: 150, Total: 212}} {
		b := p.progress(pr)
		if b == nil || b.IsKeyframe() {
			t.Fatalf("progress %+v: batch %v", pr, b)
		}
		if err := m.Apply(b); err != nil {
			t.Fatal(err)
		}
		el, ok := m.ByID("vz-building")
		if want := progressText("./scene.go", pr); !ok || el.Text != want {
			t.Errorf("after %+v the placeholder reads %q, want %q", pr, el.Text, want)
		}
	}
}
