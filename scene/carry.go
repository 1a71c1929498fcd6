package scene

import (
	"github.com/vizserve/vizserve/internal/scenehook"
	"github.com/vizserve/vizserve/scene/wire"
)

func init() {
	scenehook.SetControls = func(s any, values []wire.Control) { s.(*Scene).setControls(values) }
	scenehook.SetRestart = func(s any, restart func()) { s.(*Scene).restart = restart }
}

// setControls applies values carried over a live-reload swap (see
// scenehook.SetControls): by name and kind, through controlEvent's rules,
// so a range that shrank clamps the value and a select whose option is
// gone keeps its default. Called before Run, on the goroutine that built
// the scene, so that the first keyframe already shows the values.
func (s *Scene) setControls(values []wire.Control) {
	for _, v := range values {
		var c *Control
		for _, o := range s.controls {
			if o.def.Name == v.Name {
				c = o
			}
		}
		if c == nil || c.def.Kind != v.Kind || v.Kind == wire.Button {
			continue
		}
		s.controlEvent(&wire.Event{Kind: wire.ControlSet, Name: v.Name, Value: v.Value})
	}
}
