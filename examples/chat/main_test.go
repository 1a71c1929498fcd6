package main

import (
	"context"
	"fmt"
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

func TestChat(t *testing.T) {
	t.Parallel()
	ex := start(t)
	alice := dial(t, ex.url, ex.url)
	bob := dial(t, ex.url, ex.url)
	carol := dial(t, ex.url, "") // not a browser: no Origin

	send(t, alice, "hello?")
	expect(t, alice, Register)
	send(t, alice, "userName:")
	expect(t, alice, BadName)
	send(t, alice, "userName:"+strings.Repeat("x", MaxName+1))
	expect(t, alice, BadName)
	send(t, alice, "userName: alice ")
	expect(t, alice, "alice", "alice enters chat")

	send(t, bob, "userName:alice")
	expect(t, bob, Taken)
	send(t, bob, "userName:bob")
	expect(t, bob, "bob", "bob enters chat")
	expect(t, alice, "bob enters chat")

	send(t, carol, "userName:carol")
	expect(t, carol, "carol", "carol enters chat")
	expect(t, alice, "carol enters chat")
	expect(t, bob, "carol enters chat")

	send(t, alice, "hi all")
	expect(t, bob, "alice: hi all")
	expect(t, carol, "alice: hi all")
	send(t, carol, "userName:dave") // after joining, just text
	expect(t, alice, "carol: userName:dave")
	expect(t, bob, "carol: userName:dave")

	send(t, carol, "exit, bye")
	expectClose(t, carol, ws.StatusNormalClosure)
	expect(t, alice, "carol has left")
	expect(t, bob, "carol has left")

	// Nobody gets their own messages back: the next message alice reads
	// is bob's, not her own.
	send(t, alice, "just us")
	expect(t, bob, "alice: just us")
	send(t, bob, "indeed")
	expect(t, alice, "bob: indeed")

	// carol's name is free again.
	carol2 := dial(t, ex.url, ex.url)
	send(t, carol2, "userName:carol")
	expect(t, carol2, "carol", "carol enters chat")
	expect(t, alice, "carol enters chat")
	expect(t, bob, "carol enters chat")

	// Leaving without a word is leaving too.
	bob.CloseNow()
	expect(t, alice, "bob has left")
	expect(t, carol2, "bob has left")

	ex.Out.WaitFor(t, regexp.MustCompile(`gatekeeper: websocket accepted origin=`+regexp.QuoteMeta(ex.url)+` target=/ subprotocol=""`))
}

func TestBinaryMessagesAreRefused(t *testing.T) {
	t.Parallel()
	ex := start(t)
	c := dial(t, ex.url, ex.url)
	send(t, c, "userName:bits")
	expect(t, c, "bits", "bits enters chat")
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := c.Write(ctx, ws.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	expectClose(t, c, ws.StatusUnsupportedData)
}

// A member that never reads is dropped once its queue is full, and
// meanwhile the others chat at the pace of the fastest reader, losing
// nothing.
func TestSlowMemberDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	ex := start(t)
	alice := dial(t, ex.url, ex.url)
	bob := dial(t, ex.url, ex.url)
	slow := dial(t, ex.url, ex.url)
	send(t, alice, "userName:alice")
	expect(t, alice, "alice", "alice enters chat")
	send(t, bob, "userName:bob")
	expect(t, bob, "bob", "bob enters chat")
	expect(t, alice, "bob enters chat")
	send(t, slow, "userName:slow")
	expect(t, slow, "slow", "slow enters chat")
	expect(t, alice, "slow enters chat")
	expect(t, bob, "slow enters chat")
	// From here on, slow reads nothing.

	// alice sends big messages in batches; bob reads each batch before
	// the next (so bob's own queue never holds more than a batch). slow's
	// socket buffers fill, then its queue, and it is dropped. The bound
	// is generous: 12,000 messages of 4 KB are 48 MB, far more than the
	// socket buffers of a loopback connection hold.
	const batch, most = 32, 12000
	body := strings.Repeat("z", MaxMessage-100)
	sent, dropped := 0, false
	for !dropped {
		if sent >= most {
			t.Fatalf("slow was not dropped after %d messages", sent)
		}
		for i := 0; i < batch; i++ {
			sent++
			send(t, alice, fmt.Sprintf("%d %s", sent, body))
		}
		for got := sent - batch + 1; got <= sent; {
			msg := read(t, bob)
			if msg == "slow has left" && !dropped {
				dropped = true
				continue
			}
			if want := fmt.Sprintf("alice: %d %s", got, body); msg != want {
				t.Fatalf("bob's message %d: got %.40q…, want %.40q…", got, msg, want)
			}
			got++
		}
	}
	t.Logf("slow was dropped after alice had sent %d messages (%d MB)", sent, sent*len(body)>>20)
	expect(t, alice, "slow has left")
	ex.Out.WaitFor(t, regexp.MustCompile(`dropping a member name=slow why="too slow: 256 messages were waiting"`))

	// The others go on.
	send(t, bob, "that was quick")
	expect(t, alice, "bob: that was quick")

	// slow finds the messages its socket held, then the end: a close with
	// 1008 if the close frame got through its full buffers, else a lost
	// connection.
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		_, _, err := slow.Read(ctx)
		cancel()
		if err == nil {
			n++
			continue
		}
		if code := ws.CloseStatus(err); code != ws.StatusPolicyViolation && code != ws.StatusAbnormalClosure {
			t.Fatalf("slow's connection ended with %v after %d messages, want 1008 or 1006", err, n)
		}
		t.Logf("slow read %d buffered messages, then: %v", n, err)
		break
	}
}

func TestOrigins(t *testing.T) {
	t.Parallel()
	ex := start(t, "-origin", "*.example.org", "-origin", "localhost:*")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{ex.url, true},
		{"", true},
		{"http://app.example.org", true},
		{"https://localhost:3000", true},
		{"http://example.org.evil.example", false},
		{"http://evil.example", false},
		{"null", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			opts := &ws.DialOptions{}
			if tc.origin != "" {
				opts.HTTPHeader = http.Header{"Origin": {tc.origin}}
			}
			c, resp, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/", opts)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				c.Close(ws.StatusNormalClosure, "")
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatal("accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%v %v, want 403", resp, err)
			}
		})
	}
}

func TestStopAfter(t *testing.T) {
	t.Parallel()
	ex := start(t, "-stop-after", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, _, err := ws.Dial(ctx, extest.WSURL(ex.url)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); ws.CloseStatus(err) != ws.StatusGoingAway {
		t.Fatalf("when the time was up the client saw %v, want 1001", err)
	}
	if err := ex.Wait(t); err != nil {
		t.Fatalf("after -stop-after: %v", err)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	ex := start(t)
	status, body := extest.Get(t, ex.url+"/")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, w := range []string{`"userName:"`, "const closeCodes", "readyStates", "wasClean", "sendonws"} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// dial connects to the chat, as a page of origin would (none if "").
func dial(t *testing.T, url, origin string) *ws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	opts := &ws.DialOptions{}
	if origin != "" {
		opts.HTTPHeader = http.Header{"Origin": {origin}}
	}
	c, _, err := ws.Dial(ctx, extest.WSURL(url)+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func send(t *testing.T, c *ws.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := c.Write(ctx, ws.MessageText, []byte(msg)); err != nil {
		t.Fatalf("send %.40q: %v", msg, err)
	}
}

func read(t *testing.T, c *ws.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	typ, msg, err := c.Read(ctx)
	if err != nil || typ != ws.MessageText {
		t.Fatalf("read: %v %.40q %v", typ, msg, err)
	}
	return string(msg)
}

// expect reads the next messages and checks they are want, in order.
func expect(t *testing.T, c *ws.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := read(t, c); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}

func expectClose(t *testing.T, c *ws.Conn, code ws.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, msg, err := c.Read(ctx)
	if ws.CloseStatus(err) != code {
		t.Fatalf("got %q %v, want a close with %v", msg, err, code)
	}
}

// example is a run of the program; url is its URL, the name
// browser_test.go uses.
type example struct {
	*extest.Example
	url string
}

// start runs the program with [extest.Start] until the test ends.
func start(t *testing.T, args ...string) *example {
	t.Helper()
	ex := extest.Start(t, run, args...)
	return &example{ex, ex.URL}
}
