package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const patience = extest.Patience

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
			status, body := extest.Get(t, ex.url+tc.path)
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
			c, _, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/?from=test", opts)
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
	_, resp, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/", &ws.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
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
	c, _, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, "hi")
	expect(t, c, Hello)
	if err := c.Close(ws.StatusGoingAway, "tab closed"); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The server goes on serving others.
	c2, _, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	send(t, c2, "still there?")
	expect(t, c2, Hello)
}

func TestBadFlag(t *testing.T) {
	t.Parallel()
	var out extest.Output
	if err := run(context.Background(), []string{"-nope"}, &out); err == nil {
		t.Fatal("run accepted an unknown flag")
	}
}

// example is a run of the program; url and out are the names
// browser_test.go uses.
type example struct {
	*extest.Example
	url string
	out output
}

// output adds the name browser_test.go uses to [extest.Output].
type output struct{ *extest.Output }

func (o output) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	return o.WaitFor(t, re)
}

// start runs the program with [extest.Start] until the test ends.
func start(t *testing.T, args ...string) *example {
	t.Helper()
	ex := extest.Start(t, run, args...)
	return &example{ex, ex.URL, output{ex.Out}}
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
