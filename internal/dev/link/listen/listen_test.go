package listen

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/dev/link"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func dial(ctx context.Context, t *testing.T, u string) *ws.Conn {
	t.Helper()
	c, _, err := ws.Dial(ctx, u, &ws.DialOptions{Subprotocols: []string{link.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A token lets exactly one child in: a second connection with it is
// refused, and so is one with no token.
func TestOneTimeToken(t *testing.T) {
	t.Parallel()
	l, err := Listen(quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, peers, cancelTok := l.Expect()
	defer cancelTok()
	if !strings.HasPrefix(u, "ws://127.0.0.1:") {
		t.Errorf("link URL %q is not on loopback", u)
	}

	c := dial(ctx, t, u)
	defer c.CloseNow()
	if err := c.Write(ctx, ws.MessageBinary, link.AppendHello(nil, link.Hello{PID: 99})); err != nil {
		t.Fatal(err)
	}
	var p *Peer
	select {
	case p = <-peers:
	case <-ctx.Done():
		t.Fatal("no peer")
	}
	if p.Hello().PID != 99 {
		t.Errorf("hello = %+v", p.Hello())
	}

	for _, bad := range []string{u, strings.Split(u, "?")[0], u + "x"} {
		c2 := dial(ctx, t, bad)
		c2.Write(ctx, ws.MessageBinary, link.AppendHello(nil, link.Hello{PID: 100}))
		_, _, err := c2.Read(ctx)
		if ws.CloseStatus(err) != ws.StatusPolicyViolation {
			t.Errorf("%s: read = %v, want a close with 1008", bad, err)
		}
		c2.CloseNow()
	}
	select {
	case p2 := <-peers:
		t.Errorf("a second peer came in: %+v", p2.Hello())
	default:
	}

	// The accepted link works both ways.
	ev := wire.Event{Kind: wire.KeyDown, Key: "a", Code: "KeyA"}
	msg, _ := link.AppendEvent(nil, &ev)
	if err := p.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := link.Decode(got); err != nil || m.Event.Key != "a" {
		t.Errorf("child got %+v, %v", m, err)
	}
	c.Write(ctx, ws.MessageBinary, link.AppendState(nil, []byte("1"), nil))
	if m, err := p.Next(ctx); err != nil || string(m.Data) != "1" {
		t.Errorf("parent got %+v, %v", m, err)
	}
	// Reading in the background, as the child does, so the closing
	// handshake completes.
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Read(ctx)
	}()
	p.Close()
	<-done
}

// A first message that is not a hello is refused.
func TestHelloFirst(t *testing.T) {
	t.Parallel()
	l, err := Listen(quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, peers, cancelTok := l.Expect()
	defer cancelTok()
	c := dial(ctx, t, u)
	defer c.CloseNow()
	c.Write(ctx, ws.MessageBinary, link.AppendState(nil, nil, nil))
	_, _, err = c.Read(ctx)
	if ws.CloseStatus(err) != ws.StatusProtocolError {
		t.Errorf("read = %v, want a close with 1002", err)
	}
	select {
	case <-peers:
		t.Error("a peer without hello")
	default:
	}
}

// Idle local sockets cannot lock the child out: 520 silent connections,
// more than the per-address cap, and the child still gets in (its
// connection takes the place of the oldest silent one).
func TestSilentSocketsDoNotLockOutTheChild(t *testing.T) {
	t.Parallel()
	l, err := Listen(quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 520 {
		nc, err := net.Dial("tcp", l.srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	if n := l.srv.Stats().Conns; n > 500 {
		t.Errorf("the link server holds %d silent sockets, more than its cap", n)
	}
	u, peers, cancelTok := l.Expect()
	defer cancelTok()
	c := dial(ctx, t, u)
	defer c.CloseNow()
	if err := c.Write(ctx, ws.MessageBinary, link.AppendHello(nil, link.Hello{PID: 7})); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-peers:
		c.CloseNow()
		p.Close()
	case <-ctx.Done():
		t.Fatal("the child did not get in past the silent sockets")
	}
}
