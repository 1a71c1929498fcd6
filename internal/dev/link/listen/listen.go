// Package listen is the parent's end of the link to a scene child process:
// a websocket endpoint on a loopback port that admits exactly one child
// per one-time token. The child's end, and the messages, are in package
// link; keeping this part apart keeps the server out of child binaries.
package listen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/dev/link"
	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// Listener is the parent's end of the link: a websocket endpoint on a
// loopback port of its own (whatever address the viewers' server binds),
// that accepts exactly one connection per token from Expect.
type Listener struct {
	srv *server.Server
	log *slog.Logger

	mu      sync.Mutex
	waiting map[string]chan *Peer
}

// Listen opens a Listener on 127.0.0.1 with a free port.
func Listen(log *slog.Logger) (*Listener, error) {
	if log == nil {
		log = slog.Default()
	}
	l := &Listener{log: log, waiting: map[string]chan *Peer{}}
	l.srv = server.New(server.Config{
		Addr:       "127.0.0.1:0",
		Logger:     log,
		RateLimit:  -1,
		CloseGrace: 2 * time.Second,
	})
	l.srv.HandleWS("/link", server.Endpoint{
		Subprotocols: []string{link.Subprotocol},
		Handler:      l.serve,
		Options: &ws.AcceptOptions{
			RequireSubprotocol: true,
			ReadLimit:          link.ReadLimit,
		},
	})
	if err := l.srv.Open(); err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	go l.srv.Serve() // ends with Close
	return l, nil
}

// Close closes every link connection and the listener, and waits for their
// handlers to return.
func (l *Listener) Close() error {
	return l.srv.Close()
}

// Expect registers a new one-time token and returns the URL a child dials
// with it, a channel that receives the child's Peer once it has connected
// and said hello, and a function that withdraws the token (call it when the
// child is gone or given up on; it is harmless after the connection).
func (l *Listener) Expect() (url string, peers <-chan *Peer, cancel func()) {
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	ch := make(chan *Peer, 1)
	l.mu.Lock()
	l.waiting[tok] = ch
	l.mu.Unlock()
	u := "ws" + l.srv.URL()[len("http"):] + "/link?token=" + tok
	return u, ch, func() {
		l.mu.Lock()
		delete(l.waiting, tok)
		l.mu.Unlock()
	}
}

// HelloTimeout bounds the wait for a connected child's hello.
const HelloTimeout = 10 * time.Second

func (l *Listener) serve(ctx context.Context, c *ws.Conn, r *http.Request) {
	tok := r.URL.Query().Get("token")
	l.mu.Lock()
	ch, ok := l.waiting[tok]
	delete(l.waiting, tok) // one connection per token
	l.mu.Unlock()
	if !ok {
		l.log.Warn("link: refused a connection with an unknown or used token", "remote", r.RemoteAddr)
		c.Close(ws.StatusPolicyViolation, "unknown or already used link token")
		return
	}
	hctx, cancel := context.WithTimeout(ctx, HelloTimeout)
	typ, msg, err := c.Read(hctx)
	cancel()
	if err != nil {
		l.log.Warn("link: no hello from the child", "err", err)
		c.Close(ws.StatusPolicyViolation, "no hello")
		return
	}
	m, err := link.Decode(msg)
	if err == nil && (typ != ws.MessageBinary || m.Type != link.THello) {
		err = fmt.Errorf("link: the first message is %v, not a hello", m.Type)
	}
	if err != nil {
		l.log.Warn("link: bad hello", "err", err)
		c.Close(ws.StatusProtocolError, truncate(err.Error()))
		return
	}
	p := &Peer{c: c, hello: m.Hello, done: make(chan struct{})}
	ch <- p // buffered, one per token
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	c.Close(ws.StatusNormalClosure, "")
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// Peer is one connected child, seen from the parent. One goroutine reads
// (Next); Send may be called from any goroutine.
type Peer struct {
	c     *ws.Conn
	hello link.Hello

	closeOnce sync.Once
	done      chan struct{}
}

// Hello returns the child's hello.
func (p *Peer) Hello() link.Hello { return p.hello }

// Next reads the next message from the child.
func (p *Peer) Next(ctx context.Context) (link.Msg, error) {
	typ, msg, err := p.c.Read(ctx)
	if err != nil {
		return link.Msg{}, err
	}
	if typ != ws.MessageBinary {
		p.c.Close(ws.StatusUnsupportedData, "the link carries binary messages only")
		return link.Msg{}, errors.New("link: text message from the child")
	}
	m, err := link.Decode(msg)
	if err != nil {
		p.c.Close(ws.StatusInvalidFramePayloadData, truncate(err.Error()))
	}
	return m, err
}

// Send sends one message (built with the Append functions) to the child.
func (p *Peer) Send(ctx context.Context, msg []byte) error {
	return p.c.Write(ctx, ws.MessageBinary, msg)
}

// Close ends the connection (with a closing handshake) and releases its
// handler. It may be called more than once.
func (p *Peer) Close() {
	p.closeOnce.Do(func() {
		p.c.Close(ws.StatusNormalClosure, "")
		close(p.done)
	})
}
