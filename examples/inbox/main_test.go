package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/extest"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const patience = extest.Patience

// The program talks to an echo server through its mailbox, gets every
// message back in order, and leaves no goroutine behind. (Not parallel:
// the goroutine check sees the whole process.)
func TestRoundTrip(t *testing.T) {
	var sawClose sync.WaitGroup
	closes := make(chan error, 1)
	s := server.New(server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	s.HandleWS("/", server.Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
		sawClose.Add(1)
		defer sawClose.Done()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				closes <- err
				return
			}
			if c.Write(ctx, typ, msg) != nil {
				return
			}
		}
	}})
	served := extest.Serve(t, s)

	msgs := []string{"Hello", "wörld", "", strings.Repeat("long ", 20000)}
	args := append([]string{"-url", extest.WSURL(s.URL()) + "/", "-n", "500"}, msgs...)
	for i := 1; i <= 500; i++ {
		msgs = append(msgs, fmt.Sprintf("message %d", i))
	}
	out := newOutput()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := run(ctx, args, out); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	var want strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&want, "inbox: received %q\n", m)
	}
	fmt.Fprintf(&want, "inbox: sent %d messages, received %d\n", len(msgs), len(msgs))
	if got := out.String(); got != want.String() {
		gl, wl := strings.Split(got, "\n"), strings.Split(want.String(), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("output line %d is %.80q, want %.80q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output has %d lines, want %d", len(gl), len(wl))
	}
	if err := <-closes; ws.CloseStatus(err) != ws.StatusNormalClosure {
		t.Fatalf("the server saw %v, want a close with 1000 when the outbox was closed", err)
	}
	sawClose.Wait()
	served()
	if stray := strays(patience); len(stray) > 0 {
		t.Fatalf("%d goroutines left after run returned:\n%s", len(stray), strings.Join(stray, "\n\n"))
	}
}

// strays waits up to timeout for the goroutines that leakcheck.Stray
// reports, apart from parallel tests waiting for their turn, to end, and
// returns those that did not.
func strays(timeout time.Duration) []string {
	deadline := time.After(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []string
		for _, g := range leakcheck.Stray() {
			if !strings.Contains(g, "testing.(*T).Parallel") {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline:
			return left
		}
	}
}

// Each way a conversation can end ends both goroutines, closes the inbox,
// and says why.
func TestMailboxEndings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// server handles the connection after echoing the first message.
		server func(ctx context.Context, c *ws.Conn)
		// client ends the conversation, if the client is the one to.
		client func(mb *Mailbox, cancel context.CancelFunc)
		// serverSees is the close status the server's last read reports.
		serverSees ws.StatusCode
		// err is what Err must contain; "" means nil.
		err string
	}{
		{
			name:       "client closes the outbox",
			server:     func(ctx context.Context, c *ws.Conn) { c.Read(ctx) },
			client:     func(mb *Mailbox, _ context.CancelFunc) { close(mb.Outbox) },
			serverSees: ws.StatusNormalClosure,
		},
		{
			name:       "client's context ends",
			server:     func(ctx context.Context, c *ws.Conn) { c.Read(ctx) },
			client:     func(_ *Mailbox, cancel context.CancelFunc) { cancel() },
			serverSees: ws.StatusGoingAway,
			err:        "1001",
		},
		{
			name:       "server closes normally",
			server:     func(ctx context.Context, c *ws.Conn) { c.Close(ws.StatusNormalClosure, "that's all") },
			serverSees: -1,
		},
		{
			name:       "server fails",
			server:     func(ctx context.Context, c *ws.Conn) { c.Close(ws.StatusInternalError, "oops") },
			serverSees: -1,
			err:        `1011 (internal error) and reason "oops"`,
		},
		{
			name:       "connection lost",
			server:     func(ctx context.Context, c *ws.Conn) { c.CloseNow() },
			serverSees: -1,
			err:        "connection lost without a close frame",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			serverDone := make(chan error, 1)
			s := server.New(server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
			s.HandleWS("/", server.Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
				typ, msg, err := c.Read(ctx)
				if err == nil {
					err = c.Write(ctx, typ, msg)
				}
				if err != nil {
					serverDone <- err
					return
				}
				tc.server(ctx, c)
				_, _, err = c.Read(ctx)
				serverDone <- err
			}})
			extest.Serve(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), patience)
			defer cancel()
			c, _, err := ws.Dial(ctx, extest.WSURL(s.URL())+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			splitCtx, stop := context.WithCancel(ctx)
			defer stop()
			mb := Split(splitCtx, c, 1)
			mb.Outbox <- Message{Type: ws.MessageBinary, Data: []byte{42}}
			if m := <-mb.Inbox; m.Type != ws.MessageBinary || string(m.Data) != "\x2a" {
				t.Fatalf("echo: %+v", m)
			}
			if tc.client != nil {
				tc.client(mb, stop)
			}
			for m := range mb.Inbox {
				t.Errorf("unexpected message %+v", m)
			}
			select {
			case <-mb.Done():
			case <-ctx.Done():
				t.Fatal("Done was not closed after the inbox was")
			}
			if tc.client == nil {
				// A sender that selects on Done is never stuck.
				select {
				case mb.Outbox <- Message{Type: ws.MessageText}:
					t.Fatal("the outbox took a message after the connection ended")
				case <-mb.Done():
				}
			}
			if err := mb.Err(); tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("Err() = %v, want %q", err, tc.err)
			}
			if err := <-serverDone; tc.serverSees >= 0 && ws.CloseStatus(err) != tc.serverSees {
				t.Fatalf("the server saw %v, want %v", err, tc.serverSees)
			}
		})
	}
}

// Without -url, the program serves an echo server and its page, talks to
// it, and keeps serving until its context ends.
func TestServesItsOwn(t *testing.T) {
	t.Parallel()
	ex := extest.Start(t, run, "-v")
	ex.Out.WaitFor(t, regexp.MustCompile(`(?s)received "Hello"\n.*received "Goodbye"\n.*inbox: sent 2 messages, received 2\ninbox: done`))
	status, body := extest.Get(t, ex.URL+"/")
	if status != 200 {
		t.Fatalf("page: %d", status)
	}
	for _, w := range []string{"mailbox(ws)", "Symbol.asyncIterator", "const closeCodes", "readyStates", "wasClean"} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestNoServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := run(ctx, []string{"-url", "ws://127.0.0.1:1/"}, newOutput()); err == nil {
		t.Fatal("no error without a server")
	}
}

// output adds the names browser_test.go uses to [extest.Output].
type output struct{ extest.Output }

func newOutput() *output { return new(output) }

func (o *output) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	return o.WaitFor(t, re)
}
