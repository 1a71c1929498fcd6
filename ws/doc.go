// Package ws is a WebSocket implementation (RFC 6455), server and client,
// strict by default and built on the standard library alone.
//
//	// server, in any net/http handler
//	c, err := ws.Accept(w, r, nil)
//	if err != nil { return } // Accept has answered the request
//	defer c.CloseNow()
//	typ, msg, err := c.Read(ctx)
//	err = c.Write(ctx, typ, msg)
//	c.Close(ws.StatusNormalClosure, "")
//
//	// client
//	c, _, err := ws.Dial(ctx, "ws://127.0.0.1:9001/echo", nil)
//
// # Strictness
//
// With default options a connection checks everything RFC 6455 asks of a
// peer and fails the connection with the right status code when something is
// wrong: text messages and close reasons must be valid UTF-8, checked as the
// bytes arrive (1007); reserved bits and opcodes, fragmented or oversized
// control frames, bad continuations and wrong masking are protocol errors
// (1002); messages over the read limit (DefaultReadLimit, 16 MiB) or with
// more than DefaultMaxFrames frames are too big (1009). Close codes that
// must not appear on the wire are refused in both directions. Writes check
// text for UTF-8 before sending.
//
// # Concurrency
//
// Write, Writer, WritePrepared, Ping and Close may be called from many
// goroutines; frames are never interleaved. One goroutine at a time reads,
// and someone must read for control frames to be handled (see CloseRead for
// write-only connections).
//
// # Contexts
//
// A read whose context ends before a message starts returns the context's
// error and leaves the connection usable; one that ends mid-message fails
// the connection (see Conn.Read). Writes behave alike at frame granularity.
//
// # Memory
//
// An idle connection holds no read or write buffer (they come from pools
// while a message is in flight) and, without context takeover, no
// compression state. What it does hold is its goroutines' stacks: a read
// loop running inside the net/http handler also keeps net/http's
// connection buffers and deeper stack alive. For many idle connections,
// start the loop on a goroutine of its own and return from the handler, as
// package server does.
//
// # Closing
//
// Close performs the closing handshake with a bounded wait; CloseSend
// starts it and lets the reader collect the peer's last messages; CloseNow
// drops the TCP connection. After the peer's close frame, reads return a
// CloseError, whose code CloseStatus extracts. A connection lost without a
// close frame reports StatusAbnormalClosure (1006), which, like 1005 and
// 1015, is never sent. Close and CloseNow return after the goroutines the
// connection started (its heartbeat, CloseRead's reader) have ended.
package ws
