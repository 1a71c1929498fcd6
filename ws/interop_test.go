package ws_test

// Interop with independent websocket implementations: Python's websockets
// and Node's ws, as servers for our client and as clients of our server,
// and headless Chromium as a page talking to our server. The peers run as
// child processes on loopback, from the scripts in testdata/interop; a test
// whose peer is not installed skips, saying what to install, unless
// VIZSERVE_REQUIRE_PEERS=1.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/ws"
)

// interopSizes are the message sizes every peer exchanges, in bytes: the
// edges of the 7-bit, 16-bit and 64-bit length encodings, and 1 MiB.
var interopSizes = []int{0, 1, 125, 126, 65535, 65536, 1 << 20}

// The fragmented messages the peer clients send after the sized ones.
const (
	fragmentedTextSize   = 70000
	fragmentedBinarySize = 300000
)

// interopTimeout bounds each interop test; the peers' own guards are
// longer, so that this side reports first.
const interopTimeout = 60 * time.Second

// compressionModes are run against every peer: without compression, and
// with permessage-deflate (RFC 7692) offered or accepted by our side, with
// and without context takeover. All three peers speak permessage-deflate.
var compressionModes = []struct {
	name string
	opts *ws.CompressionOptions
}{
	{"plain", nil},
	{"deflate", &ws.CompressionOptions{}},
	{"deflate-takeover", &ws.CompressionOptions{ContextTakeover: true}},
}

// wantExtensions checks the extensions a handshake settled on: none, or
// permessage-deflate when our side used compression.
func wantExtensions(t *testing.T, got string, compressed bool) {
	t.Helper()
	if has := strings.Contains(got, "permessage-deflate"); has != compressed || (!compressed && got != "") {
		want := `""`
		if compressed {
			want = "permessage-deflate"
		}
		t.Fatalf("negotiated extensions %q, want %s", got, want)
	}
}

var utf8Units = []string{"a", "é", "€", "😀"}

// textOf returns exactly n bytes of UTF-8 that mix 1-, 2-, 3- and 4-byte
// characters; the peer scripts build the same text.
func textOf(n int) []byte {
	b := make([]byte, 0, n)
	for i := 0; len(b) < n; i++ {
		u := utf8Units[i%len(utf8Units)]
		if len(b)+len(u) > n {
			u = "a"
		}
		b = append(b, u...)
	}
	return b
}

// noiseOf returns n pseudo-random bytes, the same on every call: data that
// deflate cannot shrink, where binaryOf and textOf compress well.
func noiseOf(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 6455))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// binaryOf returns n bytes covering every byte value.
func binaryOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

func sizesArg() string {
	s := make([]string, len(interopSizes))
	for i, n := range interopSizes {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func interopScript(name string) string { return filepath.Join("testdata", "interop", name) }

func interopCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	t.Cleanup(cancel)
	return ctx
}

// peerEvent is a JSON line printed by a peer script.
type peerEvent struct {
	Event      string `json:"event"`
	Port       int    `json:"port"`
	Code       int    `json:"code"`
	Reason     string `json:"reason"`
	Error      string `json:"error"`
	Extensions string `json:"extensions"`
}

// expectEvent reads the peer's next line and requires it to be the named
// event.
func expectEvent(t *testing.T, ctx context.Context, p *peers.Process, name string) peerEvent {
	t.Helper()
	line, err := p.Line(ctx)
	if err != nil {
		t.Fatalf("waiting for %q from the peer: %v", name, err)
	}
	var ev peerEvent
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("peer printed %q, want a JSON event: %v", line, err)
	}
	if ev.Event != name {
		t.Fatalf("peer reported %+v, want event %q", ev, name)
	}
	return ev
}

// message is a data message, or what is known of one.
type message struct {
	typ  ws.MessageType
	size int
}

func (m message) String() string { return fmt.Sprintf("%v(%d)", m.typ, m.size) }

// echo writes a message and requires the peer to send it back unchanged.
func echo(t *testing.T, ctx context.Context, c *ws.Conn, typ ws.MessageType, data []byte) {
	t.Helper()
	if err := c.Write(ctx, typ, data); err != nil {
		t.Fatalf("write %v of %d bytes: %v", typ, len(data), err)
	}
	checkEcho(t, ctx, c, typ, data)
}

func checkEcho(t *testing.T, ctx context.Context, c *ws.Conn, typ ws.MessageType, data []byte) {
	t.Helper()
	gotTyp, got, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read the echo of %v of %d bytes: %v", typ, len(data), err)
	}
	if gotTyp != typ || !bytes.Equal(got, data) {
		t.Fatalf("echo of %v of %d bytes is %v of %d bytes%s", typ, len(data), gotTyp, len(got), firstDiff(got, data))
	}
}

func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf(", first difference at byte %d: %#x, want %#x", i, got[i], want[i])
		}
	}
	return ""
}

// wantClose requires err to carry the peer's close frame with code and
// reason.
func wantClose(t *testing.T, err error, code ws.StatusCode, reason string) {
	t.Helper()
	var ce ws.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
		t.Fatalf("got %v; want the peer's close frame with %v and reason %q", err, code, reason)
	}
	if ws.CloseStatus(err) != code {
		t.Fatalf("CloseStatus(%v) = %v, want %v", err, ws.CloseStatus(err), code)
	}
}

// startPeerServer starts an echo server script and returns it with its URL.
func startPeerServer(t *testing.T, ctx context.Context, cmd *exec.Cmd) (*peers.Process, string) {
	t.Helper()
	p := peers.Run(t, cmd)
	ev := expectEvent(t, ctx, p, "listening")
	if ev.Port <= 0 {
		t.Fatalf("peer listens on port %d", ev.Port)
	}
	return p, fmt.Sprintf("ws://127.0.0.1:%d/", ev.Port)
}

func nodeCommand(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	node, mods := peers.Node(t)
	cmd := exec.Command(node, append([]string{interopScript(script)}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	return cmd
}

func pythonCommand(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(peers.Python(t), append([]string{interopScript(script)}, args...)...)
}

// Our client against the peers' echo servers.
func TestInteropClient(t *testing.T) {
	for _, peer := range []struct {
		name string
		cmd  func(t *testing.T) *exec.Cmd
	}{
		{"python", func(t *testing.T) *exec.Cmd { return pythonCommand(t, "py_echo_server.py") }},
		{"node", func(t *testing.T) *exec.Cmd { return nodeCommand(t, "node_echo_server.js") }},
	} {
		for _, mode := range compressionModes {
			t.Run(peer.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				testPeerServer(t, peer.cmd(t), mode.opts)
			})
		}
	}
}

// testPeerServer runs the exchange of TestInteropClient against one echo
// server script.
func testPeerServer(t *testing.T, cmd *exec.Cmd, compression *ws.CompressionOptions) {
	ctx := interopCtx(t)
	p, url := startPeerServer(t, ctx, cmd)
	c, resp, err := ws.Dial(ctx, url, &ws.DialOptions{Compression: compression})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wantExtensions(t, resp.Header.Get("Sec-WebSocket-Extensions"), compression != nil)

	for _, n := range interopSizes {
		echo(t, ctx, c, ws.MessageText, textOf(n))
		echo(t, ctx, c, ws.MessageBinary, binaryOf(n))
		echo(t, ctx, c, ws.MessageBinary, noiseOf(n))
	}
	// Messages in many fragments, cut wherever the writer's buffer
	// fills: inside characters, for the text.
	for _, m := range []struct {
		typ  ws.MessageType
		data []byte
	}{{ws.MessageText, textOf(1 << 20)}, {ws.MessageBinary, binaryOf(1 << 20)}} {
		w, err := c.Writer(ctx, m.typ)
		if err != nil {
			t.Fatal(err)
		}
		for rest := m.data; len(rest) > 0; {
			k := min(len(rest), 7777)
			if _, err := w.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkEcho(t, ctx, c, m.typ, m.data)
	}

	// Ping and Close need a reader; it ends with the peer's answer
	// to our close frame.
	readErr := make(chan error, 1)
	go func() {
		typ, data, err := c.Read(ctx)
		if err == nil {
			err = fmt.Errorf("unexpected %v message of %d bytes", typ, len(data))
		}
		readErr <- err
	}()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := c.Close(4001, "go client says bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-readErr:
		// Both peers answer a close frame with the same code and
		// reason.
		wantClose(t, err, 4001, "go client says bye")
	case <-ctx.Done():
		t.Fatal("the reader did not return after Close")
	}
	ev := expectEvent(t, ctx, p, "closed")
	if ev.Code != 4001 || ev.Reason != "go client says bye" {
		t.Errorf("the peer observed close %d %q, want 4001 %q", ev.Code, ev.Reason, "go client says bye")
	}
	if err := p.Wait(ctx); err != nil {
		t.Errorf("peer: %v", err)
	}
}

// connResult is what an echo connection on our server saw.
type connResult struct {
	msgs []message
	err  error // why the echo loop ended
}

// startEchoServer serves websockets on loopback with an echo loop per
// connection, reporting each connection's messages and end on the
// returned channel. Everything stops when the test ends.
func startEchoServer(t *testing.T, compression *ws.CompressionOptions) (string, <-chan connResult) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan connResult, 4)
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := ws.Accept(w, r, &ws.AcceptOptions{Compression: compression})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		var res connResult
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				res.err = err
				break
			}
			res.msgs = append(res.msgs, message{typ, len(data)})
			if err := c.Write(ctx, typ, data); err != nil {
				res.err = fmt.Errorf("echo: %w", err)
				break
			}
		}
		select {
		case results <- res:
		default:
			t.Errorf("unexpected extra connection: %+v", res)
		}
	}))
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/", results
}

// The peers' clients against our echo server.
func TestInteropServer(t *testing.T) {
	for _, peer := range []struct {
		name, reason string
		code         ws.StatusCode
		cmd          func(t *testing.T, url, code, reason string) *exec.Cmd
	}{
		{"python", "python client says bye", 4002, func(t *testing.T, url, code, reason string) *exec.Cmd {
			return pythonCommand(t, "py_client.py", url, sizesArg(), code, reason)
		}},
		{"node", "node client says bye", 4003, func(t *testing.T, url, code, reason string) *exec.Cmd {
			return nodeCommand(t, "node_client.js", url, sizesArg(), code, reason)
		}},
	} {
		for _, mode := range compressionModes {
			t.Run(peer.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				ctx := interopCtx(t)
				url, results := startEchoServer(t, mode.opts)
				p := peers.Run(t, peer.cmd(t, url, strconv.Itoa(int(peer.code)), peer.reason))
				testPeerClient(t, ctx, p, results, peer.code, peer.reason, mode.opts != nil)
			})
		}
	}
}

// testPeerClient checks what a client script and our echo server saw.
func testPeerClient(t *testing.T, ctx context.Context, p *peers.Process, results <-chan connResult, code ws.StatusCode, reason string, compressed bool) {
	t.Helper()
	ev := expectEvent(t, ctx, p, "open")
	wantExtensions(t, ev.Extensions, compressed)

	var res connResult
	select {
	case res = <-results:
	case <-p.Exited():
		// It may have finished its work, or failed before connecting.
		if err := p.Wait(ctx); err != nil {
			t.Fatalf("the peer found a problem: %v", err)
		}
		select {
		case res = <-results:
		case <-ctx.Done():
			t.Fatalf("the peer exited, but no connection ended: %v", ctx.Err())
		}
	case <-ctx.Done():
		t.Fatalf("no connection ended: %v\n%s", ctx.Err(), p.Output())
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("the peer found a problem: %v", err)
	}
	wantClose(t, res.err, code, reason)

	var want []message
	for _, n := range interopSizes {
		want = append(want, message{ws.MessageText, n}, message{ws.MessageBinary, n}, message{ws.MessageBinary, n})
	}
	want = append(want, message{ws.MessageText, fragmentedTextSize}, message{ws.MessageBinary, fragmentedBinarySize})
	if fmt.Sprint(res.msgs) != fmt.Sprint(want) {
		t.Errorf("the server received %v\nwant %v", res.msgs, want)
	}

	expectEvent(t, ctx, p, "pong")
	ev = expectEvent(t, ctx, p, "closed")
	// Our server answers a close frame with its code and no reason.
	if ev.Code != int(code) || ev.Reason != "" {
		t.Errorf("the peer observed close %d %q, want %d %q", ev.Code, ev.Reason, code, "")
	}
}

// chromiumServer serves testdata/interop/echo.html at / and hands each
// websocket accepted at /ws to the test.
func chromiumServer(t *testing.T, compression *ws.CompressionOptions) (string, <-chan *ws.Conn) {
	t.Helper()
	page, err := os.ReadFile(interopScript("echo.html"))
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *ws.Conn, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		// Same origin: the page came from here.
		c, err := ws.Accept(w, r, &ws.AcceptOptions{Compression: compression})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		select {
		case conns <- c:
		default:
			c.CloseNow()
			t.Errorf("unexpected extra websocket from the page")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, conns
}

// openEchoPage loads the echo page in a new tab and returns the page and
// our end of its websocket.
func openEchoPage(t *testing.T, ctx context.Context, b *browser.Browser, compression *ws.CompressionOptions) (*browser.Page, *ws.Conn) {
	t.Helper()
	url, conns := chromiumServer(t, compression)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	if err := p.Navigate(ctx, url+"/"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-conns:
		t.Cleanup(func() { c.CloseNow() })
		if err := p.WaitFor(ctx, `observed.open`); err != nil {
			t.Fatal(err)
		}
		var ext string
		if err := p.Eval(ctx, `observed.extensions`, &ext); err != nil {
			t.Fatal(err)
		}
		wantExtensions(t, ext, compression != nil)
		return p, c
	case <-ctx.Done():
		msgs, _ := p.Console()
		t.Fatalf("the page opened no websocket: %v; console: %v", ctx.Err(), msgs)
	}
	return nil, nil
}

type closeEvent struct {
	Code     int    `json:"code"`
	Reason   string `json:"reason"`
	WasClean bool   `json:"wasClean"`
}

// pageClose waits for the page's close event and returns it.
func pageClose(t *testing.T, ctx context.Context, p *browser.Page) closeEvent {
	t.Helper()
	if err := p.WaitFor(ctx, `observed.close !== null`); err != nil {
		t.Fatal(err)
	}
	var ev closeEvent
	if err := p.Eval(ctx, `observed.close`, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestInteropChromium(t *testing.T) {
	b := browser.ForTest(t)
	for _, mode := range compressionModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testChromium(t, b, mode.opts)
		})
	}
}

// testChromium runs the exchanges of TestInteropChromium with one
// compression setting on our server.
func testChromium(t *testing.T, b *browser.Browser, compression *ws.CompressionOptions) {
	t.Run("page closes", func(t *testing.T) {
		ctx := interopCtx(t)
		p, c := openEchoPage(t, ctx, b, compression)
		var want []map[string]any
		for _, n := range interopSizes {
			echo(t, ctx, c, ws.MessageText, textOf(n))
			echo(t, ctx, c, ws.MessageBinary, binaryOf(n))
			echo(t, ctx, c, ws.MessageBinary, noiseOf(n))
			bin := map[string]any{"text": false, "length": float64(n)}
			want = append(want, map[string]any{"text": true, "length": float64(n)}, bin, bin)
		}
		var received []map[string]any
		if err := p.Eval(ctx, `observed.received`, &received); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(received) != fmt.Sprint(want) {
			t.Errorf("the page received %v\nwant %v", received, want)
		}

		readErr := make(chan error, 1)
		go func() {
			typ, data, err := c.Read(ctx)
			if err == nil {
				err = fmt.Errorf("unexpected %v message of %d bytes", typ, len(data))
			}
			readErr <- err
		}()
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
		if err := p.Eval(ctx, `closeSocket(4000, "page says bye")`, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-readErr:
			wantClose(t, err, 4000, "page says bye")
		case <-ctx.Done():
			t.Fatal("no close frame from the page")
		}
		// Our server answers with the page's code and no reason.
		if ev := pageClose(t, ctx, p); ev != (closeEvent{Code: 4000, Reason: "", WasClean: true}) {
			t.Errorf("the page observed %+v, want a clean close with 4000", ev)
		}
		if err := p.Err(); err != nil {
			t.Error(err)
		}
	})

	t.Run("server closes", func(t *testing.T) {
		ctx := interopCtx(t)
		p, c := openEchoPage(t, ctx, b, compression)
		echo(t, ctx, c, ws.MessageText, textOf(1000))
		echo(t, ctx, c, ws.MessageBinary, binaryOf(1<<20))
		if err := c.Close(4002, "server says bye"); err != nil {
			t.Fatalf("close: %v", err)
		}
		want := closeEvent{Code: 4002, Reason: "server says bye", WasClean: true}
		if ev := pageClose(t, ctx, p); ev != want {
			t.Errorf("the page observed %+v, want %+v", ev, want)
		}
		if err := p.Err(); err != nil {
			t.Error(err)
		}
	})
}
