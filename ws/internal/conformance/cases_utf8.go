package conformance

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// kosme is the Greek word κόσμε, the first line of Markus Kuhn's UTF-8
// decoder test.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

func group6() []Case {
	const echoed = "The message is echoed; clean close with status 1000."
	const invalid = "The connection is failed at once with status 1007: the payload is not valid UTF-8."
	const failFast = "Part 1 is accepted (the fuzzer times out waiting, tag A); the connection is failed with status 1007 as soon as part 2 arrives, before part 3 is sent (no tag B). Failing only after part 3 is NON-STRICT."
	text := func(p string) []Event { return []Event{textMsg(p)} }
	cs := []Case{
		echoCase("6.1.1", "Send a text message of length 0.", echoed, closeAfter(sec), func() caseBody {
			return caseBody{[]step{send(textFrame(""))}, ok(text("")...)}
		}),
		echoCase("6.1.2", "Send a text message in 3 fragments, each of length 0.", echoed, closeAfter(sec), func() caseBody {
			return caseBody{[]step{send(frag(opText, false, ""), frag(opCont, false, ""), frag(opCont, true, ""))}, ok(text("")...)}
		}),
		echoCase("6.1.3", "Send a text message in 3 fragments, the first and last of length 0.", echoed, closeAfter(sec), func() caseBody {
			const mid = "middle frame payload"
			return caseBody{[]step{send(frag(opText, false, ""), frag(opCont, false, mid), frag(opCont, true, ""))}, ok(text(mid)...)}
		}),
	}

	const mixed = "Hello-µ@ßöäüàá-UTF-8!!"
	cs = append(cs,
		echoCase("6.2.1", "Send a valid UTF-8 text message in one frame.", echoed, closeAfter(sec), func() caseBody {
			return caseBody{[]step{send(textFrame(mixed))}, ok(text(mixed)...)}
		}),
		echoCase("6.2.2", "Send a valid UTF-8 text message in 2 fragments, split on a code point boundary.", echoed, closeAfter(sec), func() caseBody {
			const a, b = "Hello-µ@ßöä", "üàá-UTF-8!!"
			return caseBody{[]step{send(frag(opText, false, a), frag(opCont, true, b))}, ok(text(a + b)...)}
		}),
		echoCase("6.2.3", "Send a valid UTF-8 text message in fragments of 1 byte, so frames end inside code points.", echoed, closeAfter(sec), func() caseBody {
			return caseBody{[]step{send(fragments(opText, []byte(mixed), 1)...)}, ok(text(mixed)...)}
		}),
		echoCase("6.2.4", "Send the valid UTF-8 text κόσμε in fragments of 1 byte, so frames end inside code points.", echoed, closeAfter(sec), func() caseBody {
			return caseBody{[]step{send(fragments(opText, []byte(kosme), 1)...)}, ok(text(kosme)...)}
		}),
	)

	// κόσμε, a UTF-16 surrogate (invalid exactly at its second byte, 0xa0),
	// then "edited".
	const badSurrogate = kosme + "\xed\xa0\x80" + "edited"
	cs = append(cs,
		failCase("6.3.1", "Send an invalid UTF-8 text message in one frame.", invalid, invalidData, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(textFrame(badSurrogate))}, ok()}
		}),
		failCase("6.3.2", "Send an invalid UTF-8 text message in fragments of 1 byte.", invalid, invalidData, killAfter(sec), func() caseBody {
			return caseBody{[]step{send(fragments(opText, []byte(badSurrogate), 1)...)}, ok()}
		}),
	)

	// 6.4: fail fast. κόσμε, then F4 90 80 80 (0x110000 in UTF-8's integer
	// scheme, beyond Unicode: invalid at the 0x90), then "edited"; sent in
	// three parts 1 s apart.
	const p1, p2, p3 = kosme, "\xf4\x90\x80\x80", "edited"
	const whole = p1 + p2 + p3
	failFastOutcomes := okOrNonStrict([]Event{timeoutEv("A")}, []Event{timeoutEv("A"), timeoutEv("B")})
	threeFrames := func(a, b, c string) func() caseBody {
		return func() caseBody {
			return caseBody{[]step{
				send(frag(opText, false, a)), wait(sec, "A"),
				send(frag(opCont, false, b)), wait(sec, "B"),
				send(frag(opCont, true, c)),
			}, failFastOutcomes}
		}
	}
	threeChops := func(a, b int) func() caseBody {
		return func() caseBody {
			f := textFrame(whole)
			return caseBody{[]step{
				partStep{f, 0, a}, wait(sec, "A"),
				partStep{f, a, b}, wait(sec, "B"),
				partStep{f, b, len(whole)},
			}, failFastOutcomes}
		}
	}
	cs = append(cs,
		failCase("6.4.1", "Send an invalid UTF-8 text message in 3 frames, 1 s apart: valid, then the part that makes it invalid (F4 90 80 80), then the rest.",
			failFast, invalidData, killAfter(sec), threeFrames(p1, p2, p3)),
		failCase("6.4.2", "As 6.4.1, but the second frame holds only the byte that makes the payload invalid (the first ends with F4).",
			failFast, invalidData, killAfter(sec), threeFrames(whole[:12], whole[12:13], whole[13:])),
		failCase("6.4.3", "As 6.4.1, but the three parts are TCP chops of one frame.",
			failFast, invalidData, killAfter(sec), threeChops(len(p1), len(p1+p2))),
		failCase("6.4.4", "As 6.4.2, but the three parts are TCP chops of one frame.",
			failFast, invalidData, killAfter(sec), threeChops(12, 13)),
	)

	for i, g := range utf8Sequences() {
		for j, sq := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", 5+i, j+1)
			desc := fmt.Sprintf("%s: send a text message of one frame with the payload 0x%x, which is %s UTF-8.", g.name, sq.bytes, map[bool]string{true: "valid", false: "not valid"}[sq.valid])
			payload := sq.bytes
			if sq.valid {
				cs = append(cs, echoCase(id, desc, echoed, killAfter(500*time.Millisecond), func() caseBody {
					return caseBody{[]step{send(textFrame(payload))}, ok(text(payload)...)}
				}))
			} else {
				cs = append(cs, failCase(id, desc, invalid, invalidData, killAfter(500*time.Millisecond), func() caseBody {
					return caseBody{[]step{send(textFrame(payload))}, ok()}
				}))
			}
		}
	}
	return cs
}

type utf8Seq struct {
	valid bool
	bytes string
}

type utf8Group struct {
	name string
	seqs []utf8Seq
}

// utf8Sequences are the groups of cases 6.5 to 6.23, in Autobahn's order:
// the sequences of Markus Kuhn's UTF-8 decoder stress test
// (https://www.cl.cam.ac.uk/~mgk25/ucs/examples/UTF-8-test.txt), judged by
// RFC 3629: nothing above U+10FFFF, no overlong forms, no surrogates;
// noncharacters such as U+FFFE and U+FFFF are valid.
func utf8Sequences() []utf8Group {
	v := func(s ...string) []utf8Seq { return seqs(true, s...) }
	x := func(s ...string) []utf8Seq { return seqs(false, s...) }

	var prefixes []utf8Seq
	for i := 1; i <= len(kosme); i++ {
		// A prefix is valid exactly when it ends on a code point boundary.
		prefixes = append(prefixes, utf8Seq{utf8.ValidString(kosme[:i]), kosme[:i]})
	}

	var contAll []byte
	for b := 0x80; b < 0xbf; b++ { // 0x80 to 0xbe, as Autobahn has it
		contAll = append(contAll, byte(b))
	}

	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for b := r[0]; b < r[1]; b++ { // each start byte followed by a space
			s = append(s, byte(b), ' ')
		}
		lonely = append(lonely, string(s))
	}

	lastMissing := []string{
		"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf",
	}
	concat := ""
	for _, s := range lastMissing {
		concat += s
	}

	nonchars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f {
				continue // above U+10FFFF
			}
			if z1 == 0xf0 && z2 == 0x8f {
				continue // overlong
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				nonchars = append(nonchars, string([]byte{z1, z2, 0xbf, z3}))
			}
		}
	}

	return []utf8Group{
		{"Some valid UTF-8 sequences", v("hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme)},
		{"All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes},
		{"First possible sequence of a certain length", v("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{"First possible sequence length 5/6 (invalid code points)", x("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{"Last possible sequence of a certain length", v("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{"Last possible sequence length 4/5/6 (invalid code points)", x("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{"Other boundary conditions", append(v("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), x("\xf4\x90\x80\x80")...)},
		{"Unexpected continuation bytes", x("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", string(contAll))},
		{"Lonely start characters", x(lonely...)},
		{"Sequences with last continuation byte missing", x(lastMissing...)},
		{"Concatenation of incomplete sequences", x(concat)},
		{"Impossible bytes", x("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{"Examples of an overlong ASCII character", x("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{"Maximum overlong sequences", x("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{"Overlong representation of the NUL character", x("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{"Single UTF-16 surrogates", x("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")},
		{"Paired UTF-16 surrogates", x(
			"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf")},
		{"Noncharacter code points (valid UTF-8)", v(nonchars...)},
		{"Unicode specials (e.g. the replacement character)", v("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
}

func seqs(valid bool, s ...string) []utf8Seq {
	out := make([]utf8Seq, len(s))
	for i, b := range s {
		out[i] = utf8Seq{valid, b}
	}
	return out
}
