// Package scenehook lets the module's own packages reach parts of package
// scene that are not its API. Package scene sets the hooks when it is
// initialized; internal/link calls them. It imports nothing but scene/wire,
// so that scene stays pure.
package scenehook

import "github.com/vizserve/vizserve/scene/wire"

// SetControls applies control values carried over from the previous
// version of a scene to s, a *scene.Scene that is not running yet, the way
// a viewer's change is applied (clamped to the range, snapped to the step,
// OnChange called). Each value is matched by Name and Kind; a value whose
// control is gone, changed kind, or is a button is ignored. Package scene
// sets it.
var SetControls func(s any, values []wire.Control)

// SetRestart gives s, a *scene.Scene that is not running yet, a way to reset without OnReset
// functions: restart, which asks the process running it for a fresh start.
// The scene then shows viewers a reset button and calls restart, on its sim
// goroutine, for a reset. Package scene sets it.
var SetRestart func(s any, restart func())
