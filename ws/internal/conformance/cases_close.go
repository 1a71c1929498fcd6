package conformance

import (
	"fmt"
	"strings"
)

func group7() []Case {
	const cleanNormal = "Clean close with status 1000."
	// fuzzerCloses: the script itself starts the closing handshake; the
	// fuzzer does not close on its own when events arrive (Autobahn's
	// suppressClose).
	fuzzerCloses := func(id, desc, expect string, codes []int, clean bool, build func() caseBody) Case {
		return Case{ID: id, Description: desc, Expectation: expect,
			close: CloseExpect{ByFuzzer: true, Codes: codes, RequireClean: clean},
			end:   killAfter(sec), build: build}
	}
	normal := []int{1000}
	cs := []Case{
		echoCase("7.1.1", "Send a text message, then close.", "The message is echoed, then a clean close with status 1000.", killAfter(sec), func() caseBody {
			return caseBody{[]step{send(textFrame("Hello World!"))}, ok(textMsg("Hello World!"))}
		}),
		fuzzerCloses("7.1.2", "Send two close frames.", cleanNormal+" The second close frame is ignored.", normal, true, func() caseBody {
			return caseBody{[]step{closeWith(1000, ""), send(fin(opClose, nil))}, ok()}
		}),
		fuzzerCloses("7.1.3", "Send a ping after the close frame.", cleanNormal+" No pong.", normal, true, func() caseBody {
			return caseBody{[]step{closeWith(1000, ""), send(fin(opPing, nil))}, ok()}
		}),
		fuzzerCloses("7.1.4", "Send a text message after the close frame.", cleanNormal+" The message is ignored.", normal, true, func() caseBody {
			return caseBody{[]step{closeWith(1000, ""), send(textFrame("Hello World!"))}, ok()}
		}),
		fuzzerCloses("7.1.5", "Send the first fragment of a text message, then the close frame, then the last fragment.", cleanNormal, normal, true, func() caseBody {
			return caseBody{[]step{send(frag(opText, false, "fragment1")), closeWith(1000, ""), send(frag(opCont, true, "fragment2"))}, ok()}
		}),
	}
	// 7.1.6 is informational: whether the echoes come before the close
	// depends on the implementation. Sane: the echoes in order (all,
	// some or none of them), no pong for the ping after the close, and a
	// close with status 1000.
	c716 := fuzzerCloses("7.1.6", "Send a 256 KiB text message, then a small one, then the close frame, then a ping.",
		"Informational: the echoes in order (or a prefix of them, if the close is processed first), no pong, status 1000.", normal, true, func() caseBody {
			big := repeat("BAsd7&jh23", 256<<10)
			return caseBody{
				[]step{send(fin(opText, big), textFrame("Hello World!")), closeWith(1000, ""), send(fin(opPing, nil))},
				[]Outcome{
					{Informational, []Event{textMsg(string(big)), textMsg("Hello World!")}},
					{Informational, []Event{textMsg(string(big))}},
					{Informational, []Event{}},
				}}
		})
	c716.info = true
	cs = append(cs, c716)

	closeFrame := func(payload []byte) func() caseBody {
		return func() caseBody { return caseBody{[]step{closeStep{payload}}, ok()} }
	}
	cs = append(cs,
		fuzzerCloses("7.3.1", "Send a close frame with a payload of length 0 (no status, no reason).", cleanNormal+" (A reply without a status is accepted.)", normal, true, closeFrame(nil)),
		fuzzerCloses("7.3.2", "Send a close frame with a payload of length 1.", "The peer answers with status 1002.", protocolError, false, closeFrame([]byte("a"))),
		fuzzerCloses("7.3.3", "Send a close frame with a payload of length 2 (a status, no reason).", cleanNormal, normal, true, closeFrame(closePayload(1000, nil))),
		fuzzerCloses("7.3.4", "Send a close frame with a status and a reason.", cleanNormal, normal, true, closeFrame(closePayload(1000, []byte("Hello World!")))),
		fuzzerCloses("7.3.5", "Send a close frame with a status and a reason of the greatest length (123 bytes).", cleanNormal, normal, true, closeFrame(closePayload(1000, []byte(strings.Repeat("*", 123))))),
		fuzzerCloses("7.3.6", "Send a close frame with a status and a reason one byte too long (124 bytes; a 126-byte payload).", "The peer answers with status 1002.", protocolError, false, closeFrame(closePayload(1000, []byte(strings.Repeat("*", 124))))),
		fuzzerCloses("7.5.1", "Send a close frame with status 1000 and a reason that is not valid UTF-8.", "The peer answers with status 1007 (or 1002).", []int{1002, 1007}, false,
			closeFrame(closePayload(1000, []byte(kosme+"\xed\xa0\x80edited")))),
	)
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, fuzzerCloses(fmt.Sprintf("7.7.%d", i+1), fmt.Sprintf("Send a close frame with the valid status %d.", code),
			"Clean close with status 1000 or the same status.", []int{1000, code}, true, closeFrame(closePayload(code, nil))))
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, fuzzerCloses(fmt.Sprintf("7.9.%d", i+1), fmt.Sprintf("Send a close frame with the invalid status %d.", code),
			"The peer answers with status 1002.", protocolError, false, closeFrame(closePayload(code, nil))))
	}
	for i, code := range []int{5000, 65535} {
		c := fuzzerCloses(fmt.Sprintf("7.13.%d", i+1), fmt.Sprintf("Send a close frame with the status %d.", code),
			"Informational: the spec leaves it open. Sane: a close with status 1000, the same status or 1002.", []int{1000, code, 1002}, false, closeFrame(closePayload(code, nil)))
		c.info = true
		c.build = func() caseBody {
			return caseBody{[]step{closeStep{closePayload(code, nil)}}, []Outcome{{Informational, []Event{}}}}
		}
		cs = append(cs, c)
	}
	return cs
}
