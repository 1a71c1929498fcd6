package dev

import (
	"fmt"
	"strings"

	"github.com/vizserve/vizserve/internal/dev/build"
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

// placeholder is the scene shown before any child is up: what is being
// built and, for a first build, how far it is.
type placeholder struct {
	s    *scene.Scene
	text *scene.Node
	what string
	last *wire.Batch // the scene's latest batch
}

func newPlaceholder(what string) *placeholder {
	p := &placeholder{what: what, s: scene.New(scene.Options{Width: 640, Height: 120, Paused: true})}
	p.s.Root().Rect(0, 0, 640, 120, "fill:#f4f4f8")
	p.text = p.s.Root().Text(320, 66, "building "+what+"…", `id="vz-building"`, "text-anchor:middle;font:16px sans-serif;fill:#555")
	p.s.Subscribe(wire.SinkFunc(func(b *wire.Batch) bool {
		p.last = &wire.Batch{Seq: b.Seq, Ops: append([]wire.Op(nil), b.Ops...)}
		return true
	}))
	p.s.Advance(0)
	return p
}

// keyframe returns the placeholder's first batch: its keyframe.
func (p *placeholder) keyframe() *wire.Batch { return p.last }

// progress shows how far a build is and returns the batch that says so.
func (p *placeholder) progress(pr build.Progress) *wire.Batch {
	p.last = nil
	p.text.SetText(progressText(p.what, pr))
	p.s.Advance(0)
	return p.last
}

func progressText(what string, pr build.Progress) string {
	return fmt.Sprintf("building %s… %d of %d packages compiled", what, pr.Done, pr.Total)
}
