package ws

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

// The goroutines a connection starts belong to it: when Close or CloseNow
// returns, none of them is left. Each case starts the connection's
// goroutines under a pprof label of its own, so that the check sees those
// goroutines only, and runs a few times, since a goroutine that merely
// outlives Close by a moment is caught only when the check comes first.
func TestCloseWaitsForConnGoroutines(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// peer, if set, runs the other end on a goroutine of its own;
		// start makes the connection's goroutines run (under the label);
		// stop closes it, as a user would.
		peer  func(nc net.Conn)
		start func(t *testing.T, c *Conn, nc *signalConn)
		stop  func(c *Conn)
		cfg   connConfig
	}{
		{
			name:  "heartbeat",
			cfg:   newConnConfig(0, 0, 0, time.Hour, 0, nil),
			start: func(t *testing.T, c *Conn, nc *signalConn) {},
			stop:  func(c *Conn) { c.CloseNow() },
		},
		{
			// The peer never reads: the heartbeat's ping waits to go out
			// until CloseNow.
			name: "heartbeat pinging",
			cfg:  newConnConfig(0, 0, 0, time.Millisecond, time.Hour, nil),
			start: func(t *testing.T, c *Conn, nc *signalConn) {
				select {
				case <-nc.writing:
				case <-time.After(10 * time.Second):
					t.Fatal("no ping")
				}
			},
			stop: func(c *Conn) { c.CloseNow() },
		},
		{
			// The peer never reads: the ping cannot go out, and the
			// heartbeat closes the connection itself.
			name: "heartbeat drops a silent peer",
			cfg:  newConnConfig(0, 0, 0, 5*time.Millisecond, 5*time.Millisecond, nil),
			start: func(t *testing.T, c *Conn, nc *signalConn) {
				select {
				case <-c.closed:
				case <-time.After(10 * time.Second):
					t.Fatal("the heartbeat did not drop the silent peer")
				}
			},
			stop: func(c *Conn) { c.Close(StatusNormalClosure, "") },
		},
		{
			// A message that cannot be completed makes the writer start
			// a closing handshake on a goroutine; the peer answers it.
			name: "failed message writer",
			cfg:  newConnConfig(0, 0, 0, 0, 0, nil),
			peer: answerCloseAsClient,
			start: func(t *testing.T, c *Conn, nc *signalConn) {
				w, err := c.Writer(context.Background(), MessageText)
				if err != nil {
					t.Fatal(err)
				}
				w.Write([]byte("\xe2\x82")) // a UTF-8 sequence cut short
				if err := w.Close(); err == nil {
					t.Fatal("an incomplete UTF-8 message was completed")
				}
			},
			stop: func(c *Conn) { c.Close(StatusNormalClosure, "") },
		},
		{
			name: "CloseRead",
			cfg:  newConnConfig(0, 0, 0, 0, 0, nil),
			start: func(t *testing.T, c *Conn, nc *signalConn) {
				c.CloseRead(context.Background())
			},
			stop: func(c *Conn) { c.CloseNow() },
		},
		{
			name: "CloseSend",
			cfg:  newConnConfig(0, 0, 0, 0, 0, nil),
			peer: answerCloseAsClient,
			start: func(t *testing.T, c *Conn, nc *signalConn) {
				if err := c.CloseSend(StatusNormalClosure, ""); err != nil {
					t.Fatal(err)
				}
			},
			stop: func(c *Conn) { c.CloseNow() },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 50 {
				pc, peer := net.Pipe()
				if tc.peer != nil {
					go tc.peer(peer)
				}
				nc := &signalConn{Conn: pc, writing: make(chan struct{})}
				var c *Conn
				pprof.Do(context.Background(), pprof.Labels("ws-test", t.Name()), func(context.Context) {
					c = newConn(nc, false, tc.cfg, nil)
					tc.start(t, c, nc)
				})
				tc.stop(c)
				if left := labelledWSGoroutines(t.Name()); len(left) > 0 {
					t.Fatalf("%d goroutine(s) of the connection outlived %s:\n\n%s", len(left), c, strings.Join(left, "\n\n"))
				}
				peer.Close()
			}
		})
	}
}

// signalConn closes writing when the first Write starts.
type signalConn struct {
	net.Conn
	writing chan struct{}
	once    sync.Once
}

func (c *signalConn) Write(p []byte) (int, error) {
	c.once.Do(func() { close(c.writing) })
	return c.Conn.Write(p)
}

// answerCloseAsClient reads frames as a client peer would and answers the
// first close frame with a masked close frame. Errors end it quietly: the
// connection may be gone first.
func answerCloseAsClient(peer net.Conn) {
	br := bufio.NewReader(peer)
	for {
		f, err := readRaw(br)
		if err != nil {
			return
		}
		if f.op == opClose {
			const key = 0x01020304
			p := append([]byte(nil), f.payload...)
			maskBytes(key, 0, p)
			peer.Write(append(appendHeader(nil, true, 0, opClose, len(p), true, key), p...))
			return
		}
	}
}

// labelledWSGoroutines returns the stacks of the goroutines labelled with
// ws-test=label that run code of package ws.
func labelledWSGoroutines(label string) []string {
	var buf bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, `"ws-test":"`+label+`"`) && strings.Contains(g, "vizserve/ws.") {
			out = append(out, g)
		}
	}
	return out
}
