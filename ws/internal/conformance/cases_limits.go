package conformance

import (
	"fmt"
	"time"
)

// sizeName writes a size the way Autobahn's descriptions do: 64 KiB, 1 MiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func group9() []Case {
	const echoed = "The message is echoed exactly; clean close with status 1000."
	kinds := []struct {
		name    string
		op      byte
		pattern string // of 9.1/9.2 and 9.5/9.6
		fill    string // of 9.3/9.4
	}{{"text", opText, "BAsd7&jh23", "*"}, {"binary", opBinary, "\x00\xfe\x23\xfa\xf0", "\xfe"}}
	event := func(op byte, p []byte) Event {
		return Event{Kind: EvMessage, Binary: op == opBinary, Data: p}
	}
	var cs []Case

	// 9.1 and 9.2: one message of increasing size.
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for k, kind := range kinds {
		for i, n := range sizes {
			wait := 100 * sec
			if i == 0 {
				wait = 10 * sec
			}
			c := echoCase(fmt.Sprintf("9.%d.%d", 1+k, i+1), fmt.Sprintf("Send a %s message of %s in one frame.", kind.name, sizeName(n)),
				echoed, closeAfter(wait), func() caseBody {
					p := repeat(kind.pattern, n)
					return caseBody{[]step{send(fin(kind.op, p))}, ok(event(kind.op, p))}
				})
			c.Slow = n >= 8<<20
			cs = append(cs, c)
		}
	}

	// 9.3 and 9.4: 4 MiB in fragments of increasing size.
	frags := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for k, kind := range kinds {
		for i, size := range frags {
			cs = append(cs, echoCase(fmt.Sprintf("9.%d.%d", 3+k, i+1), fmt.Sprintf("Send a %s message of 4 MiB in fragments of %s.", kind.name, sizeName(size)),
				echoed, closeAfter(100*sec), func() caseBody {
					p := repeat(kind.fill, 4<<20)
					return caseBody{[]step{send(fragments(kind.op, p, size)...)}, ok(event(kind.op, p))}
				}))
		}
	}

	// 9.5 and 9.6: 1 MiB in one frame, written in chops of increasing size.
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for k, kind := range kinds {
		for i, chop := range chops {
			c := echoCase(fmt.Sprintf("9.%d.%d", 5+k, i+1), fmt.Sprintf("Send a %s message of 1 MiB in one frame, written in chops of %d bytes.", kind.name, chop),
				echoed, closeAfter(1000*sec), func() caseBody {
					p := repeat(kind.pattern, 1<<20)
					return caseBody{[]step{sendChops(chop, fin(kind.op, p))}, ok(event(kind.op, p))}
				})
			c.Slow = chop == 64
			cs = append(cs, c)
		}
	}

	// 9.7 and 9.8: 1000 round trips of small messages, one at a time.
	trips := []struct {
		size    int
		timeout time.Duration
	}{{0, 60 * sec}, {16, 60 * sec}, {64, 60 * sec}, {256, 120 * sec}, {1024, 240 * sec}, {4096, 480 * sec}}
	for k, kind := range kinds {
		for i, t := range trips {
			fill := kind.fill[0]
			cs = append(cs, Case{
				ID:          fmt.Sprintf("9.%d.%d", 7+k, i+1),
				Description: fmt.Sprintf("Send 1000 %s messages of %d bytes, each after the echo of the one before, to measure the round-trip time.", kind.name, t.size),
				Expectation: "Every message is echoed exactly; clean close with status 1000.",
				close:       closeNormal,
				end:         closeAfter(t.timeout),
				build: func() caseBody {
					return caseBody{[]step{
						roundTripStep{n: 1000, op: kind.op, size: t.size, fill: fill, timeout: t.timeout},
						closeWith(1000, ""),
					}, ok()}
				},
			})
		}
	}
	return cs
}

func group10() []Case {
	return []Case{
		echoCase("10.1.1", "Send a text message of 65536 bytes in fragments of 1300 bytes (51 frames).",
			"The message is echoed exactly; clean close with status 1000.", killAfter(10*sec), func() caseBody {
				p := repeat("*", 65536)
				return caseBody{[]step{send(fragments(opText, p, 1300)...)}, ok(textMsg(string(p)))}
			}),
	}
}
