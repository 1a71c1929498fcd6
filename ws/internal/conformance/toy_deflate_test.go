package conformance

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// The toy peer's permessage-deflate, built on compress/flate, with faults
// that a strict suite must catch.

type toyDeflateFaults struct {
	on            bool   // negotiate permessage-deflate at all
	offer         string // client: the offer (default: "permessage-deflate; client_max_window_bits")
	wideWindow    bool   // compress with 32 KiB whatever server/client_max_window_bits says
	keepContext   bool   // compress with context takeover although no_context_takeover was agreed
	dropWindowArg bool   // server: leave server_max_window_bits out of the response
	plain         bool   // echo without compressing
	rsvOnCont     bool   // send echoes in two frames, RSV1 on both
	corrupt       bool   // flip a bit in the compressed echo
}

type toyDeflate struct {
	f       toyDeflateFaults
	txBits  int  // window for what the toy compresses
	txNoCtx bool // no context takeover for what the toy compresses
	rxHist  []byte
	w       *flate.Writer // the compressor, kept under context takeover
	wbuf    bytes.Buffer
}

// acceptDeflate answers a client's offers as a server (the first
// permessage-deflate offer, honoured) and returns the response header.
func (p *toyPeer) acceptDeflate(values []string) string {
	if !p.f.deflate.on {
		return ""
	}
	exts, err := parseExtensions(values)
	if err != nil {
		return ""
	}
	for _, e := range exts {
		if e.name != "permessage-deflate" {
			continue
		}
		o, err := parsePMD(e, true)
		if err != nil {
			continue
		}
		d := &toyDeflate{f: p.f.deflate, txBits: 15, txNoCtx: o.serverNoTakeover}
		h := "permessage-deflate"
		if o.serverNoTakeover {
			h += "; server_no_context_takeover"
		}
		if o.serverMaxWindowBits != 0 {
			d.txBits = o.serverMaxWindowBits
			if !d.f.dropWindowArg {
				h += "; server_max_window_bits=" + strconv.Itoa(o.serverMaxWindowBits)
			}
		}
		p.dx = d
		return h
	}
	return ""
}

// dialHandshake is the toy client's opening handshake, with its offer.
func (p *toyPeer) dialHandshake(u *url.URL) error {
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if p.f.deflate.on {
		offer := p.f.deflate.offer
		if offer == "" {
			offer = "permessage-deflate; client_max_window_bits"
		}
		req += "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	if _, err := io.WriteString(p.nc, req+"\r\n"); err != nil {
		return err
	}
	p.br = bufio.NewReader(p.nc)
	resp, err := http.ReadResponse(p.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("status %s", resp.Status)
	}
	exts, err := parseExtensions(resp.Header.Values("Sec-WebSocket-Extensions"))
	if err != nil || len(exts) == 0 {
		return err
	}
	r, err := parsePMD(exts[0], false)
	if err != nil {
		return err
	}
	// An offer with client_no_context_takeover promised no context
	// takeover, whatever the response says (RFC 7692 7.1.1.2).
	hinted := strings.Contains(p.f.deflate.offer, "client_no_context_takeover")
	d := &toyDeflate{f: p.f.deflate, txBits: 15, txNoCtx: r.clientNoTakeover || hinted}
	if r.clientMaxWindowBits != 0 {
		d.txBits = r.clientMaxWindowBits
	}
	p.dx = d
	return nil
}

// inflate decompresses a message from the fuzzer, with the history of the
// ones before (harmless if the fuzzer does not use it).
func (d *toyDeflate) inflate(msg []byte) ([]byte, error) {
	r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(msg), bytes.NewReader(tail4)), d.rxHist)
	out, err := io.ReadAll(r)
	if err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("inflate: %v", err)
	}
	d.rxHist = append(d.rxHist, out...)
	if len(d.rxHist) > 1<<15 {
		d.rxHist = d.rxHist[len(d.rxHist)-1<<15:]
	}
	return out, nil
}

var tail4 = []byte{0, 0, 0xff, 0xff}

// echo compresses msg as negotiated (or as the faults say) and sends it.
func (d *toyDeflate) echo(p *toyPeer, op byte, msg []byte) {
	if d.f.plain {
		p.send(op, msg)
		return
	}
	level := flate.DefaultCompression
	if d.txBits < 15 && !d.f.wideWindow {
		level = flate.HuffmanOnly // no back-references: within any window
	}
	switch {
	case d.w == nil:
		d.w, _ = flate.NewWriter(&d.wbuf, level)
	case d.txNoCtx && !d.f.keepContext:
		d.w.Reset(&d.wbuf) // forget the messages before
	}
	d.wbuf.Reset()
	d.w.Write(msg)
	d.w.Flush()
	out := bytes.TrimSuffix(d.wbuf.Bytes(), tail4)
	if d.f.corrupt && len(out) > 2 {
		out[len(out)/2] ^= 0x10
	}
	if d.f.rsvOnCont && len(out) > 1 {
		p.nc.Write((&frame{op: op, rsv: 4, payload: out[:1]}).encode(p.client))
		p.nc.Write((&frame{fin: true, op: opCont, rsv: 4, payload: out[1:]}).encode(p.client))
		return
	}
	p.nc.Write((&frame{fin: true, op: op, rsv: 4, payload: out}).encode(p.client))
}

// TestDeflateVerdictsAgainstFaults runs compression cases against the toy
// server with one fault at a time. The cases are the small sizes (a
// second or so each).
func TestDeflateVerdictsAgainstFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults toyDeflateFaults
		cases  map[string]Verdict
	}{
		{"correct", toyDeflateFaults{on: true}, map[string]Verdict{
			"12.1.3": OK, "12.2.1": OK, "12.3.4": OK, "13.1.2": OK, "13.2.3": OK, "13.3.4": OK, "13.5.3": OK, "13.7.4": OK,
		}},
		{"declines", toyDeflateFaults{}, map[string]Verdict{"12.1.1": Unimplemented, "13.7.1": Unimplemented}},
		{"ignores server_max_window_bits", toyDeflateFaults{on: true, wideWindow: true}, map[string]Verdict{
			"13.3.4": Failed, "13.5.4": Failed, "13.7.4": Failed, "13.4.4": OK,
		}},
		{"keeps context despite server_no_context_takeover", toyDeflateFaults{on: true, keepContext: true}, map[string]Verdict{
			"13.2.4": Failed, "13.6.4": Failed, "13.1.4": OK,
		}},
		{"answers without server_max_window_bits", toyDeflateFaults{on: true, dropWindowArg: true}, map[string]Verdict{
			"13.3.1": Failed, "13.1.1": OK,
		}},
		{"echoes uncompressed", toyDeflateFaults{on: true, plain: true}, map[string]Verdict{"12.1.3": OK}},
		{"sets RSV1 on continuation frames", toyDeflateFaults{on: true, rsvOnCont: true}, map[string]Verdict{"12.1.3": Failed}},
		{"corrupts its compressed echo", toyDeflateFaults{on: true, corrupt: true}, map[string]Verdict{"12.1.4": Failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := startToyServer(t, toyFaults{deflate: tt.faults})
			for id, want := range tt.cases {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				r := RunAgainstServer(ctx, url, caseByID(t, id))
				cancel()
				if r.Verdict != want {
					t.Errorf("case %s: verdict %s, want %s\n%s", id, r.Verdict, want, r)
				} else if want != OK {
					t.Logf("case %s: %s, as it should: %s / %s", id, r.Verdict, r.BehaviorNote, r.CloseNote)
				}
			}
		})
	}
}

// TestDeflateVerdictsAgainstFaultyClients does the same with the fuzzing
// server and the toy client.
func TestDeflateVerdictsAgainstFaultyClients(t *testing.T) {
	const hint = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
	tests := []struct {
		name   string
		faults toyDeflateFaults
		cases  map[string]Verdict
	}{
		{"correct, offering no context takeover", toyDeflateFaults{on: true, offer: hint}, map[string]Verdict{
			"12.4.3": OK, "13.2.3": OK, "13.3.4": OK, "13.5.4": OK, "13.7.4": OK,
		}},
		{"correct, offering context takeover", toyDeflateFaults{on: true}, map[string]Verdict{
			"12.5.2": OK, "13.1.4": OK, "13.3.3": OK, "13.2.1": Unimplemented, "13.7.4": OK,
		}},
		{"offers nothing", toyDeflateFaults{}, map[string]Verdict{"12.1.1": Unimplemented}},
		{"offers only an invalid window", toyDeflateFaults{on: true, offer: "permessage-deflate; client_max_window_bits=16"}, map[string]Verdict{"12.1.1": Unimplemented}},
		{"ignores client_max_window_bits", toyDeflateFaults{on: true, wideWindow: true}, map[string]Verdict{"13.3.4": Failed, "13.4.4": OK}},
		{"keeps context despite its own hint", toyDeflateFaults{on: true, offer: hint, keepContext: true}, map[string]Verdict{"13.1.4": Failed, "13.2.4": Failed}},
		{"keeps context despite client_no_context_takeover", toyDeflateFaults{on: true, offer: "permessage-deflate; client_no_context_takeover", keepContext: true}, map[string]Verdict{"13.2.4": Failed}},
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
				runToyClient(t, fs.URL(id), toyFaults{deflate: tt.faults})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				r, err := fs.Await(ctx, id)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if r.Verdict != want {
					t.Errorf("case %s: verdict %s, want %s\n%s", id, r.Verdict, want, r)
				} else if want != OK {
					t.Logf("case %s: %s, as it should: %s / %s", id, r.Verdict, r.BehaviorNote, r.CloseNote)
				}
			}
		})
	}
}

// TestDeflateNegotiation checks the fuzzer's own negotiation against RFC
// 7692 directly: the offers it makes, the responses it accepts, and the
// answers it gives.
func TestDeflateNegotiation(t *testing.T) {
	if got := deflateSettings[6].offerHeader(); got != "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8, "+
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, "+
		"permessage-deflate; client_no_context_takeover; client_max_window_bits" {
		t.Errorf("13.7 offers %q", got)
	}
	responses := []struct {
		setting  int // index in deflateSettings
		response string
		err      string // "" for accepted
		rxBits   int
		rxNoCtx  bool
		txBits   int
	}{
		{0, "permessage-deflate", "", 15, false, 15},
		{0, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", "", 15, true, 15},
		{0, "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9", "", 10, false, 9},
		{0, "permessage-deflate; server_max_window_bits=16", "not a window size", 0, false, 0},
		{0, "permessage-deflate; server_max_window_bits=010", "not a window size", 0, false, 0},
		{0, "permessage-deflate; client_max_window_bits", "without a value", 0, false, 0},
		{0, "permessage-deflate; mystery", "unknown parameter", 0, false, 0},
		{0, "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "twice", 0, false, 0},
		{0, "permessage-deflate, permessage-deflate", "only permessage-deflate was offered, once", 0, false, 0},
		{0, "x-webkit-deflate-frame", "only permessage-deflate", 0, false, 0},
		{1, "permessage-deflate", "accepts none of the offers", 0, false, 0},
		{2, "permessage-deflate", "accepts none", 0, false, 0},
		{2, "permessage-deflate; server_max_window_bits=9", "accepts none", 0, false, 0},
		{2, "permessage-deflate; server_max_window_bits=8", "", 8, false, 15},
		{6, "permessage-deflate; server_no_context_takeover", "", 15, true, 15},
		{6, "permessage-deflate", "", 15, false, 15},
		{6, "permessage-deflate; server_max_window_bits=\"8\"; server_no_context_takeover", "", 8, true, 15},
	}
	for _, tc := range responses {
		p, err := checkDeflateResponse([]string{tc.response}, &deflateSettings[tc.setting])
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("13.%d, response %q: got %v, want an error with %q", tc.setting+1, tc.response, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("13.%d, response %q: %v", tc.setting+1, tc.response, err)
		case tc.err == "" && (p.rxWindowBits != tc.rxBits || p.rxNoTakeover != tc.rxNoCtx || p.txWindowBits != tc.txBits || !p.txNoTakeover):
			t.Errorf("13.%d, response %q: %+v", tc.setting+1, tc.response, *p)
		}
	}
	if p, err := checkDeflateResponse(nil, &deflateSettings[0]); p != nil || err != nil {
		t.Errorf("no response header: %v, %v; want a decline", p, err)
	}

	accepts := []struct {
		setting int
		offer   string
		want    string // "" for a decline
		rxBits  int
		rxNoCtx bool
	}{
		{0, "permessage-deflate", "permessage-deflate", 15, false},
		{0, "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", 15, false},
		{0, "permessage-deflate; client_no_context_takeover", "permessage-deflate", 15, true},
		{0, "permessage-deflate; client_max_window_bits=11", "permessage-deflate", 11, false},
		{1, "permessage-deflate; client_max_window_bits", "", 0, false},
		{1, "permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover", 15, true},
		{2, "permessage-deflate; client_no_context_takeover", "", 0, false},
		{2, "permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=8", 8, false},
		{6, "permessage-deflate; client_max_window_bits", "permessage-deflate", 15, false},
		{6, "permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover", 15, true},
		{6, "permessage-deflate; client_no_context_takeover, permessage-deflate; client_no_context_takeover; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover; client_max_window_bits=8", 8, true},
		{0, "permessage-deflate; client_max_window_bits=7", "", 0, false},
		{0, "foo, permessage-deflate; bar", "", 0, false},
	}
	for _, tc := range accepts {
		p, why := acceptDeflate([]string{tc.offer}, &deflateSettings[tc.setting])
		switch {
		case tc.want == "" && p != nil:
			t.Errorf("13.%d, offer %q: accepted with %q, want a decline", tc.setting+1, tc.offer, p.header)
		case tc.want == "" && why == "":
			t.Errorf("13.%d, offer %q: declined without saying why", tc.setting+1, tc.offer)
		case tc.want != "" && p == nil:
			t.Errorf("13.%d, offer %q: declined (%s), want %q", tc.setting+1, tc.offer, why, tc.want)
		case tc.want != "" && (p.header != tc.want || p.rxWindowBits != tc.rxBits || p.rxNoTakeover != tc.rxNoCtx):
			t.Errorf("13.%d, offer %q: %+v, want %q, rx window %d, no takeover %v", tc.setting+1, tc.offer, *p, tc.want, tc.rxBits, tc.rxNoCtx)
		}
	}
}

// TestCompressionAgainstPython runs compression cases against Python's
// websockets, an independent strict implementation: its server passing
// them shows that the suite's negotiation and checks are not cut to
// package ws. The settings with an 8-bit window are left out: websockets
// compresses with zlib, which cannot use a window of 256 bytes (its
// server answers 500 or drops the connection). Sizes of 16 bytes and
// 1 KiB.
func TestCompressionAgainstPython(t *testing.T) {
	py := peers.Python(t)
	p := peers.Run(t, exec.Command(py, "testdata/py_echo_server.py"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	line, err := p.Line(ctx)
	cancel()
	port, ok := strings.CutPrefix(line, "listening ")
	if err != nil || !ok {
		t.Fatalf("python echo server: %q, %v\n%s", line, err, p.Output())
	}
	url := "ws://127.0.0.1:" + port + "/"
	var ids []string
	for _, sub := range []string{"12.1", "12.2", "12.3", "12.4", "12.5", "13.1", "13.2", "13.4", "13.6"} {
		ids = append(ids, sub+".1", sub+".4")
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			if r := RunAgainstServer(ctx, url, caseByID(t, id)); r.Verdict != OK {
				t.Errorf("%s", r)
			}
		})
	}
}
