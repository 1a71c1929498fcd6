// Package scene is a live SVG scene that a Go simulation draws and a person
// steers from a browser.
//
//	s := scene.New(scene.Options{Width: 800, Height: 600})
//	ball := s.Root().Circle(400, 300, 20, "fill:crimson")
//	ball.OnDrag(func(d scene.Drag) { ball.SetXY(d.X, d.Y) })
//	s.Slider("gravity", &g, 0, 20, 0.1)
//	s.OnTick(func(dt float64) { vy += g * dt; ... ball.SetXY(x, y) })
//	err := s.Run(ctx) // the sim goroutine; a server shows it (package server)
//
// # Drawing
//
// Two ways, one patch stream. Retained: create nodes once with svgo's
// vocabulary (Circle, Rect, Line, Path, Text, Group, El for any tag, with
// svgo-style "style" or name="value" arguments), then change them
// (SetXY, SetPose, Set, SetNum, SetText, Raise, Remove...); every node has a stable
// id that is also its DOM id. Immediate: Immediate(w, h, fn) (or
// Node.Draw) calls fn with svgo's own *svg.SVG every frame and diffs the
// output by element id, so an existing svgo program becomes live with one
// line. Either way a frame costs what changed: dirty nodes are tracked, the
// tree is never walked per tick.
//
// # The sim goroutine
//
// Run (or Advance, one frame at a time) owns the scene: OnTick functions,
// event handlers, control changes and functions given to Do all run on it,
// one at a time, so sim code needs no locks. Play, Pause, Step and
// SetSpeed steer the loop from anywhere. A panic in sim code pauses the sim
// and shows the panic as an overlay instead of crashing the server.
//
// # Events and controls
//
// Handlers are typed (Pointer, Drag, Wheel, Key, Hover) and carry scene
// coordinates; set them on nodes, or on Root for the whole scene. Each
// node's event mask travels to the browser, which sends only the events
// someone handles. Controls (Slider, Number, Toggle, Button, Select,
// TextInput) bind Go values; a viewer's change is applied on the sim
// goroutine and broadcast to every viewer.
//
// # Plots
//
// Plot draws live charts of sim metrics as retained nodes: linear, log
// and time scales with nice ticks, grid lines, axis titles, a legend
// outside the data, a second y axis, and line, scatter, area, bar,
// histogram and heatmap marks; PanelPlot puts one in the page's side
// panel. docs/plots.md is the guide. LineChart and Histogram are the
// older, simpler charts.
//
// # Viewers
//
// A Scene is a wire.Source: Subscribe gives a keyframe, then one batch per
// frame; Dispatch takes viewers' events. Package wire defines the protocol
// and the seam; package scenetest drives a scene in its author's tests
// and reads what a browser would show.
// Snapshot writes the current frame as a standalone SVG document.
//
// Package scene is pure: it imports neither net nor net/http nor the ws
// package (a test keeps it so). docs/scene.md is the guide for scene
// authors; docs/protocol.md the wire format.
package scene
