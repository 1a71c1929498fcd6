package ws

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// memConn is a net.Conn that reads a fixed input and discards what is
// written: a peer that says exactly the fuzzer's bytes, without goroutines.
type memConn struct {
	r      *bytes.Reader
	out    bytes.Buffer
	closed bool
}

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }

func (m *memConn) Read(p []byte) (int, error) {
	if m.closed {
		return 0, net.ErrClosed
	}
	return m.r.Read(p)
}
func (m *memConn) Write(p []byte) (int, error) {
	if m.closed {
		return 0, net.ErrClosed
	}
	if m.out.Len() < 1<<20 {
		m.out.Write(p)
	}
	return len(p), nil
}
func (m *memConn) Close() error                     { m.closed = true; return nil }
func (m *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (m *memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// frameSeeds are frame streams (as a client would send them, masked with a
// zero key) that start the corpus.
func frameSeeds() [][]byte {
	m := func(f rawFrame) []byte {
		b := appendHeader(nil, f.fin, f.rsv, f.op, len(f.payload), true, 0)
		return append(b, f.payload...)
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	return [][]byte{
		m(rawFrame{fin: true, op: opText, payload: []byte("hello")}),
		cat(m(rawFrame{fin: false, op: opText, payload: []byte("κό")}), m(rawFrame{fin: true, op: opPing, payload: []byte("p")}), m(rawFrame{fin: true, op: opContinuation, payload: []byte("σμε")})),
		m(rawFrame{fin: true, op: opBinary, payload: make([]byte, 300)}),
		m(rawFrame{fin: true, op: opClose, payload: closePayload(1000, "bye")}),
		m(rawFrame{fin: true, op: opText, payload: []byte("\xed\xa0\x80")}),
		m(rawFrame{fin: true, rsv: rsv1Bit, op: opText, payload: []byte("x")}),
		{0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0},
	}
}

// compressedSeed is a client's masked (zero key) compressed text message
// followed by a compressed binary one.
func compressedSeed() []byte {
	var out []byte
	for _, m := range []struct {
		op opcode
		p  string
	}{{opText, "hello hello hello hello"}, {opBinary, "\x00\x01\x02\x00\x01\x02\x00\x01\x02"}} {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, 1)
		w.Write([]byte(m.p))
		w.Flush()
		p := b.Bytes()[:b.Len()-4]
		out = appendHeader(out, true, rsv1Bit, m.op, len(p), true, 0)
		out = append(out, p...)
	}
	return out
}

// FuzzExtensions parses arbitrary Sec-WebSocket-Extensions values as an
// offer and as a response. An accepted offer's response must be one a
// client accepts, and negotiated windows stay within 8 to 15.
func FuzzExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=9",
		`permessage-deflate; server_max_window_bits="10", x-foo; a=b`,
		"permessage-deflate;;",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, header string, takeover bool) {
		o := &CompressionOptions{ContextTakeover: takeover, WindowBits: 12}
		resp, cx, err := acceptDeflate([]string{header}, o)
		if err == nil && resp != "" {
			if cx.sendWindowBits < 8 || cx.sendWindowBits > 15 || cx.recvWindowBits < 8 || cx.recvWindowBits > 15 {
				t.Fatalf("%q: windows %d/%d", header, cx.sendWindowBits, cx.recvWindowBits)
			}
			exts, err := parseExtensions([]string{resp})
			if err != nil || len(exts) != 1 {
				t.Fatalf("response %q does not parse: %v", resp, err)
			}
			if _, err := parseDeflateParams(exts[0], false); err != nil {
				t.Fatalf("response %q invalid: %v", resp, err)
			}
		}
		if cx, err := checkDeflateResponse([]string{header}, o, offerDeflate(o)); err == nil {
			if cx.sendWindowBits < 8 || cx.sendWindowBits > 15 || cx.recvWindowBits < 8 || cx.recvWindowBits > 12 {
				t.Fatalf("%q accepted with windows %d/%d", header, cx.sendWindowBits, cx.recvWindowBits)
			}
		}
	})
}

// FuzzReadFrames feeds arbitrary bytes to a server-side connection and
// reads until it fails. It must never panic, hang or allocate beyond the
// read limit, every text message must be valid UTF-8, and every message
// must respect the limit.
func FuzzReadFrames(f *testing.F) {
	for _, s := range frameSeeds() {
		f.Add(s, false, false)
	}
	f.Add(compressedSeed(), false, true)
	f.Fuzz(func(t *testing.T, input []byte, client, compressed bool) {
		const limit = 64 << 10
		mc := &memConn{r: bytes.NewReader(input)}
		cfg := newConnConfig(limit, 64, time.Second, 0, 0, nil)
		c := newConn(mc, client, cfg, nil)
		if compressed {
			// The inflate path, with a small window under context takeover.
			c.cx = &compression{recvWindowBits: 9, sendWindowBits: 15, sendNoContextTakeover: true, threshold: 1 << 30, level: 1}
		}
		ctx := context.Background()
		for i := 0; ; i++ {
			if i > len(input)+1 {
				t.Fatal("more messages than input bytes")
			}
			typ, msg, err := c.Read(ctx)
			if err != nil {
				var fe *FailError
				var ce CloseError
				if !errors.As(err, &fe) && !errors.As(err, &ce) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				if fe != nil && !validWireCode(fe.Code) {
					t.Fatalf("failed with a code that cannot be sent: %v", fe.Code)
				}
				return
			}
			if len(msg) > limit {
				t.Fatalf("message of %d bytes over the limit", len(msg))
			}
			if typ == MessageText && !utf8.Valid(msg) {
				t.Fatalf("invalid UTF-8 text delivered: %q", msg)
			}
		}
	})
}

// hijackWriter is a ResponseWriter over a memConn that Accept can hijack.
type hijackWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
	conn   *memConn
	br     *bufio.Reader
}

func (w *hijackWriter) Header() http.Header         { return w.h }
func (w *hijackWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *hijackWriter) WriteHeader(code int)        { w.status = code }
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(w.br, bufio.NewWriter(w.conn)), nil
}

// FuzzServerHandshake parses arbitrary request bytes and runs Accept on
// them. A refusal must carry a 4xx status and a reason; an acceptance must
// answer 101 with the right Sec-WebSocket-Accept.
func FuzzServerHandshake(f *testing.F) {
	f.Add([]byte("GET /chat HTTP/1.1\r\nHost: a:1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: x, count\r\nOrigin: http://a:1\r\n\r\n\x81\x80\x00\x00\x00\x00"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: mumbojumbobo\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nSec-WebSocket-Version: 8\r\nOrigin: null\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		mc := &memConn{r: bytes.NewReader(raw)}
		br := bufio.NewReader(mc)
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		w := &hijackWriter{h: http.Header{}, conn: mc, br: br}
		c, err := Accept(w, r, &AcceptOptions{Subprotocols: []string{"count", "x"}, OriginPatterns: []string{"*.example"}})
		if err != nil {
			if c != nil {
				t.Fatal("connection and error")
			}
			if w.status < 400 || w.status > 499 || w.body.Len() == 0 {
				t.Fatalf("refusal with status %d and body %q", w.status, w.body.String())
			}
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(&mc.out), nil)
		if err != nil || resp.StatusCode != 101 {
			t.Fatalf("accepted, but answered %v %v", resp, err)
		}
		if resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))) {
			t.Fatal("wrong accept key")
		}
		c.CloseNow()
	})
}

// FuzzClientHandshake feeds arbitrary response bytes to the client side of
// the handshake. It must only succeed on a proper 101 answering our key,
// and keep the bytes that follow it.
func FuzzClientHandshake(f *testing.F) {
	const key = "AQIDBAUGBwgJCgsMDQ4PEA=="
	good := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n"
	f.Add([]byte(good + "\r\n\x81\x02hi"))
	f.Add([]byte(good + "Sec-WebSocket-Protocol: count\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!"))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		mc := &memConn{r: bytes.NewReader(raw)}
		req, _, err := handshakeRequest(mustURL("ws://example/x"), &DialOptions{Subprotocols: []string{"count"}})
		if err != nil {
			t.Fatal(err)
		}
		c, resp, err := clientHandshake(context.Background(), mc, req, key, &DialOptions{Subprotocols: []string{"count"}})
		if err != nil {
			if c != nil {
				t.Fatal("connection and error")
			}
			if resp != nil && resp.StatusCode != 101 {
				io.ReadAll(resp.Body) // the body must be readable
			}
			return
		}
		if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
			t.Fatalf("accepted %v", resp.Status)
		}
		if s := c.Subprotocol(); s != "" && s != "count" {
			t.Fatalf("subprotocol %q", s)
		}
		c.CloseNow()
	})
}

func mustURL(s string) *url.URL {
	u, err := parseWSURL(s)
	if err != nil {
		panic(err)
	}
	return u
}
