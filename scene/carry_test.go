package scene_test

import (
	"testing"

	"github.com/vizserve/vizserve/internal/scenehook"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// Values carried over a swap are applied by name and kind through the
// rules of a viewer's change, before Run.
func TestCarriedControls(t *testing.T) {
	t.Parallel()
	s := scene.New(scene.Options{})
	gravity, count, text := 500.0, 3.0, "a"
	on, mode := false, "x"
	changed := 0
	s.Slider("gravity", &gravity, 0, 100, 5).OnChange(func() { changed++ })
	s.Number("count", &count).Range(0, 10, 1)
	s.Toggle("on", &on)
	s.Select("mode", &mode, "x", "y")
	s.TextInput("text", &text)
	pressed := false
	s.Button("reset", "", func() { pressed = true })
	scenehook.SetControls(s, []wire.Control{
		{Kind: wire.Slider, Name: "gravity", Value: wire.Number(812)}, // the range shrank: clamped
		{Kind: wire.Slider, Name: "count", Value: wire.Number(4)},     // now a number box: forgotten
		{Kind: wire.Toggle, Name: "on", Value: wire.String("yes")},    // a value of the wrong kind
		{Kind: wire.Select, Name: "mode", Value: wire.String("z")},    // no longer an option
		{Kind: wire.TextBox, Name: "text", Value: wire.String("tuned")},
		{Kind: wire.Button, Name: "reset"},
		{Kind: wire.Slider, Name: "gone", Value: wire.Number(1)}, // removed: forgotten
	})
	if gravity != 100 || changed != 1 {
		t.Errorf("gravity = %v (OnChange called %d times), want 100, clamped, once", gravity, changed)
	}
	if count != 3 || on || mode != "x" || pressed {
		t.Errorf("count %v, on %v, mode %q, pressed %v: want the defaults 3, false, x, not pressed", count, on, mode, pressed)
	}
	if text != "tuned" {
		t.Errorf("text = %q, want tuned", text)
	}
	scenehook.SetControls(s, []wire.Control{{Kind: wire.Slider, Name: "gravity", Value: wire.Number(42)}, {Kind: wire.Select, Name: "mode", Value: wire.String("y")}})
	if gravity != 40 || mode != "y" {
		t.Errorf("gravity %v, mode %q: want 40 (snapped to the step) and y", gravity, mode)
	}
}
