package stream

import (
	"slices"
	"sync"

	"github.com/vizserve/vizserve/scene/wire"
)

// Relay is a Source whose scene lives elsewhere: feed the upstream batches
// to Send (a Relay is a Sink) and it keeps a Mirror for keyframes and fans
// every batch out to its subscribers. Events go upstream through the
// function given to NewRelay.
type Relay struct {
	dispatch func(wire.Event)

	mu     sync.Mutex
	mirror *Mirror
	sinks  map[*relaySub]struct{}
}

type relaySub struct{ s wire.Sink }

// NewRelay returns a Relay that passes events to dispatch, which must not
// block.
func NewRelay(dispatch func(wire.Event)) *Relay {
	return &Relay{dispatch: dispatch, mirror: NewMirror(), sinks: map[*relaySub]struct{}{}}
}

// Send applies an upstream batch and forwards it to every subscriber. It
// returns false when the batch could not be applied (a bad keyframe) or
// arrived before any keyframe: the upstream must send a keyframe.
func (r *Relay) Send(b *wire.Batch) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.mirror.Ready() && !b.IsKeyframe() {
		return false
	}
	if err := r.mirror.Apply(b); err != nil {
		r.mirror = NewMirror()
		return false
	}
	if len(r.mirror.cycles) > 0 {
		// Moves into a node's own subtree change nothing; they go no
		// further, so that no viewer's Merger has to reason about them.
		c := *b
		c.Ops = make([]wire.Op, 0, len(b.Ops)-len(r.mirror.cycles))
		skip := r.mirror.cycles
		for i := range b.Ops {
			if len(skip) > 0 && skip[0] == i {
				skip = skip[1:]
				continue
			}
			c.Ops = append(c.Ops, b.Ops[i])
		}
		b = &c
	}
	var kf *wire.Batch
	for sub := range r.sinks {
		if !sub.s.Send(b) {
			if kf == nil {
				kf = r.mirror.Keyframe()
			}
			sub.s.Send(kf)
		}
	}
	return true
}

// Subscribe implements Source. A sink added before the first upstream
// keyframe receives that keyframe first.
func (r *Relay) Subscribe(s wire.Sink) func() {
	sub := &relaySub{s}
	r.mu.Lock()
	if kf := r.mirror.Keyframe(); kf != nil {
		s.Send(kf)
	}
	r.sinks[sub] = struct{}{}
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.sinks, sub)
		r.mu.Unlock()
	}
}

// Dispatch implements Source by passing e upstream.
func (r *Relay) Dispatch(e wire.Event) { r.dispatch(e) }

// Controls returns the controls the viewers see, with their current values
// (nil before any keyframe, or when the scene has none).
func (r *Relay) Controls() []wire.Control {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := make([]wire.Control, len(r.mirror.controls))
	for i, c := range r.mirror.controls {
		cs[i] = c
		cs[i].Options = slices.Clone(c.Options)
	}
	return cs
}
