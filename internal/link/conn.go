package link

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// headerLen is the length prefix of every message on the wire.
const headerLen = 4

// readChunk is how much of a message a read asks for at first: the buffer
// grows with the bytes that arrive, never to the length a header
// announces.
const readChunk = 64 << 10

// smallWrite is the largest message Write copies behind its header, to
// send both in one write; a longer one goes as two writes.
const smallWrite = 64 << 10

// ErrTooLarge is returned by Read for a message longer than ReadLimit.
var ErrTooLarge = errors.New("link: message over the read limit")

// Conn is one end of a link: a stream of messages, each a 4-byte
// big-endian length followed by that many bytes, over one end of a socket
// pair. One goroutine reads at a time; Write may be called from any
// goroutine. A context that ends during a read or write ends that call;
// a write cut short leaves the stream broken, so later writes fail.
type Conn struct {
	f *os.File

	rmu  sync.Mutex // one Read at a time
	rhdr [headerLen]byte

	wmu  sync.Mutex
	werr error  // the error of a write cut short
	wbuf []byte // header and a small message, written at once

	closeOnce sync.Once
	closeErr  error
}

func newConn(f *os.File) *Conn { return &Conn{f: f} }

// Read returns the next message. It is the caller's: Read never reuses it.
// At the end of the stream it returns io.EOF.
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	stop := bound(ctx, c.f.SetReadDeadline)
	defer stop()
	if _, err := io.ReadFull(c.f, c.rhdr[:]); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	n := int(binary.BigEndian.Uint32(c.rhdr[:]))
	switch {
	case n == 0:
		return nil, errors.New("link: empty message")
	case n > ReadLimit:
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, n, ReadLimit)
	}
	buf := make([]byte, 0, min(n, readChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), cap(buf)))
		}
		m, err := c.f.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, c.ioErr(ctx, err)
		}
	}
	return buf, nil
}

// Write sends one message.
func (c *Conn) Write(ctx context.Context, msg []byte) error {
	if len(msg) == 0 {
		return errors.New("link: empty message")
	}
	if len(msg) > ReadLimit {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(msg), ReadLimit)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	stop := bound(ctx, c.f.SetWriteDeadline)
	defer stop()
	var hdr [headerLen]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(msg)))
	var err error
	if len(msg) <= smallWrite {
		c.wbuf = append(append(c.wbuf[:0], hdr[:]...), msg...)
		_, err = c.f.Write(c.wbuf)
	} else if _, err = c.f.Write(hdr[:]); err == nil {
		_, err = c.f.Write(msg)
	}
	if err != nil {
		err = c.ioErr(ctx, err)
		c.werr = fmt.Errorf("link: broken by an earlier write: %w", err)
		return err
	}
	return nil
}

// Close closes the connection; a Read or Write in progress returns. The
// peer's next Read returns io.EOF.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.f.Close() })
	return c.closeErr
}

// ioErr names the cause of a read or write that failed: the context's
// error if it ended, else err.
func (c *Conn) ioErr(ctx context.Context, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// longAgo is a deadline in the past: it ends a read or write at once.
var longAgo = time.Unix(1, 0)

// bound makes ctx end the calls of one read or write through setDeadline,
// and returns the function that lifts it. After a cancellation has begun,
// lifting waits for it, so no stale deadline is left behind.
func bound(ctx context.Context, setDeadline func(time.Time) error) (lift func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		setDeadline(longAgo)
	})
	return func() {
		if !stop() {
			<-fired
		}
		setDeadline(time.Time{})
	}
}
