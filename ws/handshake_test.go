package ws

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAcceptKeyRFCVector(t *testing.T) {
	t.Parallel()
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("acceptKey = %q", got)
	}
}

// chromeRequest and firefoxRequest are opening handshakes as those
// browsers send them.
func browserRequest(connection string) *http.Request {
	r := httptest.NewRequest("GET", "http://127.0.0.1:8000/chat?room=1", nil)
	r.Header.Set("Connection", connection)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==")
	r.Header.Set("Origin", "http://127.0.0.1:8000")
	return r
}

func TestIsUpgradeRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  http.Header
		upgrade bool
	}{
		{"browser", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}, true},
		{"Firefox's keep-alive first", http.Header{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"websocket"}}, true},
		{"any case, spaces", http.Header{"Connection": {" UPGRADE "}, "Upgrade": {"WebSocket"}}, true},
		{"tokens over several lines", http.Header{"Connection": {"keep-alive", "upgrade"}, "Upgrade": {"h2c", "websocket"}}, true},
		{"plain request", http.Header{}, false},
		{"no Connection", http.Header{"Upgrade": {"websocket"}}, false},
		{"no Upgrade", http.Header{"Connection": {"upgrade"}}, false},
		{"Connection keep-alive", http.Header{"Connection": {"keep-alive"}, "Upgrade": {"websocket"}}, false},
		{"Upgrade h2c", http.Header{"Connection": {"upgrade"}, "Upgrade": {"h2c"}}, false},
		{"token inside a token", http.Header{"Connection": {"upgraded"}, "Upgrade": {"websockets"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "http://127.0.0.1:8000/", nil)
			r.Header = tt.header
			if got := IsUpgradeRequest(r); got != tt.upgrade {
				t.Fatalf("IsUpgradeRequest = %v, want %v", got, tt.upgrade)
			}
		})
	}
	// Whatever IsUpgradeRequest refuses, Accept refuses too.
	r := browserRequest("keep-alive")
	if IsUpgradeRequest(r) {
		t.Fatal("keep-alive alone is an upgrade")
	}
	if _, err := Accept(httptest.NewRecorder(), r, nil); err == nil {
		t.Fatal("Accept took what IsUpgradeRequest refused")
	}
}

func TestAcceptRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(r *http.Request)
		opts    *AcceptOptions
		status  int
		reason  string
		version bool // the answer must carry Sec-WebSocket-Version: 13
	}{
		{"no Connection", func(r *http.Request) { r.Header.Del("Connection") }, nil, 400, "Connection", false},
		{"Connection without upgrade", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") }, nil, 400, "Connection", false},
		{"no Upgrade", func(r *http.Request) { r.Header.Del("Upgrade") }, nil, 400, "Upgrade", false},
		{"Upgrade h2c", func(r *http.Request) { r.Header.Set("Upgrade", "h2c") }, nil, 400, "Upgrade", false},
		{"version 11", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "11") }, nil, 426, "13", true},
		{"no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") }, nil, 400, "13", true},
		{"no key", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") }, nil, 400, "Sec-WebSocket-Key", false},
		{"key mumbojumbobo", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "mumbojumbobo") }, nil, 400, "16 bytes", false},
		{"17-byte key", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEBE=") }, nil, 400, "16 bytes", false},
		{"two keys", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==") }, nil, 400, "exactly one", false},
		{"POST", func(r *http.Request) { r.Method = "POST" }, nil, 405, "GET", false},
		{"HTTP/1.0", func(r *http.Request) { r.Proto, r.ProtoMinor = "HTTP/1.0", 0 }, nil, 400, "HTTP/1.1", false},
		{"foreign origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, nil, 403, "evil.example", false},
		{"null origin", func(r *http.Request) { r.Header.Set("Origin", "null") }, nil, 403, "null", false},
		{"malformed origin", func(r *http.Request) { r.Header.Set("Origin", "::") }, nil, 403, "malformed", false},
		{"origin with userinfo", func(r *http.Request) { r.Header.Set("Origin", "http://evil.example@127.0.0.1:8000") }, nil, 403, "scheme://host", false},
		{"origin with a path", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:8000/page") }, nil, 403, "scheme://host", false},
		{"origin with a slash", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:8000/") }, nil, 403, "scheme://host", false},
		{"origin with a query", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:8000?x") }, nil, 403, "scheme://host", false},
		{"two origins", func(r *http.Request) { r.Header.Add("Origin", "http://127.0.0.1:8000") }, nil, 403, "2 Origin headers", false},
		{"origin not in patterns", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
			&AcceptOptions{OriginPatterns: []string{"*.good.example"}}, 403, "not allowed", false},
		{"required subprotocol missing", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "xml") },
			&AcceptOptions{Subprotocols: []string{"count"}, RequireSubprotocol: true}, 400, "subprotocol", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := browserRequest("Upgrade")
			tt.edit(r)
			w := httptest.NewRecorder()
			c, err := Accept(w, r, tt.opts)
			if c != nil || err == nil {
				t.Fatal("accepted")
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if !strings.Contains(w.Body.String(), tt.reason) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("reason %q (error %v) does not mention %q", w.Body.String(), err, tt.reason)
			}
			if tt.version && w.Header().Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("no Sec-WebSocket-Version: 13 in %v", w.Header())
			}
		})
	}
}

func TestAcceptBrowsersAndGatekeeping(t *testing.T) {
	t.Parallel()
	type seen struct{ origin, target, sub string }
	got := make(chan seen, 1)
	opts := &AcceptOptions{Subprotocols: []string{"vizserve.v1", "count", "xml"}, OriginPatterns: []string{"*.good.example", "https://exact.example"}}
	url := startServer(t, func(c *Conn, r *http.Request) {
		got <- seen{c.Origin(), c.Target(), c.Subprotocol()}
	}, opts)
	host := strings.TrimPrefix(url, "ws://")

	tests := []struct {
		name   string
		header http.Header
		want   seen
	}{
		{"chrome", http.Header{"Connection": {"Upgrade"}, "Origin": {"http://" + host}}, seen{"http://" + host, "/", ""}},
		{"firefox", http.Header{"Connection": {"keep-alive, Upgrade"}, "Origin": {"http://" + host}}, seen{"http://" + host, "/", ""}},
		{"no origin", http.Header{"Origin": {""}}, seen{"", "/", ""}},
		{"pattern", http.Header{"Origin": {"https://a.good.example"}}, seen{"https://a.good.example", "/", ""}},
		{"scheme pattern", http.Header{"Origin": {"https://exact.example"}}, seen{"https://exact.example", "/", ""}},
		{"server preference wins", http.Header{"Sec-WebSocket-Protocol": {"xml, count"}}, seen{"", "/", "count"}},
		{"split headers", http.Header{"Sec-WebSocket-Protocol": {"foo", "xml"}}, seen{"", "/", "xml"}},
		{"unknown subprotocol gets none", http.Header{"Sec-WebSocket-Protocol": {"unapproved"}}, seen{"", "/", ""}},
	}
	for _, tt := range tests {
		nc, resp, _ := rawRequest(t, url, tt.header)
		if resp.StatusCode != 101 {
			t.Fatalf("%s: status %s", tt.name, resp.Status)
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tt.want.sub {
			t.Fatalf("%s: response subprotocol %q, want %q", tt.name, got, tt.want.sub)
		}
		select {
		case s := <-got:
			if s != tt.want {
				t.Fatalf("%s: handler saw %+v, want %+v", tt.name, s, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: handler not called", tt.name)
		}
		nc.Close()
	}

	// The target carries path and query.
	nc, resp, _ := rawRequest(t, url+"/chat?room=1", nil)
	if resp.StatusCode != 101 {
		t.Fatal(resp.Status)
	}
	if s := <-got; s.target != "/chat?room=1" {
		t.Fatalf("target %q", s.target)
	}
	nc.Close()
}

func TestAcceptInsecureSkipOriginCheck(t *testing.T) {
	t.Parallel()
	r := browserRequest("Upgrade")
	r.Header.Set("Origin", "https://evil.example")
	if _, _, herr := checkUpgradeRequest(r, &AcceptOptions{InsecureSkipOriginCheck: true}); herr != nil {
		t.Fatal(herr)
	}
}

func TestAcceptResponseHeadersAndOptionsUntouched(t *testing.T) {
	t.Parallel()
	opts := &AcceptOptions{Subprotocols: []string{"a", "b"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1"})
		c, err := Accept(w, r, opts)
		if err == nil {
			c.CloseNow()
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	_, resp, _ := rawRequest(t, "ws://"+ln.Addr().String(), http.Header{"Sec-WebSocket-Protocol": {"b"}})
	if resp.StatusCode != 101 || resp.Header.Get("Set-Cookie") != "session=s1" {
		t.Fatalf("status %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if len(opts.Subprotocols) != 2 || opts.Subprotocols[0] != "a" {
		t.Fatal("options modified")
	}
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A closed port.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := ln.Addr().String()
	ln.Close()

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Accept(w, r, &AcceptOptions{Subprotocols: []string{"xml"}, RequireSubprotocol: true})
	}))
	t.Cleanup(refusing.Close)
	refusingURL := "ws" + strings.TrimPrefix(refusing.URL, "http")

	tests := []struct {
		name   string
		url    string
		opts   *DialOptions
		status int
		want   string
	}{
		{"scheme", "ww://127.0.0.1:1/", nil, 0, "unsupported scheme"},
		{"http scheme", "http://127.0.0.1:1/", nil, 0, "unsupported scheme"},
		{"fragment", "ws://127.0.0.1:1/a#b", nil, 0, "%23"},
		{"no host", "ws:///path", nil, 0, "no host"},
		{"refused", "ws://" + closedAddr + "/", nil, 0, "refused"},
		{"400 returned", refusingURL, &DialOptions{Subprotocols: []string{"unapproved"}}, 400, "400"},
		{"reserved header", refusingURL, &DialOptions{HTTPHeader: http.Header{"Sec-WebSocket-Key": {"x"}}}, 0, "set by the handshake"},
		{"bad subprotocol name", refusingURL, &DialOptions{Subprotocols: []string{"a b"}}, 0, "invalid subprotocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, resp, err := Dial(ctx, tt.url, tt.opts)
			if c != nil || err == nil {
				t.Fatal("dial succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
			if tt.status != 0 {
				if resp == nil || resp.StatusCode != tt.status {
					t.Fatalf("response %v, want status %d", resp, tt.status)
				}
				body, _ := io.ReadAll(resp.Body)
				if !strings.Contains(string(body), "subprotocol") {
					t.Fatalf("body %q does not carry the reason", body)
				}
			}
		})
	}
}

// TestDialChecksServerAnswer runs the client against servers that answer
// the handshake wrongly.
func TestDialChecksServerAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer func(key string) string
		opts   *DialOptions
		want   string
	}{
		{"wrong accept", func(string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n"
		}, nil, "Sec-WebSocket-Accept"},
		{"no upgrade", func(k string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(k) + "\r\n\r\n"
		}, nil, "Upgrade"},
		{"subprotocol not offered", func(k string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: other\r\nSec-WebSocket-Accept: " + acceptKey(k) + "\r\n\r\n"
		}, &DialOptions{Subprotocols: []string{"mine"}}, "not offered"},
		{"extension not offered", func(k string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Accept: " + acceptKey(k) + "\r\n\r\n"
		}, nil, "extensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := handshakeServer(t, tt.answer)
			_, _, err := Dial(context.Background(), url, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want mention of %q", err, tt.want)
			}
		})
	}
}

// handshakeServer answers one handshake with answer(key) and then waits
// for the client to go away.
func handshakeServer(t *testing.T, answer func(key string) string) string {
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
		io.WriteString(nc, answer(req.Header.Get("Sec-WebSocket-Key")))
		io.Copy(io.Discard, br)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "ws://" + ln.Addr().String() + "/"
}

func TestDialHandshakeTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc // never answers
		}
	}()
	_, _, err = Dial(context.Background(), "ws://"+ln.Addr().String()+"/", &DialOptions{HandshakeTimeout: 100 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	(<-accepted).Close()
}

// TestDialKeepsBytesAfter101 checks that a message the server sends in the
// same write as its 101 response is not lost (WebSockets.jl #114, #158).
func TestDialKeepsBytesAfter101(t *testing.T) {
	t.Parallel()
	first := appendHeader(nil, true, 0, opText, 5, false, 0)
	first = append(first, "hello"...)
	url := rawServer(t, first, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		answerClose(t, nc, br)
	})
	c, _, err := Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	typ, msg, err := c.Read(context.Background())
	if err != nil || typ != MessageText || string(msg) != "hello" {
		t.Fatalf("got %v %q %v", typ, msg, err)
	}
	c.Close(StatusNormalClosure, "")
}

func TestDialCustomHeaders(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 1)
	url := startServer(t, func(c *Conn, r *http.Request) { got <- r.Header }, &AcceptOptions{InsecureSkipOriginCheck: true})
	hdr := http.Header{"Origin": {"https://app.example"}, "Authorization": {"Bearer t0k"}, "Cookie": {"a=b"}}
	c, resp, err := Dial(context.Background(), url, &DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.StatusCode != 101 {
		t.Fatal(resp.Status)
	}
	h := <-got
	for k, v := range hdr {
		if h.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v[0])
		}
	}
	if c.Origin() != "https://app.example" || c.Target() != "/" {
		t.Errorf("client Origin %q Target %q", c.Origin(), c.Target())
	}
	if len(hdr) != 3 {
		t.Error("caller's headers modified")
	}
}
