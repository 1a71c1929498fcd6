package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Timeouts of the closing phase, as in Autobahn's fuzzer.
const (
	// closeHandshakeTimeout is how long the fuzzer waits for the peer's
	// close frame after sending its own.
	closeHandshakeTimeout = 1 * time.Second
	// dropTimeout is how long, after the closing handshake, the fuzzing
	// client waits for the server to close TCP, and the fuzzing server
	// waits for the client to close its side after the server did.
	dropTimeout = 1 * time.Second
	// caseSlack is added to a case's own timers for its hard deadline.
	caseSlack = 5 * time.Second
)

// session runs one case on one connection. One goroutine (the caller of
// run) executes the script, handles what arrives and is the only writer;
// a reader goroutine only parses frames and queues them.
type session struct {
	c        *Case
	body     caseBody
	role     Role // role of the peer under test
	ctx      context.Context
	nc       net.Conn
	br       *bufio.Reader
	masked   bool // the fuzzer is the client and masks its frames
	start    time.Time
	deadline time.Time

	qmu        sync.Mutex
	queue      []inbound
	notify     chan struct{} // capacity 1: "the queue may have grown"
	readerDone chan struct{}

	log        []logLine
	logTail    []logLine
	logOmitted int
	mute       bool // drop log lines (during round trips)
	received   []Event
	msgOn      bool // a fragmented data message from the peer is in progress
	msgOp      byte
	msgBuf     []byte
	msgDeflate bool // ... and it is compressed (RSV1 on its first frame)

	// dx is the permessage-deflate state, nil if not negotiated;
	// unimplemented says why a case that needs it runs without.
	dx            *deflateSession
	unimplemented string

	sentClose   bool // the fuzzer sent a close frame
	closedByMe  bool // ... before the peer's
	sentCloseAt time.Time
	peerClose   *peerClose
	handshakeAt time.Time // both close frames are through
	finSent     bool      // fuzzing server: half-closed after the handshake
	finAt       time.Time
	tcpEnded    bool
	tcpEndErr   error
	tcpEndAt    time.Time
	dropped     bool // the fuzzer closed the TCP connection without waiting further
	dropWhy     string
	droppedAt   time.Time
	violation   string // the peer broke the protocol
	failNote    string // the script found something wrong (e.g. a bad echo)
	nonStrict   string // a timing checkpoint was missed
	writeErr    error

	parts    map[*frame][]byte // encoded frames sent in parts
	txFrames int
}

type peerClose struct {
	code   int // -1: no status
	reason []byte
	at     time.Time
}

type inbound struct {
	at  time.Time
	f   rxFrame
	err error
}

// runSession runs c on an open WebSocket connection (the opening handshake
// done, br holding what was read past it, dx what it settled for
// permessage-deflate, nil if nothing) and judges the result. It closes nc
// before returning. A case that needs permessage-deflate runs without it
// as UNIMPLEMENTED, declined says why: it only closes normally.
func runSession(ctx context.Context, nc net.Conn, br *bufio.Reader, role Role, c *Case, dx *deflateParams, declined string) Result {
	if c.build == nil {
		nc.Close()
		return Result{Case: c.ID, Role: role, Verdict: Failed, Behavior: Failed, BehaviorNote: "the case has no script (make cases with Cases)",
			Close: Failed, CloseNote: "not run", PeerCloseCode: -2}
	}
	// A cancelled run ends at once, even in the middle of a write.
	defer context.AfterFunc(ctx, func() { nc.Close() })()
	s := &session{
		c:          c,
		body:       c.build(),
		role:       role,
		ctx:        ctx,
		nc:         nc,
		br:         br,
		masked:     role == RoleServer,
		start:      time.Now(),
		notify:     make(chan struct{}, 1),
		readerDone: make(chan struct{}),
		parts:      map[*frame][]byte{},
		dx:         newDeflateSession(dx),
	}
	if dx != nil {
		s.logf("negotiated %s", dx)
	} else if c.Negotiation.Deflate != nil {
		s.unimplemented = "permessage-deflate was not negotiated: " + declined
		s.logf("%s; the fuzzer closes the connection", s.unimplemented)
		s.body = caseBody{[]step{closeWith(1000, "")}, ok()}
	}
	budget := c.end.After + closeHandshakeTimeout + dropTimeout + caseSlack
	for _, st := range s.body.script {
		budget += st.budget()
	}
	s.deadline = s.start.Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Before(s.deadline) {
		s.deadline = d
	}
	go s.readLoop()

	s.runScript()
	s.finish()
	nc.Close()
	<-s.readerDone
	return s.judge()
}

func (s *session) readLoop() {
	defer close(s.readerDone)
	for {
		f, err := readFrame(s.br)
		s.qmu.Lock()
		s.queue = append(s.queue, inbound{at: time.Now(), f: f, err: err})
		s.qmu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// The log keeps its first logHead lines and its last logTail ones.
const (
	logHead = 200
	logTail = 100
)

type logLine struct {
	t    time.Time
	text string
}

func (s *session) logAt(t time.Time, format string, args ...any) {
	if s.mute {
		return
	}
	line := logLine{t, fmt.Sprintf(format, args...)}
	if len(s.log) < logHead {
		s.log = append(s.log, line)
		return
	}
	if len(s.logTail) == logTail {
		s.logTail = s.logTail[1:]
		s.logOmitted++
	}
	s.logTail = append(s.logTail, line)
}

// fullLog returns the log in time order (frames are logged when handled,
// which can be after later writes), with the omitted middle marked.
func (s *session) fullLog() []string {
	var out []string
	add := func(ls []logLine) {
		ls = slices.Clone(ls)
		slices.SortStableFunc(ls, func(a, b logLine) int { return a.t.Compare(b.t) })
		for _, l := range ls {
			out = append(out, fmt.Sprintf("%8.3fs %s", l.t.Sub(s.start).Seconds(), l.text))
		}
	}
	add(s.log)
	if s.logOmitted > 0 {
		out = append(out, fmt.Sprintf("         … %d lines omitted …", s.logOmitted))
	}
	add(s.logTail)
	return out
}

func (s *session) logf(format string, args ...any) { s.logAt(time.Now(), format, args...) }

// open reports whether the connection is in Autobahn's OPEN state: no
// close frame either way and TCP alive.
func (s *session) open() bool {
	return !s.sentClose && s.peerClose == nil && !s.tcpEnded && !s.dropped
}

// pump handles everything the reader has queued.
func (s *session) pump() {
	s.qmu.Lock()
	q := s.queue
	s.queue = nil
	s.qmu.Unlock()
	for _, in := range q {
		if in.err != nil {
			s.tcpEnded = true
			s.tcpEndErr = in.err
			s.tcpEndAt = in.at
			s.logAt(in.at, "tcp: %s", describeEnd(in.err, s.dropped))
			continue
		}
		s.handleFrame(in.at, in.f)
	}
}

// waitUntil handles arriving frames until cond holds or t passes, and
// reports whether cond holds.
func (s *session) waitUntil(t time.Time, cond func() bool) bool {
	if s.deadline.Before(t) {
		t = s.deadline
	}
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	for {
		s.pump()
		if cond() {
			return true
		}
		select {
		case <-s.notify:
		case <-timer.C:
			s.pump()
			return cond()
		case <-s.ctx.Done():
			s.pump()
			if !cond() && !s.tcpEnded {
				s.drop("the run was cancelled: " + s.ctx.Err().Error())
			}
			return cond()
		}
	}
}

func describeEnd(err error, droppedByUs bool) string {
	switch {
	case errors.Is(err, io.EOF):
		return "the peer closed the connection (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return "the peer reset the connection (RST)"
	case errors.Is(err, net.ErrClosed) && droppedByUs:
		return "closed by the fuzzer"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the peer closed the connection in the middle of a frame"
	}
	return err.Error()
}

// write puts bytes on the wire. After a failure nothing more is written.
func (s *session) write(b []byte) bool {
	if s.writeErr != nil || s.dropped {
		return false
	}
	s.nc.SetWriteDeadline(s.deadline)
	if _, err := s.nc.Write(b); err != nil {
		s.writeErr = err
		s.logf("tx failed: %v", err)
		return false
	}
	return true
}

// sendFrame writes one whole frame, in chops of chop bytes if chop > 0.
func (s *session) sendFrame(f *frame, chop int) bool {
	s.logf("tx %s%s", f, chopSays(chop))
	return s.sendQuiet(f, chop)
}

func chopSays(chop int) string {
	if chop > 0 {
		return fmt.Sprintf(" in chops of %d", chop)
	}
	return ""
}

// sendQuiet is sendFrame without the log line.
func (s *session) sendQuiet(f *frame, chop int) bool {
	b := f.encode(s.masked)
	s.txFrames++
	if chop <= 0 {
		return s.write(b)
	}
	for len(b) > 0 {
		n := min(chop, len(b))
		if !s.write(b[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

func (s *session) violate(at time.Time, format string, args ...any) {
	if s.violation != "" {
		return
	}
	s.violation = fmt.Sprintf(format, args...)
	s.logAt(at, "protocol violation by the peer: %s", s.violation)
	s.drop("the peer broke the protocol")
}

// drop closes the TCP connection from the fuzzer's side.
func (s *session) drop(why string) {
	if s.dropped || s.tcpEnded {
		return
	}
	s.dropped = true
	s.dropWhy = why
	s.droppedAt = time.Now()
	s.logf("fuzzer drops the TCP connection: %s", why)
	s.nc.Close()
}

func (s *session) handleFrame(at time.Time, f rxFrame) {
	s.logAt(at, "rx %s", &f)
	if s.violation != "" || s.dropped {
		return
	}
	if s.peerClose != nil {
		s.violate(at, "%s frame after its close frame", opName(f.op))
		return
	}
	if f.rsv != 0 {
		switch {
		case s.dx == nil:
			s.violate(at, "reserved bits %d set with no extension negotiated", f.rsv)
		case f.rsv != 4:
			s.violate(at, "reserved bits %d set; permessage-deflate defines RSV1 only", f.rsv)
		case isControl(f.op):
			s.violate(at, "RSV1 set on a %s frame; permessage-deflate compresses data messages only (RFC 7692 6)", opName(f.op))
		case f.op == opCont:
			s.violate(at, "RSV1 set on a continuation frame; only a message's first frame carries it (RFC 7692 6.1)")
		}
		if s.violation != "" {
			return
		}
	}
	if wantMask := s.role == RoleClient; f.masked != wantMask {
		if wantMask {
			s.violate(at, "unmasked frame from a client")
		} else {
			s.violate(at, "masked frame from a server")
		}
		return
	}
	if isControl(f.op) {
		if !f.fin {
			s.violate(at, "fragmented %s frame", opName(f.op))
			return
		}
		if len(f.payload) > maxControl {
			s.violate(at, "%s frame with a %d-byte payload", opName(f.op), len(f.payload))
			return
		}
	}
	switch f.op {
	case opCont, opText, opBinary:
		if f.op == opCont {
			if !s.msgOn {
				s.violate(at, "continuation frame with no message in progress")
				return
			}
			s.msgBuf = append(s.msgBuf, f.payload...)
		} else {
			if s.msgOn {
				s.violate(at, "%s frame inside a fragmented message", opName(f.op))
				return
			}
			s.msgOn, s.msgOp, s.msgBuf = true, f.op, f.payload
			s.msgDeflate = f.rsv == 4
		}
		if !f.fin {
			return
		}
		s.msgOn = false
		msg := s.msgBuf
		s.msgBuf = nil
		if s.dx != nil {
			if s.msgDeflate {
				var err error
				if msg, err = s.dx.inflate(msg); err != nil {
					s.violate(at, "%v", err)
					return
				}
			} else {
				s.dx.rxPlain++
			}
		}
		if s.msgOp == opText && !utf8.Valid(msg) {
			s.violate(at, "text message that is not valid UTF-8")
			return
		}
		s.received = append(s.received, Event{Kind: EvMessage, Binary: s.msgOp == opBinary, Data: msg})
		s.afterEvent()
	case opPing:
		s.received = append(s.received, Event{Kind: EvPing, Data: f.payload})
		if !s.sentClose {
			s.sendFrame(&frame{fin: true, op: opPong, payload: f.payload}, 0)
		}
	case opPong:
		s.received = append(s.received, Event{Kind: EvPong, Data: f.payload})
		s.afterEvent()
	case opClose:
		pc := &peerClose{code: -1, at: at}
		switch len(f.payload) {
		case 0:
		case 1:
			s.violate(at, "close frame with a 1-byte payload")
			return
		default:
			pc.code = int(binary.BigEndian.Uint16(f.payload))
			pc.reason = f.payload[2:]
			if !validCloseCode(pc.code) {
				s.violate(at, "close frame with status %d, which may not be sent", pc.code)
				return
			}
			if !utf8.Valid(pc.reason) {
				s.violate(at, "close reason that is not valid UTF-8")
				return
			}
		}
		s.peerClose = pc
		if !s.sentClose {
			// The peer starts the closing handshake: answer with its code.
			if s.sendFrame(&frame{fin: true, op: opClose, payload: closePayload(pc.code, nil)}, 0) {
				s.sentClose = true
				s.sentCloseAt = time.Now()
			}
		}
		if s.sentClose {
			s.handshakeDone()
		}
	default:
		s.violate(at, "frame with reserved opcode %d", f.op)
	}
}

// afterEvent starts the closing handshake once the events are exactly
// those of the OK outcome, as Autobahn's fuzzer does.
func (s *session) afterEvent() {
	if !s.c.autoClose || !s.open() || len(s.body.outcomes) == 0 {
		return
	}
	if eventsEqual(s.received, s.body.outcomes[0].Events) {
		s.startClose(closePayload(1000, nil), "the expected events are in")
	}
}

// startClose sends the fuzzer's close frame, starting the closing
// handshake. Like Autobahn, the fuzzer sends at most one.
func (s *session) startClose(payload []byte, why string) {
	if s.sentClose || s.peerClose != nil {
		return
	}
	s.logf("fuzzer starts the closing handshake (%s)", why)
	if s.sendFrame(&frame{fin: true, op: opClose, payload: payload}, 0) {
		s.sentClose = true
		s.closedByMe = true
		s.sentCloseAt = time.Now()
	}
}

// handshakeDone runs when both close frames are through. The fuzzing
// server closes TCP first, as RFC 6455 7.1.1 asks of a server, but only
// its sending side, so that it sees how the client ends its own.
func (s *session) handshakeDone() {
	s.handshakeAt = time.Now()
	if s.role != RoleClient || s.finSent || s.tcpEnded {
		return
	}
	s.finSent = true
	s.finAt = time.Now()
	if tc, ok := s.nc.(interface{ CloseWrite() error }); ok {
		if err := tc.CloseWrite(); err != nil {
			s.logf("tcp: half-close failed: %v", err)
		}
		s.logf("tcp: fuzzing server closed its side (FIN)")
		return
	}
	s.drop("closing handshake done (no half-close on this connection)")
}

func (s *session) runScript() {
	for i, st := range s.body.script {
		if s.tcpEnded || s.dropped || s.writeErr != nil {
			s.logf("script stops before step %d: the connection is gone", i+1)
			return
		}
		if !st.run(s) {
			return
		}
	}
}

// finish waits for the connection to end, running the case's end timer,
// the close handshake timeout and the wait for TCP to close.
func (s *session) finish() {
	endAt := time.Now().Add(s.c.end.After)
	endFired := false
	for {
		s.pump()
		if s.tcpEnded {
			return
		}
		now := time.Now()
		next := s.deadline
		if !now.Before(s.deadline) {
			s.drop("the case's time is up")
			continue
		}
		if !endFired {
			if !now.Before(endAt) {
				endFired = true
				if s.c.end.Kill {
					s.drop(fmt.Sprintf("kill timer of %v", s.c.end.After))
					continue
				}
				s.startClose(closePayload(1000, nil), fmt.Sprintf("close timer of %v", s.c.end.After))
				continue
			}
			next = minTime(next, endAt)
		}
		if s.sentClose && s.peerClose == nil && !s.dropped {
			t := s.sentCloseAt.Add(closeHandshakeTimeout)
			if !now.Before(t) {
				s.drop(fmt.Sprintf("no close frame from the peer within %v of the fuzzer's", closeHandshakeTimeout))
				continue
			}
			next = minTime(next, t)
		}
		if !s.handshakeAt.IsZero() && !s.dropped {
			t := s.handshakeAt.Add(dropTimeout)
			if !now.Before(t) {
				if s.role == RoleServer {
					s.drop(fmt.Sprintf("the server did not close TCP within %v of the closing handshake", dropTimeout))
				} else {
					s.drop(fmt.Sprintf("the client did not close its side of TCP within %v of the server's", dropTimeout))
				}
				continue
			}
			next = minTime(next, t)
		}
		s.waitUntil(next, func() bool { return s.tcpEnded })
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// clean reports whether the connection ended as the package documentation
// defines a clean close, with the reason when it did not.
func (s *session) clean() (bool, string) {
	switch {
	case !s.sentClose && s.peerClose == nil:
		return false, "no closing handshake: neither side sent a close frame"
	case !s.sentClose:
		return false, "the fuzzer could not answer the peer's close frame"
	case s.peerClose == nil:
		return false, "the peer did not answer the fuzzer's close frame"
	}
	if s.role == RoleServer {
		if s.dropped || !s.tcpEnded || errors.Is(s.tcpEndErr, net.ErrClosed) {
			return false, fmt.Sprintf("the server did not close the TCP connection after the closing handshake (waited %v)", dropTimeout)
		}
		return true, ""
	}
	if s.dropped {
		return false, "the fuzzing server had to drop the connection: " + s.dropWhy
	}
	if errors.Is(s.tcpEndErr, syscall.ECONNRESET) {
		return false, "the client reset the TCP connection instead of closing it"
	}
	if !errors.Is(s.tcpEndErr, io.EOF) {
		return false, "the TCP connection ended abnormally: " + describeEnd(s.tcpEndErr, false)
	}
	return true, ""
}

// judge turns what happened into verdicts (see the package documentation
// for the rules).
func (s *session) judge() Result {
	r := Result{
		Case:          s.c.ID,
		Role:          s.role,
		Received:      s.received,
		PeerCloseCode: -2,
		Duration:      time.Since(s.start),
		Log:           s.fullLog(),
	}
	if pc := s.peerClose; pc != nil {
		r.PeerCloseCode = pc.code
		r.PeerCloseReason = string(pc.reason)
	}
	r.Clean, _ = s.clean()

	// The events.
	matched := Verdict("")
	for _, o := range s.body.outcomes {
		if eventsEqual(s.received, o.Events) {
			matched = o.Verdict
			break
		}
	}
	switch {
	case s.violation != "":
		r.Behavior, r.BehaviorNote = Failed, "the peer broke the protocol: "+s.violation
	case s.unimplemented != "":
		r.Behavior, r.BehaviorNote = Unimplemented, s.unimplemented
	case s.failNote != "":
		r.Behavior, r.BehaviorNote = Failed, s.failNote
	case matched == "":
		r.Behavior, r.BehaviorNote = Failed, "the events received differ from every expected outcome: "+s.expectedString()
	case s.c.info:
		r.Behavior, r.BehaviorNote = Informational, "recorded; the events are one of the sane outcomes"
	case matched == OK && s.nonStrict != "":
		r.Behavior, r.BehaviorNote = NonStrict, s.nonStrict
	case matched == OK:
		r.Behavior, r.BehaviorNote = OK, "the events received are those expected"
	default:
		r.Behavior, r.BehaviorNote = matched, "the events match the weaker outcome: "+s.expectedString()
	}

	r.Close, r.CloseNote = s.judgeClose()

	r.Verdict = r.Behavior
	if r.Behavior != Failed && r.Close != OK && r.Close != Informational {
		r.Verdict = r.Close
	}
	return r
}

func (s *session) expectedString() string {
	out := ""
	for i, o := range s.body.outcomes {
		if i > 0 {
			out += "; "
		}
		out += string(o.Verdict) + " " + eventsString(o.Events)
	}
	return out
}

func (s *session) judgeClose() (Verdict, string) {
	ce := s.c.close
	pc := s.peerClose
	codeOK := func() (bool, string) {
		if pc == nil {
			return false, fmt.Sprintf("the peer sent no close frame (RFC 6455 7.1.7: it should send one with status %v)", codesString(ce.Codes))
		}
		if pc.code < 0 {
			// A reply without a status is fine after a normal close from
			// the fuzzer, never when the peer should have flagged an error.
			if s.closedByMe && slices.Contains(ce.Codes, 1000) {
				return true, ""
			}
			return false, fmt.Sprintf("the peer's close frame had no status; expected %v", codesString(ce.Codes))
		}
		if !slices.Contains(ce.Codes, pc.code) {
			return false, fmt.Sprintf("the peer closed with status %d; expected %v", pc.code, codesString(ce.Codes))
		}
		return true, ""
	}

	if s.c.info {
		if pc != nil && pc.code >= 0 && !slices.Contains(ce.Codes, pc.code) {
			return WrongCode, fmt.Sprintf("the peer closed with status %d; sane would be %v", pc.code, codesString(ce.Codes))
		}
		clean, why := s.clean()
		if clean {
			return Informational, "recorded: clean close"
		}
		return Informational, "recorded: " + why
	}
	if s.closedByMe != ce.ByFuzzer {
		if ce.ByFuzzer {
			return Failed, "the connection was closed by the wrong endpoint: the fuzzer should have started the closing handshake"
		}
		return Failed, "the connection was closed by the wrong endpoint: the peer should have failed it before the fuzzer closed"
	}
	if ce.RequireClean {
		if clean, why := s.clean(); !clean {
			return Unclean, why
		}
	}
	if ok, why := codeOK(); !ok {
		return WrongCode, why
	}
	if s.role == RoleServer && s.dropped {
		if !s.handshakeAt.IsZero() {
			return FailedByFuzzer, fmt.Sprintf("the server had not closed the TCP connection %v after the closing handshake, so the fuzzing client dropped it (%s); the server should close it (RFC 6455 7.1.1)",
				s.droppedAt.Sub(s.handshakeAt).Round(time.Millisecond), s.dropWhy)
		}
		return FailedByFuzzer, "the fuzzing client had to drop the TCP connection (" + s.dropWhy + "); the server should close it"
	}
	if clean, why := s.clean(); !clean {
		return OK, "closed as expected; not clean, which this case allows: " + why
	}
	return OK, "the connection was closed properly"
}

func codesString(codes []int) string {
	if len(codes) == 1 {
		return fmt.Sprint(codes[0])
	}
	return fmt.Sprint(codes)
}
