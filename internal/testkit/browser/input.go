package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Modifier is a set of modifier keys held during an input event.
type Modifier int

// Modifier keys, with the values CDP uses.
const (
	Alt   Modifier = 1
	Ctrl  Modifier = 2
	Meta  Modifier = 4
	Shift Modifier = 8
)

// MouseEvent is one mouse event, dispatched as if by a person: it goes
// through hit testing, fires pointer and mouse events, moves focus, starts
// drags. Coordinates are CSS pixels relative to the viewport.
type MouseEvent struct {
	// Type is "mousePressed", "mouseReleased", "mouseMoved" or
	// "mouseWheel".
	Type string
	X, Y float64
	// Button is the button pressed or released, or held during a move:
	// "none", "left", "middle" or "right". Empty means "none".
	Button string
	// Buttons is the set of buttons held down (1 left, 2 right, 4 middle).
	Buttons    int
	ClickCount int
	Modifiers  Modifier
	// DeltaX and DeltaY scroll, for "mouseWheel".
	DeltaX, DeltaY float64
}

// Mouse dispatches one mouse event.
func (p *Page) Mouse(ctx context.Context, ev MouseEvent) error {
	if ev.Button == "" {
		ev.Button = "none"
	}
	params := map[string]any{
		"type": ev.Type, "x": ev.X, "y": ev.Y,
		"button": ev.Button, "buttons": ev.Buttons,
		"clickCount": ev.ClickCount, "modifiers": int(ev.Modifiers),
	}
	if ev.Type == "mouseWheel" {
		params["deltaX"], params["deltaY"] = ev.DeltaX, ev.DeltaY
	}
	return p.call(ctx, "Input.dispatchMouseEvent", params, nil)
}

// Click moves the mouse to (x, y) and clicks the left button there.
func (p *Page) Click(ctx context.Context, x, y float64) error {
	for _, ev := range []MouseEvent{
		{Type: "mouseMoved", X: x, Y: y},
		{Type: "mousePressed", X: x, Y: y, Button: "left", Buttons: 1, ClickCount: 1},
		{Type: "mouseReleased", X: x, Y: y, Button: "left", ClickCount: 1},
	} {
		if err := p.Mouse(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Drag presses the left button at (x0, y0), moves to (x1, y1) in steps
// equal moves (at least 1) with the button held, and releases it there.
func (p *Page) Drag(ctx context.Context, x0, y0, x1, y1 float64, steps int) error {
	steps = max(steps, 1)
	evs := []MouseEvent{
		{Type: "mouseMoved", X: x0, Y: y0},
		{Type: "mousePressed", X: x0, Y: y0, Button: "left", Buttons: 1, ClickCount: 1},
	}
	for i := 1; i <= steps; i++ {
		f := float64(i) / float64(steps)
		evs = append(evs, MouseEvent{Type: "mouseMoved", X: x0 + (x1-x0)*f, Y: y0 + (y1-y0)*f, Button: "left", Buttons: 1})
	}
	evs = append(evs, MouseEvent{Type: "mouseReleased", X: x1, Y: y1, Button: "left", ClickCount: 1})
	for _, ev := range evs {
		if err := p.Mouse(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Wheel turns the mouse wheel at (x, y) by (dx, dy) pixels.
func (p *Page) Wheel(ctx context.Context, x, y, dx, dy float64) error {
	return p.Mouse(ctx, MouseEvent{Type: "mouseWheel", X: x, Y: y, DeltaX: dx, DeltaY: dy})
}

// Center returns the center of the first element matching a CSS selector,
// in viewport coordinates, for Click and Drag.
func (p *Page) Center(ctx context.Context, selector string) (x, y float64, err error) {
	sel, _ := jsonString(selector)
	var r *struct{ X, Y float64 }
	js := `(() => {
	const el = document.querySelector(` + sel + `);
	if (!el) return null;
	const b = el.getBoundingClientRect();
	return {X: b.left + b.width / 2, Y: b.top + b.height / 2};
})()`
	if err := p.Eval(ctx, js, &r); err != nil {
		return 0, 0, err
	}
	if r == nil {
		return 0, 0, fmt.Errorf("browser: no element matches %s", selector)
	}
	return r.X, r.Y, nil
}

// keyDef describes a key that is not a printable character.
type keyDef struct {
	code    string
	keyCode int
	text    string
}

// keys are the named keys Press knows, by their KeyboardEvent.key.
var keys = map[string]keyDef{
	"Enter":      {"Enter", 13, "\r"},
	"Tab":        {"Tab", 9, ""},
	"Backspace":  {"Backspace", 8, ""},
	"Escape":     {"Escape", 27, ""},
	"Delete":     {"Delete", 46, ""},
	"Insert":     {"Insert", 45, ""},
	"Home":       {"Home", 36, ""},
	"End":        {"End", 35, ""},
	"PageUp":     {"PageUp", 33, ""},
	"PageDown":   {"PageDown", 34, ""},
	"ArrowLeft":  {"ArrowLeft", 37, ""},
	"ArrowUp":    {"ArrowUp", 38, ""},
	"ArrowRight": {"ArrowRight", 39, ""},
	"ArrowDown":  {"ArrowDown", 40, ""},
	"Shift":      {"ShiftLeft", 16, ""},
	"Control":    {"ControlLeft", 17, ""},
	"Alt":        {"AltLeft", 18, ""},
	"Meta":       {"MetaLeft", 91, ""},
	" ":          {"Space", 32, " "},
}

// Press presses and releases one key: a named key ("Enter", "ArrowLeft",
// "Escape", "Shift", … as in KeyboardEvent.key) or a single character
// ("a", "A", "7", "é"), with modifiers held. A character key types its
// character unless Ctrl, Alt or Meta is held.
func (p *Page) Press(ctx context.Context, key string, mods Modifier) error {
	def, ok := keys[key]
	if !ok {
		r, size := utf8.DecodeRuneInString(key)
		if r == utf8.RuneError || size != len(key) {
			return fmt.Errorf("browser: press %q: not a known key name or a single character", key)
		}
		def = charKey(r)
	}
	text := def.text
	if mods&(Ctrl|Alt|Meta) != 0 {
		text = ""
	}
	down := map[string]any{
		"type": "rawKeyDown", "key": key, "code": def.code,
		"windowsVirtualKeyCode": def.keyCode, "nativeVirtualKeyCode": def.keyCode,
		"modifiers": int(mods),
	}
	if text != "" {
		down["type"] = "keyDown"
		down["text"] = text
		down["unmodifiedText"] = text
	}
	if err := p.call(ctx, "Input.dispatchKeyEvent", down, nil); err != nil {
		return err
	}
	up := map[string]any{
		"type": "keyUp", "key": key, "code": def.code,
		"windowsVirtualKeyCode": def.keyCode, "nativeVirtualKeyCode": def.keyCode,
		"modifiers": int(mods),
	}
	return p.call(ctx, "Input.dispatchKeyEvent", up, nil)
}

// Type presses the key of each character of text in turn ("\n" presses
// Enter, "\t" Tab).
func (p *Page) Type(ctx context.Context, text string) error {
	for _, r := range text {
		key := string(r)
		switch r {
		case '\n', '\r':
			key = "Enter"
		case '\t':
			key = "Tab"
		}
		mods := Modifier(0)
		if r >= 'A' && r <= 'Z' {
			mods = Shift
		}
		if err := p.Press(ctx, key, mods); err != nil {
			return err
		}
	}
	return nil
}

// charKey describes the key of a printable character, on a US layout where
// there is one.
func charKey(r rune) keyDef {
	switch {
	case r >= 'a' && r <= 'z':
		return keyDef{"Key" + string(r-'a'+'A'), int(r - 'a' + 'A'), string(r)}
	case r >= 'A' && r <= 'Z':
		return keyDef{"Key" + string(r), int(r), string(r)}
	case r >= '0' && r <= '9':
		return keyDef{"Digit" + string(r), int(r), string(r)}
	}
	return keyDef{"", 0, string(r)}
}

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
