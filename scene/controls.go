package scene

import (
	"math"
	"slices"

	"github.com/vizserve/vizserve/scene/wire"
)

// Control is a control bound to a Go value: a slider, number box, toggle,
// button, select or text box. The scene holds its definition and value;
// the page shows it in a panel. A change from any viewer is applied on the
// sim goroutine (writing the bound value) and broadcast to every viewer;
// a change the sim makes to the bound value is broadcast at the next frame.
//
// Create controls on the sim goroutine or before Run. Creating one with
// the name of an existing control replaces it.
type Control struct {
	s        *Scene
	def      wire.Control
	get      func() wire.Value
	set      func(wire.Value)
	onChange []func()
	sent     wire.Value
}

func (s *Scene) addControl(c *Control) *Control {
	c.s = s
	c.def.Label = c.def.Name
	c.sent = c.get()
	c.def.Value = c.sent
	s.controls = slices.DeleteFunc(s.controls, func(o *Control) bool { return o.def.Name == c.def.Name })
	s.controls = append(s.controls, c)
	s.ctlDirty = true
	return c
}

// Slider binds a slider over [min, max] in steps of step to *v.
func (s *Scene) Slider(name string, v *float64, min, max, step float64) *Control {
	return s.addControl(&Control{
		def: wire.Control{Kind: wire.Slider, Name: name, Min: min, Max: max, Step: step},
		get: func() wire.Value { return wire.Number(*v) },
		set: func(x wire.Value) { *v = x.Num },
	})
}

// Number binds a number box to *v. Use Range to bound it.
func (s *Scene) Number(name string, v *float64) *Control {
	return s.addControl(&Control{
		def: wire.Control{Kind: wire.NumberBox, Name: name},
		get: func() wire.Value { return wire.Number(*v) },
		set: func(x wire.Value) { *v = x.Num },
	})
}

// Toggle binds a checkbox to *v.
func (s *Scene) Toggle(name string, v *bool) *Control {
	return s.addControl(&Control{
		def: wire.Control{Kind: wire.Toggle, Name: name},
		get: func() wire.Value { return wire.Bool(*v) },
		set: func(x wire.Value) { *v = x.Num != 0 },
	})
}

// Button adds a button that calls fn on the sim goroutine. key, if not "",
// is a keyboard shortcut (a DOM KeyboardEvent.key such as "r" or " ") that
// the browser turns into a press.
func (s *Scene) Button(name, key string, fn func()) *Control {
	c := s.addControl(&Control{
		def: wire.Control{Kind: wire.Button, Name: name, Key: key},
		get: func() wire.Value { return wire.Value{} },
		set: func(wire.Value) {},
	})
	c.onChange = append(c.onChange, fn)
	return c
}

// Select binds a drop-down of options to *v, which holds the chosen one.
func (s *Scene) Select(name string, v *string, options ...string) *Control {
	return s.addControl(&Control{
		def: wire.Control{Kind: wire.Select, Name: name, Options: slices.Clone(options)},
		get: func() wire.Value { return wire.String(*v) },
		set: func(x wire.Value) { *v = x.Str },
	})
}

// TextInput binds a one-line text box to *v.
func (s *Scene) TextInput(name string, v *string) *Control {
	return s.addControl(&Control{
		def: wire.Control{Kind: wire.TextBox, Name: name},
		get: func() wire.Value { return wire.String(*v) },
		set: func(x wire.Value) { *v = x.Str },
	})
}

// Label sets the text shown next to the control (default: its name).
func (c *Control) Label(label string) *Control {
	c.def.Label = label
	c.s.ctlDirty = true
	return c
}

// Range bounds a number box to [min, max] in steps of step (0: any).
func (c *Control) Range(min, max, step float64) *Control {
	c.def.Min, c.def.Max, c.def.Step = min, max, step
	c.s.ctlDirty = true
	return c
}

// Unit sets the text shown after the control's value, such as "m/s²" (for
// sliders and number boxes).
func (c *Control) Unit(unit string) *Control {
	c.def.Unit = unit
	c.s.ctlDirty = true
	return c
}

// Format sets how a slider shows its value: text with one verb %f or %e
// (as in Go's fmt, with an optional + and .precision) or %d (rounded to
// an integer), such as "%.2f" or "%d%%". The default shows the value with
// the decimals of the step: 4.1 for step 0.1, 2.50 for step 0.25. Format
// panics if format is not of that form (see [wire.CheckFormat]).
func (c *Control) Format(format string) *Control {
	if err := wire.CheckFormat(format); err != nil {
		panic("scene: control " + c.def.Name + ": " + err.Error())
	}
	c.def.Format = format
	c.s.ctlDirty = true
	return c
}

// Log makes a slider move in log space: the middle of its track is
// sqrt(min·max), so that each decade of [min, max] gets the same length.
// The bound value is the real value, snapped to the step if there is one
// (a step of 0 suits most log sliders). Log panics unless the control is a
// slider with 0 < min < max.
func (c *Control) Log() *Control {
	if d := &c.def; d.Kind != wire.Slider || !(d.Min > 0 && d.Min < d.Max) {
		panic("scene: control " + c.def.Name + ": Log needs a slider with 0 < min < max")
	}
	c.def.Log = true
	c.s.ctlDirty = true
	return c
}

// Group puts the control in the named section of the panel ("" for none).
// A section is drawn, titled with its name, where its first control is,
// and holds its controls in the order they were created.
func (c *Control) Group(name string) *Control {
	c.def.Group = name
	c.s.ctlDirty = true
	return c
}

// OnChange adds fn to the functions called, on the sim goroutine, after a
// viewer changed the value (or pressed the button).
func (c *Control) OnChange(fn func()) *Control {
	c.onChange = append(c.onChange, fn)
	return c
}

// Name returns the control's name.
func (c *Control) Name() string { return c.def.Name }

// Remove removes the control from the panel.
func (c *Control) Remove() {
	n := len(c.s.controls)
	c.s.controls = slices.DeleteFunc(c.s.controls, func(o *Control) bool { return o == c })
	if len(c.s.controls) != n {
		c.s.ctlDirty = true
	}
}

func (s *Scene) controlDefs() []wire.Control {
	defs := make([]wire.Control, len(s.controls))
	for i, c := range s.controls {
		c.sent = c.get()
		c.def.Value = c.sent
		defs[i] = c.def
		defs[i].Options = slices.Clone(c.def.Options)
	}
	return defs
}

// controlValueOps appends a value op for every control whose bound value
// changed since it was last sent. Controls are few: checking each one per
// frame is cheap, and it catches changes the sim makes to the bound values.
func (s *Scene) controlValueOps(ops []wire.Op) []wire.Op {
	for _, c := range s.controls {
		if v := c.get(); v != c.sent && !(v.Kind == wire.KindNumber && math.IsNaN(v.Num) && math.IsNaN(c.sent.Num)) {
			c.sent = v
			ops = append(ops, wire.Op{Code: wire.OpControlValue, Name: c.def.Name, Value: v})
		}
	}
	return ops
}

// controlEvent applies a viewer's change. Values of the wrong kind, and
// select values that are not options, are ignored; numbers are clamped to
// the control's range and snapped to its step.
func (s *Scene) controlEvent(ev *wire.Event) {
	var c *Control
	for _, o := range s.controls {
		if o.def.Name == ev.Name {
			c = o
		}
	}
	if c == nil {
		return
	}
	v := ev.Value
	d := &c.def
	switch d.Kind {
	case wire.Slider, wire.NumberBox:
		if v.Kind != wire.KindNumber || math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
			return
		}
		if d.Min < d.Max {
			if d.Step > 0 {
				// Rounded to the step's decimals: 0 + 41×0.1 is
				// 4.1000000000000005, and the viewer chose 4.1.
				v.Num = wire.RoundToStep(d.Min+math.Round((v.Num-d.Min)/d.Step)*d.Step, d.Min, d.Step)
			}
			v.Num = math.Max(d.Min, math.Min(d.Max, v.Num))
		}
	case wire.Toggle:
		if v.Kind != wire.KindBool {
			return
		}
	case wire.Select:
		if v.Kind != wire.KindString || !slices.Contains(d.Options, v.Str) {
			return
		}
	case wire.TextBox:
		if v.Kind != wire.KindString {
			return
		}
	}
	s.guard("control "+d.Name, func() {
		c.set(v)
		for _, fn := range c.onChange {
			fn()
		}
	})
}
