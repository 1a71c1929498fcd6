package server

// Load tests: thousands of websockets held open with heartbeats, by
// clients in a separate process (internal/testkit/cmd/loadclient), as in production.
// They take minutes and are skipped under -short. Results and how to rerun
// them: docs/benchmarks-server.md.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Environment variables that scale the load tests, for experiments; the
// defaults are what CI runs.
const (
	envLoadConns    = "VIZSERVE_LOAD_CONNS"    // default 5000
	envLoadDuration = "VIZSERVE_LOAD_DURATION" // default 60s
	// envLoadIdle is the load client's -idle mode: reader (default) or
	// deadline.
	envLoadIdle = "VIZSERVE_LOAD_IDLE"
	// envLoadHeapProfile names a file for a heap profile of the server,
	// taken while every connection is open (go tool pprof reads it).
	envLoadHeapProfile = "VIZSERVE_LOAD_HEAPPROFILE"
)

// Tolerances for "back to baseline" once every connection has closed.
// Measured after 5,000 connections (Go 1.26, linux/amd64), the live heap
// stays 5.4 MiB above where it started, none of it a leak: 4.5 MiB of
// goroutine descriptors and 1 MiB of grown maps (heap profile, -run
// TestLoadIdle with VIZSERVE_LOAD_HEAPPROFILE set). A leak of 1 KiB per
// connection would exceed the allowance; one of a ws.Conn's 4 KiB read
// buffer would exceed it several times over.
const (
	// loadGoroutineSlack allows for goroutines of the runtime and net/http
	// that come and go (a timer, a closing listener), not per connection.
	loadGoroutineSlack = 5
	// loadHeapSlack allows for runtime caches and the like.
	loadHeapSlack = 1 << 20
	// loadHeapPerGoroutine allows for the descriptor of every goroutine
	// that ran at the peak: the runtime keeps them for reuse (about 460
	// bytes each), so they stay in the heap for good.
	loadHeapPerGoroutine = 512
	// loadHeapPerConn allows for maps that grew to hold every connection
	// and, as Go maps do, did not shrink when they were deleted: the
	// server's websocket set, net/http's connection set, and the children
	// of the context handlers read with (about 200 bytes per connection).
	loadHeapPerConn = 256
)

func TestLoadIdleConnectionsWithHeartbeats(t *testing.T) {
	if testing.Short() {
		t.Skip("holds 5,000 websockets for a minute; runs without -short")
	}
	n := loadEnvInt(t, envLoadConns, 5000)
	hold := loadEnvDuration(t, envLoadDuration, 60*time.Second)
	loadRaiseFileLimit(t, n)
	bin := buildLoadClient(t)

	lc := &loadCounters{}
	s := New(Config{
		Addr:         "127.0.0.1:0",
		Logger:       slog.New(lc),
		PingInterval: 5 * time.Second,
		// Generous, so that a loaded machine does not turn a late pong
		// into a dropped connection.
		PongTimeout: 20 * time.Second,
		// Every client is on 127.0.0.1, and opens thousands of
		// connections within seconds: raise the caps and turn the rate
		// limit off, which would otherwise refuse them (429, 503).
		MaxConns:      n + 100,
		MaxConnsPerIP: n + 100,
		RateLimit:     -1,
	})
	s.HandleWS("/", lc.endpoint())
	served := loadServe(t, s)

	base := loadMeasure()
	t.Logf("baseline: %v", base)

	idle := cmp.Or(os.Getenv(envLoadIdle), "reader")
	lcl := startLoadClient(t, bin, "-url", "ws"+strings.TrimPrefix(s.URL(), "http")+"/",
		"-n", strconv.Itoa(n), "-duration", hold.String(), "-send-every", "15s", "-close", "client", "-idle", idle)

	connected := lcl.next(t, "connected", 5*time.Minute)
	if got := int(connected.m["conns"].(float64)); got != n {
		t.Fatalf("the client opened %d of %d connections", got, n)
	}
	loadEventually(t, "every websocket counted by the server", time.Minute, func() bool { return s.Stats().WebSockets == n })
	during := loadMeasure()
	t.Logf("%d connections open after %.1f s: %v", n, connected.m["dial_seconds"], during)
	if name := os.Getenv(envLoadHeapProfile); name != "" {
		loadHeapProfile(t, name)
	}

	lcl.next(t, "end", hold+5*time.Minute)
	endAt := time.Now()
	loadEventually(t, "every websocket closed on the server", 5*time.Minute, func() bool { return s.Stats().WebSockets == 0 })
	serverClosed := time.Since(endAt)
	var rep loadReport
	lcl.report(t, &rep)
	lcl.wait(t)

	after := loadSettle(t, base, during.goroutines, n)
	t.Logf("after: %v", after)
	if name := os.Getenv(envLoadHeapProfile); name != "" {
		loadHeapProfile(t, name+".after")
	}

	// Nothing failed, on either side.
	st := s.Stats()
	if e := rep.errors(); e != 0 || rep.Conns != n {
		t.Errorf("client: %d connections, %d errors: %q", rep.Conns, e, rep.FirstErrors)
	}
	if e := lc.errors.Load(); e != 0 {
		t.Errorf("server handlers: %d errors, the first: %v", e, lc.firstError())
	}
	if st.Panics != 0 || st.Refused != 0 || st.Conns != 0 {
		t.Errorf("server stats after: %+v", st)
	}
	// Every message came back, and the server saw each once.
	if rep.Sent == 0 || rep.Echoed != rep.Sent || lc.messages.Load() != rep.Sent {
		t.Errorf("client sent %d, got %d echoes; the server received %d", rep.Sent, rep.Echoed, lc.messages.Load())
	}
	// Heartbeats ran: every connection is idle for 15 s between its
	// sends, so over a minute each was pinged several times (shorter
	// experiments just need some pings); every ping was answered but
	// those in flight when the connections closed (at most one each).
	pings, pongs := lc.pingsSent.Load(), lc.pongs.Load()
	least := int64(n)
	if hold < 30*time.Second {
		least = 1
	}
	if pongs < least || pings-pongs > int64(n) || rep.PingsAnswered < pongs {
		t.Errorf("pings sent %d, pongs received %d, pings the clients answered %d", pings, pongs, rep.PingsAnswered)
	}

	t.Logf("RESULT connections=%d held=%v dial_s=%.2f server_heap_per_conn_B=%d server_stack_per_conn_B=%d "+
		"goroutines_before=%d during=%d after=%d heap_before_MiB=%.2f during=%.2f after=%.2f "+
		"client_heap_per_conn_B=%d client_goroutines=%d messages=%d pings_sent=%d pongs=%d pings_answered=%d "+
		"client_close_s=%.3f server_all_closed_s=%.3f",
		n, hold, rep.DialSeconds, perConn(during.heap, base.heap, n), perConn(during.stack, base.stack, n),
		base.goroutines, during.goroutines, after.goroutines, mib(base.heap), mib(during.heap), mib(after.heap),
		rep.HeapBytes/uint64(n), rep.Goroutines, rep.Sent, pings, pongs, rep.PingsAnswered,
		rep.CloseSeconds, serverClosed.Seconds())
	served()
}

// Closing the server with thousands of websockets open sends each 1001 and
// waits for every handshake.
func TestLoadServerCloseWithManyConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 5,000 websockets; runs without -short")
	}
	n := loadEnvInt(t, envLoadConns, 5000)
	loadRaiseFileLimit(t, n)
	bin := buildLoadClient(t)

	lc := &loadCounters{}
	s := New(Config{
		Addr: "127.0.0.1:0", Logger: slog.New(lc),
		PingInterval: 5 * time.Second, PongTimeout: 20 * time.Second,
		MaxConns: n + 100, MaxConnsPerIP: n + 100, RateLimit: -1, // as above
		CloseGrace: time.Minute,
	})
	s.HandleWS("/", lc.endpoint())
	served := loadServe(t, s)
	base := loadMeasure()

	lcl := startLoadClient(t, bin, "-url", "ws"+strings.TrimPrefix(s.URL(), "http")+"/",
		// Some traffic while the connections are held: about a fifth of
		// them send a message (each would send every 10 s).
		"-n", strconv.Itoa(n), "-duration", "2s", "-send-every", "10s", "-close", "server")
	lcl.next(t, "connected", 5*time.Minute)
	loadEventually(t, "every websocket counted by the server", time.Minute, func() bool { return s.Stats().WebSockets == n })
	peak := runtime.NumGoroutine()
	lcl.next(t, "end", 5*time.Minute)

	closeStart := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closeTook := time.Since(closeStart)
	served()
	var rep loadReport
	lcl.report(t, &rep)
	lcl.wait(t)
	after := loadSettle(t, base, peak, n)

	if e := rep.errors(); e != 0 || rep.Conns != n {
		t.Errorf("client: %d connections, %d errors: %q", rep.Conns, e, rep.FirstErrors)
	}
	if rep.CloseCodes["1001"] != int64(n) || len(rep.CloseCodes) != 1 {
		t.Errorf("close codes the clients saw: %v, want 1001 for all %d", rep.CloseCodes, n)
	}
	// The handlers saw the clients answer 1001: a normal end for them.
	if e := lc.errors.Load(); e != 0 {
		t.Errorf("server handlers: %d errors, the first: %v", e, lc.firstError())
	}
	t.Logf("RESULT connections=%d server_close_s=%.3f client_saw_all_closed_s=%.3f goroutines_before=%d after=%d heap_before_MiB=%.2f after=%.2f",
		n, closeTook.Seconds(), rep.CloseSeconds, base.goroutines, after.goroutines, mib(base.heap), mib(after.heap))
}

// loadCounters counts, as the server's logger, the pings the server sends
// and the pongs it receives (the ws package reports each at debug level),
// and serves the echo handler of the load tests.
type loadCounters struct {
	pingsSent, pongs atomic.Int64
	messages, errors atomic.Int64
	mu               sync.Mutex
	first            error
}

func (lc *loadCounters) Enabled(_ context.Context, l slog.Level) bool { return true }
func (lc *loadCounters) Handle(_ context.Context, r slog.Record) error {
	switch r.Message {
	case "ws: ping sent":
		lc.pingsSent.Add(1)
	case "ws: pong received":
		lc.pongs.Add(1)
	}
	return nil
}
func (lc *loadCounters) WithAttrs([]slog.Attr) slog.Handler { return lc }
func (lc *loadCounters) WithGroup(string) slog.Handler      { return lc }

// endpoint is the echo endpoint of the load tests. Its closing handshakes
// may take long: thousands of connections close at once on a machine that
// may be busy.
func (lc *loadCounters) endpoint() Endpoint {
	return Endpoint{Handler: lc.echo, Options: &ws.AcceptOptions{CloseTimeout: time.Minute}}
}

// echo sends every message back. Any end but a close from the client with
// 1000 or 1001 counts as an error. Once the server's close frame went out
// (Server.Close), echoes fail; it keeps reading until the client answers.
func (lc *loadCounters) echo(ctx context.Context, c *ws.Conn, r *http.Request) {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if code := ws.CloseStatus(err); code != ws.StatusNormalClosure && code != ws.StatusGoingAway {
				lc.fail(fmt.Errorf("%s: read: %w", c, err))
			}
			return
		}
		lc.messages.Add(1)
		if err := c.Write(ctx, typ, msg); err != nil && !errors.Is(err, net.ErrClosed) {
			lc.fail(fmt.Errorf("%s: write: %w", c, err))
			return
		}
	}
}

func (lc *loadCounters) fail(err error) {
	lc.errors.Add(1)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.first == nil {
		lc.first = err
	}
}

func (lc *loadCounters) firstError() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.first
}

// loadReport is the last line internal/testkit/cmd/loadclient prints.
type loadReport struct {
	Conns         int              `json:"conns"`
	DialErrors    int              `json:"dial_errors"`
	Sent          int64            `json:"sent"`
	Echoed        int64            `json:"echoed"`
	BadEchoes     int64            `json:"bad_echoes"`
	Unexpected    int64            `json:"unexpected"`
	ReadErrors    int64            `json:"read_errors"`
	PingsAnswered int64            `json:"pings_answered"`
	CloseErrors   int64            `json:"close_errors"`
	CloseCodes    map[string]int64 `json:"close_codes"`
	DialSeconds   float64          `json:"dial_seconds"`
	CloseSeconds  float64          `json:"close_seconds"`
	HeapBytes     uint64           `json:"heap_bytes"`
	StackBytes    uint64           `json:"stack_bytes"`
	Goroutines    int              `json:"goroutines"`
	FirstErrors   []string         `json:"first_errors"`
}

func (r *loadReport) errors() int64 {
	return int64(r.DialErrors) + r.BadEchoes + r.Unexpected + r.ReadErrors + r.CloseErrors
}

// buildLoadClient builds internal/testkit/cmd/loadclient into the test's temporary
// directory.
func buildLoadClient(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "loadclient")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/vizserve/vizserve/internal/testkit/cmd/loadclient")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build internal/testkit/cmd/loadclient: %v\n%s", err, out)
	}
	return bin
}

// loadClient is a running internal/testkit/cmd/loadclient.
type loadClient struct {
	cmd    *exec.Cmd
	lines  chan loadLine
	stderr *bytes.Buffer // written by exec's copier until the process ends
	done   chan error
}

// loadLine is one line the load client printed.
type loadLine struct {
	event string
	m     map[string]any
	raw   []byte
}

func startLoadClient(t *testing.T, bin string, args ...string) *loadClient {
	t.Helper()
	l := &loadClient{cmd: exec.Command(bin, args...), lines: make(chan loadLine, 8), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	l.cmd.Stderr = l.stderr
	out, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s", strings.Join(l.cmd.Args, " "))
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				continue
			}
			ev, _ := m["event"].(string)
			l.lines <- loadLine{event: ev, m: m, raw: bytes.Clone(sc.Bytes())}
		}
		close(l.lines)
		l.done <- l.cmd.Wait()
	}()
	t.Cleanup(func() {
		l.cmd.Process.Kill() // if it still runs
		for range l.lines {
		}
	})
	return l
}

// next waits for the line of an event.
func (l *loadClient) next(t *testing.T, event string, timeout time.Duration) loadLine {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("the load client ended before %q: %v\n%s", event, <-l.done, l.stderr)
			}
			if line.event == event {
				return line
			}
		case <-deadline:
			t.Fatalf("no %q from the load client within %v", event, timeout)
		}
	}
}

// report waits for the final report.
func (l *loadClient) report(t *testing.T, r *loadReport) {
	t.Helper()
	line := l.next(t, "done", 5*time.Minute)
	if err := json.Unmarshal(line.raw, r); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the load client to exit, and fails the test if it
// reported an error.
func (l *loadClient) wait(t *testing.T) {
	t.Helper()
	for range l.lines {
	}
	select {
	case err := <-l.done:
		if err != nil {
			t.Errorf("load client: %v\n%s", err, l.stderr)
		}
	case <-time.After(time.Minute):
		t.Errorf("the load client did not exit within a minute of its report")
	}
}

// loadServe serves s and returns a function that closes it (also called
// when the test ends).
func loadServe(t *testing.T, s *Server) (stop func()) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// loadMem is the memory and goroutines of this process.
type loadMem struct {
	heap, stack uint64
	goroutines  int
}

func (m loadMem) String() string {
	return fmt.Sprintf("heap %.2f MiB, stacks %.2f MiB, %d goroutines", mib(m.heap), mib(m.stack), m.goroutines)
}

// loadMeasure measures the live heap (after collecting garbage twice, so
// that sync.Pool caches are gone too), stacks and goroutines.
func loadMeasure() loadMem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return loadMem{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// loadSettle waits until goroutines and heap are back within the slack of
// base, failing the test if they do not return within a minute. peak is
// the most goroutines that ran at once, conns the connections there were.
func loadSettle(t *testing.T, base loadMem, peak, conns int) loadMem {
	t.Helper()
	var m loadMem
	heapSlack := uint64(loadHeapSlack + loadHeapPerGoroutine*peak + loadHeapPerConn*conns)
	ok := loadPoll(time.Minute, func() bool {
		m = loadMeasure()
		return m.goroutines <= base.goroutines+loadGoroutineSlack && m.heap <= base.heap+heapSlack
	})
	if !ok {
		t.Errorf("not back to the baseline (%v, with slack of %d goroutines and %d KiB) a minute after every connection closed: %v",
			base, loadGoroutineSlack, heapSlack>>10, m)
		buf := make([]byte, 1<<20)
		t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	return m
}

// loadPoll checks cond every 100 ms until it holds or timeout passes.
func loadPoll(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			return cond()
		}
	}
	return true
}

func loadEventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !loadPoll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

func loadEnvInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func loadEnvDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}

func loadHeapProfile(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote a heap profile to %s", name)
}

func perConn(during, base uint64, n int) int64 { return (int64(during) - int64(base)) / int64(n) }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
