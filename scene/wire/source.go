package wire

// Sink receives a stream of batches: the first is a keyframe, the rest
// patches in sequence order.
type Sink interface {
	// Send delivers b. It is called from the source's goroutine, one call at
	// a time, and must not block: a viewer merges b into its pending state
	// and wakes its writer. Send must not keep b or b.Ops after it returns
	// (the source reuses them); the strings and slices inside the ops are
	// immutable and may be kept.
	//
	// Send returns false when the sink dropped state (its pending state
	// overflowed) and needs a keyframe; the source then sends one.
	Send(b *Batch) bool
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(b *Batch) bool

// Send calls f(b).
func (f SinkFunc) Send(b *Batch) bool { return f(b) }

// Source is the simulation side of the seam between a simulation and the
// viewers' hub: it streams batches to subscribers and takes their events.
// A scene.Scene in this process is one Source; a relay fed from another
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
