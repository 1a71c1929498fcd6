package conformance

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"time"
)

// Cases returns the suite: groups 1 to 7, 9, 10, 12 and 13 of
// Autobahn|Testsuite, with its numbering, 517 cases. The cases follow
// Autobahn's case definitions (payloads, fragmentation, chops, delays,
// timers, negotiation and expected outcomes); where our judgement is
// stricter, the package documentation says so.
func Cases() []Case {
	var cs []Case
	for _, g := range []func() []Case{group1, group2, group3, group4, group5, group6, group7, group9, group10, group12, group13} {
		cs = append(cs, g()...)
	}
	return cs
}

// Select returns the cases whose IDs match one of the patterns, in suite
// order. A pattern is a case ID ("6.4.1") or a path.Match pattern over IDs
// ("6.4.*", "9.*": a star matches dots too). No patterns select every case.
func Select(cases []Case, patterns []string) ([]Case, error) {
	if len(patterns) == 0 {
		return cases, nil
	}
	var out []Case
	for _, c := range cases {
		for _, p := range patterns {
			ok, err := path.Match(p, c.ID)
			if err != nil {
				return nil, fmt.Errorf("bad case pattern %q: %v", p, err)
			}
			if ok {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no case matches %q", strings.Join(patterns, ","))
	}
	return out, nil
}

const sec = time.Second

// Frame helpers.

func fin(op byte, p []byte) *frame { return &frame{fin: true, op: op, payload: p} }
func frag(op byte, final bool, p string) *frame {
	return &frame{fin: final, op: op, payload: []byte(p)}
}
func textFrame(s string) *frame { return fin(opText, []byte(s)) }
func withRSV(f *frame, rsv byte) *frame {
	f.rsv = rsv
	return f
}

// repeat fills n bytes with pattern, as Autobahn's payload_len does.
func repeat(pattern string, n int) []byte {
	b := bytes.Repeat([]byte(pattern), n/len(pattern)+1)
	return b[:n]
}

// Step helpers.

func send(fs ...*frame) step             { return sendStep{frames: fs} }
func sendSync(fs ...*frame) step         { return sendStep{frames: fs, perFrame: true} }
func sendChops(n int, fs ...*frame) step { return sendStep{frames: fs, chop: n} }
func wait(d time.Duration, tag string) step {
	return waitStep{d: d, tag: tag}
}
func closeWith(code int, reason string) step {
	return closeStep{payload: closePayload(code, []byte(reason))}
}

// fragments splits p into frames of size bytes (the last may be shorter),
// the first with opcode op: Autobahn's sendMessage with a fragment size.
func fragments(op byte, p []byte, size int) []*frame {
	var fs []*frame
	for first := true; first || len(p) > 0; first = false {
		n := min(size, len(p))
		f := &frame{fin: n == len(p), op: opCont, payload: p[:n]}
		if first {
			f.op = op
		}
		fs = append(fs, f)
		p = p[n:]
	}
	return fs
}

// Outcome helpers.

func ok(ev ...Event) []Outcome { return []Outcome{{OK, nonNil(ev)}} }

// okOrNonStrict: the strict outcome, or the weaker one Autobahn accepts as
// NON-STRICT (typically: the peer failed before echoing the valid message
// sent ahead of the bad frame).
func okOrNonStrict(okEv, weak []Event) []Outcome {
	return []Outcome{{OK, nonNil(okEv)}, {NonStrict, nonNil(weak)}}
}

func nonNil(ev []Event) []Event {
	if ev == nil {
		return []Event{}
	}
	return ev
}

// Close expectations and timers.

var (
	closeNormal = CloseExpect{ByFuzzer: true, Codes: []int{1000}, RequireClean: true}
)

func peerFails(codes ...int) CloseExpect { return CloseExpect{Codes: codes} }
func killAfter(d time.Duration) End      { return End{After: d, Kill: true} }
func closeAfter(d time.Duration) End     { return End{After: d} }

// echoCase: the peer answers with the OK events, then the fuzzer closes
// normally and the close must be clean.
func echoCase(id, desc, expect string, end End, build func() caseBody) Case {
	return Case{ID: id, Description: desc, Expectation: expect, close: closeNormal, end: end, autoClose: true, build: build}
}

// failCase: the peer must fail the connection with one of codes.
func failCase(id, desc, expect string, codes []int, end End, build func() caseBody) Case {
	return Case{ID: id, Description: desc, Expectation: expect, close: peerFails(codes...), end: end, build: build}
}

var (
	protocolError = []int{1002}
	invalidData   = []int{1007}
)

func group1() []Case {
	var cs []Case
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	kinds := []struct {
		name    string
		op      byte
		pattern string
	}{{"text", opText, "*"}, {"binary", opBinary, "\xfe"}}
	for k, kind := range kinds {
		for i, n := range sizes {
			end := killAfter(sec)
			if n > 128 {
				end = killAfter(10 * sec)
			}
			cs = append(cs, echoCase(fmt.Sprintf("1.%d.%d", k+1, i+1),
				fmt.Sprintf("Send a %s message with a payload of %d bytes.", kind.name, n),
				"The message is echoed with the same payload; clean close with status 1000.",
				end, func() caseBody {
					p := repeat(kind.pattern, n)
					return caseBody{[]step{send(fin(kind.op, p))}, ok(Event{Kind: EvMessage, Binary: kind.op == opBinary, Data: p})}
				}))
		}
		cs = append(cs, echoCase(fmt.Sprintf("1.%d.8", k+1),
			fmt.Sprintf("Send a %s message with a payload of 65536 bytes, written in chops of 997 bytes.", kind.name),
			"The message is echoed with the same payload; clean close with status 1000.",
			killAfter(10*sec), func() caseBody {
				p := repeat(kind.pattern, 65536)
				return caseBody{[]step{sendChops(997, fin(kind.op, p))}, ok(Event{Kind: EvMessage, Binary: kind.op == opBinary, Data: p})}
			}))
	}
	return cs
}

func group2() []Case {
	const pongExpect = "A pong with the ping's payload; clean close with status 1000."
	pingCase := func(id, desc string, p []byte, chop int, end End) Case {
		return echoCase(id, desc, pongExpect, end, func() caseBody {
			return caseBody{[]step{sendChops(chop, fin(opPing, p))}, ok(Event{Kind: EvPong, Data: p})}
		})
	}
	cs := []Case{
		pingCase("2.1", "Send a ping without payload.", []byte{}, 0, closeAfter(sec)),
		pingCase("2.2", "Send a ping with a small text payload.", []byte("Hello, world!"), 0, closeAfter(sec)),
		pingCase("2.3", "Send a ping with a small binary payload (not UTF-8).", []byte("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"), 0, closeAfter(sec)),
		pingCase("2.4", "Send a ping with a binary payload of 125 bytes.", repeat("\xfe", 125), 0, closeAfter(sec)),
		failCase("2.5", "Send a ping with a binary payload of 126 bytes.",
			"The connection is failed at once with status 1002: control frames carry at most 125 bytes.",
			protocolError, killAfter(sec), func() caseBody {
				return caseBody{[]step{send(fin(opPing, repeat("\xfe", 126)))}, ok()}
			}),
		pingCase("2.6", "Send a ping with a binary payload of 125 bytes, written one byte at a time.", repeat("\xfe", 125), 1, closeAfter(2*sec)),
		echoCase("2.7", "Send an unsolicited pong without payload, then close.",
			"Nothing comes back but the close; clean close with status 1000.",
			closeAfter(sec), func() caseBody {
				return caseBody{[]step{send(fin(opPong, nil)), closeWith(1000, "")}, ok()}
			}),
		echoCase("2.8", "Send an unsolicited pong with a payload, then close.",
			"Nothing comes back but the close; clean close with status 1000.",
			closeAfter(sec), func() caseBody {
				return caseBody{[]step{send(fin(opPong, []byte("unsolicited pong payload"))), closeWith(1000, "")}, ok()}
			}),
		echoCase("2.9", "Send an unsolicited pong with a payload, then a ping with a payload.",
			"Only the pong answering the ping comes back; clean close with status 1000.",
			closeAfter(sec), func() caseBody {
				return caseBody{[]step{send(fin(opPong, []byte("unsolicited pong payload")), fin(opPing, []byte("ping payload")))}, ok(pongEv("ping payload"))}
			}),
	}
	for i, chop := range []int{0, 1} {
		desc := "Send 10 pings with payloads."
		if chop == 1 {
			desc = "Send 10 pings with payloads, written one byte at a time."
		}
		cs = append(cs, echoCase(fmt.Sprintf("2.%d", 10+i), desc,
			"10 pongs with the pings' payloads, in order; clean close with status 1000.",
			closeAfter(3*sec), func() caseBody {
				var fs []*frame
				var ev []Event
				for j := range 10 {
					p := fmt.Sprintf("payload-%d", j)
					fs = append(fs, fin(opPing, []byte(p)))
					ev = append(ev, pongEv(p))
				}
				return caseBody{[]step{sendChops(chop, fs...)}, ok(ev...)}
			}))
	}
	return cs
}

func group3() []Case {
	const hello = "Hello, world!"
	const failNow = "The connection is failed at once with status 1002: no extension gives the reserved bits a meaning."
	const echoFirst = "The first message is echoed, then the connection is failed with status 1002; no pong comes back."
	// The three frames of 3.2 to 3.4: a valid message, the same with
	// reserved bits, and a ping that must not be answered.
	three := func(rsv byte) []*frame {
		return []*frame{textFrame(hello), withRSV(textFrame(hello), rsv), fin(opPing, nil)}
	}
	return []Case{
		failCase("3.1", "Send a small text message with RSV = 1.", failNow, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(withRSV(textFrame(hello), 1))}, ok()}
		}),
		failCase("3.2", "Send a small text message, then the same with RSV = 2, then a ping.", echoFirst, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(three(2)...)}, okOrNonStrict([]Event{textMsg(hello)}, nil)}
		}),
		failCase("3.3", "Send a small text message, then the same with RSV = 3, then a ping; one write per frame.", echoFirst, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{sendSync(three(3)...)}, okOrNonStrict([]Event{textMsg(hello)}, nil)}
		}),
		failCase("3.4", "Send a small text message, then the same with RSV = 4, then a ping; written one byte at a time.", echoFirst, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{sendChops(1, three(4)...)}, okOrNonStrict([]Event{textMsg(hello)}, nil)}
		}),
		failCase("3.5", "Send a small binary message with RSV = 5.", failNow, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(withRSV(fin(opBinary, []byte("\x00\xff\xfe\xfd\xfc\xfb\x00\xff")), 5))}, ok()}
		}),
		// Autobahn's description says ping; its code sends a binary frame,
		// which 3.5 covers already. This one sends the ping described.
		failCase("3.6", "Send a ping with RSV = 6.", failNow, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(withRSV(fin(opPing, []byte(hello)), 6))}, ok()}
		}),
		failCase("3.7", "Send a close frame with RSV = 7.", failNow, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(withRSV(fin(opClose, nil), 7))}, ok()}
		}),
	}
}

func group4() []Case {
	const hello = "Hello, world!"
	const failNow = "The connection is failed at once with status 1002."
	const echoFirst = "The first message is echoed, then the connection is failed with status 1002; no pong comes back."
	alone := func(id string, op byte, payload string) Case {
		desc := fmt.Sprintf("Send a frame with the reserved opcode %d.", op)
		if payload != "" {
			desc = fmt.Sprintf("Send a frame with the reserved opcode %d and a payload.", op)
		}
		return failCase(id, desc, failNow, protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(fin(op, []byte(payload)))}, ok()}
		})
	}
	between := func(id string, op byte, payload string, chop int) Case {
		desc := fmt.Sprintf("Send a small text message, then a frame with the reserved opcode %d", op)
		if payload != "" {
			desc += " and a payload"
		}
		desc += ", then a ping."
		if chop == 1 {
			desc = strings.TrimSuffix(desc, ".") + "; written one byte at a time."
		}
		return failCase(id, desc, echoFirst, protocolError, killAfter(sec), func() caseBody {
			fs := []*frame{textFrame(hello), fin(op, []byte(payload)), fin(opPing, nil)}
			return caseBody{[]step{sendChops(chop, fs...)}, okOrNonStrict([]Event{textMsg(hello)}, nil)}
		})
	}
	return []Case{
		alone("4.1.1", 3, ""),
		alone("4.1.2", 4, "reserved opcode payload"),
		between("4.1.3", 5, "", 0),
		between("4.1.4", 6, hello, 0),
		between("4.1.5", 7, hello, 1),
		alone("4.2.1", 11, ""),
		alone("4.2.2", 12, "reserved opcode payload"),
		between("4.2.3", 13, "", 0),
		between("4.2.4", 14, hello, 0),
		between("4.2.5", 15, hello, 1),
	}
}

// writeMode is how a burst of frames goes out in the variants of a case.
type writeMode int

const (
	oneWrite writeMode = iota
	perFrame
	perByte
)

func (m writeMode) send(fs ...*frame) step {
	switch m {
	case perFrame:
		return sendSync(fs...)
	case perByte:
		return sendChops(1, fs...)
	}
	return send(fs...)
}

func (m writeMode) says() string {
	switch m {
	case perFrame:
		return "; one write per frame"
	case perByte:
		return "; written one byte at a time"
	}
	return "; all in one write"
}

func group5() []Case {
	const failNow = "The connection is failed at once with status 1002."
	cs := []Case{
		failCase("5.1", "Send a ping in 2 fragments.", "The connection is failed at once with status 1002: control frames must not be fragmented.",
			protocolError, killAfter(sec), func() caseBody {
				return caseBody{[]step{send(frag(opPing, false, "fragment1"), frag(opCont, true, "fragment2"))}, ok()}
			}),
		failCase("5.2", "Send a pong in 2 fragments.", "The connection is failed at once with status 1002: control frames must not be fragmented.",
			protocolError, killAfter(sec), func() caseBody {
				return caseBody{[]step{send(frag(opPong, false, "fragment1"), frag(opCont, true, "fragment2"))}, ok()}
			}),
	}
	// 5.3 to 5.5: a text message in 2 fragments, three ways.
	for i, m := range []writeMode{oneWrite, perFrame, perByte} {
		cs = append(cs, echoCase(fmt.Sprintf("5.%d", 3+i), "Send a text message in 2 fragments"+m.says()+".",
			"The message is echoed; clean close with status 1000.", closeAfter(sec), func() caseBody {
				return caseBody{[]step{m.send(frag(opText, false, "fragment1"), frag(opCont, true, "fragment2"))}, ok(textMsg("fragment1fragment2"))}
			}))
	}
	// 5.6 to 5.8: the same with a ping between the fragments.
	for i, m := range []writeMode{oneWrite, perFrame, perByte} {
		cs = append(cs, echoCase(fmt.Sprintf("5.%d", 6+i), "Send a text message in 2 fragments with a ping between them"+m.says()+".",
			"The pong comes back, then the echo of the message; clean close with status 1000.", closeAfter(sec), func() caseBody {
				return caseBody{[]step{m.send(frag(opText, false, "fragment1"), fin(opPing, []byte("ping payload")), frag(opCont, true, "fragment2"))},
					ok(pongEv("ping payload"), textMsg("fragment1fragment2"))}
			}))
	}
	// 5.9 to 5.14: a continuation frame with nothing to continue, then a
	// text message; the continuation final (5.9-5.11) or not (5.12-5.14).
	for j, final := range []bool{true, false} {
		for i, m := range []writeMode{oneWrite, perFrame, perByte} {
			cs = append(cs, failCase(fmt.Sprintf("5.%d", 9+3*j+i),
				fmt.Sprintf("Send a continuation frame (FIN = %v) with nothing to continue, then a text message%s.", final, m.says()),
				"The connection is failed at once with status 1002: there is no message to continue.",
				protocolError, killAfter(sec), func() caseBody {
					return caseBody{[]step{m.send(frag(opCont, final, "non-continuation payload"), textFrame("Hello, world!"))}, ok()}
				}))
		}
	}
	cs = append(cs,
		failCase("5.15", "Send a text message in 2 fragments, then a continuation frame (FIN = false) with nothing to continue, then a text message.",
			"The message is echoed, then the connection is failed with status 1002.",
			protocolError, killAfter(sec), func() caseBody {
				return caseBody{[]step{send(frag(opText, false, "fragment1"), frag(opCont, true, "fragment2"), frag(opCont, false, "fragment3"), frag(opText, true, "fragment4"))},
					okOrNonStrict([]Event{textMsg("fragment1fragment2")}, nil)}
			}),
	)
	for i, final := range []bool{false, true} {
		cs = append(cs, failCase(fmt.Sprintf("5.%d", 16+i),
			fmt.Sprintf("Twice: a continuation frame (FIN = %v) with nothing to continue, then a text message in 2 fragments.", final),
			failNow, protocolError, killAfter(sec), func() caseBody {
				var fs []*frame
				for range 2 {
					fs = append(fs, frag(opCont, final, "fragment1"), frag(opText, false, "fragment2"), frag(opCont, true, "fragment3"))
				}
				return caseBody{[]step{send(fs...)}, ok()}
			}))
	}
	cs = append(cs, failCase("5.18", "Send a text message in 2 fragments, both with the text opcode.",
		"The connection is failed at once with status 1002: frames after the first of a message must be continuations.",
		protocolError, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(frag(opText, false, "fragment1"), frag(opText, true, "fragment2"))}, ok()}
		}))
	// 5.19 and 5.20: pings while a fragmented message arrives slowly. The
	// first pong must come back during the 1 s pause, before the rest of
	// the message is sent (checked; otherwise NON-STRICT).
	for i, m := range []writeMode{oneWrite, perFrame} {
		cs = append(cs, echoCase(fmt.Sprintf("5.%d", 19+i),
			"Send 2 fragments of a text message and a ping, wait 1 s, then 2 more fragments, another ping and the last fragment"+m.says()+".",
			"Each ping is answered at once, the first one before the message is complete; then the message is echoed. Clean close with status 1000.",
			closeAfter(sec), func() caseBody {
				return caseBody{[]step{
					m.send(frag(opText, false, "fragment1"), frag(opCont, false, "fragment2"), fin(opPing, []byte("pongme 1!"))),
					waitStep{d: sec, by: []Event{pongEv("pongme 1!")}},
					m.send(frag(opCont, false, "fragment3"), frag(opCont, false, "fragment4"), fin(opPing, []byte("pongme 2!")), frag(opCont, true, "fragment5")),
				}, ok(pongEv("pongme 1!"), pongEv("pongme 2!"), textMsg("fragment1fragment2fragment3fragment4fragment5"))}
			}))
	}
	return cs
}
