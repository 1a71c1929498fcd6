package ws

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/ws/internal/deflate"
)

const maskRandSize = 64

// Defaults for the limits and timeouts a connection applies.
const (
	// DefaultReadLimit is the largest message a connection accepts unless
	// told otherwise: 16 MiB, so that a 16 MiB message is admitted and one
	// byte more fails the connection with StatusMessageTooBig (1009).
	DefaultReadLimit = 16 << 20

	// DefaultMaxFrames is the largest number of frames one message may be
	// split into: enough for 4 MiB in 64-byte fragments, and a bound on
	// endless messages of empty fragments.
	DefaultMaxFrames = 1 << 17

	// DefaultCloseTimeout bounds the wait for the peer's half of the
	// closing handshake.
	DefaultCloseTimeout = 5 * time.Second
)

// State is where a connection is in its life.
type State int32

const (
	StateOpen    State = iota // messages flow both ways
	StateClosing              // a close frame was sent or received
	StateClosed               // the TCP connection is closed
)

func (s State) String() string {
	switch s {
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "State(?)"
}

// connConfig is what AcceptOptions and DialOptions have in common, with
// defaults applied.
type connConfig struct {
	readLimit    int64
	maxFrames    int
	closeTimeout time.Duration
	pingInterval time.Duration
	pongTimeout  time.Duration
	logger       *slog.Logger
}

func newConnConfig(readLimit int64, maxFrames int, closeTimeout, pingInterval, pongTimeout time.Duration, logger *slog.Logger) connConfig {
	c := connConfig{readLimit, maxFrames, closeTimeout, pingInterval, pongTimeout, logger}
	if c.readLimit == 0 {
		c.readLimit = DefaultReadLimit
	}
	if c.maxFrames <= 0 {
		c.maxFrames = DefaultMaxFrames
	}
	if c.closeTimeout <= 0 {
		c.closeTimeout = DefaultCloseTimeout
	}
	if c.pingInterval > 0 && c.pongTimeout <= 0 {
		c.pongTimeout = c.pingInterval
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// Conn is a WebSocket connection, made by Accept on the server side or Dial
// on the client side.
//
// Write, Writer, WritePrepared, Ping, Close, CloseNow and the accessors may be
// called from many goroutines at once; each frame is written whole, and the
// frames of one message are never interleaved with another message's.
// Read, Reader and ReadInto must be called from one goroutine at a time.
//
// Someone must keep reading: control frames (pings, pongs, the peer's close)
// are processed inside the read methods, so Ping and a graceful Close need a
// reader, and a peer's pings go unanswered without one. A connection that
// only writes calls CloseRead.
//
// The goroutines a connection starts (the heartbeat, CloseRead's reader,
// the close a failed message writer begins) belong to it: they end once the
// TCP connection is closed, and Close and CloseNow wait for them then.
type Conn struct {
	nc          net.Conn
	client      bool
	subprotocol string
	origin      string
	target      string
	cfg         connConfig
	cx          *compression // negotiated permessage-deflate, or nil
	readLimit   atomic.Int64

	// Read side, owned by whoever holds readLock.
	readLock    chanLock
	rb          readBuffer
	rd          ctxDeadline
	rMsg        bool // a data message is in progress
	rType       MessageType
	rFin        bool  // the current frame is the message's last
	rRemain     int64 // payload bytes left in the current frame
	rMask       uint32
	rMaskPos    int
	rMasked     bool
	rFrames     int
	rSize       int64
	rUTF8       utf8Validator
	rErr        error // the read side is finished; every read returns this
	rCtrl       [maxControlPayload]byte
	rMsgR       msgReader
	rCompressed bool // the current message is compressed
	rSrc        *inflateSrc
	rFlate      io.ReadCloser
	rFlateDone  bool   // the current compressed message is decoded to its end
	rOut        int64  // decompressed bytes of the current message
	rHist       []byte // decompressed history, for context takeover
	rGen        uint64 // counts Reader calls, to retire stale readers
	rCallLimit  int64  // ReadInto's buffer length, or -1

	// Write side.
	msgLock   chanLock // held for a whole message
	frameLock chanLock // held for one frame
	wd        ctxDeadline
	wErr      error               // guarded by frameLock
	vec       net.Buffers         // guarded by frameLock
	vecArr    [2][]byte           // the array behind vec
	wComp     *deflate.Compressor // under context takeover; guarded by msgLock
	maskRand  [maskRandSize]byte  // client masking keys from crypto/rand, under frameLock
	maskPos   int

	// Closing.
	mu        sync.Mutex
	state     State
	closeSent bool        // also only changed under frameLock
	peerClose *CloseError // the peer's close frame, once received
	closeRcvd chan struct{}
	closed    chan struct{}
	closeErr  error // why the connection closed, if not a normal handshake
	closeOnce sync.Once

	// bg counts the goroutines the connection started; see goBackground.
	bg sync.WaitGroup

	// Pings.
	pingMu   sync.Mutex
	pings    map[uint64]chan struct{}
	pingSeq  uint64
	lastRead atomic.Int64 // unix nanoseconds; kept only with heartbeats
}

func newConn(nc net.Conn, client bool, cfg connConfig, buffered []byte) *Conn {
	c := &Conn{
		nc:        nc,
		client:    client,
		cfg:       cfg,
		readLock:  newChanLock(),
		msgLock:   newChanLock(),
		frameLock: newChanLock(),
		closeRcvd: make(chan struct{}),
		closed:    make(chan struct{}),
		maskPos:   maskRandSize,
	}
	c.readLimit.Store(cfg.readLimit)
	c.rCallLimit = -1
	c.rb.init(nc, buffered)
	c.rd.set = nc.SetReadDeadline
	c.wd.set = nc.SetWriteDeadline
	c.rMsgR.c = c
	if cfg.pingInterval > 0 {
		c.lastRead.Store(time.Now().UnixNano())
		c.rb.onRead = func() { c.lastRead.Store(time.Now().UnixNano()) }
		c.bg.Go(c.heartbeat)
	}
	return c
}

// goBackground runs f on a goroutine owned by the connection, which Close
// and CloseNow wait for once the TCP connection is closed; f must return
// soon after that. On a closed connection it does not run f and reports
// false: f would find nothing left to do.
//
// The check and the Add happen under mu, and closeTCP marks the connection
// closed under mu before waitBackground can run, so no Add races with the
// Wait.
func (c *Conn) goBackground(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateClosed {
		return false
	}
	c.bg.Go(f)
	return true
}

// waitBackground waits for the goroutines started by goBackground if the
// TCP connection is closed; on a connection still open (a Close that timed
// out waiting for another closer) it returns at once, as they have not
// been told to stop. It must not be called from one of them.
func (c *Conn) waitBackground() {
	select {
	case <-c.closed:
		c.bg.Wait()
	default:
	}
}

// Subprotocol returns the subprotocol chosen in the handshake, or "".
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Origin returns the Origin header of the opening handshake: on the server
// side what the browser says the page came from, on the client side what
// was sent. It is "" when there was none, as with most non-browser clients.
func (c *Conn) Origin() string { return c.origin }

// Target returns the request target of the opening handshake: the path
// and query, such as "/chat?room=1".
func (c *Conn) Target() string { return c.target }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// State returns whether the connection is open, closing or closed.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// String describes the connection in the form ws(server, open, 127.0.0.1:5432):
// its side, its state and the peer's address.
func (c *Conn) String() string {
	side := "server"
	if c.client {
		side = "client"
	}
	addr := "?"
	if a := c.nc.RemoteAddr(); a != nil {
		addr = a.String()
	}
	return "ws(" + side + ", " + c.State().String() + ", " + addr + ")"
}

// SetReadLimit sets the largest message, in bytes, that the connection
// accepts; a larger one fails the connection with StatusMessageTooBig. A
// negative limit removes the limit. For a compressed message the limit
// applies to its decompressed size.
func (c *Conn) SetReadLimit(n int64) {
	if n == 0 {
		n = DefaultReadLimit
	}
	c.readLimit.Store(n)
}

// closeTCP closes the network connection once, recording why.
func (c *Conn) closeTCP(why error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.state = StateClosed
		if c.closeErr == nil {
			c.closeErr = why
		}
		c.mu.Unlock()
		c.nc.Close()
		close(c.closed)
	})
}

// CloseNow closes the TCP connection at once, without a closing handshake.
// Blocked reads and writes return. It returns net.ErrClosed if the
// connection was already closed. Either way it returns once the
// connection's own goroutines have ended.
func (c *Conn) CloseNow() error {
	select {
	case <-c.closed:
		c.waitBackground()
		return net.ErrClosed
	default:
	}
	c.closeTCP(errClosedNow)
	c.waitBackground()
	return nil
}

var errClosedNow = errors.New("ws: connection closed by CloseNow")

// nextMask returns a fresh masking key from crypto/rand. Callers hold
// frameLock.
func (c *Conn) nextMask() uint32 {
	if c.maskPos+4 > len(c.maskRand) {
		if _, err := rand.Read(c.maskRand[:]); err != nil {
			panic("ws: crypto/rand failed: " + err.Error())
		}
		c.maskPos = 0
	}
	b := c.maskRand[c.maskPos:]
	c.maskPos += 4
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (c *Conn) debug(msg string, args ...any) {
	if c.cfg.logger.Enabled(context.Background(), slog.LevelDebug) {
		c.cfg.logger.Debug(msg, append([]any{"conn", c.String()}, args...)...)
	}
}

// ctxDeadline maps a context onto one of the connection's deadlines, so a
// blocked read or write returns when the context ends, without closing
// anything.
type ctxDeadline struct {
	set func(time.Time) error // nc.SetReadDeadline or nc.SetWriteDeadline
	mu  sync.Mutex
	gen uint64
}

var aLongTimeAgo = time.Unix(1, 0)

// arm makes I/O obey ctx until disarm is called with the returned stop
// function. It returns nil if ctx can never end; then disarm is not needed.
func (d *ctxDeadline) arm(ctx context.Context) (stop func() bool) {
	if ctx == nil || ctx.Done() == nil {
		return nil
	}
	d.mu.Lock()
	d.gen++
	gen := d.gen
	d.mu.Unlock()
	if t, ok := ctx.Deadline(); ok {
		d.set(t)
	}
	return context.AfterFunc(ctx, func() {
		d.mu.Lock()
		if d.gen == gen {
			d.set(aLongTimeAgo)
		}
		d.mu.Unlock()
	})
}

// disarm undoes arm. A context that ends later no longer affects the
// connection.
func (d *ctxDeadline) disarm(stop func() bool) {
	if stop == nil {
		return
	}
	stop()
	d.mu.Lock()
	d.gen++
	d.mu.Unlock()
	d.set(time.Time{})
}

// ctxErr translates a read error caused by an armed context into that
// context's error. It returns nil if err was not caused by ctx.
func ctxErr(ctx context.Context, err error) error {
	if ctx == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	if t, ok := ctx.Deadline(); ok && !time.Now().Before(t) {
		return context.DeadlineExceeded
	}
	return nil
}

// heartbeat pings the peer every pingInterval while nothing arrives and
// closes the connection if the peer stays silent for pongTimeout after a
// ping.
func (c *Conn) heartbeat() {
	t := time.NewTicker(c.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, c.lastRead.Load())) < c.cfg.pingInterval {
			continue // the peer is talking; no need to ask
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.pongTimeout)
		err := c.Ping(ctx)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if time.Since(time.Unix(0, c.lastRead.Load())) < c.cfg.pongTimeout {
			continue // a pong may be queued behind a large message
		}
		c.debug("ws: heartbeat: no pong", "timeout", c.cfg.pongTimeout)
		c.closeTCP(fmt.Errorf("ws: heartbeat: the peer did not answer a ping within %v", c.cfg.pongTimeout))
		return
	}
}
