package ws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Close performs the closing handshake: it sends a close frame with code
// and reason, waits for the peer's close frame (at most the close timeout,
// DefaultCloseTimeout unless set in the options), and closes the TCP
// connection. It returns nil when the peer answered.
//
// Close may be called while another goroutine is blocked in Read: that
// reader receives the peer's answer and returns its CloseError. With no
// reader, Close reads (and drops) what the peer still sends until its close
// frame arrives.
//
// The reason is cut to 123 bytes, the most a close frame holds, at a UTF-8
// boundary (invalid UTF-8 in it is replaced). The codes 1005, 1006 and 1015 cannot be sent; Close refuses
// them (and any other code not valid on the wire) without closing.
//
// Once the TCP connection is closed, Close also waits for the goroutines
// the connection started (see Conn) to end.
func (c *Conn) Close(code StatusCode, reason string) error {
	err := c.close(code, reason)
	c.waitBackground()
	return err
}

// close is Close without the wait for the connection's goroutines, for
// those goroutines themselves.
func (c *Conn) close(code StatusCode, reason string) error {
	if !validWireCode(code) {
		return fmt.Errorf("ws: close: status %v cannot be sent in a close frame", code)
	}
	reason = truncateReason(reason)
	deadline := time.Now().Add(c.cfg.closeTimeout)
	err := c.writeClose(code, reason, deadline)
	if errors.Is(err, errCloseSent) {
		// Someone else closes, or the peer's close is being answered.
		select {
		case <-c.closed:
		case <-time.After(time.Until(deadline)):
		}
		return nil
	}
	if err != nil {
		c.closeTCP(err)
		return fmt.Errorf("ws: close: %w", err)
	}
	return c.awaitCloseHandshake(deadline)
}

var errCloseTimeout = errors.New("ws: close: the peer did not answer the close frame in time")

// CloseSend sends a close frame with code and reason and returns without
// waiting: the reader goes on receiving the messages the peer sent before
// it saw the close, then the peer's answer as a CloseError, and the
// connection closes. If the peer does not answer within the close timeout,
// the connection is closed anyway. Use it to finish a conversation while
// still collecting its last replies; Close, by contrast, drops messages
// that arrive after its close frame when no one else is reading.
func (c *Conn) CloseSend(code StatusCode, reason string) error {
	if !validWireCode(code) {
		return fmt.Errorf("ws: close: status %v cannot be sent in a close frame", code)
	}
	err := c.writeClose(code, truncateReason(reason), time.Now().Add(c.cfg.closeTimeout))
	if errors.Is(err, errCloseSent) {
		return nil
	}
	if err != nil {
		c.closeTCP(err)
		return fmt.Errorf("ws: close: %w", err)
	}
	t := time.AfterFunc(c.cfg.closeTimeout, func() { c.closeTCP(errCloseTimeout) })
	if !c.goBackground(func() {
		<-c.closed
		t.Stop()
	}) {
		t.Stop() // closed already
	}
	return nil
}

// awaitCloseHandshake waits for the peer's close frame after ours was sent:
// through the reader if there is one, by reading here otherwise.
func (c *Conn) awaitCloseHandshake(deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-c.closed:
	case c.readLock <- struct{}{}:
		c.drainForClose(deadline)
		c.readLock.unlock()
	case <-timer.C:
		c.closeTCP(errCloseTimeout)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerClose != nil {
		return nil
	}
	if c.closeErr != nil {
		return c.closeErr
	}
	return errCloseTimeout
}

// drainForClose reads, with the read lock held, until the peer's close
// frame or the deadline, dropping data messages.
func (c *Conn) drainForClose(deadline time.Time) {
	defer c.closeTCP(errCloseTimeout)
	if c.rErr != nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	stop := c.rd.arm(ctx)
	defer c.rd.disarm(stop)
	for {
		if _, err := c.startMessage(ctx); err != nil {
			return
		}
		if err := c.skipMessage(ctx); err != nil {
			return
		}
	}
}

// truncateReason cuts a close reason to what fits in a close frame.
func truncateReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxCloseReason {
		return s
	}
	n := maxCloseReason
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
