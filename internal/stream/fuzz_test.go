package stream

import (
	"testing"

	"github.com/vizserve/vizserve/scene/wire"
)

// FuzzMirrorApply: applying any decodable batch to a mirror, and merging
// it, never panics; the mirror's keyframe always re-applies cleanly.
func FuzzMirrorApply(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		var b wire.Batch
		if b.UnmarshalBinary(msg) != nil {
			return
		}
		m := NewMirror()
		if err := m.Apply(initialKeyframe()); err != nil {
			t.Fatal(err)
		}
		_ = m.Apply(&b)
		var mg Merger
		mg.Add(initialKeyframe())
		mg.Add(&b)
		mg.Add(&b)
		var out wire.Batch
		mg.Take(&out)
		if kf := m.Keyframe(); kf != nil {
			m2 := NewMirror()
			if err := m2.Apply(kf); err != nil {
				t.Fatalf("mirror keyframe does not apply: %v\n%s", err, kf.Ops[0].Text)
			}
		}
	})
}
