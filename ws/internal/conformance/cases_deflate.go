package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/payload"
)

// msgSizes are the 18 runs of every subgroup of 12 and 13, as Autobahn's
// MSG_SIZES: 1000 messages of a size, unfragmented or auto-fragmented,
// within a time limit.
var msgSizes = []struct {
	size, frag int
	wait       time.Duration
}{
	{16, 0, 60 * sec}, {64, 0, 60 * sec}, {256, 0, 120 * sec}, {1024, 0, 240 * sec}, {4096, 0, 480 * sec},
	{8192, 0, 480 * sec}, {16384, 0, 480 * sec}, {32768, 0, 480 * sec}, {65536, 0, 480 * sec}, {131072, 0, 480 * sec},
	{8192, 256, 480 * sec}, {16384, 256, 480 * sec}, {32768, 256, 480 * sec}, {65536, 256, 480 * sec}, {131072, 256, 480 * sec},
	{131072, 1024, 480 * sec}, {131072, 4096, 480 * sec}, {131072, 32768, 480 * sec},
}

// deflateMessages is how many messages each case of 12 and 13 sends:
// Autobahn's 1000, or shortDeflateMessages when the tests run with -short
// (under -race a case's thousand round trips take seconds).
var deflateMessages = 1000

const shortDeflateMessages = 200

// slowDeflate is the largest message size of the cases that run under
// -short.
const slowDeflate = 4096

// deflateCase sends deflateMessages compressed messages of one size, cut
// one after the other from kind's data, each after the echo of the one
// before.
func deflateCase(id, setting string, kind payload.Kind, i int, neg *DeflateNegotiation) Case {
	ms := msgSizes[i]
	frag := "in one frame each"
	if ms.frag > 0 {
		frag = fmt.Sprintf("auto-fragmented to frames of %d bytes of compressed payload", ms.frag)
	}
	typ := "text"
	if kind.Binary() {
		typ = "binary"
	}
	return Case{
		ID: id,
		Description: fmt.Sprintf("Send %d compressed %s messages of %d bytes of %s (%d bytes, cut in turn), %s, each after the echo of the one before. %s",
			deflateMessages, typ, ms.size, kind.Description(), payload.Size, frag, setting),
		Expectation: fmt.Sprintf("permessage-deflate is negotiated as the offer asks; every message is echoed exactly, every compressed one valid for the negotiated window and context takeover, within %v; clean close with status 1000.", ms.wait),
		close:       closeNormal,
		end:         closeAfter(ms.wait),
		Slow:        ms.size > slowDeflate,
		Negotiation: Negotiation{Deflate: neg},
		build: func() caseBody {
			return caseBody{[]step{
				deflateTripStep{kind: kind, size: ms.size, frag: ms.frag, n: deflateMessages, timeout: ms.wait},
				closeWith(1000, ""),
			}, ok()}
		},
	}
}

// group12 is Autobahn's 12.1 to 12.5: the five kinds of payload with the
// default offer, accepted as offered.
func group12() []Case {
	var cs []Case
	neg := &DeflateNegotiation{Offers: []DeflateOffer{{}}, Accept: []DeflateAccept{{}}}
	for j, kind := range payload.Kinds {
		for i := range msgSizes {
			cs = append(cs, deflateCase(fmt.Sprintf("12.%d.%d", j+1, i+1),
				"The client offers "+neg.offerHeader()+"; the server accepts it as offered.", kind, i, neg))
		}
	}
	return cs
}

// deflateSettings are the negotiations of 13.1 to 13.7, as Autobahn's
// DEFLATE_PARAMS: the client's offers and the server's accept
// preferences.
var deflateSettings = []DeflateNegotiation{
	{Offers: []DeflateOffer{{}}, Accept: []DeflateAccept{{}}},
	{Offers: []DeflateOffer{{ServerNoContextTakeover: true}}, Accept: []DeflateAccept{{ClientNoContextTakeover: true}}},
	{Offers: []DeflateOffer{{ServerMaxWindowBits: 8}}, Accept: []DeflateAccept{{ClientMaxWindowBits: 8}}},
	{Offers: []DeflateOffer{{ServerMaxWindowBits: 15}}, Accept: []DeflateAccept{{ClientMaxWindowBits: 15}}},
	{Offers: []DeflateOffer{{ServerNoContextTakeover: true, ServerMaxWindowBits: 8}}, Accept: []DeflateAccept{{ClientNoContextTakeover: true, ClientMaxWindowBits: 8}}},
	{Offers: []DeflateOffer{{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}}, Accept: []DeflateAccept{{ClientNoContextTakeover: true, ClientMaxWindowBits: 15}}},
	{
		Offers: []DeflateOffer{{ServerNoContextTakeover: true, ServerMaxWindowBits: 8}, {ServerNoContextTakeover: true}, {}},
		Accept: []DeflateAccept{{ClientNoContextTakeover: true, ClientMaxWindowBits: 8}, {ClientNoContextTakeover: true}, {}},
	},
}

// group13 is Autobahn's 13.1 to 13.7: JSON with each negotiation setting.
func group13() []Case {
	var cs []Case
	for j := range deflateSettings {
		neg := &deflateSettings[j]
		var prefs []string
		for _, a := range neg.Accept {
			prefs = append(prefs, a.String())
		}
		setting := fmt.Sprintf("The client offers %s; the server would %s.", neg.offerHeader(), strings.Join(prefs, ", else "))
		for i := range msgSizes {
			cs = append(cs, deflateCase(fmt.Sprintf("13.%d.%d", j+1, i+1), setting, payload.JSON, i, neg))
		}
	}
	return cs
}

// deflateTripStep sends n compressed messages of size bytes one at a time,
// each after the echo of the one before, and checks every echo (Autobahn's
// 12.x.x and 13.x.x). Message i is the payload's bytes from i*size, round
// and round. Compressed frames from the peer are checked as they arrive
// (see deflateSession.inflate).
type deflateTripStep struct {
	kind    payload.Kind
	size    int
	frag    int // cut each compressed payload into frames of this size; 0: one frame
	n       int
	timeout time.Duration
}

func (st deflateTripStep) budget() time.Duration { return st.timeout }

func (st deflateTripStep) run(s *session) bool {
	dx := s.dx
	data := st.kind.Data()
	op := opText
	if st.kind.Binary() {
		op = opBinary
	}
	s.logf("round trips: %d compressed %s messages of %d bytes of %s, one at a time%s", st.n, opName(op), st.size, st.kind, map[bool]string{true: fmt.Sprintf(", in frames of %d bytes", st.frag)}[st.frag > 0])
	s.mute = true // one log line per message would be thousands
	defer func() { s.mute = false }()
	base := len(s.received)
	deadline := time.Now().Add(st.timeout)
	begin := time.Now()
	var sent, sentRaw int64
	off := 0
	for i := range st.n {
		msg := data[off : off+st.size]
		comp := dx.compressed(data, off, st.size, sentRaw)
		dx.out = dx.out[:0]
		first := true
		for first || len(comp) > 0 {
			k := len(comp)
			if st.frag > 0 {
				k = min(k, st.frag)
			}
			f := frame{fin: k == len(comp), op: opCont, payload: comp[:k]}
			if first {
				f.op, f.rsv = op, 4
			}
			dx.out = f.appendEncode(dx.out, s.masked)
			s.txFrames++
			comp, first = comp[k:], false
		}
		sent += int64(len(dx.out))
		sentRaw += int64(st.size)
		dx.expect = msg
		if !s.write(dx.out) {
			return false
		}
		if !s.waitUntil(deadline, func() bool { return len(s.received) > base || !s.open() }) || len(s.received) == base {
			s.mute = false
			s.failNote = fmt.Sprintf("round trip %d of %d: no echo within %v for all", i+1, st.n, st.timeout)
			if !s.open() {
				s.failNote = fmt.Sprintf("round trip %d of %d: the connection ended before the echo", i+1, st.n)
			}
			s.logf("%s", s.failNote)
			return false
		}
		got, k := s.received[base], len(s.received)-base
		s.received = s.received[:base]
		want := Event{Kind: EvMessage, Binary: op == opBinary, Data: msg}
		if !got.equal(want) || k > 1 {
			s.mute = false
			s.failNote = fmt.Sprintf("round trip %d of %d (bytes %d to %d of the %s payload): got %s%s (%d events in all); expected only the echo %s",
				i+1, st.n, off, off+st.size, st.kind, got, firstDifference(got, want), k, want)
			s.logf("%s", s.failNote)
			// As Autobahn's case does on a wrong echo: close at once.
			s.startClose(closePayload(1000, nil), "the echo was wrong")
			return false
		}
		off = (off + st.size) % len(data)
	}
	s.mute = false
	el := time.Since(begin)
	s.logf("round trips: %d echoes in %v (%v per round trip); sent %d bytes of frames for %d bytes of messages (%.3f)",
		st.n, el.Round(time.Millisecond), (el / time.Duration(st.n)).Round(time.Microsecond), sent, sentRaw, float64(sent)/float64(sentRaw))
	s.logf("the peer sent %d compressed messages (%d bytes for %d, %.3f; %d decoded, %d identical to ones decoded before; longest distance %d; %d ended by a final block, %d flushes inside) and %d uncompressed",
		dx.rxCompressed, dx.rxBytes, dx.rxRaw, float64(dx.rxBytes)/float64(max(1, dx.rxRaw)), dx.rxCompressed-dx.rxFromCache, dx.rxFromCache, dx.rxMaxDist, dx.rxFinal, dx.rxFlushes, dx.rxPlain)
	return true
}

// firstDifference says where a wrong echo first differs from the message.
func firstDifference(got, want Event) string {
	if got.Kind != EvMessage || got.Binary != want.Binary {
		return ""
	}
	n := min(len(got.Data), len(want.Data))
	for i := range n {
		if got.Data[i] != want.Data[i] {
			return fmt.Sprintf(", first different at byte %d", i)
		}
	}
	if len(got.Data) != len(want.Data) {
		return fmt.Sprintf(", equal for its %d bytes but %d long", n, len(got.Data))
	}
	return ""
}
