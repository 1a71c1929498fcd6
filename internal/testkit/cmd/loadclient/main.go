// Command loadclient holds many websockets open against one server, for
// the server's load tests: the server runs in the test process, the
// clients in this one, as they would in production.
//
//	loadclient -url ws://127.0.0.1:8000/ -n 5000 -duration 60s -send-every 15s
//
// Every connection stays idle, answering the server's pings, except that
// it sends one message every -send-every (the connections' sends spread
// evenly over that period) and checks that the echo comes back whole.
// With -idle reader (the default) each connection has a goroutine in Read
// and one goroutine sends for all; with -idle deadline each connection has
// one goroutine that waits in a Read whose context ends when its next
// send is due, then sends and reads the echo.
// After -duration, every connection closes with 1000 (-close client), or
// waits for the server to close it and records the status (-close server).
//
// It reports on stdout, one JSON object per line: {"event":"connected",…}
// once every connection is open, {"event":"end",…} when the duration is
// over, and {"event":"done",…} with the totals. Errors go to stderr. The
// exit status is 1 if anything failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vizserve/vizserve/ws"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadclient:", err)
		os.Exit(1)
	}
}

type config struct {
	url          string
	n            int
	workers      int
	duration     time.Duration
	sendEvery    time.Duration
	size         int
	closeBy      string
	idle         string
	waitClose    time.Duration
	dialTimeout  time.Duration
	closeTimeout time.Duration
}

// Report is the last line of output.
type Report struct {
	Event string `json:"event"`

	Conns      int `json:"conns"`       // connections opened
	DialErrors int `json:"dial_errors"` // connections that failed to open

	Sent       int64 `json:"sent"`        // messages sent
	Echoed     int64 `json:"echoed"`      // echoes received intact
	BadEchoes  int64 `json:"bad_echoes"`  // echoes that differed from what was sent
	Unexpected int64 `json:"unexpected"`  // messages that were not an awaited echo
	ReadErrors int64 `json:"read_errors"` // connections that ended before their time
	// PingsAnswered counts the server's pings this process answered.
	PingsAnswered int64 `json:"pings_answered"`

	CloseErrors int64            `json:"close_errors"` // closes without a clean handshake
	CloseCodes  map[string]int64 `json:"close_codes"`  // -close server: the status each connection saw

	DialSeconds  float64 `json:"dial_seconds"`  // time to open every connection
	CloseSeconds float64 `json:"close_seconds"` // time from the end of the duration until every connection was closed

	// This process halfway through the duration, with every connection
	// open and idle.
	HeapBytes  uint64 `json:"heap_bytes"`
	StackBytes uint64 `json:"stack_bytes"`
	Goroutines int    `json:"goroutines"`

	FirstErrors []string `json:"first_errors,omitempty"`
}

// Errors returns the number of failures in r.
func (r *Report) Errors() int64 {
	return int64(r.DialErrors) + r.BadEchoes + r.Unexpected + r.ReadErrors + r.CloseErrors
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.url, "url", "", "the server's websocket URL (required)")
	fs.IntVar(&cfg.n, "n", 100, "connections to open")
	fs.IntVar(&cfg.workers, "dial-workers", 32, "connections being opened at once")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to hold the connections once all are open")
	fs.DurationVar(&cfg.sendEvery, "send-every", 15*time.Second, "each connection sends a message this often (0: never)")
	fs.IntVar(&cfg.size, "size", 64, "message size in bytes")
	fs.StringVar(&cfg.closeBy, "close", "client", "who closes at the end: client (1000) or server")
	fs.StringVar(&cfg.idle, "idle", "reader", "how a connection waits: reader (a goroutine per connection in Read, and one goroutine that sends for all) or deadline (one goroutine per connection, in a Read whose context ends when its next send is due)")
	fs.DurationVar(&cfg.waitClose, "wait-close", time.Minute, "with -close server, how long to wait for the server's close")
	fs.DurationVar(&cfg.dialTimeout, "dial-timeout", 30*time.Second, "bound on opening one connection")
	fs.DurationVar(&cfg.closeTimeout, "close-timeout", time.Minute, "bound on the closing handshake of one connection (generous: thousands close at once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case cfg.url == "":
		return errors.New("-url is required")
	case cfg.n < 1 || cfg.workers < 1:
		return errors.New("-n and -dial-workers must be positive")
	case cfg.closeBy != "client" && cfg.closeBy != "server":
		return fmt.Errorf("-close %q: want client or server", cfg.closeBy)
	case cfg.idle != "reader" && cfg.idle != "deadline":
		return fmt.Errorf("-idle %q: want reader or deadline", cfg.idle)
	case cfg.size < 16:
		return errors.New("-size must be at least 16")
	}
	l := &load{cfg: cfg, out: json.NewEncoder(stdout), stderr: stderr, codes: map[string]int64{}}
	rep, err := l.run(ctx)
	if err != nil {
		return err
	}
	if n := rep.Errors(); n > 0 {
		return fmt.Errorf("%d errors; the first: %q", n, rep.FirstErrors)
	}
	return nil
}

type load struct {
	cfg    config
	out    *json.Encoder
	stderr io.Writer

	sent, echoed, badEchoes, unexpected, readErrors, closeErrors atomic.Int64
	pings                                                        atomic.Int64

	mu     sync.Mutex
	codes  map[string]int64
	errors []string
}

// fail records an error, keeping the first few for the report.
func (l *load) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errors) < 10 {
		l.errors = append(l.errors, msg)
		fmt.Fprintln(l.stderr, "loadclient:", msg)
	}
}

func (l *load) emit(v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Encode(v)
}

// pingCounter is a slog handler that counts the pings the connections
// answer: the ws package reports each at debug level.
type pingCounter struct{ n *atomic.Int64 }

func (h pingCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h pingCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "ws: ping received" {
		h.n.Add(1)
	}
	return nil
}
func (h pingCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h pingCounter) WithGroup(string) slog.Handler      { return h }

func (l *load) run(ctx context.Context) (*Report, error) {
	cfg := l.cfg
	opts := &ws.DialOptions{HandshakeTimeout: cfg.dialTimeout, CloseTimeout: cfg.closeTimeout, Logger: slog.New(pingCounter{&l.pings})}

	// Open the connections with a pool of dialers.
	start := time.Now()
	conns := make([]*ws.Conn, cfg.n)
	var dialErrors atomic.Int64
	next := atomic.Int64{}
	var dialers sync.WaitGroup
	for range cfg.workers {
		dialers.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.n || ctx.Err() != nil {
					return
				}
				c, _, err := ws.Dial(ctx, cfg.url, opts)
				if err != nil {
					dialErrors.Add(1)
					l.fail("dial %d: %v", i, err)
					continue
				}
				conns[i] = c
			}
		})
	}
	dialers.Wait()
	dialSeconds := time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		closeAll(conns)
		return nil, err
	}
	open := 0
	for _, c := range conns {
		if c != nil {
			open++
		}
	}
	rep := &Report{Event: "done", Conns: open, DialErrors: int(dialErrors.Load()), DialSeconds: dialSeconds}
	l.emit(map[string]any{"event": "connected", "conns": open, "dial_errors": rep.DialErrors, "dial_seconds": dialSeconds})

	// Hold them for the duration.
	hold, endHold := context.WithTimeout(ctx, cfg.duration)
	defer endHold()
	holdStart := time.Now()
	var finish func() // ends the connections once hold is over
	if cfg.idle == "deadline" {
		finish = l.holdWithDeadlines(ctx, hold, conns, holdStart)
	} else {
		finish = l.holdWithReaders(ctx, hold, conns, holdStart)
	}
	// Halfway through, every connection is idle in its reader: measure.
	select {
	case <-hold.Done():
	case <-time.After(cfg.duration / 2):
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		rep.HeapBytes, rep.StackBytes, rep.Goroutines = ms.HeapAlloc, ms.StackInuse, runtime.NumGoroutine()
		<-hold.Done()
	}
	end := time.Now()
	if ctx.Err() != nil {
		closeAll(conns)
		finish()
		return nil, ctx.Err()
	}
	l.emit(map[string]any{"event": "end", "held_seconds": end.Sub(holdStart).Seconds()})
	finish()
	rep.CloseSeconds = time.Since(end).Seconds()

	rep.Sent, rep.Echoed, rep.BadEchoes = l.sent.Load(), l.echoed.Load(), l.badEchoes.Load()
	rep.Unexpected, rep.ReadErrors, rep.CloseErrors = l.unexpected.Load(), l.readErrors.Load(), l.closeErrors.Load()
	rep.PingsAnswered = l.pings.Load()
	l.mu.Lock()
	rep.CloseCodes = l.codes
	rep.FirstErrors = l.errors
	l.mu.Unlock()
	l.emit(rep)
	return rep, nil
}

func closeAll(conns []*ws.Conn) {
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
}

// holdWithDeadlines runs each connection on one goroutine (conn), and
// returns a function that waits for them to end.
func (l *load) holdWithDeadlines(ctx, hold context.Context, conns []*ws.Conn, start time.Time) (finish func()) {
	var wg sync.WaitGroup
	for i, c := range conns {
		if c == nil {
			continue
		}
		// Spread the sends evenly over the period.
		first := start
		if l.cfg.sendEvery > 0 {
			first = start.Add(l.cfg.sendEvery * time.Duration(i) / time.Duration(len(conns)))
		}
		wg.Go(func() { l.conn(ctx, hold, c, i, first) })
	}
	return wg.Wait
}

// conn runs one connection: idle reads (which answer pings) until the
// next send is due, a send and its echo, and so on until hold ends; then
// the close.
func (l *load) conn(ctx, hold context.Context, c *ws.Conn, id int, next time.Time) {
	defer c.CloseNow()
	cfg := l.cfg
	seq := 0
	for hold.Err() == nil {
		idle := hold
		cancel := context.CancelFunc(func() {})
		if cfg.sendEvery > 0 {
			idle, cancel = context.WithDeadline(hold, next)
		}
		typ, msg, err := c.Read(idle)
		cancel()
		switch {
		case err == nil:
			l.unexpected.Add(1)
			l.fail("conn %d: unexpected %v message of %d bytes while idle", id, typ, len(msg))
			continue
		case hold.Err() != nil:
			// The duration is over.
		case errors.Is(err, context.DeadlineExceeded):
			seq++
			if !l.echo(c, id, seq) {
				return
			}
			next = next.Add(cfg.sendEvery)
			continue
		default:
			l.readErrors.Add(1)
			l.fail("conn %d: read while idle: %v", id, err)
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	if cfg.closeBy == "client" {
		if err := c.Close(ws.StatusNormalClosure, ""); err != nil {
			l.closeErrors.Add(1)
			l.fail("conn %d: close: %v", id, err)
		}
		return
	}
	// Wait for the server's close frame, reading what comes before it.
	wait, cancel := context.WithTimeout(ctx, cfg.waitClose)
	defer cancel()
	for {
		typ, msg, err := c.Read(wait)
		if err == nil {
			l.unexpected.Add(1)
			l.fail("conn %d: unexpected %v message of %d bytes while waiting for the close", id, typ, len(msg))
			continue
		}
		l.closedWith(id, err)
		return
	}
}

// closedWith records how a connection that waited for the server's close
// ended.
func (l *load) closedWith(id int, err error) {
	code := ws.CloseStatus(err)
	l.mu.Lock()
	l.codes[strconv.Itoa(int(code))]++
	l.mu.Unlock()
	if code < 0 || code == ws.StatusAbnormalClosure {
		l.closeErrors.Add(1)
		l.fail("conn %d: waiting for the server's close: %v", id, err)
	}
}

// reader is a connection of -idle reader.
type reader struct {
	c  *ws.Conn
	id int

	mu      sync.Mutex
	pending []byte // the message whose echo is awaited
}

// holdWithReaders runs a reading goroutine per connection and one
// goroutine that sends for all, round robin, until hold ends. The
// returned function closes the connections (or, with -close server, waits
// for the server to) and waits for every goroutine.
func (l *load) holdWithReaders(ctx, hold context.Context, conns []*ws.Conn, start time.Time) (finish func()) {
	var rs []*reader
	for i, c := range conns {
		if c != nil {
			rs = append(rs, &reader{c: c, id: i})
		}
	}
	var ending atomic.Bool // reads may end from now on
	var readers sync.WaitGroup
	for _, r := range rs {
		readers.Go(func() { l.read(r, &ending) })
	}
	var sender sync.WaitGroup
	if l.cfg.sendEvery > 0 && len(rs) > 0 {
		sender.Go(func() { l.send(hold, rs, start) })
	}
	return func() {
		sender.Wait()
		ending.Store(true)
		if ctx.Err() != nil {
			readers.Wait()
			return
		}
		// Let the echoes of the last sends arrive: a close started while
		// a reader is between two reads would drop them (ws.Conn.Close
		// reads past what is left).
		awaitEchoes(rs, 30*time.Second)
		if l.cfg.closeBy == "client" {
			var closers sync.WaitGroup
			for _, r := range rs {
				closers.Go(func() {
					if err := r.c.Close(ws.StatusNormalClosure, ""); err != nil {
						l.closeErrors.Add(1)
						l.fail("conn %d: close: %v", r.id, err)
					}
				})
			}
			closers.Wait()
		} else {
			// The readers end with the server's close; give up on
			// those still open after -wait-close.
			done := make(chan struct{})
			go func() { readers.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(l.cfg.waitClose):
				closeAll(conns)
			}
		}
		readers.Wait()
		for _, r := range rs {
			if r.pending != nil {
				l.readErrors.Add(1)
				l.fail("conn %d: no echo of %.20q", r.id, r.pending)
			}
		}
	}
}

// awaitEchoes waits, polling, until no reader awaits an echo, or until
// timeout.
func awaitEchoes(rs []*reader, timeout time.Duration) {
	deadline := time.After(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		waiting := false
		for _, r := range rs {
			r.mu.Lock()
			waiting = waiting || r.pending != nil
			r.mu.Unlock()
		}
		if !waiting {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			return
		}
	}
}

// read checks the echoes of r until the connection ends.
func (l *load) read(r *reader, ending *atomic.Bool) {
	defer r.c.CloseNow()
	for {
		typ, msg, err := r.c.Read(context.Background())
		if err != nil {
			switch {
			case !ending.Load():
				l.readErrors.Add(1)
				l.fail("conn %d: read while idle: %v", r.id, err)
			case l.cfg.closeBy == "server":
				l.closedWith(r.id, err)
			}
			// With -close client, the closer reports a failed close.
			return
		}
		r.mu.Lock()
		want := r.pending
		r.pending = nil
		r.mu.Unlock()
		switch {
		case want == nil:
			l.unexpected.Add(1)
			l.fail("conn %d: unexpected %v message of %d bytes", r.id, typ, len(msg))
		case typ != ws.MessageText || string(msg) != string(want):
			l.badEchoes.Add(1)
			l.fail("conn %d: the echo of %.20q differs: %v %.40q", r.id, want, typ, msg)
		default:
			l.echoed.Add(1)
		}
	}
}

// send sends to the connections in turn, one every sendEvery/len(rs), so
// that each sends once per sendEvery, until hold ends.
func (l *load) send(hold context.Context, rs []*reader, start time.Time) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for k := 0; ; k++ {
		at := start.Add(l.cfg.sendEvery * time.Duration(k) / time.Duration(len(rs)))
		timer.Reset(time.Until(at))
		select {
		case <-hold.Done():
			return
		case <-timer.C:
		}
		r := rs[k%len(rs)]
		msg := l.message(r.id, k/len(rs)+1)
		r.mu.Lock()
		missing := r.pending
		r.pending = msg
		r.mu.Unlock()
		if missing != nil {
			l.readErrors.Add(1)
			l.fail("conn %d: no echo of %.20q within %v", r.id, missing, l.cfg.sendEvery)
		}
		// Not bound by hold: a send that started finishes.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.c.Write(ctx, ws.MessageText, msg)
		cancel()
		if err != nil {
			r.mu.Lock()
			r.pending = nil // not sent: no echo to wait for
			r.mu.Unlock()
			l.readErrors.Add(1)
			l.fail("conn %d: send: %v", r.id, err)
			continue
		}
		l.sent.Add(1)
	}
}

// message returns message seq of connection id, of the configured size.
func (l *load) message(id, seq int) []byte {
	msg := make([]byte, l.cfg.size)
	for i := range msg {
		msg[i] = byte('a' + (id+seq+i)%26)
	}
	copy(msg, fmt.Sprintf("%d:%d ", id, seq))
	return msg
}

// echo sends message seq of connection id and checks that it comes back
// intact. It reports whether the connection is still usable.
func (l *load) echo(c *ws.Conn, id, seq int) bool {
	msg := l.message(id, seq)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Write(ctx, ws.MessageText, msg); err != nil {
		l.readErrors.Add(1)
		l.fail("conn %d: send %d: %v", id, seq, err)
		return false
	}
	l.sent.Add(1)
	typ, got, err := c.Read(ctx)
	if err != nil {
		l.readErrors.Add(1)
		l.fail("conn %d: echo %d: %v", id, seq, err)
		return false
	}
	if typ != ws.MessageText || string(got) != string(msg) {
		l.badEchoes.Add(1)
		l.fail("conn %d: echo %d differs: %v %.40q", id, seq, typ, got)
		return true
	}
	l.echoed.Add(1)
	return true
}
