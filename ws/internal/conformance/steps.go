package conformance

import (
	"bytes"
	"fmt"
	"time"
)

// caseBody is what a case sends and what may come back. It is built when the
// case runs, so that listing the cases does not allocate their megabytes.
type caseBody struct {
	script   []step
	outcomes []Outcome
}

// A step is one instruction of a case's script. Steps between two waits
// form one burst, written without looking at what arrives in between (as
// Autobahn queues everything before its event loop runs again).
type step interface {
	// run executes the step and reports whether the script goes on.
	run(s *session) bool
	// budget is the time the step may take, for the case's deadline.
	budget() time.Duration
}

// sendStep writes frames: all in one write, one write per frame
// (perFrame, Autobahn's sync=True), or each frame in chops of chop bytes.
type sendStep struct {
	frames   []*frame
	chop     int
	perFrame bool
}

func (st sendStep) budget() time.Duration { return 0 }

// sendLogMax is how many frames of a burst the log shows one by one.
const sendLogMax = 6

func (st sendStep) run(s *session) bool {
	total := 0
	for i, f := range st.frames {
		total += len(f.payload)
		if i < sendLogMax-1 || len(st.frames) <= sendLogMax {
			s.logf("tx %s%s", f, chopSays(st.chop))
		}
	}
	if n := len(st.frames); n > sendLogMax {
		s.logf("tx … and %d more frames like these (%d frames, %d payload bytes in all)%s", n-sendLogMax+1, n, total, chopSays(st.chop))
	}
	if st.chop > 0 || st.perFrame {
		for _, f := range st.frames {
			if !s.sendQuiet(f, st.chop) {
				return false
			}
		}
		return true
	}
	var buf []byte
	for _, f := range st.frames {
		s.txFrames++
		buf = append(buf, f.encode(s.masked)...)
	}
	return s.write(buf)
}

// partStep writes the bytes of one frame's payload from from to to; the
// part starting at 0 carries the frame header. The frame is encoded once
// per run, so that all parts share one masking key.
type partStep struct {
	f        *frame
	from, to int
}

func (st partStep) budget() time.Duration { return 0 }

func (st partStep) run(s *session) bool {
	b, ok := s.parts[st.f]
	if !ok {
		b = st.f.encode(s.masked)
		s.parts[st.f] = b
		s.txFrames++
	}
	h := len(b) - len(st.f.payload)
	start, end := h+st.from, h+st.to
	if st.from == 0 {
		start = 0
	}
	s.logf("tx %s bytes %d..%d of its payload %s", st.f, st.from, st.to, preview(st.f.payload[st.from:st.to], false))
	return s.write(b[start:end])
}

// waitStep is Autobahn's continueLater: wait d, then go on only if the
// connection is still open, adding a timeout event with tag if tag is set.
// If by is set, the events received by then must be exactly those, or the
// run is NON-STRICT (the peer did not answer at once).
type waitStep struct {
	d   time.Duration
	tag string
	by  []Event
}

func (st waitStep) budget() time.Duration { return st.d }

func (st waitStep) run(s *session) bool {
	s.logf("wait %v", st.d)
	s.waitUntil(time.Now().Add(st.d), func() bool { return !s.open() })
	if !s.open() {
		s.logf("the connection is no longer open; the script stops")
		return false
	}
	if st.by != nil && !eventsEqual(s.received, st.by) && s.nonStrict == "" {
		s.nonStrict = fmt.Sprintf("after waiting %v the events were %s; expected %s by then", st.d, eventsString(s.received), eventsString(st.by))
		s.logf("checkpoint missed: %s", s.nonStrict)
	}
	if st.tag != "" {
		s.received = append(s.received, timeoutEv(st.tag))
		s.logf("timeout %s: the connection is still open", st.tag)
	}
	return true
}

// closeStep is Autobahn's sendCloseFrame: the fuzzer starts the closing
// handshake with this payload, valid or not. A close frame that should not
// count as one (a second one, or one with reserved bits) is a frame in a
// sendStep instead.
type closeStep struct {
	payload []byte
}

func (st closeStep) budget() time.Duration { return 0 }

func (st closeStep) run(s *session) bool {
	s.startClose(st.payload, "the script closes with "+describeClose(st.payload))
	return s.writeErr == nil
}

// roundTripStep sends n messages one at a time, each after the echo of the
// one before, and checks every echo (Autobahn's 9.7 and 9.8).
type roundTripStep struct {
	n       int
	op      byte
	size    int
	fill    byte
	timeout time.Duration
}

func (st roundTripStep) budget() time.Duration { return st.timeout }

func (st roundTripStep) run(s *session) bool {
	payload := bytes.Repeat([]byte{st.fill}, st.size)
	want := Event{Kind: EvMessage, Binary: st.op == opBinary, Data: payload}
	f := &frame{fin: true, op: st.op, payload: payload}
	s.logf("round trips: %d %s messages of %d bytes, one at a time", st.n, opName(st.op), st.size)
	// One log line per frame would be thousands.
	s.mute = true
	defer func() { s.mute = false }()
	base := len(s.received)
	deadline := time.Now().Add(st.timeout)
	begin := time.Now()
	for i := range st.n {
		if !s.sendFrame(f, 0) {
			return false
		}
		if !s.waitUntil(deadline, func() bool { return len(s.received) > base || !s.open() }) || len(s.received) == base {
			s.mute = false
			s.failNote = fmt.Sprintf("round trip %d of %d: no echo (within %v for all)", i+1, st.n, st.timeout)
			s.logf("%s", s.failNote)
			return false
		}
		n := len(s.received) - base
		got := s.received[base]
		s.received = s.received[:base]
		if !got.equal(want) || n > 1 {
			s.mute = false
			s.failNote = fmt.Sprintf("round trip %d of %d: got %s (%d events in all); expected only the echo %s", i+1, st.n, got, n, want)
			s.logf("%s", s.failNote)
			return false
		}
	}
	s.mute = false
	el := time.Since(begin)
	s.logf("round trips: %d echoes in %v (%v per round trip)", st.n, el.Round(time.Microsecond), (el / time.Duration(st.n)).Round(time.Microsecond))
	return true
}
