package ws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// NetConn wraps c as a net.Conn whose byte stream is carried in messages of
// type typ: each Write sends one message, and Read returns the payloads of
// successive messages as one stream. A message of the other type fails the
// connection with StatusUnsupportedData. When the peer closes with
// StatusNormalClosure or StatusGoingAway, Read returns io.EOF. Close
// performs the closing handshake with StatusNormalClosure.
//
// Deadlines follow the net.Conn contract, including for calls already
// blocked, and a read that times out leaves the stream intact (even inside
// a message): the next Read continues where it stopped. ctx bounds the
// whole life of the adapter. With MessageText, every Write must be valid
// UTF-8 on its own.
func NetConn(ctx context.Context, c *Conn, typ MessageType) net.Conn {
	n := &netConn{c: c, typ: typ}
	n.rd.init(ctx)
	n.wd.init(ctx)
	return n
}

type netConn struct {
	c   *Conn
	typ MessageType

	readMu sync.Mutex
	inMsg  bool
	eof    bool
	rd     connDeadline

	writeMu sync.Mutex
	wd      connDeadline
}

func (n *netConn) Read(p []byte) (int, error) {
	n.readMu.Lock()
	defer n.readMu.Unlock()
	if n.eof {
		return 0, io.EOF
	}
	m, err := n.read(p)
	if err == io.EOF {
		n.eof = true
	}
	return m, err
}

func (n *netConn) read(p []byte) (int, error) {
	ctx := n.rd.context()
	c := n.c
	if err := c.readLock.lock(ctx, c.closed); err != nil {
		return 0, n.mapErr(n.rd, c.lockErr(err))
	}
	defer c.readLock.unlock()
	stop := c.rd.arm(ctx)
	defer c.rd.disarm(stop)
	for {
		if !n.inMsg {
			typ, err := c.startMessage(ctx)
			if err != nil {
				return 0, n.mapErr(n.rd, err)
			}
			if typ != n.typ {
				return 0, c.fail(StatusUnsupportedData, fmt.Sprintf("expected %v messages, got %v", n.typ, typ))
			}
			n.inMsg = true
		}
		m, err := c.readData(ctx, p)
		if err == io.EOF {
			n.inMsg = false
			if m > 0 || len(p) == 0 {
				return m, nil
			}
			continue
		}
		if err != nil {
			return m, n.mapErr(n.rd, err)
		}
		return m, nil
	}
}

func (n *netConn) Write(p []byte) (int, error) {
	n.writeMu.Lock()
	defer n.writeMu.Unlock()
	if err := n.c.Write(n.wd.context(), n.typ, p); err != nil {
		return 0, n.mapErr(n.wd, err)
	}
	return len(p), nil
}

// mapErr turns the adapter's errors into what net.Conn users expect.
func (n *netConn) mapErr(d connDeadline, err error) error {
	switch CloseStatus(err) {
	case StatusNormalClosure, StatusGoingAway:
		return io.EOF
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if d.parent.Err() == nil {
			return os.ErrDeadlineExceeded
		}
	}
	return err
}

func (n *netConn) Close() error         { return n.c.Close(StatusNormalClosure, "") }
func (n *netConn) LocalAddr() net.Addr  { return n.c.LocalAddr() }
func (n *netConn) RemoteAddr() net.Addr { return n.c.RemoteAddr() }

func (n *netConn) SetDeadline(t time.Time) error {
	n.rd.set(t)
	n.wd.set(t)
	return nil
}
func (n *netConn) SetReadDeadline(t time.Time) error  { n.rd.set(t); return nil }
func (n *netConn) SetWriteDeadline(t time.Time) error { n.wd.set(t); return nil }

// connDeadline is a context that is cancelled when a settable deadline
// passes.
type connDeadline struct {
	parent context.Context
	s      *deadlineState
}

type deadlineState struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
}

func (d *connDeadline) init(parent context.Context) {
	d.parent = parent
	d.s = &deadlineState{}
	d.s.ctx, d.s.cancel = context.WithCancel(parent)
}

func (d connDeadline) context() context.Context {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.s.ctx
}

func (d connDeadline) set(t time.Time) {
	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	expired := s.ctx.Err() != nil
	if s.timer != nil && !s.timer.Stop() {
		expired = true // the old deadline fired, or is firing
	}
	s.timer = nil
	if expired {
		s.cancel()
		s.ctx, s.cancel = context.WithCancel(d.parent)
	}
	if t.IsZero() {
		return
	}
	if dur := time.Until(t); dur > 0 {
		s.timer = time.AfterFunc(dur, s.cancel)
	} else {
		s.cancel()
	}
}
