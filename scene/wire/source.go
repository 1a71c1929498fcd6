package wire

import "sync"

// Sink receives a stream of batches: the first is a keyframe, the rest
// patches in sequence order.
type Sink interface {
	// Send delivers b. It is called from the source's goroutine, one call at
	// a time, and must not block: a viewer merges b into its pending state
	// (see Merger) and wakes its writer. Send must not keep b or b.Ops after
	// it returns (the source reuses them); the strings and slices inside the
	// ops are immutable and may be kept.
	//
	// Send returns false when the sink dropped state (a Merger overflowed)
	// and needs a keyframe; the source then sends one.
	Send(b *Batch) bool
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(b *Batch) bool

// Send calls f(b).
func (f SinkFunc) Send(b *Batch) bool { return f(b) }

// Source is the simulation side of the seam between a simulation and the
// viewers' hub: it streams batches to subscribers and takes their events.
// A scene.Scene in this process is one Source; a Relay fed from another
// process (the dev-mode child link, a message broker) is another.
type Source interface {
	// Subscribe adds a sink. Its first batch is a keyframe of the current
	// state; every later change follows in order. The returned function
	// removes the sink: after it returns no new Send starts (one already
	// running on the source's goroutine may finish).
	Subscribe(Sink) (unsubscribe func())
	// Dispatch delivers an event from a viewer. It may be called from any
	// goroutine and does not block; acks are not events and are not
	// dispatched.
	Dispatch(Event)
}

// Relay is a Source whose scene lives elsewhere: feed the upstream batches
// to Send (a Relay is a Sink) and it keeps a Mirror for keyframes and fans
// every batch out to its subscribers. Events go upstream through the
// function given to NewRelay.
type Relay struct {
	dispatch func(Event)

	mu     sync.Mutex
	mirror *Mirror
	sinks  map[*relaySub]struct{}
}

type relaySub struct{ s Sink }

// NewRelay returns a Relay that passes events to dispatch, which must not
// block.
func NewRelay(dispatch func(Event)) *Relay {
	return &Relay{dispatch: dispatch, mirror: NewMirror(), sinks: map[*relaySub]struct{}{}}
}

// Send applies an upstream batch and forwards it to every subscriber. It
// returns false when the batch could not be applied (a bad keyframe) or
// arrived before any keyframe: the upstream must send a keyframe.
func (r *Relay) Send(b *Batch) bool {
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
		c.Ops = make([]Op, 0, len(b.Ops)-len(r.mirror.cycles))
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
	var kf *Batch
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
func (r *Relay) Subscribe(s Sink) func() {
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
func (r *Relay) Dispatch(e Event) { r.dispatch(e) }
