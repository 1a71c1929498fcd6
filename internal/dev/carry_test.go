//go:build linux

package dev

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene/wire"
)

// TestControlValuesSurviveSwap sets a slider and a toggle through a
// viewer, edits the scene, and checks that the new version's first
// keyframe already has them (its markup too: applied before the keyframe,
// no flash of defaults), for a scene without State; then that a range
// that shrank clamps the carried value.
func TestControlValuesSurviveSwap(t *testing.T) {
	file := filepath.Join(copyScene(t, "tuned"), "main.go")
	s := start(t, file, nil)
	v := s.viewer()
	s.note(NoteSwapped)
	v.until("v1", func(m, _ string) bool { return text(m, "label") == "v1" })
	v.send(wire.Event{Kind: wire.ControlSet, Name: "gravity", Value: wire.Number(80)})
	v.send(wire.Event{Kind: wire.ControlSet, Name: "trail", Value: wire.Bool(true)})
	v.until("gravity 80, trail on", func(m, d string) bool {
		return text(m, "gravity") == "80" && strings.Contains(d, `control "trail"=true`)
	})

	// firstKeyframe waits for the keyframe of the version whose label is
	// want and returns its controls and markup.
	firstKeyframe := func(want string) (map[string]wire.Value, string) {
		t.Helper()
		v.until(want, func(m, _ string) bool { return text(m, "label") == want })
		for _, kf := range v.keyframes() {
			var markup string
			cs := map[string]wire.Value{}
			for _, op := range kf.Ops {
				switch op.Code {
				case wire.OpKeyframe:
					markup = op.Text
				case wire.OpControls:
					for _, c := range op.Controls {
						cs[c.Name] = c.Value
					}
				}
			}
			if text(markup, "label") == want {
				return cs, markup
			}
		}
		t.Fatalf("no keyframe of %s", want)
		return nil, ""
	}

	edit(t, file, `const version = "v1"`, `const version = "v2"`)
	s.note(NoteSwapped)
	cs, markup := firstKeyframe("v2")
	if cs["gravity"] != wire.Number(80) || cs["trail"] != wire.Bool(true) {
		t.Errorf("the new version's first keyframe has controls %v, want gravity 80 and trail true", cs)
	}
	if got := text(markup, "gravity"); got != "80" {
		t.Errorf("the new version's first keyframe shows gravity %q, want 80", got)
	}

	// A narrower range clamps the carried value; a removed control is
	// forgotten.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	v3 := strings.NewReplacer(`const version = "v2"`, `const version = "v3"`,
		`0, 900, 10)`, `100, 900, 10)`,
		`s.Toggle("trail", &trail)`, `_ = trail`).Replace(string(data))
	if err := os.WriteFile(file, []byte(v3), 0o644); err != nil { // one save
		t.Fatal(err)
	}
	s.note(NoteSwapped)
	cs, markup = firstKeyframe("v3")
	if cs["gravity"] != wire.Number(100) || text(markup, "gravity") != "100" {
		t.Errorf("after the range became [100, 900]: controls %v, gravity shown %q; want 100, clamped", cs, text(markup, "gravity"))
	}
	if _, ok := cs["trail"]; ok {
		t.Errorf("the removed toggle is still there: %v", cs)
	}
}
