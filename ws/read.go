package ws

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"sync"
	"time"
	"unicode/utf8"
)

// Read reads the next data message whole and returns its type and payload.
//
// If ctx ends before a message starts, Read returns ctx's error and the
// connection stays usable: the next Read works. If ctx ends after a message
// has started, the rest of that message can no longer be delivered, so the
// connection is failed with StatusPolicyViolation (1008) and the error
// returned says so.
//
// Once the peer has closed the connection, Read returns an error wrapping
// CloseError; CloseStatus gives its code.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	if err := c.readLock.lock(ctx, c.closed); err != nil {
		return 0, nil, c.lockErr(err)
	}
	defer c.readLock.unlock()
	stop := c.rd.arm(ctx)
	defer c.rd.disarm(stop)

	typ, err := c.startMessage(ctx)
	if err != nil {
		return 0, nil, err
	}
	if c.rCompressed {
		out, off, err := c.inflateWhole(ctx)
		if err != nil {
			return 0, nil, c.midMessage(err)
		}
		p := append([]byte{}, (*out)[off:]...)
		putInflateBuf(out)
		return typ, p, nil
	}
	if !c.rCompressed && c.rFin && c.rRemain <= int64(c.rb.w-c.rb.r) {
		// The whole message is buffered already: one exact allocation.
		buf := make([]byte, c.rRemain)
		n := 0
		for {
			m, err := c.readData(ctx, buf[n:])
			n += m
			if err == io.EOF {
				return typ, buf[:n], nil
			}
			if err != nil {
				return 0, nil, c.midMessage(err)
			}
		}
	}
	p, err := c.readChunks(ctx)
	if err != nil {
		return 0, nil, c.midMessage(err)
	}
	return typ, p, nil
}

// readChunks reads the rest of the message into pooled chunks and returns
// it in one new slice of exactly its length. Memory follows the bytes that
// arrived, never the length a frame header announces: a peer that
// announces 16 MiB and sends nothing costs one small chunk. Chunks double
// in size as payload arrives (so a large message costs few reads and no
// copy but the last), and the result is allocated once, without zeroing,
// when the length is known.
func (c *Conn) readChunks(ctx context.Context) ([]byte, error) {
	var stack [16][]byte
	parts := stack[:0]
	var held [16]*[]byte
	chunks := held[:0]
	defer func() {
		for i, bp := range chunks {
			putReadChunk(bp)
			chunks[i] = nil
		}
	}()
	class := 0
	for {
		bp := getReadChunk(class)
		chunks = append(chunks, bp)
		chunk := *bp
		n := 0
		for n < len(chunk) {
			m, err := c.readData(ctx, chunk[n:])
			n += m
			if err == io.EOF {
				parts = append(parts, chunk[:n])
				if len(parts) == 1 {
					return append([]byte{}, parts[0]...), nil
				}
				return bytes.Join(parts, nil), nil
			}
			if err != nil {
				return nil, err
			}
		}
		parts = append(parts, chunk)
		class = min(class+1, len(readChunks)-1)
	}
}

// readChunks pool the chunks Read collects a message in: 4 KiB, doubling
// up to 256 KiB. A connection holds them only while Read runs.
var readChunks [7]sync.Pool

func init() {
	for i := range readChunks {
		size := 4096 << i
		readChunks[i].New = func() any { b := make([]byte, size); return &b }
	}
}

func getReadChunk(class int) *[]byte { return readChunks[class].Get().(*[]byte) }

func putReadChunk(bp *[]byte) {
	class := bits.TrailingZeros(uint(len(*bp) / 4096))
	readChunks[class].Put(bp)
}

// ReadInto reads the next data message whole into buf and returns its type
// and length. It allocates nothing, so a loop over ReadInto with one buffer
// reads any number of messages without garbage. The length of buf acts as
// the read limit for this call: a longer message fails the connection with
// StatusMessageTooBig (1009). Contexts behave as for Read.
func (c *Conn) ReadInto(ctx context.Context, buf []byte) (MessageType, int, error) {
	if err := c.readLock.lock(ctx, c.closed); err != nil {
		return 0, 0, c.lockErr(err)
	}
	defer c.readLock.unlock()
	stop := c.rd.arm(ctx)
	defer c.rd.disarm(stop)

	c.rCallLimit = int64(len(buf))
	defer func() { c.rCallLimit = -1 }()
	typ, err := c.startMessage(ctx)
	if err != nil {
		return 0, 0, err
	}
	if c.rCompressed {
		out, off, err := c.inflateWhole(ctx)
		if err != nil {
			return 0, 0, c.midMessage(err)
		}
		n := copy(buf, (*out)[off:])
		putInflateBuf(out)
		return typ, n, nil
	}
	n := 0
	for {
		m, err := c.readData(ctx, buf[n:])
		n += m
		if err == io.EOF {
			return typ, n, nil
		}
		if err != nil {
			return 0, 0, c.midMessage(err)
		}
	}
}

// Reader waits for the next data message and returns its type and a reader
// of its payload, valid until the next call of Reader, Read or ReadInto.
// Calling one of those before the reader reached io.EOF skips the rest of
// the message (still validating it). Contexts behave as for Read: ctx
// applies to the returned reader as well.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	if err := c.readLock.lock(ctx, c.closed); err != nil {
		return 0, nil, c.lockErr(err)
	}
	defer c.readLock.unlock()
	stop := c.rd.arm(ctx)
	defer c.rd.disarm(stop)

	typ, err := c.startMessage(ctx)
	if err != nil {
		return 0, nil, err
	}
	c.rGen++
	c.rMsgR = msgReader{c: c, ctx: ctx, gen: c.rGen}
	return typ, &c.rMsgR, nil
}

// msgReader reads one message's payload.
type msgReader struct {
	c   *Conn
	ctx context.Context
	gen uint64
	eof bool
}

func (r *msgReader) Read(p []byte) (int, error) {
	if r.eof {
		return 0, io.EOF
	}
	c := r.c
	if err := c.readLock.lock(r.ctx, c.closed); err != nil {
		return 0, c.lockErr(err)
	}
	defer c.readLock.unlock()
	if r.gen != c.rGen || !c.rMsg {
		return 0, errors.New("ws: read from a message reader after the next message was requested")
	}
	stop := c.rd.arm(r.ctx)
	defer c.rd.disarm(stop)
	n, err := c.readData(r.ctx, p)
	if err == io.EOF {
		r.eof = true
		return n, io.EOF
	}
	if err != nil {
		return n, c.midMessage(err)
	}
	return n, nil
}

// lockErr describes a failure to take the read lock.
func (c *Conn) lockErr(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return c.finishedErr()
	}
	return err
}

// midMessage applies the rule for contexts that end inside a message.
func (c *Conn) midMessage(err error) error {
	if c.rErr != nil || !c.rMsg {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c.fail(StatusPolicyViolation, "read timed out in the middle of a message")
		return fmt.Errorf("ws: read: %w in the middle of a message; the connection was failed with status 1008", err)
	}
	return err
}

// startMessage skips what is left of an abandoned message, then reads frames
// until the first frame of a new data message, handling control frames.
func (c *Conn) startMessage(ctx context.Context) (MessageType, error) {
	if c.rErr != nil {
		return 0, c.rErr
	}
	if c.rMsg {
		if err := c.skipMessage(ctx); err != nil {
			return 0, c.midMessage(err)
		}
	}
	if err := c.nextFrame(ctx); err != nil {
		return 0, err
	}
	return c.rType, nil
}

func (c *Conn) skipMessage(ctx context.Context) error {
	bp := getWriteBuf()
	defer putWriteBuf(bp)
	for {
		_, err := c.readData(ctx, *bp)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readData reads (decompressed) payload bytes of the current message into
// p, validating text as it goes. It returns io.EOF at the end of the
// message. Errors other than a context's are terminal.
func (c *Conn) readData(ctx context.Context, p []byte) (int, error) {
	var n int
	var err error
	if c.rCompressed {
		n, err = c.readInflated(ctx, p)
	} else {
		n, err = c.readRawPayload(ctx, p)
	}
	if c.rType == MessageText {
		if n > 0 && !c.rUTF8.write(p[:n]) {
			return 0, c.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
		}
		if err == io.EOF && !c.rUTF8.complete() {
			return 0, c.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
		}
	}
	if err == io.EOF {
		c.rMsg = false
	}
	return n, err
}

// readRawPayload reads the payload of the current message's frames, as
// sent, into p. It returns io.EOF after the last frame.
func (c *Conn) readRawPayload(ctx context.Context, p []byte) (int, error) {
	for c.rRemain == 0 {
		if c.rFin {
			return 0, io.EOF
		}
		if err := c.nextFrame(ctx); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > c.rRemain {
		p = p[:c.rRemain]
	}
	n, err := c.rb.read(p)
	if n == 0 {
		return 0, c.netErr(ctx, err)
	}
	if c.rMasked {
		c.rMaskPos = maskBytes(c.rMask, c.rMaskPos, p[:n])
	}
	c.rRemain -= int64(n)
	return n, nil
}

// nextFrame reads frames until a data frame header has been consumed,
// handling control frames on the way, and checks it against the state of
// the message in progress.
func (c *Conn) nextFrame(ctx context.Context) error {
	for {
		b, err := c.rb.peek(2)
		if err != nil {
			return c.netErr(ctx, err)
		}
		hs := headerSize(b[1])
		if b, err = c.rb.peek(hs); err != nil {
			return c.netErr(ctx, err)
		}
		h, ok := parseHeader(b)
		if !ok {
			return c.fail(StatusProtocolError, "frame length has its most significant bit set")
		}
		if err := c.checkHeader(&h); err != nil {
			return err
		}
		if h.op.isControl() {
			// Take the whole control frame at once, so that a deadline can
			// never leave one half read.
			n := hs + int(h.length)
			if b, err = c.rb.peek(n); err != nil {
				return c.netErr(ctx, err)
			}
			payload := c.rCtrl[:h.length]
			copy(payload, b[hs:n])
			c.rb.discard(n)
			if h.masked {
				maskBytes(h.mask, 0, payload)
			}
			if err := c.handleControl(ctx, h.op, payload); err != nil {
				return err
			}
			continue
		}
		c.rb.discard(hs)
		// The frame's payload is what comes next, whatever the checks below
		// decide: a failed connection skips it while it waits for the
		// peer's close frame.
		c.rRemain = h.length
		c.rMasked = h.masked
		c.rMask = h.mask
		c.rMaskPos = 0

		if !c.rMsg {
			if h.op == opContinuation {
				return c.fail(StatusProtocolError, "continuation frame with no message to continue")
			}
			c.rMsg = true
			c.rType = MessageType(h.op)
			c.rFrames = 0
			c.rSize = 0
			c.rUTF8.reset()
			c.rCompressed = h.rsv&rsv1Bit != 0
			if c.rCompressed {
				c.startInflate(ctx)
			}
		} else if h.op != opContinuation {
			return c.fail(StatusProtocolError, fmt.Sprintf("%v frame inside a fragmented message", h.op))
		} else if h.rsv&rsv1Bit != 0 {
			return c.fail(StatusProtocolError, "RSV1 set on a continuation frame")
		}
		c.rFrames++
		if c.rFrames > c.cfg.maxFrames {
			return c.fail(StatusMessageTooBig, fmt.Sprintf("message has more than %d frames", c.cfg.maxFrames))
		}
		c.rSize += h.length
		if limit := c.limit(); limit >= 0 && c.rSize > limit {
			return c.fail(StatusMessageTooBig, fmt.Sprintf("message exceeds the read limit of %d bytes", limit))
		}
		c.rFin = h.fin
		return nil
	}
}

func (c *Conn) limit() int64 {
	l := c.readLimit.Load()
	if c.rCallLimit >= 0 && (l < 0 || c.rCallLimit < l) {
		return c.rCallLimit
	}
	return l
}

// checkHeader applies the rules every frame header must follow.
func (c *Conn) checkHeader(h *header) error {
	// RSV1 marks a compressed message when permessage-deflate was
	// negotiated; every other use of the reserved bits is an error.
	if rsv := h.rsv; rsv != 0 && (rsv != rsv1Bit || c.cx == nil || h.op.isControl()) {
		return c.fail(StatusProtocolError, fmt.Sprintf("reserved bits 0x%02x set on a %v frame without a negotiated extension", h.rsv>>4, h.op))
	}
	switch h.op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return c.fail(StatusProtocolError, fmt.Sprintf("reserved opcode %d", h.op))
	}
	if h.op.isControl() {
		if !h.fin {
			return c.fail(StatusProtocolError, fmt.Sprintf("fragmented %v frame", h.op))
		}
		if h.length > maxControlPayload {
			return c.fail(StatusProtocolError, fmt.Sprintf("%v frame payload of %d bytes exceeds 125", h.op, h.length))
		}
	}
	if c.client && h.masked {
		return c.fail(StatusProtocolError, "masked frame from the server")
	}
	if !c.client && !h.masked {
		return c.fail(StatusProtocolError, "unmasked frame from the client")
	}
	return nil
}

// handleControl acts on a ping, pong or close frame.
func (c *Conn) handleControl(ctx context.Context, op opcode, payload []byte) error {
	switch op {
	case opPing:
		c.debug("ws: ping received", "len", len(payload))
		// The pong has its own deadline: the read's context may be about
		// to end, and that must not cost the connection its pong.
		pctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
		err := c.writeControl(pctx, opPong, payload)
		cancel()
		if err != nil && !errors.Is(err, errClosing) && c.State() == StateClosed {
			return c.netErr(ctx, err)
		}
	case opPong:
		c.debug("ws: pong received", "len", len(payload))
		if len(payload) == 8 {
			c.pingMu.Lock()
			if ch, ok := c.pings[binary.BigEndian.Uint64(payload)]; ok {
				close(ch)
				delete(c.pings, binary.BigEndian.Uint64(payload))
			}
			c.pingMu.Unlock()
		}
	case opClose:
		ce := CloseError{Code: StatusNoStatusRcvd}
		switch {
		case len(payload) == 1:
			return c.fail(StatusProtocolError, "close frame payload of 1 byte")
		case len(payload) >= 2:
			ce.Code = StatusCode(binary.BigEndian.Uint16(payload))
			if !validWireCode(ce.Code) {
				return c.fail(StatusProtocolError, fmt.Sprintf("invalid close status %d", ce.Code))
			}
			if !utf8.Valid(payload[2:]) {
				return c.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in close reason")
			}
			ce.Reason = string(payload[2:])
		}
		c.debug("ws: close received", "status", ce.Code, "reason", ce.Reason)
		c.markPeerClose(ce)
		deadline := time.Now().Add(c.cfg.closeTimeout)
		// Echo the peer's status; an empty close is answered with an empty one.
		c.writeClose(ce.Code, "", deadline)
		if c.client {
			// The server closes the TCP connection first (RFC 6455 7.1.1).
			c.drainToEOF(deadline)
		}
		c.rErr = ce
		c.closeTCP(nil)
		return ce
	}
	return nil
}

// markPeerClose records the peer's close frame.
func (c *Conn) markPeerClose(ce CloseError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerClose != nil {
		return
	}
	c.peerClose = &ce
	if c.state == StateOpen {
		c.state = StateClosing
	}
	close(c.closeRcvd)
}

// fail fails the connection (RFC 6455 7.1.7): it sends a close frame with
// code, lets the peer finish, and closes the TCP connection. The caller
// holds the read lock.
//
// Nothing after the failure is parsed as frames: the stream may stop in
// the middle of a frame (a peer that sees our close abandons what it was
// sending) or hold anything at all. A server shuts down its sending side,
// so the peer sees the end of the stream after our close frame, and drops
// input until the peer closes its side; a client, which waits for the
// server to close first (RFC 6455 7.1.1), drops input until it does. Both
// waits are bounded by the close timeout.
func (c *Conn) fail(code StatusCode, reason string) error {
	err := &FailError{Code: code, Reason: reason}
	c.rErr = err
	c.debug("ws: failing the connection", "status", code, "reason", reason)
	deadline := time.Now().Add(c.cfg.closeTimeout)
	c.writeClose(code, reason, deadline)
	if c.client {
		c.drainToEOF(deadline)
	} else if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.drainToEOF(deadline)
	}
	c.closeTCP(err)
	return err
}

// drainToEOF reads and drops input until the peer closes its side.
func (c *Conn) drainToEOF(deadline time.Time) {
	c.nc.SetReadDeadline(deadline)
	for {
		c.rb.r = c.rb.w // drop what is buffered
		if c.rb.fill() != nil {
			return
		}
	}
}

// netErr turns an error from the network into what a read returns. A
// context that ended is reported as such and leaves the connection usable;
// anything else ends the read side.
func (c *Conn) netErr(ctx context.Context, err error) error {
	if e := ctxErr(ctx, err); e != nil {
		return e
	}
	if c.rErr != nil {
		return c.rErr
	}
	out := c.finishedErr()
	if out == nil {
		out = CloseError{Code: StatusAbnormalClosure, Reason: err.Error()}
	}
	c.rErr = out
	c.closeTCP(out)
	return out
}

// finishedErr says why the connection ended, if it did: the peer's close,
// or the reason it was closed here.
func (c *Conn) finishedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerClose != nil {
		return *c.peerClose
	}
	if c.closeErr != nil {
		return c.closeErr
	}
	if c.state == StateClosed {
		return fmt.Errorf("ws: %w", net.ErrClosed)
	}
	return nil
}

// CloseRead starts a goroutine that reads and handles control frames, for
// a connection that only writes. A data message from the peer fails the
// connection with StatusPolicyViolation. The returned context ends when the
// connection does (or ctx does).
func (c *Conn) CloseRead(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	if !c.goBackground(func() {
		defer cancel()
		if _, _, err := c.Reader(ctx); err != nil {
			return
		}
		c.close(StatusPolicyViolation, "unexpected data message")
	}) {
		cancel() // the connection has ended already
	}
	return ctx
}
