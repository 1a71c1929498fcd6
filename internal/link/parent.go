package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

// Peer is a child process seen from the parent: the parent's end of its
// link. Attach it to a command before starting it; after the start, Accept
// waits for the child's hello. One goroutine reads (Accept, then Next);
// Send may be called from any goroutine.
type Peer struct {
	c     *Conn
	child *os.File // the child's end, until Started

	hello     Hello
	closeOnce sync.Once
}

// Attach readies cmd to run as a linked child: it makes a socket pair,
// hands the child its end as one of cmd.ExtraFiles and names that
// descriptor in the child's environment (ChildEnv; cmd.Env nil means this
// process's environment). No other process can reach the link: there is
// no listening socket and no token. Call Started once cmd.Start has
// returned, whatever it returned.
func Attach(cmd *exec.Cmd) (*Peer, error) {
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, child)
	cmd.Env = append(cmd.Env, ChildEnv+"="+strconv.Itoa(fd))
	return &Peer{c: newConn(parent), child: child}, nil
}

// Started closes this process's copy of the child's end of the link, so
// that the link ends when the child does (the parent's reads see io.EOF).
func (p *Peer) Started() {
	if p.child != nil {
		p.child.Close()
		p.child = nil
	}
}

// ErrNoHello is returned by Accept when the child ends its link, or ends,
// without saying hello.
var ErrNoHello = errors.New("link: the child ended before it said hello")

// Accept waits until the child says hello, or ctx ends.
func (p *Peer) Accept(ctx context.Context) error {
	p.Started()
	msg, err := p.c.Read(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = ErrNoHello
		}
		return err
	}
	m, err := Decode(msg)
	if err != nil {
		return err
	}
	if m.Type != THello {
		return fmt.Errorf("link: the child's first message is %v, not a hello", m.Type)
	}
	p.hello = m.Hello
	return nil
}

// Hello returns the child's hello (after Accept).
func (p *Peer) Hello() Hello { return p.hello }

// Next reads the next message from the child. At the end of the link it
// returns io.EOF.
func (p *Peer) Next(ctx context.Context) (Msg, error) {
	msg, err := p.c.Read(ctx)
	if err != nil {
		return Msg{}, err
	}
	return Decode(msg)
}

// Send sends one message (built with the Append functions) to the child.
func (p *Peer) Send(ctx context.Context, msg []byte) error {
	return p.c.Write(ctx, msg)
}

// Close ends the link; the child sees its end and stops. It may be called
// more than once.
func (p *Peer) Close() {
	p.closeOnce.Do(func() {
		p.Started()
		p.c.Close()
	})
}
