package server

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Pages refuse to be framed by other sites unless configured.
func TestFramingHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ancestors      []string
		csp, frameOpts string
	}{
		{nil, "frame-ancestors 'none'", "DENY"},
		{[]string{"'self'", "https://docs.example"}, "frame-ancestors 'self' https://docs.example", ""},
	} {
		s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, FrameAncestors: tc.ancestors})
		s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
		start(t, s)
		resp, _ := get(t, nil, s.URL())
		if got := resp.Header.Get("Content-Security-Policy"); got != tc.csp {
			t.Errorf("FrameAncestors %q: Content-Security-Policy %q, want %q", tc.ancestors, got, tc.csp)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != tc.frameOpts {
			t.Errorf("FrameAncestors %q: X-Frame-Options %q, want %q", tc.ancestors, got, tc.frameOpts)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options %q, want nosniff", got)
		}
	}
}

// A websocket opened with a token is closed with 1008 when the token
// expires, unless the server keeps such websockets.
func TestWebsocketClosedWhenItsTokenExpires(t *testing.T) {
	t.Parallel()
	tk := NewTokens(nil)
	strict := New(Config{Addr: "127.0.0.1:0", Logger: quiet, Tokens: tk})
	lax := New(Config{Addr: "127.0.0.1:0", Logger: quiet, Tokens: tk, KeepWebsocketsAfterTokenExpiry: true})
	for _, s := range []*Server{strict, lax} {
		s.HandleWS("/", Endpoint{Handler: echo})
		start(t, s)
	}
	// Expiry is in whole seconds: this token expires 1 to 2 s from now.
	tok := tk.Mint("/", 2*time.Second)
	cs := dial(t, wsURL(strict, "/?"+TokenParam+"="+tok), nil)
	cl := dial(t, wsURL(lax, "/?"+TokenParam+"="+tok), nil)
	roundTrip(t, cs, "before expiry")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, err := cs.Read(ctx)
	if ws.CloseStatus(err) != ws.StatusPolicyViolation {
		t.Fatalf("after the token expired: %v, want a close with 1008", err)
	}
	if tk.Verify(tok, "/") == nil {
		t.Fatal("the websocket was closed before its token expired")
	}
	roundTrip(t, cl, "kept past expiry")
}

// Mint with an empty path grants the whole server, as "/" does.
func TestMintEmptyPathIsWholeServer(t *testing.T) {
	t.Parallel()
	tk := NewTokens(nil)
	a, b := tk.Mint("", time.Hour), tk.Mint("/", time.Hour)
	for _, path := range []string{"/", "/ws", "/a/b"} {
		if err := tk.Verify(a, path); err != nil {
			t.Errorf("Mint(\"\") on %s: %v", path, err)
		}
		if err := tk.Verify(b, path); err != nil {
			t.Errorf("Mint(\"/\") on %s: %v", path, err)
		}
	}
}
