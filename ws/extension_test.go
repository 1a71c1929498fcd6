package ws

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestParseExtensions(t *testing.T) {
	t.Parallel()
	exts, err := parseExtensions([]string{`permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10"`, "x-foo"})
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != 3 || exts[0].params[0].name != "client_max_window_bits" || exts[0].params[0].hasValue ||
		exts[1].params[0].value != "10" || exts[2].name != "x-foo" {
		t.Fatalf("%+v", exts)
	}
	for _, bad := range []string{"permessage-deflate;", "permessage-deflate; =1", `a; b="c d"`, `a; b="unterminated`, "a b", "a; b=@"} {
		if _, err := parseExtensions([]string{bad}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestAcceptDeflateNegotiation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offer  string
		opts   CompressionOptions
		want   string // response; "" = declined
		send   int    // our window bits when compressing
		recv   int
		noCtxS bool
		noCtxR bool
	}{
		{"chrome, defaults", "permessage-deflate; client_max_window_bits", CompressionOptions{},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover", 15, 15, true, true},
		{"chrome, context takeover", "permessage-deflate; client_max_window_bits", CompressionOptions{ContextTakeover: true},
			"permessage-deflate", 15, 15, false, false},
		{"small window asked of the client", "permessage-deflate; client_max_window_bits", CompressionOptions{ContextTakeover: true, WindowBits: 10},
			"permessage-deflate; client_max_window_bits=10", 15, 10, false, false},
		{"client declares its window", "permessage-deflate; client_max_window_bits=12", CompressionOptions{ContextTakeover: true},
			"permessage-deflate; client_max_window_bits=12", 15, 12, false, false},
		{"server window 8 honoured", "permessage-deflate; server_max_window_bits=8", CompressionOptions{ContextTakeover: true},
			"permessage-deflate; server_max_window_bits=8", 8, 15, false, false},
		{"server no context takeover asked", "permessage-deflate; server_no_context_takeover", CompressionOptions{ContextTakeover: true},
			"permessage-deflate; server_no_context_takeover", 15, 15, true, false},
		{"client will not take over", "permessage-deflate; client_no_context_takeover", CompressionOptions{ContextTakeover: true},
			"permessage-deflate", 15, 15, false, true},
		{"invalid first offer, fallback", "permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits", CompressionOptions{ContextTakeover: true},
			"permessage-deflate", 15, 15, false, false},
		{"unknown parameter declined", "permessage-deflate; foo", CompressionOptions{}, "", 0, 0, false, false},
		{"duplicate parameter declined", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", CompressionOptions{}, "", 0, 0, false, false},
		{"value on a flag declined", "permessage-deflate; client_no_context_takeover=1", CompressionOptions{}, "", 0, 0, false, false},
		{"window without value declined", "permessage-deflate; server_max_window_bits", CompressionOptions{}, "", 0, 0, false, false},
		{"leading zero declined", "permessage-deflate; server_max_window_bits=010", CompressionOptions{}, "", 0, 0, false, false},
		{"other extension only", "x-webkit-deflate-frame", CompressionOptions{}, "", 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, cx, err := acceptDeflate([]string{tt.offer}, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if resp != tt.want {
				t.Fatalf("response %q, want %q", resp, tt.want)
			}
			if tt.want == "" {
				if cx != nil {
					t.Fatal("declined but configured")
				}
				return
			}
			if cx.sendWindowBits != tt.send || cx.recvWindowBits != tt.recv || cx.sendNoContextTakeover != tt.noCtxS || cx.recvNoContextTakeover != tt.noCtxR {
				t.Fatalf("negotiated %+v", cx)
			}
			// The response must be one our client accepts for its offer.
			exts, err := parseExtensions([]string{resp})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseDeflateParams(exts[0], false); err != nil {
				t.Fatalf("response invalid: %v", err)
			}
		})
	}
	if _, _, err := acceptDeflate([]string{"permessage-deflate; a=\"b"}, &CompressionOptions{}); err == nil {
		t.Fatal("malformed header accepted")
	}
}

func TestCheckDeflateResponse(t *testing.T) {
	t.Parallel()
	o := &CompressionOptions{ContextTakeover: true, WindowBits: 10}
	offer := offerDeflate(o)
	if got := offer.String(); got != "permessage-deflate; server_max_window_bits=10; client_max_window_bits" {
		t.Fatalf("offer %q", got)
	}
	for _, tc := range []struct {
		resp string
		ok   bool
	}{
		{"permessage-deflate; server_max_window_bits=10", true},
		{"permessage-deflate; server_max_window_bits=9; client_max_window_bits=8", true},
		{"permessage-deflate", false}, // our window request ignored
		{"permessage-deflate; server_max_window_bits=11", false},
		{"permessage-deflate; server_max_window_bits=10; client_max_window_bits", false}, // responses need a value
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", false},
		{"x-other", false},
	} {
		_, err := checkDeflateResponse([]string{tc.resp}, o, offer)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v", tc.resp, err)
		}
	}
}

// deflateRaw compresses p the way a peer would for permessage-deflate:
// raw deflate, sync-flushed, without the 00 00 FF FF tail.
func deflateRaw(t testing.TB, w *flate.Writer, buf *bytes.Buffer, p []byte) []byte {
	t.Helper()
	buf.Reset()
	w.Write(p)
	w.Flush()
	out := append([]byte(nil), buf.Bytes()...)
	if !bytes.HasSuffix(out, deflateTail[:]) {
		t.Fatal("no sync marker")
	}
	return out[:len(out)-4]
}

// TestInflateFromPeer runs our client against a raw server that sends
// compressed messages, with and without context takeover, whole and in
// fragments, and a compression bomb.
func TestInflateFromPeer(t *testing.T) {
	t.Parallel()
	for _, takeover := range []bool{false, true} {
		name := map[bool]string{false: "no context takeover", true: "context takeover"}[takeover]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msgs := []string{
				strings.Repeat("the quick brown fox ", 200),
				strings.Repeat("the quick brown fox ", 200), // compresses against the first under takeover
				"κόσμε " + strings.Repeat("ab", 1000),
				"",
			}
			bomb := make([]byte, 2<<20) // 2 MiB of zeros: a few KB compressed
			done := make(chan struct{})
			url := rawServerExt(t, func(req *http.Request) string {
				if takeover {
					return "permessage-deflate"
				}
				return "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
			}, func(nc net.Conn, br *bufio.Reader) {
				defer close(done)
				var buf bytes.Buffer
				fw, _ := flate.NewWriter(&buf, 5)
				for i, m := range msgs {
					if !takeover {
						fw.Reset(&buf)
					}
					p := deflateRaw(t, fw, &buf, []byte(m))
					if i == 2 {
						// In three fragments; only the first has RSV1.
						a, b := len(p)/3, 2*len(p)/3
						writeRaw(t, nc, rawFrame{fin: false, rsv: rsv1Bit, op: opText, payload: p[:a]}, false)
						writeRaw(t, nc, rawFrame{fin: true, op: opPing, payload: []byte("between")}, false)
						writeRaw(t, nc, rawFrame{fin: false, op: opContinuation, payload: p[a:b]}, false)
						writeRaw(t, nc, rawFrame{fin: true, op: opContinuation, payload: p[b:]}, false)
						continue
					}
					writeRaw(t, nc, rawFrame{fin: true, rsv: rsv1Bit, op: opText, payload: p}, false)
				}
				// An uncompressed message in between is fine.
				writeRaw(t, nc, rawFrame{fin: true, op: opBinary, payload: []byte("plain")}, false)
				fw.Reset(&buf)
				writeRaw(t, nc, rawFrame{fin: true, rsv: rsv1Bit, op: opBinary, payload: deflateRaw(t, fw, &buf, bomb)}, false)
				code, _ := readUntilClose(t, br)
				if code != StatusMessageTooBig {
					t.Errorf("bomb answered with %v, want 1009", code)
				}
				writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, false)
			})
			c, _, err := Dial(context.Background(), url, &DialOptions{Compression: &CompressionOptions{ContextTakeover: takeover}, ReadLimit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			for i, m := range msgs {
				typ, got, err := c.Read(context.Background())
				if err != nil || typ != MessageText || string(got) != m {
					t.Fatalf("message %d: %v %d bytes %v", i, typ, len(got), err)
				}
			}
			if _, got, err := c.Read(context.Background()); err != nil || string(got) != "plain" {
				t.Fatalf("plain: %q %v", got, err)
			}
			_, _, err = c.Read(context.Background())
			if fe, ok := err.(*FailError); !ok || fe.Code != StatusMessageTooBig {
				t.Fatalf("bomb: %v", err)
			}
			<-done
		})
	}
}

// rawServerExt is rawServer answering with a Sec-WebSocket-Extensions
// header.
func rawServerExt(t *testing.T, ext func(*http.Request) string, fn func(nc net.Conn, br *bufio.Reader)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
		if e := ext(req); e != "" {
			resp += "Sec-WebSocket-Extensions: " + e + "\r\n"
		}
		resp += "\r\n"
		nc.Write([]byte(resp))
		fn(nc, br)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "ws://" + ln.Addr().String() + "/"
}

func TestCompressedFrameRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ext    string
		frames []rawFrame
		code   StatusCode
	}{
		{"rsv1 without negotiation", "", []rawFrame{{fin: true, rsv: rsv1Bit, op: opText, payload: []byte{1}}}, StatusProtocolError},
		{"rsv1 on a ping", "permessage-deflate", []rawFrame{{fin: true, rsv: rsv1Bit, op: opPing}}, StatusProtocolError},
		{"rsv1 on a continuation", "permessage-deflate", []rawFrame{{fin: false, op: opText, payload: []byte("a")}, {fin: true, rsv: rsv1Bit, op: opContinuation, payload: []byte{1}}}, StatusProtocolError},
		{"corrupt data", "permessage-deflate", []rawFrame{{fin: true, rsv: rsv1Bit, op: opBinary, payload: []byte{0xFF, 0xFF, 0xFF}}}, StatusInvalidFramePayloadData},
		{"invalid UTF-8 inside", "permessage-deflate", []rawFrame{{fin: true, rsv: rsv1Bit, op: opText, payload: func() []byte {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, 1)
			return deflateRaw(t, w, &b, []byte("ok\xed\xa0\x80"))
		}()}}, StatusInvalidFramePayloadData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan StatusCode, 1)
			url := rawServerExt(t, func(*http.Request) string { return tc.ext }, func(nc net.Conn, br *bufio.Reader) {
				for _, f := range tc.frames {
					writeRaw(t, nc, f, false)
				}
				code, _ := readUntilClose(t, br)
				got <- code
				writeRaw(t, nc, rawFrame{fin: true, op: opClose, payload: closePayload(code, "")}, false)
			})
			// With tc.ext empty the server declines the offer.
			opts := &DialOptions{Compression: &CompressionOptions{ContextTakeover: true}}
			c, _, err := Dial(context.Background(), url, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			c.Read(context.Background())
			if code := <-got; code != tc.code {
				t.Fatalf("close %v, want %v", code, tc.code)
			}
		})
	}
}
