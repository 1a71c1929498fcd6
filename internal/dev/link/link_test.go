package link

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/leakcheck"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := &wire.Batch{Seq: 3, Ops: []wire.Op{{Code: wire.OpSetXY, Node: 5, Pair: wire.PairCXY, X: 1, Y: 2}}}
	bm, err := AppendBatch(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	ev := wire.Event{Kind: wire.Click, Target: 4, X: 1, Y: 2, Button: 1}
	em, err := AppendEvent(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		msg   []byte
		check func(Msg) bool
	}{
		{"hello", AppendHello(nil, Hello{PID: 7, State: true, Title: "t"}), func(m Msg) bool {
			return m.Type == THello && m.Hello == Hello{Version: Version, PID: 7, State: true, Title: "t"}
		}},
		{"batch", bm, func(m Msg) bool { return m.Type == TBatch && m.Batch.Seq == 3 && m.Batch.Ops[0].X == 1 }},
		{"event", em, func(m Msg) bool { return m.Type == TEvent && m.Event.Target == 4 && m.Event.Kind == wire.Click }},
		{"state", AppendState(nil, []byte(`{"a":1}`), nil), func(m Msg) bool { return m.Type == TState && string(m.Data) == `{"a":1}` && m.Err == "" }},
		{"state error", AppendState(nil, nil, io.ErrUnexpectedEOF), func(m Msg) bool { return m.Type == TState && m.Err == "unexpected EOF" }},
		{"start", AppendStart(nil, []byte(`{}`)), func(m Msg) bool { return m.Type == TStart && string(m.Data) == "{}" }},
		{"start afresh", AppendStart(nil, nil), func(m Msg) bool { return m.Type == TStart && len(m.Data) == 0 }},
		{"shutdown", Control(TShutdown), func(m Msg) bool { return m.Type == TShutdown }},
		{"state request", Control(TStateRequest), func(m Msg) bool { return m.Type == TStateRequest }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(m) {
				t.Errorf("decoded %+v", m)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown", []byte{0x7f}, "unknown message"},
		{"bad hello", []byte{byte(THello), '{'}, "hello"},
		{"other version", []byte(`` + string(rune(THello)) + `{"v":99}`), "version 99"},
		{"bad batch", []byte{byte(TBatch), 0x80}, "batch"},
		{"bad state", []byte{byte(TState), 7}, "status"},
		{"shutdown with payload", []byte{byte(TShutdown), 1}, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{byte(TBatch), 1, 8, 5, 2, 0, 0, 128, 63, 0, 0, 0, 192})
	f.Add(AppendHello(nil, Hello{PID: 1}))
	f.Add(AppendState(nil, []byte("{}"), nil))
	f.Fuzz(func(t *testing.T, msg []byte) {
		Decode(msg) // must not panic
	})
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func dial(ctx context.Context, t *testing.T, url string) *ws.Conn {
	t.Helper()
	c, _, err := ws.Dial(ctx, url, &ws.DialOptions{Subprotocols: []string{Subprotocol}})
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
	if err := c.Write(ctx, ws.MessageBinary, AppendHello(nil, Hello{PID: 99})); err != nil {
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
		c2.Write(ctx, ws.MessageBinary, AppendHello(nil, Hello{PID: 100}))
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
	msg, _ := AppendEvent(nil, &ev)
	if err := p.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := Decode(got); err != nil || m.Event.Key != "a" {
		t.Errorf("child got %+v, %v", m, err)
	}
	c.Write(ctx, ws.MessageBinary, AppendState(nil, []byte("1"), nil))
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
	c.Write(ctx, ws.MessageBinary, AppendState(nil, nil, nil))
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
