package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The toy peer is a small WebSocket echo peer, written on the fuzzer's own
// framing, whose faults can be switched on one at a time. The tests below
// run cases against it to show that each fault gets the verdict it should:
// the suite's judgement is itself under test.

type toyFaults struct {
	ignoreRSV   bool // echo frames with reserved bits set
	lateUTF8    bool // check UTF-8 only once a text message is complete
	dropOnError bool // close TCP without a close frame when failing
	failCode    int  // fail with this status instead of the right one
	holdTCP     bool // server: leave TCP open after the closing handshake
	noPong      bool // never answer pings
	deferPongs  bool // answer pings only once the current message is complete
	reset       bool // client: reset TCP (linger 0) instead of closing it
	silent      bool // read everything, answer nothing
	deflate     toyDeflateFaults
}

type toyPeer struct {
	f      toyFaults
	client bool
	nc     net.Conn
	br     *bufio.Reader
	dx     *toyDeflate // permessage-deflate, if negotiated
}

func (p *toyPeer) send(op byte, payload []byte) {
	p.nc.Write((&frame{fin: true, op: op, payload: payload}).encode(p.client))
}

// run echoes until the connection ends.
func (p *toyPeer) run() {
	defer p.nc.Close()
	var msgOn, msgDeflate bool
	var msgOp byte
	var buf []byte
	var deferred [][]byte
	for {
		f, err := readFrame(p.br)
		if err != nil {
			return
		}
		if p.f.silent {
			continue
		}
		deflated := p.dx != nil && f.rsv == 4 && (f.op == opText || f.op == opBinary)
		if f.masked == p.client || (f.rsv != 0 && !p.f.ignoreRSV && !deflated) {
			p.fail(1002, true)
			return
		}
		switch f.op {
		case opClose:
			code := -1
			if len(f.payload) == 1 {
				p.fail(1002, false)
				return
			}
			if len(f.payload) >= 2 {
				code = int(binary.BigEndian.Uint16(f.payload))
				if !validCloseCode(code) {
					p.fail(1002, false)
					return
				}
				if !utf8.Valid(f.payload[2:]) {
					p.fail(1007, false)
					return
				}
			}
			p.send(opClose, closePayload(code, nil))
			p.endTCP()
			return
		case opPing:
			if !f.fin || len(f.payload) > maxControl {
				p.fail(1002, true)
				return
			}
			switch {
			case p.f.noPong:
			case p.f.deferPongs && msgOn:
				deferred = append(deferred, f.payload)
			default:
				p.send(opPong, f.payload)
			}
		case opPong:
			if !f.fin || len(f.payload) > maxControl {
				p.fail(1002, true)
				return
			}
		case opCont, opText, opBinary:
			if (f.op == opCont) != msgOn {
				p.fail(1002, true)
				return
			}
			if f.op != opCont {
				msgOn, msgOp, buf, msgDeflate = true, f.op, nil, deflated
			}
			buf = append(buf, f.payload...)
			if msgOp == opText && !p.f.lateUTF8 && !msgDeflate && !utf8Prefix(buf) {
				p.fail(1007, true)
				return
			}
			if f.fin {
				msgOn = false
				if msgDeflate {
					var err error
					if buf, err = p.dx.inflate(buf); err != nil {
						p.fail(1007, true)
						return
					}
				}
				if msgOp == opText && !utf8.Valid(buf) {
					p.fail(1007, true)
					return
				}
				for _, d := range deferred {
					p.send(opPong, d)
				}
				deferred = nil
				if p.dx != nil {
					p.dx.echo(p, msgOp, buf)
				} else {
					p.send(msgOp, buf)
				}
			}
		default:
			p.fail(1002, true)
			return
		}
	}
}

// utf8Prefix reports whether b can still be the start of valid UTF-8.
func utf8Prefix(b []byte) bool {
	for k := 0; k <= 3 && k <= len(b); k++ {
		head, tail := b[:len(b)-k], b[len(b)-k:]
		if !utf8.Valid(head) {
			continue
		}
		if k == 0 {
			return true
		}
		// Complete the tail with the smallest continuation bytes allowed.
		need := 0
		switch lead := tail[0]; {
		case lead >= 0xC2 && lead <= 0xDF:
			need = 2
		case lead >= 0xE0 && lead <= 0xEF:
			need = 3
		case lead >= 0xF0 && lead <= 0xF4:
			need = 4
		}
		if need <= k {
			continue
		}
		full := append([]byte(nil), tail...)
		for len(full) < need {
			next := byte(0x80)
			if len(full) == 1 && full[0] == 0xE0 {
				next = 0xA0
			}
			if len(full) == 1 && full[0] == 0xF0 {
				next = 0x90
			}
			full = append(full, next)
		}
		if utf8.Valid(full) {
			return true
		}
	}
	return false
}

// fail sends a close frame with code (or the fault's code), then, if the
// peer's close frame is still to come (await), reads up to it, and ends
// TCP.
func (p *toyPeer) fail(code int, await bool) {
	if p.f.dropOnError {
		return // run's deferred Close drops the connection
	}
	if p.f.failCode != 0 {
		code = p.f.failCode
	}
	p.send(opClose, closePayload(code, nil))
	if await {
		p.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			f, err := readFrame(p.br)
			if err != nil || f.op == opClose {
				break
			}
		}
	}
	p.endTCP()
}

// endTCP ends the connection after the closing handshake: a server closes
// at once (unless holdTCP), a client waits for the server's close first.
func (p *toyPeer) endTCP() {
	p.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if p.client || p.f.holdTCP {
		for {
			if _, err := p.br.ReadByte(); err != nil {
				break
			}
		}
	}
	if p.f.reset {
		if tc, ok := p.nc.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
}

// startToyServer serves the toy peer with faults f and returns its URL.
func startToyServer(t *testing.T, f toyFaults) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil {
					nc.Close()
					return
				}
				key, refused := checkUpgrade(req)
				p := &toyPeer{f: f, nc: nc, br: br}
				ext := p.acceptDeflate(req.Header.Values("Sec-WebSocket-Extensions"))
				if refused != "" || writeSwitch(nc, key, ext) != nil {
					nc.Close()
					return
				}
				p.run()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// runToyClient connects the toy peer with faults f to a fuzzing server URL
// and echoes until the connection ends.
func runToyClient(t *testing.T, rawURL string, f toyFaults) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := &toyPeer{f: f, client: true, nc: nc}
	if err := p.dialHandshake(u); err != nil {
		nc.Close()
		t.Fatal(err)
	}
	p.run()
}

func caseByID(t *testing.T, id string) Case {
	t.Helper()
	for _, c := range Cases() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return Case{}
}

// TestVerdictsAgainstFaults runs cases against the toy server with one
// fault at a time and checks the verdict each fault earns.
func TestVerdictsAgainstFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults toyFaults
		cases  map[string]Verdict
	}{
		{"correct", toyFaults{}, map[string]Verdict{
			"1.1.1": OK, "2.2": OK, "3.1": OK, "3.2": OK, "5.9": OK, "5.19": OK,
			"6.4.1": OK, "6.5.1": OK, "6.20.1": OK, "7.3.2": OK, "7.9.1": OK, "7.13.1": Informational,
		}},
		{"echoes frames with reserved bits", toyFaults{ignoreRSV: true}, map[string]Verdict{"3.1": Failed, "3.2": Failed}},
		{"checks UTF-8 at the end of the message", toyFaults{lateUTF8: true}, map[string]Verdict{"6.4.1": NonStrict, "6.4.2": NonStrict, "6.3.1": OK}},
		{"drops TCP without a close frame", toyFaults{dropOnError: true}, map[string]Verdict{"3.1": WrongCode, "6.3.1": WrongCode, "7.9.1": WrongCode}},
		{"fails with the wrong status", toyFaults{failCode: 1011}, map[string]Verdict{"3.1": WrongCode, "6.3.1": WrongCode, "7.3.2": WrongCode}},
		{"keeps TCP open after closing", toyFaults{holdTCP: true}, map[string]Verdict{"1.1.1": Unclean, "3.1": FailedByFuzzer}},
		{"never answers pings", toyFaults{noPong: true}, map[string]Verdict{"2.2": Failed, "5.6": Failed}},
		{"answers pings only between messages", toyFaults{deferPongs: true}, map[string]Verdict{"2.2": OK, "5.19": NonStrict}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := startToyServer(t, tt.faults)
			for id, want := range tt.cases {
				r := RunAgainstServer(context.Background(), url, caseByID(t, id))
				if r.Verdict != want {
					t.Errorf("case %s: verdict %s, want %s\n%s", id, r.Verdict, want, r)
				}
			}
		})
	}
}

// TestVerdictsAgainstFaultyClients does the same in the other role.
func TestVerdictsAgainstFaultyClients(t *testing.T) {
	tests := []struct {
		name   string
		faults toyFaults
		cases  map[string]Verdict
	}{
		{"correct", toyFaults{}, map[string]Verdict{"1.1.1": OK, "2.2": OK, "3.1": OK, "6.4.3": NonStrict, "7.3.1": OK, "7.9.1": OK}},
		{"resets TCP", toyFaults{reset: true}, map[string]Verdict{"1.1.1": Unclean, "7.3.3": Unclean}},
		{"echoes frames with reserved bits", toyFaults{ignoreRSV: true}, map[string]Verdict{"3.1": Failed}},
		{"drops TCP without a close frame", toyFaults{dropOnError: true}, map[string]Verdict{"3.1": WrongCode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cases []Case
			for id := range tt.cases {
				cases = append(cases, caseByID(t, id))
			}
			fs := NewFuzzServer(cases)
			if err := fs.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			for id, want := range tt.cases {
				runToyClient(t, fs.URL(id), tt.faults)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				r, err := fs.Await(ctx, id)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if r.Verdict != want {
					t.Errorf("case %s: verdict %s, want %s\n%s", id, r.Verdict, want, r)
				}
			}
		})
	}
}

// TestRunEndsWithContext: a run ends when its context does, long before
// the case's own timers would end it.
func TestRunEndsWithContext(t *testing.T) {
	url := startToyServer(t, toyFaults{silent: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := RunAgainstServer(ctx, url, caseByID(t, "9.7.1")) // its own timeout is 60 s
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the run took %v after its context ended", el)
	}
	if r.Verdict != Failed {
		t.Errorf("verdict %s against a silent server, want FAILED\n%s", r.Verdict, r)
	}
}
