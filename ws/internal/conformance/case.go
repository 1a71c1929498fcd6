package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Verdict is the judgement on one run of a case, named as Autobahn names
// them.
type Verdict string

const (
	OK             Verdict = "OK"               // the strict expectation was met
	NonStrict      Verdict = "NON-STRICT"       // acceptable, but weaker than required (e.g. not fail-fast)
	Informational  Verdict = "INFORMATIONAL"    // behaviour is only recorded; it was sane
	Unimplemented  Verdict = "UNIMPLEMENTED"    // the extension the case needs was not negotiated
	Failed         Verdict = "FAILED"           // wrong events, a protocol violation, or the wrong side closed
	Unclean        Verdict = "UNCLEAN"          // the closing handshake or TCP close was not clean where required
	WrongCode      Verdict = "WRONG CODE"       // the peer's close status was not one of those expected
	FailedByFuzzer Verdict = "FAILED BY CLIENT" // the server left it to the fuzzing client to drop TCP
)

// Verdicts lists every verdict in the order the summary prints them.
var Verdicts = []Verdict{OK, NonStrict, Informational, Unimplemented, Failed, Unclean, WrongCode, FailedByFuzzer}

// Pass reports whether v meets our bar: OK, or INFORMATIONAL (which is
// only given when the recorded behaviour was sane).
func (v Verdict) Pass() bool { return v == OK || v == Informational }

// Role is the role of the implementation under test.
type Role int

const (
	// RoleServer: the fuzzer is a client and tests a server.
	RoleServer Role = iota
	// RoleClient: the fuzzer is a server and tests a client.
	RoleClient
)

func (r Role) String() string {
	if r == RoleClient {
		return "client"
	}
	return "server"
}

// EventKind is the kind of something the fuzzer observed.
type EventKind int

const (
	EvMessage EventKind = iota // a complete data message from the peer
	EvPing                     // a ping from the peer
	EvPong                     // a pong from the peer
	EvTimeout                  // a wait of the script ended with the connection still open
)

// Event is one observation, compared with the expected outcomes the way
// Autobahn compares its "received" list: kind, type and exact payload.
type Event struct {
	Kind   EventKind
	Binary bool   // for EvMessage
	Data   []byte // payload, or the tag of an EvTimeout
}

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && bytes.Equal(e.Data, o.Data)
}

func (e Event) String() string {
	switch e.Kind {
	case EvMessage:
		if e.Binary {
			return fmt.Sprintf("binary message len=%d %s", len(e.Data), preview(e.Data, false))
		}
		return fmt.Sprintf("text message len=%d %s", len(e.Data), preview(e.Data, true))
	case EvPing:
		return fmt.Sprintf("ping len=%d %s", len(e.Data), preview(e.Data, true))
	case EvPong:
		return fmt.Sprintf("pong len=%d %s", len(e.Data), preview(e.Data, true))
	case EvTimeout:
		return "timeout " + string(e.Data)
	}
	return "?"
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

func eventsString(ev []Event) string {
	if len(ev) == 0 {
		return "[]"
	}
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func textMsg(s string) Event   { return Event{Kind: EvMessage, Data: []byte(s)} }
func pongEv(s string) Event    { return Event{Kind: EvPong, Data: []byte(s)} }
func timeoutEv(t string) Event { return Event{Kind: EvTimeout, Data: []byte(t)} }

// Outcome is one acceptable list of events and the verdict it earns.
type Outcome struct {
	Verdict Verdict
	Events  []Event
}

// CloseExpect is what a case expects of the end of the connection.
type CloseExpect struct {
	// ByFuzzer: the fuzzer starts the closing handshake (after the
	// expected events, or from the script). Otherwise the peer must fail
	// the connection, sending its close frame first.
	ByFuzzer bool
	// Codes are the acceptable status codes in the peer's close frame.
	Codes []int
	// RequireClean: the closing handshake must complete and the TCP
	// connection end cleanly (see the package documentation).
	RequireClean bool
}

// End is what the fuzzer does once the script is over and the connection
// is still not closed after After: start the closing handshake (Autobahn's
// closeAfter) or drop the TCP connection (killAfter).
type End struct {
	After time.Duration
	Kill  bool
}

// Negotiation is what a case needs from the opening handshake. Groups 1 to
// 10 need nothing. The permessage-deflate groups (12 and 13) set Deflate:
// the fuzzing client makes its offers and checks that the server's
// response honours one of them; the fuzzing server answers the client's
// offers with its accept preferences. If the peer declines (or the
// fuzzing server finds no offer it can accept), the case is
// UNIMPLEMENTED.
type Negotiation struct {
	Deflate *DeflateNegotiation
}

// Case is one conformance case: what to send, and what must come back.
type Case struct {
	ID          string // Autobahn's numbering, e.g. "6.4.1"
	Description string
	Expectation string

	build     func() caseBody // the script and the outcomes (first match wins)
	close     CloseExpect
	end       End
	autoClose bool // start the closing handshake as soon as the OK events are in
	info      bool // INFORMATIONAL: outcomes list the sane behaviours

	// Slow marks cases that move many megabytes or make many system
	// calls; tests skip them under -short.
	Slow bool

	Negotiation Negotiation
}

// Group returns the case's top-level group number ("6" for "6.4.1").
func (c *Case) Group() int {
	g, _, _ := strings.Cut(c.ID, ".")
	n, _ := strconv.Atoi(g)
	return n
}

// Result is the outcome of running one case against one peer.
type Result struct {
	Case    string
	Role    Role
	Verdict Verdict // the final verdict: Behavior, unless the close was worse

	Behavior     Verdict // judgement of the events received
	BehaviorNote string
	Close        Verdict // judgement of the end of the connection
	CloseNote    string

	Received []Event
	// PeerCloseCode is the status in the peer's close frame: -1 if the
	// frame had none, -2 if no close frame came.
	PeerCloseCode   int
	PeerCloseReason string
	Clean           bool // the handshake completed and TCP ended as the package doc defines
	Duration        time.Duration

	Log []string // what happened, with times since the connection opened
}

// Passed reports whether the result meets our bar.
func (r Result) Passed() bool { return r.Verdict.Pass() }

// String gives the verdict line and the log, for a person.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %s (%s under test): %s\n", r.Case, r.Role, r.Verdict)
	fmt.Fprintf(&b, "  behaviour: %s — %s\n", r.Behavior, r.BehaviorNote)
	fmt.Fprintf(&b, "  close:     %s — %s\n", r.Close, r.CloseNote)
	fmt.Fprintf(&b, "  received:  %s\n", eventsString(r.Received))
	for _, l := range r.Log {
		b.WriteString("  | " + l + "\n")
	}
	return b.String()
}
