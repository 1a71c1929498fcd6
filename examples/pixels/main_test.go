package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const patience = 30 * time.Second

// program is run() serving on a free port until the test ends.
type program struct {
	url string
}

// start runs the program with [extest.Start] until the test ends.
func start(t *testing.T) *program {
	t.Helper()
	return &program{url: extest.Start(t, run).URL}
}

func dial(t *testing.T, p *program, sub ...string) *ws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, _, err := ws.Dial(ctx, extest.WSURL(p.url)+"/pixels", &ws.DialOptions{Subprotocols: sub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// TestRoundTrip: pictures of several shapes come back as their negative,
// opacity kept, on one connection.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := dial(t, p, Subprotocol)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for _, size := range [][2]int{{1, 1}, {2, 3}, {200, 320}, {MaxSide, 1}} {
		t.Run(fmt.Sprintf("%dx%d", size[1], size[0]), func(t *testing.T) {
			h, w := size[0], size[1]
			rgba := make([]byte, h*w*4)
			for i := range rgba {
				rgba[i] = byte(i * 7)
			}
			if err := c.Write(ctx, ws.MessageBinary, Encode(h, w, rgba)); err != nil {
				t.Fatal(err)
			}
			typ, msg, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gh, gw, err := Decode(msg)
			if typ != ws.MessageBinary || err != nil || gh != h || gw != w {
				t.Fatalf("reply %v: %d×%d, %v", typ, gw, gh, err)
			}
			for i, b := range msg[HeaderSize:] {
				want := 255 - rgba[i]
				if i%4 == 3 {
					want = rgba[i]
				}
				if b != want {
					t.Fatalf("byte %d: %d, want %d", i, b, want)
				}
			}
		})
	}
}

// TestBadMessages: each malformed message closes its connection with the
// right code and a reason that says what was wrong.
func TestBadMessages(t *testing.T) {
	t.Parallel()
	p := start(t)
	header := func(h, w, bpp int16) []byte {
		return []byte{byte(h), byte(uint16(h) >> 8), byte(w), byte(uint16(w) >> 8), byte(bpp), byte(uint16(bpp) >> 8)}
	}
	for _, tc := range []struct {
		name   string
		typ    ws.MessageType
		msg    []byte
		code   ws.StatusCode
		reason string
	}{
		{"text", ws.MessageText, []byte("hello"), ws.StatusUnsupportedData, "send binary messages"},
		{"short header", ws.MessageBinary, []byte{1, 0, 1}, ws.StatusInvalidFramePayloadData, "3 bytes: a message starts with a 6-byte header"},
		{"RGB", ws.MessageBinary, append(header(1, 1, 3), 1, 2, 3), ws.StatusInvalidFramePayloadData, "3 bytes per pixel, want 4"},
		{"negative width", ws.MessageBinary, header(1, -1, 4), ws.StatusInvalidFramePayloadData, "-1×1 pixels"},
		{"too wide", ws.MessageBinary, header(1, MaxSide+1, 4), ws.StatusInvalidFramePayloadData, "each side must be 1 to 2048"},
		{"missing bytes", ws.MessageBinary, append(header(2, 2, 4), make([]byte, 15)...), ws.StatusInvalidFramePayloadData, "the header says 2×2×4 bytes, 15 follow"},
		{"extra bytes", ws.MessageBinary, append(header(1, 1, 4), make([]byte, 5)...), ws.StatusInvalidFramePayloadData, "1×1×4 bytes, 5 follow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, p, Subprotocol)
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			if err := c.Write(ctx, tc.typ, tc.msg); err != nil {
				t.Fatal(err)
			}
			_, _, err := c.Read(ctx)
			var ce ws.CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code || !strings.Contains(ce.Reason, tc.reason) {
				t.Fatalf("got %v, want a close with %d and a reason with %q", err, tc.code, tc.reason)
			}
		})
	}
}

// TestSubprotocolRequired: a client that does not speak "pixels" is
// refused at the handshake.
func TestSubprotocolRequired(t *testing.T) {
	t.Parallel()
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, resp, err := ws.Dial(ctx, extest.WSURL(p.url)+"/pixels", nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("a client without the subprotocol was accepted")
	}
	if resp == nil || resp.StatusCode/100 != 4 {
		t.Fatalf("refused with %v, %v; want a 4xx answer", resp, err)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	p := start(t)
	resp, err := http.Get(p.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`new WebSocket(u.href, "pixels")`, `ws.binaryType = "arraybuffer"`, "setInt16(0, img.height, true)"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
