package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const patience = 10 * time.Second

func TestPage(t *testing.T) {
	t.Parallel()
	ex := start(t)
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"developer tools", "ws = openws()", `ws.send("")`, "const closeCodes", "readyStates", "wasClean"}},
		{"/favicon.ico", 404, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, body := get(t, ex.url+tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestConversation(t *testing.T) {
	t.Parallel()
	ex := start(t)
	for _, tc := range []struct {
		name   string
		origin string
		sub    []string
	}{
		{"browser on the same origin", ex.url, nil},
		{"no origin, as from a program", "", nil},
		{"with a subprotocol offered", ex.url, []string{"chat"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			opts := &ws.DialOptions{Subprotocols: tc.sub}
			if tc.origin != "" {
				opts.HTTPHeader = http.Header{"Origin": {tc.origin}}
			}
			c, _, err := ws.Dial(ctx, wsURL(ex.url)+"/?from=test", opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			for _, msg := range []string{"Browser console says hello!", "again", " "} {
				send(t, c, msg)
				expect(t, c, Hello)
			}
			send(t, c, "")
			expect(t, c, Goodbye)
			if _, _, err := c.Read(ctx); ws.CloseStatus(err) != ws.StatusNormalClosure {
				t.Fatalf("after goodbye: %v, want a close with 1000", err)
			}
		})
	}
	// The gatekeeper logged what it saw.
	want := regexp.MustCompile(`WS +gatekeeper: websocket accepted origin=` + regexp.QuoteMeta(ex.url) + ` target="?/\?from=test"? subprotocol=""`)
	ex.out.waitFor(t, want)
}

func TestOtherOriginsAreRefused(t *testing.T) {
	t.Parallel()
	ex := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, resp, err := ws.Dial(ctx, wsURL(ex.url)+"/", &ws.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin websocket: %v %v, want 403", resp, err)
	}
	ex.out.waitFor(t, regexp.MustCompile(`websocket refused .*evil\.example`))
}

func TestLeavingWithoutGoodbye(t *testing.T) {
	t.Parallel()
	ex := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, _, err := ws.Dial(ctx, wsURL(ex.url)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, "hi")
	expect(t, c, Hello)
	if err := c.Close(ws.StatusGoingAway, "tab closed"); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The server goes on serving others.
	c2, _, err := ws.Dial(ctx, wsURL(ex.url)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	send(t, c2, "still there?")
	expect(t, c2, Hello)
}

func TestBadFlag(t *testing.T) {
	t.Parallel()
	var out output
	if err := run(context.Background(), []string{"-nope"}, &out); err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

// example is a run of the program in this process.
type example struct {
	url  string
	out  *output
	stop context.CancelFunc
	done chan error
}

// start runs the program on a free loopback port, waits for the URL it
// prints, and stops it when the test ends, failing the test if run
// returns an error.
func start(t *testing.T, args ...string) *example {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ex := &example{out: newOutput(), stop: cancel, done: make(chan error, 1)}
	go func() { ex.done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), ex.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ex.done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(patience):
			t.Errorf("run did not return within %v of its context ending", patience)
		}
	})
	m := ex.out.waitFor(t, regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`))
	ex.url = m[1]
	return ex
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{}, Timeout: patience}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func send(t *testing.T, c *ws.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := c.Write(ctx, ws.MessageText, []byte(msg)); err != nil {
		t.Fatalf("send %q: %v", msg, err)
	}
}

func expect(t *testing.T, c *ws.Conn, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	typ, got, err := c.Read(ctx)
	if err != nil || typ != ws.MessageText || string(got) != want {
		t.Fatalf("got %v %q %v, want text %q", typ, got, err, want)
	}
}

// output collects what the program writes, for a test to wait on.
type output struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // receives after a write, if nobody was told yet
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b.Write(p)
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// waitFor waits until the output matches re and returns the submatches.
func (o *output) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(patience)
	for {
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m
		}
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("no output matching %s within %v; the output was:\n%s", re, patience, o.String())
		}
	}
}
