// Package browser drives headless Chromium over the Chrome DevTools Protocol
// (CDP), speaking it through our own websocket client, package ws. Tests use
// it to load pages from a local server, run JavaScript in them, click, drag
// and type, take screenshots, and fail on errors the page reports.
//
//	b := browser.ForTest(t)                 // skips (or fails) without chromium
//	p, err := b.NewPage(ctx)
//	err = p.Navigate(ctx, srv.URL+"/scene")
//	err = p.WaitFor(ctx, `document.querySelector("#ball") !== null`)
//	err = p.Click(ctx, 120, 80)
//	var n int
//	err = p.Eval(ctx, `document.querySelectorAll("circle").length`, &n)
//	if err := p.Err(); err != nil { t.Fatal(err) } // uncaught exceptions, console.error
//
// # Chromium
//
// Launch starts /usr/bin/chromium (or $VIZSERVE_CHROMIUM) headless, with a
// fresh profile in a temporary directory and the DevTools server on a free
// loopback port, in a process group of its own; Close kills the group and
// removes the directory. Pages must come from a real server (httptest on
// 127.0.0.1 will do): Chromium refuses websockets to loopback from pages it
// did not load over the network.
//
// # Waiting
//
// Nothing here sleeps to let the page catch up. Navigate returns after the
// load event; WaitFor runs a waiter inside the page that resolves as soon as
// a JavaScript condition holds; Eval awaits promises. Every call takes a
// context, and a deadline on it bounds the wait.
//
// # Concurrency
//
// A Browser and its Pages may be used from many goroutines. Commands on one
// page run in the order they were sent.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/ws"
)

// EnvChromium names the environment variable that overrides the path of the
// Chromium executable.
const EnvChromium = "VIZSERVE_CHROMIUM"

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Window size of new pages, in CSS pixels, unless SetViewport changes it.
const (
	DefaultWidth  = 1280
	DefaultHeight = 720
)

// flags are the command-line flags Launch passes, besides the debugging port
// and the profile directory.
var flags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
	"--disable-quic",
	"--no-default-browser-check",
	"--disable-extensions",
	"--disable-default-apps",
	"--mute-audio",
	"--hide-scrollbars",
	// Pages keep their timers and frame rate while headless.
	"--disable-background-timer-throttling",
	"--disable-backgrounding-occluded-windows",
	"--disable-renderer-backgrounding",
	fmt.Sprintf("--window-size=%d,%d", DefaultWidth, DefaultHeight),
}

// Find returns the path of the Chromium executable: $VIZSERVE_CHROMIUM,
// else /usr/bin/chromium. Its error says what to install.
func Find() (string, error) {
	path := os.Getenv(EnvChromium)
	where := "; $" + EnvChromium + " names another"
	if path == "" {
		path = DefaultChromium
	} else {
		where = ", the path in $" + EnvChromium
	}
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("chromium not found: apt-get install chromium (no executable at %s%s)", path, where)
	}
	return path, nil
}

// Require skips the test with "chromium not found: apt-get install
// chromium", or fails it when VIZSERVE_REQUIRE_PEERS=1, unless Chromium is
// installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := Find(); err != nil {
		peers.Unavailable(t, err.Error())
	}
}

// ForTest launches a browser for a test, after Require, and closes it when
// the test ends. It fails the test if Chromium is installed but does not
// start within a minute.
func ForTest(t testing.TB) *Browser {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := Launch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// Browser is a running headless Chromium and the DevTools connection to it.
type Browser struct {
	proc   *peers.Process
	dir    string
	conn   *ws.Conn
	output *peers.Tail

	nextID   atomic.Int64
	mu       sync.Mutex
	pending  map[int64]*pendingCall
	subs     map[*subscription]struct{}
	pages    map[string]*Page // by session id
	lost     error            // why calls can no longer be made
	readDone chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// errClosed is what calls on a closed browser return.
var errClosed = errors.New("the browser was closed")

// Launch starts Chromium and connects to it. ctx bounds the start; the
// browser lives until Close, whatever becomes of ctx.
func Launch(ctx context.Context) (*Browser, error) {
	path, err := Find()
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	dir, err := os.MkdirTemp("", "vizserve-chromium-")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	args := append(flags[:len(flags):len(flags)],
		"--remote-debugging-port=0",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"about:blank")
	cmd := exec.Command(path, args...)
	// Keep everything Chromium writes (NSS database, caches) in the
	// temporary directory.
	cmd.Env = append(os.Environ(),
		"HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	watch := newOutputWatch()
	cmd.Stdout = watch
	cmd.Stderr = watch
	proc, err := peers.Start(cmd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: %w", err)
	}
	fail := func(err error) (*Browser, error) {
		proc.Kill()
		killStrays(dir, 10*time.Second)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("browser: start %s: %w%s", path, err, tailSuffix(watch.tail.String()))
	}

	wsURL, err := devToolsURL(ctx, proc, watch, filepath.Join(dir, "profile", "DevToolsActivePort"))
	if err != nil {
		return fail(err)
	}
	conn, _, err := ws.Dial(ctx, wsURL, &ws.DialOptions{
		ReadLimit: 1 << 30, // screenshots of large pages are big; the peer is ours
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return fail(fmt.Errorf("connect to DevTools: %w", err))
	}
	b := &Browser{
		proc:     proc,
		dir:      dir,
		conn:     conn,
		output:   &watch.tail,
		pending:  make(map[int64]*pendingCall),
		subs:     make(map[*subscription]struct{}),
		pages:    make(map[string]*Page),
		readDone: make(chan struct{}),
	}
	go b.readLoop()
	return b, nil
}

// devToolsURL waits for Chromium to say where its DevTools server listens:
// it prints "DevTools listening on ws://..." to stderr, and writes the port
// and path to DevToolsActivePort in the profile. The file is checked now and
// then in case the line does not come.
func devToolsURL(ctx context.Context, proc *peers.Process, watch *outputWatch, portFile string) (string, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case u := <-watch.url:
			return u, nil
		case <-tick.C:
			if u, ok := readPortFile(portFile); ok {
				return u, nil
			}
		case <-proc.Exited():
			select {
			case u := <-watch.url:
				return u, nil // it printed the line, then died; Dial will say so
			default:
			}
			return "", errors.New("chromium exited before its DevTools server started")
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for the DevTools server: %w", ctx.Err())
		}
	}
}

// readPortFile reads DevToolsActivePort: a port line and a path line.
func readPortFile(name string) (string, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] == "" || !strings.HasPrefix(lines[1], "/devtools/") {
		return "", false
	}
	return "ws://127.0.0.1:" + strings.TrimSpace(lines[0]) + strings.TrimSpace(lines[1]), true
}

// Output returns the last 16 KiB Chromium wrote to stdout and stderr, for
// diagnosing a failure.
func (b *Browser) Output() string { return b.output.String() }

// Version returns the browser's product name and version, such as
// "Chrome/131.0.6778.85".
func (b *Browser) Version(ctx context.Context) (string, error) {
	var r struct {
		Product string `json:"product"`
	}
	if err := b.call(ctx, "", "Browser.getVersion", nil, &r); err != nil {
		return "", err
	}
	return r.Product, nil
}

// Close kills Chromium and every process it started, waits for them, and
// removes the temporary profile. Calls in progress fail. It may be called
// any number of times; later calls return the first one's result.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		if b.lost == nil {
			b.lost = errClosed
		}
		b.mu.Unlock()
		b.proc.Kill()
		b.conn.CloseNow()
		<-b.readDone
		err := killStrays(b.dir, 10*time.Second)
		if err == nil {
			err = os.RemoveAll(b.dir)
		}
		if err != nil {
			b.closeErr = fmt.Errorf("browser: close: %w", err)
		}
	})
	return b.closeErr
}

// Error is an error answer to a DevTools command.
type Error struct {
	Method  string // the command, such as "Page.navigate"
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("browser: %s: %s (%d)", e.Method, e.Message, e.Code)
	if e.Data != "" {
		s += ": " + e.Data
	}
	return s
}

// message is anything Chromium sends: a response (ID set) or an event.
type message struct {
	ID        int64           `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *Error          `json:"error"`
	SessionID string          `json:"sessionId"`
}

type request struct {
	ID        int64  `json:"id"`
	Method    string `json:"method"`
	Params    any    `json:"params,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
}

type pendingCall struct {
	session string
	done    chan callResult // buffered: the reader never blocks on it
}

type callResult struct {
	result json.RawMessage
	err    error
}

// call sends a command, to the browser (session "") or to a page's
// session, and decodes its result into result (if not nil).
func (b *Browser) call(ctx context.Context, session, method string, params, result any) error {
	id := b.nextID.Add(1)
	pc := &pendingCall{session: session, done: make(chan callResult, 1)}
	b.mu.Lock()
	if b.lost != nil {
		err := b.lost
		b.mu.Unlock()
		return fmt.Errorf("browser: %s: %w", method, err)
	}
	b.pending[id] = pc
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}()

	data, err := json.Marshal(request{ID: id, Method: method, Params: params, SessionID: session})
	if err != nil {
		return fmt.Errorf("browser: %s: %w", method, err)
	}
	if err := b.conn.Write(ctx, ws.MessageText, data); err != nil {
		return fmt.Errorf("browser: %s: send: %w", method, err)
	}
	select {
	case r := <-pc.done:
		if r.err != nil {
			var e *Error
			if errors.As(r.err, &e) {
				e.Method = method
				return e
			}
			return fmt.Errorf("browser: %s: %w", method, r.err)
		}
		if result != nil {
			if err := json.Unmarshal(r.result, result); err != nil {
				return fmt.Errorf("browser: %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("browser: %s: %w", method, ctx.Err())
	}
}

// readLoop reads every message from Chromium until the connection ends,
// handing responses to their callers and events to pages and subscribers.
func (b *Browser) readLoop() {
	defer close(b.readDone)
	for {
		_, data, err := b.conn.Read(context.Background())
		if err != nil {
			b.connLost(err)
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			continue // not CDP; nothing is waiting for it
		}
		if m.ID != 0 {
			b.mu.Lock()
			pc := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if pc != nil {
				if m.Error != nil {
					pc.done <- callResult{err: m.Error}
				} else {
					pc.done <- callResult{result: m.Result}
				}
			}
			continue
		}
		b.dispatch(&m)
	}
}

// connLost fails every call in progress once the connection has ended.
func (b *Browser) connLost(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lost == nil {
		b.lost = fmt.Errorf("connection to chromium lost: %w%s", err, tailSuffix(b.output.String()))
	}
	for id, pc := range b.pending {
		pc.done <- callResult{err: b.lost}
		delete(b.pending, id)
	}
	for _, p := range b.pages {
		p.markDetached()
	}
}

// dispatch hands an event to its page and to matching subscriptions.
func (b *Browser) dispatch(m *message) {
	if m.Method == "Target.detachedFromTarget" && m.SessionID == "" {
		var ev struct {
			SessionID string `json:"sessionId"`
		}
		if json.Unmarshal(m.Params, &ev) == nil {
			b.detached(ev.SessionID)
		}
	}
	b.mu.Lock()
	p := b.pages[m.SessionID]
	var subs []*subscription
	for s := range b.subs {
		if s.session == m.SessionID && s.method == m.Method {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()
	if p != nil {
		p.handleEvent(m.Method, m.Params)
	}
	for _, s := range subs {
		if s.filter != nil && !s.filter(m.Params) {
			continue
		}
		select {
		case s.ch <- m.Params:
		default: // the subscriber has enough to wake up for
		}
	}
}

// detached fails the calls of a session that has gone away.
func (b *Browser) detached(session string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pages[session]
	delete(b.pages, session)
	if p != nil {
		p.markDetached()
	}
	for id, pc := range b.pending {
		if pc.session == session {
			pc.done <- callResult{err: errors.New("the page was closed or crashed")}
			delete(b.pending, id)
		}
	}
}

// subscription receives the parameters of events of one method on one
// session, those for which filter (if set) returns true. Delivery never
// blocks the reader: when ch is full, the event is dropped.
type subscription struct {
	session, method string
	filter          func(json.RawMessage) bool
	ch              chan json.RawMessage
}

func (b *Browser) subscribe(session, method string, size int, filter func(json.RawMessage) bool) *subscription {
	s := &subscription{session: session, method: method, filter: filter, ch: make(chan json.RawMessage, size)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Browser) unsubscribe(s *subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// outputWatch collects Chromium's output and picks out the DevTools URL.
type outputWatch struct {
	tail peers.Tail
	mu   sync.Mutex
	line []byte
	url  chan string // gets the URL once
	sent bool
}

func newOutputWatch() *outputWatch {
	return &outputWatch{tail: peers.Tail{Max: 16 << 10}, url: make(chan string, 1)}
}

const listeningPrefix = "DevTools listening on "

func (w *outputWatch) Write(p []byte) (int, error) {
	w.tail.Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(w.line[:i]))
		w.line = w.line[i+1:]
		if u, ok := strings.CutPrefix(line, listeningPrefix); ok && strings.HasPrefix(u, "ws://") {
			w.url <- u
			w.sent = true
			w.line = nil
			break
		}
	}
	if len(w.line) > 4096 {
		w.line = w.line[len(w.line)-4096:] // a runaway line without end
	}
	return len(p), nil
}

func tailSuffix(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "\n--- chromium output ---\n" + s
}
