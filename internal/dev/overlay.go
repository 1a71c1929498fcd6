package dev

import (
	"strings"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// updateOverlay sends the front's overlay to the pages if it changed.
func (d *front) updateOverlay() {
	var parts []string
	for _, s := range []string{d.overlayBuild, d.overlayCrash, d.overlayAsset} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	text := strings.Join(parts, "\n\n")
	d.cast.setOverlay(text)
	if text == d.overlaySent {
		return
	}
	d.overlaySent = text
	d.relay.Send(&wire.Batch{Ops: []wire.Op{{Code: wire.OpOverlay, Text: text}}})
}

// placeholder is the scene shown before any child is up.
func placeholder(what string) *wire.Batch {
	s := scene.New(scene.Options{Width: 640, Height: 120, Paused: true})
	s.Root().Rect(0, 0, 640, 120, "fill:#f4f4f8")
	s.Root().Text(320, 66, "building "+what+"…", `id="vz-building"`, "text-anchor:middle;font:16px sans-serif;fill:#555")
	var kf *wire.Batch
	s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		if kf == nil {
			kf = &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
		}
		return true
	}))
	s.Advance(0)
	return kf
}
