package ws

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vizserve/vizserve/ws/internal/deflate"
)

// errClosing is returned by writes after a close frame was sent.
var errClosing = fmt.Errorf("ws: write: the connection is closing: %w", net.ErrClosed)

// bigWriteBufs hold the masked copy of large client frames: a header and
// 256 KiB of payload per write.
var bigWriteBufs = sync.Pool{New: func() any { b := make([]byte, maxHeaderSize+256<<10); return &b }}

// Write sends p as one message of type typ, in one frame. A text message
// must be valid UTF-8; Write refuses to send one that is not. p is never
// modified, on either side.
//
// If ctx ends before the frame starts going out, Write returns ctx's error
// and the connection stays usable; if it ends while the frame is partly
// written, the connection is closed, since its framing is lost.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	if err := checkType(typ, p); err != nil {
		return err
	}
	if err := c.msgLock.lock(ctx, c.closed); err != nil {
		return c.writeLockErr(err)
	}
	defer c.msgLock.unlock()
	if c.cx != nil && len(p) >= c.cx.threshold {
		return c.writeCompressed(ctx, opcode(typ), p)
	}
	return c.writeFrame(ctx, true, 0, opcode(typ), p)
}

func checkType(typ MessageType, p []byte) error {
	switch typ {
	case MessageText:
		if !utf8.Valid(p) {
			return errors.New("ws: write: text message is not valid UTF-8")
		}
	case MessageBinary:
	default:
		return fmt.Errorf("ws: write: unknown message type %d", typ)
	}
	return nil
}

func (c *Conn) writeLockErr(err error) error {
	if errors.Is(err, net.ErrClosed) {
		if e := c.finishedErr(); e != nil {
			return fmt.Errorf("ws: write: %w", e)
		}
	}
	return fmt.Errorf("ws: write: %w", err)
}

// writeFrame writes one frame, taking the frame lock.
func (c *Conn) writeFrame(ctx context.Context, fin bool, rsv byte, op opcode, p []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ws: write: %w", err)
	}
	if err := c.frameLock.lock(ctx, c.closed); err != nil {
		return c.writeLockErr(err)
	}
	defer c.frameLock.unlock()
	if op != opClose && c.closeSent {
		return errClosing
	}
	return c.writeFrameLocked(ctx, fin, rsv, op, p)
}

// writeFrameLocked writes one frame; the caller holds the frame lock.
func (c *Conn) writeFrameLocked(ctx context.Context, fin bool, rsv byte, op opcode, p []byte) error {
	return c.writeLocked(ctx, func() (int, error) { return c.writeFrameBytes(fin, rsv, op, p) })
}

// writeLocked runs write, which puts bytes on the wire, under ctx; the
// caller holds the frame lock. If ctx ends before any byte went out, the
// connection stays usable; after a partial frame it is closed, since its
// framing is lost.
func (c *Conn) writeLocked(ctx context.Context, write func() (int, error)) error {
	if c.wErr != nil {
		return c.wErr
	}
	stop := c.wd.arm(ctx)
	n, err := write()
	c.wd.disarm(stop)
	if err == nil {
		return nil
	}
	if e := ctxErr(ctx, err); e != nil {
		if n == 0 {
			return e
		}
		err = fmt.Errorf("%w while a frame was partly written; the connection was closed", e)
	}
	c.wErr = fmt.Errorf("ws: write: %w", err)
	c.closeTCP(c.wErr)
	return c.wErr
}

// writeFrameBytes puts one frame on the wire in as few system calls as it
// can and reports how many bytes went out.
func (c *Conn) writeFrameBytes(fin bool, rsv byte, op opcode, p []byte) (int, error) {
	var key uint32
	if c.client {
		key = c.nextMask()
	}
	bp := getWriteBuf()
	defer putWriteBuf(bp)
	buf := appendHeader((*bp)[:0], fin, rsv, op, len(p), c.client, key)
	hl := len(buf)
	switch {
	case hl+len(p) <= cap(buf):
		buf = buf[:hl+len(p)]
		if c.client {
			maskCopy(buf[hl:], p, key, 0)
		} else {
			copy(buf[hl:], p)
		}
		return c.nc.Write(buf)
	case !c.client:
		// Header and payload in one writev. WriteTo consumes the slice it
		// is given, so it gets a fresh one over the connection's own array
		// each time: no allocation.
		c.vecArr = [2][]byte{buf, p}
		c.vec = c.vecArr[:]
		n, err := c.vec.WriteTo(c.nc)
		c.vecArr = [2][]byte{}
		return int(n), err
	default:
		// Mask a copy, chunk by chunk, and never touch the caller's bytes.
		big := bigWriteBufs.Get().(*[]byte)
		defer bigWriteBufs.Put(big)
		out := append((*big)[:0], buf...)
		total, pos := 0, 0
		for len(p) > 0 {
			k := min(len(p), cap(out)-len(out))
			start := len(out)
			out = out[:start+k]
			pos = maskCopy(out[start:], p[:k], key, pos)
			p = p[k:]
			n, err := c.nc.Write(out)
			total += n
			if err != nil {
				return total, err
			}
			out = out[:0]
		}
		return total, nil
	}
}

// writeControl sends a ping or pong.
func (c *Conn) writeControl(ctx context.Context, op opcode, payload []byte) error {
	return c.writeFrame(ctx, true, 0, op, payload)
}

// errCloseSent is returned by writeClose when a close frame already went out.
var errCloseSent = errors.New("ws: close frame already sent")

// writeClose sends a close frame unless one was sent already. Code
// StatusNoStatusRcvd sends an empty close frame.
func (c *Conn) writeClose(code StatusCode, reason string, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := c.frameLock.lock(ctx, c.closed); err != nil {
		return err
	}
	defer c.frameLock.unlock()
	c.mu.Lock()
	if c.closeSent {
		c.mu.Unlock()
		return errCloseSent
	}
	c.closeSent = true
	if c.state == StateOpen {
		c.state = StateClosing
	}
	c.mu.Unlock()
	var payload []byte
	if code != StatusNoStatusRcvd {
		var b [maxControlPayload]byte
		binary.BigEndian.PutUint16(b[:], uint16(code))
		n := copy(b[2:], reason)
		payload = b[:2+n]
	}
	c.debug("ws: close sent", "status", code, "reason", reason)
	return c.writeFrameLocked(ctx, true, 0, opClose, payload)
}

// Writer returns a writer for one message of type typ. Each time its buffer
// fills, the bytes go out as a fragment; Close sends the final fragment and
// must be called before the next message can be written. For a text
// message the bytes written must form valid UTF-8. With permessage-deflate
// the message is compressed as it is written, whatever its size.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	if err := checkType(typ, nil); err != nil {
		return nil, err
	}
	if err := c.msgLock.lock(ctx, c.closed); err != nil {
		return nil, c.writeLockErr(err)
	}
	bp := getWriteBuf()
	return &msgWriter{c: c, ctx: ctx, op: opcode(typ), text: typ == MessageText, bp: bp, buf: (*bp)[: 0 : writeBufferSize-maxHeaderSize]}, nil
}

type msgWriter struct {
	c      *Conn
	ctx    context.Context
	op     opcode // the opcode of the next fragment
	rsv    byte   // RSV1 on the first fragment of a compressed message
	bp     *[]byte
	buf    []byte // uncompressed: payload waiting; compressed: output waiting
	z      *deflate.Compressor
	text   bool
	utf8   utf8Validator
	err    error
	closed bool
}

func (w *msgWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("ws: write to a closed message writer")
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.text {
		if !w.utf8.write(p) {
			w.err = errors.New("ws: write: text message is not valid UTF-8")
			return 0, w.err
		}
	}
	if w.z != nil {
		w.buf = w.z.Write(w.buf, p)
		for len(w.buf) >= fragmentSize {
			if err := w.flushN(false, fragmentSize); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	written := 0
	for len(p) > 0 {
		if len(w.buf) == cap(w.buf) {
			if err := w.flushN(false, len(w.buf)); err != nil {
				return written, err
			}
		}
		n := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
		written += n
	}
	return written, nil
}

// fragmentSize is the payload of the fragments a Writer sends.
const fragmentSize = writeBufferSize - maxHeaderSize

// flushN sends the first n bytes of the buffer as a fragment.
func (w *msgWriter) flushN(fin bool, n int) error {
	err := w.c.writeFrame(w.ctx, fin, w.rsv, w.op, w.buf[:n])
	w.op, w.rsv = opContinuation, 0
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	if err != nil {
		w.err = err
	}
	return err
}

// Close sends the last fragment and releases the connection for the next
// message.
func (w *msgWriter) Close() error {
	if w.closed {
		return errors.New("ws: message writer closed twice")
	}
	w.closed = true
	defer func() {
		if w.z != nil {
			w.c.releaseCompressor(w.z)
			w.c.afterCompressedWrite(w.err)
			*w.bp = w.buf
			putCompressedBuf(w.bp)
		} else {
			putWriteBuf(w.bp)
		}
		w.c.msgLock.unlock()
	}()
	if w.err == nil && !w.utf8.complete() {
		w.err = errors.New("ws: write: text message ends inside a UTF-8 sequence")
	}
	if w.err != nil {
		// The message cannot be finished validly: end the conversation,
		// without making the writer wait for the closing handshake.
		w.c.goBackground(func() { w.c.close(StatusInternalError, "message could not be completed") })
		return w.err
	}
	if w.z != nil {
		w.buf = w.z.Finish(w.buf)
		for len(w.buf) > fragmentSize {
			if err := w.flushN(false, fragmentSize); err != nil {
				return err
			}
		}
	}
	return w.flushN(true, len(w.buf))
}

// Ping sends a ping and waits for the matching pong, or until ctx ends. A
// reader must be running for the pong to be seen.
func (c *Conn) Ping(ctx context.Context) error {
	c.pingMu.Lock()
	c.pingSeq++
	seq := c.pingSeq
	if c.pings == nil {
		c.pings = make(map[uint64]chan struct{})
	}
	ch := make(chan struct{})
	c.pings[seq] = ch
	c.pingMu.Unlock()
	defer func() {
		c.pingMu.Lock()
		delete(c.pings, seq)
		c.pingMu.Unlock()
	}()
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], seq)
	if err := c.writeControl(ctx, opPing, payload[:]); err != nil {
		return fmt.Errorf("ws: ping: %w", err)
	}
	c.debug("ws: ping sent")
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ws: ping: %w", ctx.Err())
	case <-c.closed:
		if e := c.finishedErr(); e != nil {
			return fmt.Errorf("ws: ping: %w", e)
		}
		return fmt.Errorf("ws: ping: %w", net.ErrClosed)
	}
}

// PreparedMessage is a message framed once and sent to many connections,
// as in a broadcast. It is safe for concurrent use.
type PreparedMessage struct {
	typ        MessageType
	data       []byte
	frame      []byte   // the unmasked frame a server sends
	compressed sync.Map // window bits and level → compressed unmasked frame
}

// NewPreparedMessage prepares a message of type typ. It copies data.
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	if err := checkType(typ, data); err != nil {
		return nil, err
	}
	pm := &PreparedMessage{typ: typ}
	frame := appendHeader(make([]byte, 0, maxHeaderSize+len(data)), true, 0, opcode(typ), len(data), false, 0)
	pm.frame = append(frame, data...)
	pm.data = pm.frame[len(frame):]
	return pm, nil
}

// WritePrepared sends a prepared message. On the server side the frame
// built once by NewPreparedMessage goes out as it is; a client masks a copy.
// With permessage-deflate and no context takeover, the message is
// compressed once per window size and level and the compressed frame is
// shared by every connection; under context takeover each connection
// compresses it against its own history.
func (c *Conn) WritePrepared(ctx context.Context, pm *PreparedMessage) error {
	if err := c.msgLock.lock(ctx, c.closed); err != nil {
		return c.writeLockErr(err)
	}
	defer c.msgLock.unlock()
	frame := pm.frame
	if c.cx != nil && len(pm.data) >= c.cx.threshold {
		if c.client || !c.cx.sendNoContextTakeover {
			return c.writeCompressed(ctx, opcode(pm.typ), pm.data)
		}
		frame = pm.deflated(c.cx.sendWindowBits, c.cx.level)
	}
	if c.client {
		return c.writeFrame(ctx, true, 0, opcode(pm.typ), pm.data)
	}
	if err := c.frameLock.lock(ctx, c.closed); err != nil {
		return c.writeLockErr(err)
	}
	defer c.frameLock.unlock()
	if c.closeSent {
		return errClosing
	}
	return c.writeLocked(ctx, func() (int, error) { return c.nc.Write(frame) })
}
